/**
 * Complaints, applications and proposals (issue 13, point 4; docs/partners/portal-complaints.md).
 * A person submits one through the portal to a state institution of the social sector or a
 * municipality's social service; the hub registers it under its own number (SP-2026-000123) and
 * sends it to the institution's official e-address. The submission and its planned delivery are
 * stored in one transaction: a registration number is never given for something that will not be
 * sent, and nothing is sent that has no number.
 *
 * - `POST /api/v1/complaints` (person) → 201 {registrationNumber, receivedAt}; the same jti again → 200, the same number
 * - `GET /api/v1/persons/me/complaints` (person) → their submissions and how far each got
 * - `GET /api/v1/persons/me/complaints/{registrationNumber}` (person) → one, with its text
 * The Ministry's counts are in `GET /api/v1/spolis/statistics` (`submissions`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDef } from '../../engine/config/types.ts';
import { httpError } from '../../engine/core/errors.ts';
import { assertAccess } from '../../engine/http/auth.ts';
import { deliverStepOf, deliveryIdOf } from '../../engine/runtime/deliveries.ts';
import {
  findSubmissionByRequest, getSubmission, insertSubmission, institutions, listSubmissions, nextSubmissionNumber, registrationNumber,
  type StoredSubmission,
} from '../../store/complaints.ts';
import type { AuditEntry } from '../../store/index.ts';
import { routeAt, type EServiceDeps } from '../common/deps.ts';
import { actorOf, assertCaller, type Caller } from '../common/portal-caller.ts';
import { readCaller } from '../common/request.ts';
import { COMPLAINT_LIMITS } from './limits.ts';
import { INVALID, contentHash, readSubmission } from './submission.ts';
import { complaintMessage, rigaTime } from './message.ts';
import { complaintContracts } from './contract.ts';

export const COMPLAINTS_PATH = '/api/v1/complaints';
export const MY_COMPLAINTS_PATH = '/api/v1/persons/me/complaints';
const SERVICE = 'eservice:complaints';
const NUMBER = /^SP-\d{4}-\d{6,9}$/;
/** The submission is stored and queued by then: repeating it with the same jti answers its number. */
const REPEAT_SUBMIT = 'the submission is registered and on its way: repeat the request with the same jti to get its registration number';

/** The JSON object of a request whose caller is already known and allowed. */
function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const raw = Buffer.isBuffer(req.body) ? req.body : null;
  if (!raw?.length) throw httpError(400, INVALID, 'send a JSON object with Content-Type: application/json', '(body)');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw httpError(400, INVALID, 'the body is not JSON', '(body)');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw httpError(400, INVALID, 'send a JSON object, not an array or a single value', '(body)');
  return body as Record<string, unknown>;
}

const asView = (s: StoredSubmission) => ({
  registrationNumber: s.registrationNumber, kind: s.kind, topic: s.topic,
  institution: { id: s.institution, name: institutions().get(s.institution)?.name ?? s.institution },
  receivedAt: s.receivedAt,
  attachments: s.attachments.map((a) => ({ name: a.name, contentType: a.contentType, bytes: a.bytes })),
  delivery: s.delivery,
  ...(s.text !== undefined ? { text: s.text } : {}),
  ...(s.contact ? { contact: s.contact } : {}),
});

/** No audit row, no answer (DESIGN.md §6): a failed append is a 503 the portal may repeat. */
async function audited(deps: EServiceDeps, entry: AuditEntry, repeat: string): Promise<void> {
  try {
    await deps.audit.append(entry);
  } catch (e) {
    deps.logger.error({ err: e, service: SERVICE }, 'audit row not written; answer withheld');
    throw httpError(503, 'HUB_ERR_AUDIT_UNAVAILABLE', `the audit log cannot be written, and no answer leaves without its audit row; ${repeat}`);
  }
}

export function registerComplaints(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, COMPLAINTS_PATH);
  if (!route) return;
  const step = deliverStepOf(route);
  if (!step) throw new Error(`route ${route.id} must send submissions on: give it a step "deliver: eaddress/send-message"`);
  const component = Array.isArray(step.deliver) ? step.deliver[0] : step.deliver;
  const C = complaintContracts();

  /** The caller, if the route admits its partner and the operation its kind: a person. */
  const personOf = async (req: FastifyRequest, r: RouteDef, operation: string) => {
    const caller: Caller = await readCaller(req, deps.callers);
    assertAccess(r, caller.partner);
    assertCaller(caller, ['person'], operation);
    return caller;
  };

  app.post(COMPLAINTS_PATH, { bodyLimit: COMPLAINT_LIMITS.bodyBytes, config: { contract: C.submit } }, async (req, reply) => {
    const caller = await personOf(req, route, 'submit a complaint, application or proposal');
    const at = new Date();
    const riga = rigaTime(at);
    const submission = readSubmission(jsonBody(req), riga.day);
    const hash = contentHash(caller.personCode, submission);
    const channel = caller.partner.id;

    const repeat = (prior: { registrationNumber: string; contentSha256: string }): void => {
      if (prior.contentSha256 !== hash) {
        throw httpError(409, 'HUB_ERR_COMPLAINT_CONFLICT', `the jti of this assertion was used for submission ${prior.registrationNumber}, which had other content; the portal makes a new jti for each submission and repeats a jti only with the same submission`, 'jti');
      }
    };
    let number = '';
    // The item is filled in inside the transaction, once the number is taken: flows.apply plans
    // its delivery after `before` has run, so the planned message carries the number.
    const message = complaintMessage(submission, { registrationNumber: '', personCode: caller.personCode, receivedAt: at });
    const out = await deps.flows.apply(route, 'eaddress.message', [message], { routeId: route.id, actor: channel, origin: 'push', requestId: caller.requestId }, {
      before: async (tx) => {
        const prior = await findSubmissionByRequest(tx, channel, caller.requestId);
        if (prior) { repeat(prior); return false; }
        const n = await nextSubmissionNumber(tx, riga.year);
        number = registrationNumber(riga.year, n);
        Object.assign(message, complaintMessage(submission, { registrationNumber: number, personCode: caller.personCode, receivedAt: at }));
        const stored = await insertSubmission(tx, {
          registrationNumber: number, year: riga.year, number: n, channel, requestId: caller.requestId, contentSha256: hash,
          personCode: caller.personCode, kind: submission.kind, topic: submission.topic, institution: submission.institution.id,
          institutionRegNo: submission.institution.regNo, ...(message.municipality ? { municipality: message.municipality } : {}),
          text: submission.text, ...(submission.contact ? { contact: submission.contact } : {}),
          attachments: submission.attachments.map(({ data: _d, ...facts }) => facts),
          deliveryId: deliveryIdOf(component, message), receivedAt: at.toISOString(), period: riga.period,
        });
        if (!stored) {
          // The same jti committed while this request waited for the number: a repeat after all.
          const raced = await findSubmissionByRequest(tx, channel, caller.requestId);
          if (raced) repeat(raced);
          return false;
        }
        return true;
      },
    });

    if (!out) {
      const prior = (await findSubmissionByRequest(deps.store.db, channel, caller.requestId))!;
      await audited(deps, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'submit', outcome: 'repeat', details: { registrationNumber: prior.registrationNumber } }, REPEAT_SUBMIT);
      return reply.code(200).send({ registrationNumber: prior.registrationNumber, receivedAt: prior.receivedAt });
    }
    await audited(deps, {
      actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'submit', outcome: 'registered',
      details: { registrationNumber: number, institution: submission.institution.id, attachments: submission.attachments.length },
    }, REPEAT_SUBMIT);
    deps.logger.info({ route: route.id, registrationNumber: number, institution: submission.institution.id, attachments: submission.attachments.length }, 'submission registered');
    return reply.code(201).send({ registrationNumber: number, receivedAt: at.toISOString() });
  });

  app.get(MY_COMPLAINTS_PATH, { config: { contract: C.list } }, async (req) => {
    const caller = await personOf(req, route, 'list their complaints, applications and proposals');
    const list = await listSubmissions(deps.store.db, caller.personCode);
    await audited(deps, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'list own submissions', outcome: `${list.length} submissions` }, 'try again later');
    return { complaints: list.map(asView) };
  });

  app.get<{ Params: { registrationNumber: string } }>(`${MY_COMPLAINTS_PATH}/:registrationNumber`, { config: { contract: C.get } }, async (req) => {
    const caller = await personOf(req, route, 'read their complaints, applications and proposals');
    const n = req.params.registrationNumber;
    if (!NUMBER.test(n)) throw httpError(400, INVALID, 'is not a registration number such as SP-2026-000123', 'registrationNumber');
    const s = await getSubmission(deps.store.db, caller.personCode, n);
    await audited(deps, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'read own submission', outcome: s ? 'found' : 'not found', details: { registrationNumber: n } }, 'try again later');
    // Another person's number is "not found" too: whether it exists is not the asker's to learn.
    if (!s) throw httpError(404, 'HUB_ERR_COMPLAINT_NOT_FOUND', `you have no submission ${n}`, 'registrationNumber');
    return asView(s);
  });
}
