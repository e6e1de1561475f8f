/**
 * The social service providers register as the public and the Ministry's checks read it: one row
 * per (provider, service type, address) and term in provider_service_term, kept for good, so
 * "was provider P registered for service S on day D" is one indexed query (registeredOn) and the
 * public lookup answers for any day, not only today. Applications and decisions, which write
 * these rows, are in providers.ts.
 */
import type { Db } from './db.ts';

export interface ProviderAddress { address: string; atvk: string }
export interface ProviderService { serviceType: string; addresses: ProviderAddress[] }

/** One term of one (service, address): registered from validFrom to validTo (open when absent). */
export interface ProviderTerm {
  serviceType: string;
  address: string;
  atvk: string;
  validFrom: string;
  validTo?: string;
  /** Why the term ended before its end date: an approved amendment replaced it, or a withdrawal. */
  endedBy?: 'amendment' | 'withdrawal';
  applicationId: string;
}

export interface ProviderContact { email?: string; phone?: string }

/** A provider found by the public lookup: the addresses where it is registered for what was asked. */
export interface RegisteredProvider {
  regNo: string;
  name: string;
  contact: ProviderContact;
  services: { serviceType: string; addresses: (ProviderAddress & { validFrom: string; validTo?: string })[] }[];
}

export interface ProviderLookup {
  serviceType?: string;
  municipality?: string;
  /** YYYY-MM-DD: registered on this day. */
  date: string;
  limit: number;
  offset: number;
}

// A term that ended before it began (valid_to = valid_from - 1) was never in force.
const IN_FORCE_ON = (d: string) => `t.valid_from <= ${d}::date AND (t.valid_to IS NULL OR t.valid_to >= ${d}::date)`;
const NON_EMPTY = `(t.valid_to IS NULL OR t.valid_to >= t.valid_from)`;
const TERM_COLS = `t.service_type, t.address, t.atvk, to_char(t.valid_from, 'YYYY-MM-DD') AS valid_from,
  to_char(t.valid_to, 'YYYY-MM-DD') AS valid_to, t.ended_by, t.application_id::text AS application_id`;

interface TermRow { service_type: string; address: string; atvk: string; valid_from: string; valid_to: string | null; ended_by: string | null; application_id: string }

const termOf = (r: TermRow): ProviderTerm => ({
  serviceType: r.service_type, address: r.address, atvk: r.atvk, validFrom: r.valid_from,
  ...(r.valid_to ? { validTo: r.valid_to } : {}), ...(r.ended_by ? { endedBy: r.ended_by as ProviderTerm['endedBy'] } : {}),
  applicationId: r.application_id,
});

export const contactOf = (r: { email: string | null; phone: string | null }): ProviderContact =>
  ({ ...(r.email ? { email: r.email } : {}), ...(r.phone ? { phone: r.phone } : {}) });

/** Whether provider `regNo` is registered for `serviceType` on `day` (YYYY-MM-DD), at any address. */
export async function registeredOn(db: Db, regNo: string, serviceType: string, day: string): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM provider_service_term t WHERE t.reg_no = $1 AND t.service_type = $2 AND ${IN_FORCE_ON('$3')} LIMIT 1`,
    [regNo, serviceType, day])).rows.length > 0;
}

/** Whether the register holds any registration: until then, a check against it would flag every decision. */
export async function registrationsLoaded(db: Db): Promise<boolean> {
  return (await db.query('SELECT 1 FROM provider_service_term LIMIT 1')).rows.length > 0;
}

/**
 * The registration of `regNo` in force on `day` or later, if any, and whether it runs out by the
 * provider's withdrawal: every such term ended by one, `withdrawnAsOf` its last day.
 */
export async function registrationFrom(db: Db, regNo: string, day: string): Promise<{ withdrawnAsOf?: string } | null> {
  const r = (await db.query<{ n: number; withdrawn: boolean; last_day: string | null }>(
    `SELECT count(*)::int AS n, bool_and(coalesce(t.ended_by = 'withdrawal', false)) AS withdrawn, to_char(max(t.valid_to), 'YYYY-MM-DD') AS last_day
       FROM provider_service_term t WHERE t.reg_no = $1 AND (t.valid_to IS NULL OR t.valid_to >= $2::date) AND ${NON_EMPTY}`,
    [regNo, day])).rows[0];
  if (r.n === 0) return null;
  return r.withdrawn && r.last_day ? { withdrawnAsOf: r.last_day } : {};
}

/** Writes the terms of an approval: each (service, address) registered from `from` to `to`. */
export async function openTerms(tx: Db, regNo: string, applicationId: string, services: ProviderService[], from: string, to: string | undefined): Promise<number> {
  const rows = services.flatMap((s) => s.addresses.map((a) => ({ serviceType: s.serviceType, address: a.address, atvk: a.atvk })));
  const r = await tx.query(
    `INSERT INTO provider_service_term (reg_no, service_type, address, atvk, valid_from, valid_to, application_id)
     SELECT $1, x."serviceType", x.address, x.atvk, $3::date, $4::date, $2::bigint
     FROM json_to_recordset($5::json) AS x("serviceType" text, address text, atvk text)`,
    [regNo, applicationId, from, to ?? null, JSON.stringify(rows)]);
  return r.rowCount ?? 0;
}

/**
 * Ends every term of `regNo` still running after `lastDay` on that day; a term that had not begun
 * by then gets an empty term. Resolves with how many terms it ended.
 */
export async function endTerms(tx: Db, regNo: string, lastDay: string, by: 'amendment' | 'withdrawal'): Promise<number> {
  const r = await tx.query(
    `UPDATE provider_service_term t SET valid_to = CASE WHEN t.valid_from > $2::date THEN t.valid_from - 1 ELSE $2::date END, ended_by = $3
     WHERE t.reg_no = $1 AND (t.valid_to IS NULL OR t.valid_to > $2::date) AND ${NON_EMPTY}`,
    [regNo, lastDay, by]);
  return r.rowCount ?? 0;
}

/** The public lookup: providers registered on `date` for the service, at an address in the municipality. */
export async function lookupProviders(db: Db, q: ProviderLookup): Promise<{ total: number; items: RegisteredProvider[] }> {
  const match = `${IN_FORCE_ON('$1')} AND ($2::text IS NULL OR t.service_type = $2) AND ($3::text IS NULL OR t.atvk = $3)`;
  const params = [q.date, q.serviceType ?? null, q.municipality ?? null];
  const [count, page] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(DISTINCT t.reg_no)::int AS n FROM provider_service_term t WHERE ${match}`, params),
    db.query<{ reg_no: string; name: string; email: string | null; phone: string | null; terms: TermRow[] }>(`
      WITH hit AS (SELECT DISTINCT t.reg_no FROM provider_service_term t WHERE ${match})
      SELECT p.reg_no, p.name, p.email, p.phone,
        (SELECT json_agg(x ORDER BY x.service_type, x.atvk, x.address) FROM (SELECT ${TERM_COLS} FROM provider_service_term t
          WHERE t.reg_no = p.reg_no AND ${match}) x) AS terms
      FROM provider p JOIN hit ON hit.reg_no = p.reg_no
      ORDER BY p.name, p.reg_no LIMIT $4 OFFSET $5`, [...params, q.limit, q.offset]),
  ]);
  return {
    total: Number(count.rows[0].n),
    items: page.rows.map((r) => {
      const services = new Map<string, RegisteredProvider['services'][number]>();
      for (const t of r.terms) {
        const s = services.get(t.service_type) ?? services.set(t.service_type, { serviceType: t.service_type, addresses: [] }).get(t.service_type)!;
        s.addresses.push({ address: t.address, atvk: t.atvk, validFrom: t.valid_from, ...(t.valid_to ? { validTo: t.valid_to } : {}) });
      }
      return { regNo: r.reg_no, name: r.name, contact: contactOf(r), services: [...services.values()] };
    }),
  };
}

export interface ProviderEntry {
  regNo: string;
  name: string;
  contact: ProviderContact;
  /** Registered for some service on `date`. */
  registered: boolean;
  /** Every term that was ever in force or is to come, by service type and start. */
  terms: ProviderTerm[];
}

/** One provider's public register entry with its history; null when it was never registered. */
export async function providerEntry(db: Db, regNo: string, date: string): Promise<ProviderEntry | null> {
  const p = (await db.query<{ name: string; email: string | null; phone: string | null }>('SELECT name, email, phone FROM provider WHERE reg_no = $1', [regNo])).rows[0];
  if (!p) return null;
  const terms = (await db.query<TermRow>(`SELECT ${TERM_COLS} FROM provider_service_term t WHERE t.reg_no = $1 AND ${NON_EMPTY}
    ORDER BY t.service_type, t.valid_from, t.atvk, t.address`, [regNo])).rows.map(termOf);
  const on = (t: ProviderTerm) => t.validFrom <= date && (!t.validTo || t.validTo >= date);
  return { regNo, name: p.name, contact: contactOf(p), registered: terms.some(on), terms };
}

/** The non-empty terms of these providers (check 10 explains its findings with them). */
export async function termsOf(db: Db, regNos: string[]): Promise<(ProviderTerm & { regNo: string })[]> {
  if (regNos.length === 0) return [];
  return (await db.query<TermRow & { reg_no: string }>(`SELECT t.reg_no, ${TERM_COLS} FROM provider_service_term t
    WHERE t.reg_no = ANY($1::text[]) AND ${NON_EMPTY} ORDER BY t.reg_no, t.service_type, t.valid_from`, [regNos])).rows
    .map((r) => ({ regNo: r.reg_no, ...termOf(r) }));
}
