/**
 * The e-address message API as docs/partners/eaddress.md defines it: the JSON body the hub sends
 * and the checks the e-address makes of it. Kept apart from both the delivery and the simulator so
 * the two sides read one contract.
 */
import { personCodeProblem } from '../../engine/index.ts';

export const EADDRESS_KINDS = ['decision-notice', 'queue-notice', 'complaint'] as const;

/** eaddress.md, "Limits". */
export const EADDRESS_LIMITS = {
  messageIdChars: 128,
  subjectChars: 200,
  textChars: 20_000,
  attachments: 20,
  /** Decoded bytes of all attachments of one message together. */
  attachmentBytes: 10 * 1024 * 1024,
  /** The whole request body: the attachments in base64 (4/3) and the rest. */
  bodyBytes: 15 * 1024 * 1024,
} as const;

export interface EAddressAttachment { name: string; contentType: string; data: string }

/** The body of `POST <endpoint>`. */
export interface EAddressRequest {
  /** The e-address deduplicates by it: 201 on the first receipt, 200 with the same ref on a repeat. */
  messageId: string;
  recipient: { personCode: string } | { regNo: string };
  kind: (typeof EADDRESS_KINDS)[number];
  subject: string;
  text: string;
  attachments?: EAddressAttachment[];
}

/** What is wrong with a body, named by its JSON path (`recipient.personCode`). */
export interface MessageProblem { field: string; message: string }

const MESSAGE_ID = /^[A-Za-z0-9._:-]+$/;
const REG_NO = /^\d{11}$/;
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

/** Bytes a base64 string decodes to, without decoding it. */
export const base64Bytes = (s: string): number => Math.floor((s.length * 3) / 4) - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);

/** The first problem of a parsed body, or null when the e-address accepts it. Unknown fields are ignored. */
export function messageProblem(body: unknown): MessageProblem | null {
  if (!isObject(body)) return { field: '', message: 'the body must be a JSON object' };
  const L = EADDRESS_LIMITS;
  if (typeof body.messageId !== 'string' || !MESSAGE_ID.test(body.messageId) || body.messageId.length > L.messageIdChars) {
    return { field: 'messageId', message: `messageId must be 1–${L.messageIdChars} characters of [A-Za-z0-9._:-]` };
  }
  const r = body.recipient;
  if (!isObject(r) || ('personCode' in r) === ('regNo' in r)) return { field: 'recipient', message: 'recipient must be an object with exactly one of personCode or regNo' };
  if ('personCode' in r) {
    if (typeof r.personCode !== 'string' || !/^\d{11}$/.test(r.personCode)) return { field: 'recipient.personCode', message: 'recipient.personCode must be 11 digits without a hyphen' };
    const p = personCodeProblem(r.personCode);
    if (p) return { field: 'recipient.personCode', message: `recipient.personCode is not a valid personal code: ${p}` };
  } else if (typeof r.regNo !== 'string' || !REG_NO.test(r.regNo)) {
    return { field: 'recipient.regNo', message: 'recipient.regNo must be a registration number of 11 digits' };
  }
  if (!EADDRESS_KINDS.includes(body.kind as never)) return { field: 'kind', message: `kind must be one of ${EADDRESS_KINDS.join(', ')}` };
  if (!text(body.subject, L.subjectChars)) return { field: 'subject', message: `subject must be 1–${L.subjectChars} characters` };
  if (!text(body.text, L.textChars)) return { field: 'text', message: `text must be 1–${L.textChars} characters` };
  if (body.attachments === undefined) return null;
  if (!Array.isArray(body.attachments) || body.attachments.length > L.attachments) return { field: 'attachments', message: `attachments must be a list of at most ${L.attachments}` };
  let bytes = 0;
  for (const [i, a] of body.attachments.entries()) {
    const at = `attachments[${i}]`;
    if (!isObject(a)) return { field: at, message: `${at} must be an object {name, contentType, data}` };
    if (!text(a.name, 255) || /[/\\]/.test(a.name as string)) return { field: `${at}.name`, message: `${at}.name must be a file name of 1–255 characters without / or \\` };
    if (typeof a.contentType !== 'string' || !CONTENT_TYPE.test(a.contentType)) return { field: `${at}.contentType`, message: `${at}.contentType must be a media type such as application/pdf` };
    if (typeof a.data !== 'string' || a.data.length % 4 !== 0 || !BASE64.test(a.data)) return { field: `${at}.data`, message: `${at}.data must be the file in base64 (RFC 4648, padded)` };
    bytes += base64Bytes(a.data);
  }
  if (bytes > L.attachmentBytes) return { field: 'attachments', message: `the attachments are ${bytes} bytes together; at most ${L.attachmentBytes} (10 MB) are taken` };
  return null;
}
