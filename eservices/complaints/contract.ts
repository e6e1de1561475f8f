/**
 * The complaints' route contracts (engine/http/openapi.ts), from what submission.ts checks with:
 * the kinds, the topic and institution classifiers, the limits, the attachment types.
 */
import { S, type JsonSchema, type RouteContract } from '../../engine/http/openapi.ts';
import { SUBMISSION_KINDS, institutions, submissionTopics } from '../../store/complaints.ts';
import { COMPLAINT_LIMITS as L } from './limits.ts';
import { ATTACHMENT_TYPES } from './attachments.ts';

const TAG = 'eservices-complaints';
const NUMBER = S.str({ pattern: '^SP-\\d{4}-\\d{6,9}$', description: 'The hub\'s registration number, e.g. SP-2026-000123.' });
const CONTACT = S.obj({}, { email: S.str({ maxLength: L.emailChars }), phone: S.str({ maxLength: 20 }), address: S.str({ maxLength: L.addressChars }) }, { closed: true });

/** Built at the first document: the classifiers are files read on first use. */
function submissionSchema(): JsonSchema {
  const states = [...institutions().values()].filter((i) => i.kind === 'state').map((i) => i.id);
  return S.obj({
    kind: S.oneOf(SUBMISSION_KINDS),
    topic: S.oneOf(submissionTopics().map((t) => t.code), { description: 'schemas/classifiers/submission-topics.json' }),
    institution: S.str({ description: `To whom: ${states.join(', ')}, or a municipality's ATVK code (its social service); schemas/classifiers/institutions.json.` }),
    text: S.str({ minLength: 1, maxLength: L.textChars }),
  }, {
    contact: CONTACT,
    attachments: S.arr(S.obj({
      name: S.str({ minLength: 1, maxLength: L.attachmentNameChars }),
      contentType: S.oneOf(ATTACHMENT_TYPES.map((t) => t.contentType)),
      data: S.str({ contentEncoding: 'base64', description: 'The file\'s bytes in base64 (RFC 4648 §4).' }),
    }, {}, { closed: true }), { maxItems: L.attachments, description: `At most ${L.attachments} files, ${L.attachmentBytes} bytes together once decoded.` }),
  }, { closed: true });
}

const VIEW: JsonSchema = S.obj({
  registrationNumber: NUMBER, kind: S.oneOf(SUBMISSION_KINDS), topic: S.str(),
  institution: S.obj({ id: S.str(), name: S.str() }), receivedAt: S.instant(),
  attachments: S.arr(S.obj({ name: S.str(), contentType: S.str(), bytes: S.int({ minimum: 1 }) })),
  delivery: S.obj({ status: S.oneOf(['pending', 'delivered', 'failed']) }, { deliveredAt: S.instant() }),
}, { text: S.str(), contact: CONTACT }, { $id: 'eservices/complaint', title: 'Complaint' });

const REGISTERED = S.obj({ registrationNumber: NUMBER, receivedAt: S.instant() });

export function complaintContracts() {
  return {
    submit: {
      operationId: 'submitComplaint', tag: TAG, auth: ['portal'],
      summary: 'A person submits a complaint, application or proposal to an institution',
      description: 'Registered under the hub\'s number and sent to the institution\'s official e-address. The same jti with the same content answers the same number (200).',
      body: { schema: submissionSchema() },
      responses: { 201: { description: 'Registered.', schema: REGISTERED }, 200: { description: 'This submission was already registered (same jti).', schema: REGISTERED } },
      errors: [400, 401, 403, 409, 413, 429, 503],
    },
    list: {
      operationId: 'listMyComplaints', tag: TAG, auth: ['portal'],
      summary: 'The person\'s submissions and how far each got',
      responses: { 200: { description: 'The submissions.', schema: S.obj({ complaints: S.arr(VIEW) }) } },
      errors: [401, 403, 429, 503],
    },
    get: {
      operationId: 'getMyComplaint', tag: TAG, auth: ['portal'],
      summary: 'One of the person\'s submissions, with its text',
      params: { registrationNumber: { schema: NUMBER } },
      responses: { 200: { description: 'The submission.', schema: VIEW } },
      errors: [400, 401, 403, 404, 429, 503],
    },
  } satisfies Record<string, RouteContract>;
}
