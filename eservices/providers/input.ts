/**
 * What the providers register accepts (docs/partners/portal-providers.md), checked before anything
 * is stored: an application or amendment, the Ministry's decision, a withdrawal, and the query of
 * the public lookup and of the application lists. The first problem is a 400
 * HUB_ERR_PROVIDER_INVALID naming the field as the JSON path the caller sent
 * (`services[1].addresses[0].atvk`).
 */
import { readFileSync } from 'node:fs';
import { httpError } from '../../engine/core/errors.ts';
import { isRealDate } from '../../engine/validation/person-code.ts';
import { municipalityProblem } from '../../engine/validation/municipalities.ts';
import { regNoProblem } from '../common/portal-caller.ts';
import type { ApplicationStatus, Decision, ProviderApplicationInput } from '../../store/providers.ts';

export const INVALID = 'HUB_ERR_PROVIDER_INVALID';

/**
 * The service types of partners/classifiers.md, read from the canonical service decision's schema:
 * a provider registers for exactly the types a municipality's decision can name (check 10).
 */
export const SERVICE_TYPES: readonly string[] = (JSON.parse(readFileSync(new URL('../../schemas/canonical/service-decision.schema.json', import.meta.url), 'utf8')) as
  { properties: { serviceType: { enum: string[] } } }).properties.serviceType.enum;

export const STATUSES: readonly ApplicationStatus[] = ['applied', 'approved', 'refused', 'withdrawn', 'superseded'];

/** A page of a list: at most MAX_PAGE items, DEFAULT_PAGE when not asked. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

const LIMITS = { name: 250, address: 300, addresses: 100, reason: 2000, email: 254 } as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?\d[\d ]{6,19}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const bad = (field: string, message: string): never => { throw httpError(400, INVALID, `${field}: ${message}`, field); };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Today in Latvia (YYYY-MM-DD): the day terms and withdrawals are counted in. */
export const todayInRiga = (now = new Date()): string => now.toLocaleDateString('sv-SE', { timeZone: 'Europe/Riga' });

export const isDate = (v: unknown): v is string => {
  const m = typeof v === 'string' ? DATE.exec(v) : null;
  return !!m && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
};

function only(o: Record<string, unknown>, at: string, allowed: readonly string[], what: string): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra) bad(at ? `${at}.${extra}` : extra, `is not a field of ${what} (fields: ${allowed.join(', ')})`);
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0) return bad(field, 'is required: a non-empty string');
  if (v.length > max) return bad(field, `is longer than ${max} characters`);
  return v.trim();
}

function date(v: unknown, field: string): string {
  return isDate(v) ? v : bad(field, `${JSON.stringify(v)} is not a calendar date YYYY-MM-DD`);
}

/**
 * An application or amendment of the provider `org` (the assertion's). `regNo`, when sent, must be
 * `org`: a representative applies only for the provider the portal says they represent.
 */
export function readApplication(body: Record<string, unknown>, org: string, today: string): ProviderApplicationInput {
  only(body, '', ['regNo', 'name', 'services', 'contact', 'requestedStart'], 'an application');
  if (body.regNo === undefined) bad('regNo', 'is required: the provider\'s registration code');
  const p = regNoProblem(body.regNo);
  if (p) bad('regNo', p);
  if (body.regNo !== org) throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `regNo: the portal asserts you represent ${org}, not ${String(body.regNo)}; a representative applies only for the provider they represent`, 'regNo');
  const name = text(body.name, 'name', LIMITS.name);
  const requestedStart = date(body.requestedStart, 'requestedStart');
  if (requestedStart < today) bad('requestedStart', `${requestedStart} is in the past; the register starts a service today (${today}) or later`);

  if (!isObject(body.contact)) bad('contact', 'is required: {email?, phone?} with at least one of them');
  const c = body.contact as Record<string, unknown>;
  only(c, 'contact', ['email', 'phone'], 'contact');
  if (c.email === undefined && c.phone === undefined) bad('contact', 'give an email or a phone (or both)');
  if (c.email !== undefined && (typeof c.email !== 'string' || c.email.length > LIMITS.email || !EMAIL.test(c.email))) bad('contact.email', 'is not an e-mail address');
  if (c.phone !== undefined && (typeof c.phone !== 'string' || !PHONE.test(c.phone))) bad('contact.phone', 'is not a phone number (digits, spaces, an optional leading +; 7–20 characters)');

  if (!Array.isArray(body.services) || body.services.length === 0) bad('services', 'is required: a non-empty list of {serviceType, addresses}');
  const seen = new Set<string>();
  const services = (body.services as unknown[]).map((s, i) => {
    const at = `services[${i}]`;
    if (!isObject(s)) return bad(at, 'must be an object {serviceType, addresses}');
    only(s, at, ['serviceType', 'addresses'], 'a service');
    if (!SERVICE_TYPES.includes(s.serviceType as string)) bad(`${at}.serviceType`, `${JSON.stringify(s.serviceType)} is not a service type of the classifier (${SERVICE_TYPES.join(', ')})`);
    const type = s.serviceType as string;
    if (seen.has(type)) bad(`${at}.serviceType`, `${type} is listed twice; give all its addresses in one entry`);
    seen.add(type);
    if (!Array.isArray(s.addresses) || s.addresses.length === 0) bad(`${at}.addresses`, 'is required: a non-empty list of {address, atvk}');
    if ((s.addresses as unknown[]).length > LIMITS.addresses) bad(`${at}.addresses`, `has more than ${LIMITS.addresses} addresses`);
    const places = new Set<string>();
    const addresses = (s.addresses as unknown[]).map((a, j) => {
      const aat = `${at}.addresses[${j}]`;
      if (!isObject(a)) return bad(aat, 'must be an object {address, atvk}');
      only(a, aat, ['address', 'atvk'], 'an address');
      const address = text(a.address, `${aat}.address`, LIMITS.address);
      if (typeof a.atvk !== 'string') return bad(`${aat}.atvk`, 'is required: the 7-digit ATVK code of the municipality');
      const m = municipalityProblem(a.atvk, requestedStart);
      if (m) bad(`${aat}.atvk`, m);
      const key = `${a.atvk}|${address.toLowerCase()}`;
      if (places.has(key)) bad(`${aat}.address`, `"${address}" is listed twice for ${type}`);
      places.add(key);
      return { address, atvk: a.atvk as string };
    });
    return { serviceType: type, addresses };
  });
  return {
    regNo: org, name, services, requestedStart,
    contact: { ...(c.email !== undefined ? { email: c.email as string } : {}), ...(c.phone !== undefined ? { phone: (c.phone as string).trim() } : {}) },
  };
}

/** The Ministry's decision: approve with a term, or refuse with a reason. */
export function readDecision(body: Record<string, unknown>): Decision {
  only(body, '', ['decision', 'validFrom', 'validTo', 'reason'], 'a decision');
  if (body.decision === 'refuse') {
    for (const f of ['validFrom', 'validTo'] as const) if (body[f] !== undefined) bad(f, 'a refusal has no term');
    return { decision: 'refuse', reason: text(body.reason, 'reason', LIMITS.reason) };
  }
  if (body.decision !== 'approve') return bad('decision', 'must be "approve" or "refuse"');
  if (body.reason !== undefined) bad('reason', 'an approval has no reason; it has a term (validFrom, validTo)');
  const validFrom = date(body.validFrom, 'validFrom');
  if (body.validTo === undefined) return { decision: 'approve', validFrom };
  const validTo = date(body.validTo, 'validTo');
  if (validTo < validFrom) bad('validTo', `${validTo} is before validFrom ${validFrom}`);
  return { decision: 'approve', validFrom, validTo };
}

/** A withdrawal: on `date` (default today), never in the past: the register does not rewrite history. */
export function readWithdrawal(body: Record<string, unknown>, today: string): string {
  only(body, '', ['date'], 'a withdrawal');
  if (body.date === undefined) return today;
  const d = date(body.date, 'date');
  if (d < today) bad('date', `${d} is in the past; a withdrawal ends the terms today (${today}) or later`);
  return d;
}

/** `limit` and `offset` of a list. */
export function readPage(q: Record<string, string | undefined>): { limit: number; offset: number } {
  const n = (k: 'limit' | 'offset', dflt: number, min: number, max: number): number => {
    const v = q[k];
    if (v === undefined) return dflt;
    if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) return bad(k, `must be an integer ${min}…${max}${k === 'limit' ? ' (the largest page)' : ''}`);
    return Number(v);
  };
  return { limit: n('limit', DEFAULT_PAGE, 1, MAX_PAGE), offset: n('offset', 0, 0, 1_000_000_000) };
}

/** The public lookup: `service`, `municipality` (ATVK) and `date` (default today) are all optional filters. */
export function readLookup(q: Record<string, string | undefined>, today: string): { serviceType?: string; municipality?: string; date: string; limit: number; offset: number } {
  only(q, '', ['service', 'municipality', 'date', 'limit', 'offset'], 'the lookup\'s query');
  if (q.service !== undefined && !SERVICE_TYPES.includes(q.service)) bad('service', `${JSON.stringify(q.service)} is not a service type of the classifier (${SERVICE_TYPES.join(', ')})`);
  const day = q.date === undefined ? today : date(q.date, 'date');
  if (q.municipality !== undefined) {
    const m = municipalityProblem(q.municipality, day);
    if (m) bad('municipality', m);
  }
  return { ...(q.service ? { serviceType: q.service } : {}), ...(q.municipality ? { municipality: q.municipality } : {}), date: day, ...readPage(q) };
}

/** The application list's query: `status`, and for the Ministry `regNo`. */
export function readApplicationQuery(q: Record<string, string | undefined>): { regNo?: string; status?: ApplicationStatus; limit: number; offset: number } {
  only(q, '', ['status', 'regNo', 'limit', 'offset'], 'the list\'s query');
  if (q.status !== undefined && !STATUSES.includes(q.status as ApplicationStatus)) bad('status', `must be one of ${STATUSES.join(', ')}`);
  if (q.regNo !== undefined) {
    const p = regNoProblem(q.regNo);
    if (p) bad('regNo', p);
  }
  return { ...(q.regNo ? { regNo: q.regNo } : {}), ...(q.status ? { status: q.status as ApplicationStatus } : {}), ...readPage(q) };
}
