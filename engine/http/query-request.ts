/**
 * The body of `POST /api/v1/query/{service}` (DESIGN.md §4): `{personCode, purpose, periodFrom?,
 * periodTo?}`, checked field by field so that a 400 names the field. What can be read of the
 * subject and purpose is kept even when the body is refused: the audit row of a refused query
 * still says for whom and why it was asked.
 */
import { HubError, ValidationError } from '../core/errors.ts';
import { normalizePersonCode, personCodeProblem } from '../validation/person-code.ts';

export interface QueryInput {
  /** Canonical: 11 digits, no hyphen. */
  personCode: string;
  purpose: string;
  periodFrom?: string;
  periodTo?: string;
}

export interface ParsedQuery {
  input?: QueryInput;
  error?: HubError;
  /** The canonical personal code, when the body carries a valid one. */
  subject: string | null;
  purpose: string | null;
}

/** @defaultValue VSAA's and VDEĀVK's XSDs bound Purpose to 500 characters. */
export const MAX_PURPOSE = 500;
/** A query body is a few hundred bytes; anything near this is not a query. */
export const MAX_QUERY_BYTES = 16 * 1024;

const FIELDS = ['personCode', 'purpose', 'periodFrom', 'periodTo'];
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
// Characters XML 1.0 cannot carry (purpose goes into the partner's SOAP request as it is).
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/;

const invalid = (field: string, message: string): ValidationError => new ValidationError('HUB_ERR_QUERY_INVALID', message, 400, { field });
const badBody = (message: string): HubError => new HubError('HUB_ERR_QUERY_BODY', message, { httpStatus: 400 });

export function parseQuery(raw: Buffer | undefined, contentType: string | undefined): ParsedQuery {
  const out: ParsedQuery = { subject: null, purpose: null };
  const fail = (e: HubError): ParsedQuery => ({ ...out, error: e });
  if ((contentType ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') {
    return fail(badBody(`send the query as JSON with Content-Type: application/json, not "${contentType ?? '(none)'}"`));
  }
  if (!raw || raw.length === 0) return fail(badBody('the body is empty; send {"personCode": …, "purpose": …}'));
  if (raw.length > MAX_QUERY_BYTES) return fail(badBody(`a query body is at most ${MAX_QUERY_BYTES} bytes`));
  let body: unknown;
  try { body = JSON.parse(raw.toString('utf8')); } catch (e) { return fail(badBody(`the body is not valid JSON (${(e as Error).message})`)); }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(badBody('the body must be a JSON object {personCode, purpose, periodFrom?, periodTo?}'));
  const b = body as Record<string, unknown>;
  if (typeof b.personCode === 'string' && !personCodeProblem(b.personCode)) out.subject = normalizePersonCode(b.personCode);
  if (typeof b.purpose === 'string') out.purpose = b.purpose.trim().slice(0, MAX_PURPOSE);

  const unknown = Object.keys(b).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) return fail(invalid(unknown, `unknown field "${unknown}"; a query has ${FIELDS.join(', ')}`));
  if (b.personCode === undefined) return fail(invalid('personCode', 'personCode is required: the personal code of the person asked about'));
  if (typeof b.personCode !== 'string') return fail(invalid('personCode', 'personCode must be a string ("161175-19997" or "16117519997"), quoted so no digit is lost'));
  const codeProblem = personCodeProblem(b.personCode);
  if (codeProblem) return fail(invalid('personCode', `personCode: ${codeProblem}`));
  if (b.purpose === undefined || (typeof b.purpose === 'string' && b.purpose.trim() === '')) {
    return fail(invalid('purpose', 'purpose is required: why this person is looked up (e.g. the social-assistance case number); the audit log and the agency keep it'));
  }
  if (typeof b.purpose !== 'string') return fail(invalid('purpose', 'purpose must be a string'));
  if (b.purpose.trim().length > MAX_PURPOSE) return fail(invalid('purpose', `purpose is at most ${MAX_PURPOSE} characters`));
  if (CONTROL.test(b.purpose)) return fail(invalid('purpose', 'purpose must not contain control characters'));
  for (const f of ['periodFrom', 'periodTo'] as const) {
    if (b[f] !== undefined && (typeof b[f] !== 'string' || !MONTH.test(b[f] as string))) return fail(invalid(f, `${f} must be a month "YYYY-MM"`));
  }
  if (typeof b.periodFrom === 'string' && typeof b.periodTo === 'string' && b.periodFrom > b.periodTo) {
    return fail(invalid('periodTo', `periodTo ${b.periodTo} is before periodFrom ${b.periodFrom}`));
  }
  out.input = {
    personCode: out.subject!, purpose: b.purpose.trim().replace(/\s+/g, ' '),
    ...(typeof b.periodFrom === 'string' ? { periodFrom: b.periodFrom } : {}),
    ...(typeof b.periodTo === 'string' ? { periodTo: b.periodTo } : {}),
  };
  return out;
}
