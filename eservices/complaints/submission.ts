/**
 * A submission's body, checked field by field (docs/partners/portal-complaints.md, "Submit"): the
 * first problem is a 400 naming its field, and nothing is stored. Attachments are decoded and
 * their bytes checked here, once, before a registration number is taken.
 */
import { httpError } from '../../engine/core/errors.ts';
import { municipalityProblem } from '../../engine/validation/municipalities.ts';
import {
  SUBMISSION_KINDS, institutions, submissionTopics,
  type Institution, type SubmissionAttachmentFacts, type SubmissionContact, type SubmissionKind,
} from '../../store/complaints.ts';
import { COMPLAINT_LIMITS as L } from './limits.ts';
import { ATTACHMENT_TYPES, attachmentType, decodeBase64Strict, sha256Hex } from './attachments.ts';

export const INVALID = 'HUB_ERR_COMPLAINT_INVALID';
export const BAD_ATTACHMENT = 'HUB_ERR_COMPLAINT_ATTACHMENT';

export interface SubmissionAttachment extends SubmissionAttachmentFacts {
  /** The base64 exactly as sent: it travels on to the institution unchanged. */
  data: string;
}

export interface Submission {
  kind: SubmissionKind;
  topic: string;
  institution: Institution;
  text: string;
  contact?: SubmissionContact;
  attachments: SubmissionAttachment[];
}

const FIELDS = ['kind', 'topic', 'institution', 'text', 'contact', 'attachments'];
const CONTACT_FIELDS = ['email', 'phone', 'address'];
const ATTACHMENT_FIELDS = ['name', 'contentType', 'data'];

const invalid = (field: string, message: string): never => { throw httpError(400, INVALID, `${field}: ${message}`, field); };
const badAttachment = (field: string, message: string): never => { throw httpError(400, BAD_ATTACHMENT, `${field}: ${message}`, field); };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** C0 controls but tab, line feed and carriage return; and DEL. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function noOtherFields(o: Record<string, unknown>, allowed: string[], at: string, code: string): void {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const field = at ? `${at}.${k}` : k;
    if (!at && k === 'personCode') invalid(field, 'a submission names no person: the submitter is the person the portal\'s assertion names (sub)');
    (code === INVALID ? invalid : badAttachment)(field, `is not a field here; the fields are ${allowed.join(', ')}`);
  }
}

function textOf(v: unknown, field: string, max: number, multiline: boolean): string {
  if (typeof v !== 'string' || !v.trim()) return invalid(field, 'must be a non-empty string');
  if (v.length > max) return invalid(field, `is ${v.length} characters; at most ${max} are taken`);
  if (CONTROL.test(v) || (!multiline && /[\r\n\t]/.test(v))) return invalid(field, multiline ? 'holds control characters' : 'must be one line without control characters');
  return v;
}

function contactOf(v: unknown): SubmissionContact | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return invalid('contact', 'must be an object {email?, phone?, address?}');
  noOtherFields(v, CONTACT_FIELDS, 'contact', INVALID);
  const c: SubmissionContact = {};
  if (v.email !== undefined) {
    c.email = textOf(v.email, 'contact.email', L.emailChars, false).trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.email)) invalid('contact.email', 'is not an e-mail address');
  }
  if (v.phone !== undefined) {
    c.phone = textOf(v.phone, 'contact.phone', 20, false).trim();
    if (!/^\+?\d[\d ()-]{5,19}$/.test(c.phone)) invalid('contact.phone', 'is not a phone number: digits, spaces, ( ) and -, optionally after +');
  }
  if (v.address !== undefined) c.address = textOf(v.address, 'contact.address', L.addressChars, false).trim();
  if (!Object.keys(c).length) invalid('contact', 'give at least one of email, phone, address, or leave contact out');
  return c;
}

function attachmentsOf(v: unknown): SubmissionAttachment[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return badAttachment('attachments', 'must be a list of {name, contentType, data}');
  if (v.length > L.attachments) badAttachment('attachments', `${v.length} files; at most ${L.attachments} are taken`);
  // The size is known from the base64's length: too much is refused before anything is decoded.
  let total = 0;
  for (const a of v) if (isObject(a) && typeof a.data === 'string') total += Math.floor((a.data.length * 3) / 4);
  if (total > L.attachmentBytes + 2 * v.length) badAttachment('attachments', `about ${total} bytes together; at most ${L.attachmentBytes} (10 MB) are taken`);
  const out: SubmissionAttachment[] = [];
  total = 0;
  for (const [i, a] of v.entries()) {
    const at = `attachments[${i}]`;
    if (!isObject(a)) return badAttachment(at, 'must be an object {name, contentType, data}');
    noOtherFields(a, ATTACHMENT_FIELDS, at, BAD_ATTACHMENT);
    const name = a.name;
    if (typeof name !== 'string' || !name.trim() || name.length > L.attachmentNameChars || /[/\\]/.test(name) || CONTROL.test(name) || /[\r\n\t]/.test(name)) {
      return badAttachment(`${at}.name`, `must be a file name of 1–${L.attachmentNameChars} characters, without a folder (/ or \\) or control characters`);
    }
    const type = typeof a.contentType === 'string' ? attachmentType(a.contentType) : undefined;
    if (!type) return badAttachment(`${at}.contentType`, `must be one of ${ATTACHMENT_TYPES.map((t) => t.contentType).join(', ')}`);
    const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
    if (!ext || !type.extensions.includes(ext)) badAttachment(`${at}.name`, `a ${type.contentType} file is named *.${type.extensions.join(' or *.')}, and "${name}" is not`);
    if (typeof a.data !== 'string' || !a.data) return badAttachment(`${at}.data`, 'must be the file\'s bytes in base64');
    const bytes = decodeBase64Strict(a.data);
    if (!bytes) return badAttachment(`${at}.data`, 'is not base64 as RFC 4648 §4 writes it (A–Z a–z 0–9 + /, padded with = to a multiple of 4, no line breaks)');
    if (bytes.length === 0) badAttachment(`${at}.data`, 'the file is empty');
    const wrong = type.problem(bytes);
    if (wrong) badAttachment(`${at}.data`, `the bytes are not ${type.contentType}: ${wrong}`);
    total += bytes.length;
    out.push({ name, contentType: type.contentType, bytes: bytes.length, sha256: sha256Hex(bytes), data: a.data });
  }
  if (total > L.attachmentBytes) badAttachment('attachments', `${total} bytes together; at most ${L.attachmentBytes} (10 MB) are taken`);
  return out;
}

function institutionOf(v: unknown, today: string): Institution {
  if (typeof v !== 'string' || !v) return invalid('institution', 'must be an institution\'s id: LM, VSAA, VDEAVK, VSAC, NVA, or a municipality\'s ATVK code (its social service)');
  const i = institutions().get(v);
  if (!i) {
    return invalid('institution', `"${v}" is not in schemas/classifiers/institutions.json: use ${[...institutions().values()].filter((x) => x.kind === 'state').map((x) => x.id).join(', ')} or a municipality's ATVK code, e.g. 0001000`);
  }
  if (i.kind === 'municipality') {
    const problem = municipalityProblem(i.id, today);
    if (problem) invalid('institution', problem);
  }
  return i;
}

/** The submission `body` asks for, or a 400 naming the first field at fault. `today` is YYYY-MM-DD. */
export function readSubmission(body: Record<string, unknown>, today: string): Submission {
  noOtherFields(body, FIELDS, '', INVALID);
  if (!SUBMISSION_KINDS.includes(body.kind as SubmissionKind)) invalid('kind', `must be one of ${SUBMISSION_KINDS.join(', ')}`);
  const topics = submissionTopics().map((t) => t.code);
  if (typeof body.topic !== 'string' || !topics.includes(body.topic)) invalid('topic', `must be one of ${topics.join(', ')} (schemas/classifiers/submission-topics.json)`);
  const institution = institutionOf(body.institution, today);
  const text = textOf(body.text, 'text', L.textChars, true);
  const contact = contactOf(body.contact);
  const attachments = attachmentsOf(body.attachments);
  return { kind: body.kind as SubmissionKind, topic: body.topic as string, institution, text, ...(contact ? { contact } : {}), attachments };
}

/** What makes two submissions the same: a repeat of a jti must carry exactly this. */
export function contentHash(personCode: string, s: Submission): string {
  return sha256Hex(JSON.stringify([personCode, s.kind, s.topic, s.institution.id, s.text, s.contact ?? null, s.attachments.map((a) => [a.name, a.contentType, a.sha256])]));
}
