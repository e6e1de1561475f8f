/**
 * Applications to the social service providers register (MK No. 951) and the Ministry's
 * decisions on them; the register they write is providers-register.ts. Every operation runs in
 * the caller's transaction (`tx`), under a lock of the provider, so two requests for one provider
 * (a double click, two representatives) are taken one after the other and never leave two pending
 * applications or a decision on a version the Ministry did not see. An operation that cannot be
 * done answers why (`conflict`) and writes nothing.
 *
 * A provider's registration goes: applied → approved | refused | withdrawn. While applied, an
 * amendment replaces the application (its version goes up); while approved, an amendment is a new
 * application of kind `amendment` that the Ministry approves (its services replace the approved
 * ones from its validFrom) or refuses (the approved ones stay). A withdrawal ends every term on
 * its date. A refused or withdrawn provider, or one whose terms ran out, may apply again.
 */
import type { Db } from './db.ts';
import { contactOf, endTerms, openTerms, registrationFrom, type ProviderContact, type ProviderService } from './providers-register.ts';

export * from './providers-register.ts';

export type ApplicationKind = 'registration' | 'amendment';
export type ApplicationStatus = 'applied' | 'approved' | 'refused' | 'withdrawn' | 'superseded';

/** What a provider sends: the same for an application and an amendment. */
export interface ProviderApplicationInput {
  regNo: string;
  name: string;
  services: ProviderService[];
  contact: ProviderContact;
  /** YYYY-MM-DD */
  requestedStart: string;
}

export interface ProviderApplication extends ProviderApplicationInput {
  id: string;
  kind: ApplicationKind;
  status: ApplicationStatus;
  version: number;
  appliedAt: string;
  updatedAt: string;
  decision?: { decidedAt: string; validFrom?: string; validTo?: string; reason?: string };
  withdrawnOn?: string;
  /** The person who applied: personal data, given only to the Ministry. */
  representative: string;
}

/** Who acts for the provider: the assertion's person and request id (jti). */
export interface Representative { personCode: string; requestId: string }

export type Conflict = { kind: 'conflict'; why: string; field?: string };

const LOCK = 7_301_007;

// A lock per provider for the rest of the transaction; hashtext collisions only serialise more.
const lock = (tx: Db, regNo: string) => tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK, regNo]);

const COLS = `id::text AS id, reg_no, kind, status, name, email, phone, to_char(requested_start, 'YYYY-MM-DD') AS requested_start, services,
  representative, request_id, version, applied_at, updated_at, decided_at, to_char(valid_from, 'YYYY-MM-DD') AS valid_from,
  to_char(valid_to, 'YYYY-MM-DD') AS valid_to, reason, to_char(withdrawn_on, 'YYYY-MM-DD') AS withdrawn_on`;

interface Row {
  id: string; reg_no: string; kind: ApplicationKind; status: ApplicationStatus; name: string; email: string | null; phone: string | null;
  requested_start: string; services: ProviderService[] | string; representative: string; request_id: string; version: number;
  applied_at: Date | string; updated_at: Date | string; decided_at: Date | string | null; valid_from: string | null; valid_to: string | null;
  reason: string | null; withdrawn_on: string | null;
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

function applicationOf(r: Row): ProviderApplication {
  return {
    id: r.id, regNo: r.reg_no, kind: r.kind, status: r.status, name: r.name, contact: contactOf(r),
    // jsonb keeps keys in its own order; the answer shows them in the order the contract lists them.
    services: (typeof r.services === 'string' ? JSON.parse(r.services) as ProviderService[] : r.services)
      .map((x) => ({ serviceType: x.serviceType, addresses: x.addresses.map((y) => ({ address: y.address, atvk: y.atvk })) })),
    requestedStart: r.requested_start, version: Number(r.version), appliedAt: iso(r.applied_at), updatedAt: iso(r.updated_at),
    ...(r.decided_at ? {
      decision: {
        decidedAt: iso(r.decided_at), ...(r.valid_from ? { validFrom: r.valid_from } : {}), ...(r.valid_to ? { validTo: r.valid_to } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
      },
    } : {}),
    ...(r.withdrawn_on ? { withdrawnOn: r.withdrawn_on } : {}),
    representative: r.representative,
  };
}

async function one(tx: Db, where: string, params: unknown[]): Promise<ProviderApplication | undefined> {
  const r = (await tx.query<Row>(`SELECT ${COLS} FROM provider_application WHERE ${where}`, params)).rows[0];
  return r && applicationOf(r);
}

const pendingOf = (tx: Db, regNo: string) => one(tx, `reg_no = $1 AND status = 'applied'`, [regNo]);

async function insert(tx: Db, kind: ApplicationKind, a: ProviderApplicationInput, by: Representative): Promise<ProviderApplication> {
  const r = (await tx.query<Row>(
    `INSERT INTO provider_application (reg_no, kind, status, name, email, phone, requested_start, services, representative, request_id)
     VALUES ($1, $2, 'applied', $3, $4, $5, $6::date, $7::jsonb, $8, $9) RETURNING ${COLS}`,
    [a.regNo, kind, a.name, a.contact.email ?? null, a.contact.phone ?? null, a.requestedStart, JSON.stringify(a.services), by.personCode, by.requestId])).rows[0];
  return applicationOf(r);
}

/**
 * A new application. `repeat` when this request (its jti) was taken before: the same submission,
 * answered as it was stored. A conflict while another application is pending or the provider is
 * registered (then it amends), unless the registration runs out by the provider's withdrawal: to
 * stay registered after it, the provider applies again.
 */
export async function applyForRegistration(tx: Db, a: ProviderApplicationInput, by: Representative, today: string):
  Promise<{ kind: 'created' | 'repeat'; application: ProviderApplication } | Conflict> {
  await lock(tx, a.regNo);
  const same = await one(tx, 'reg_no = $1 AND request_id = $2', [a.regNo, by.requestId]);
  if (same) return { kind: 'repeat', application: same };
  const pending = await pendingOf(tx, a.regNo);
  if (pending) return { kind: 'conflict', why: `provider ${a.regNo} has application ${pending.id} pending; change it with PUT /api/v1/providers/${a.regNo}/application` };
  const registration = await registrationFrom(tx, a.regNo, today);
  if (registration && !registration.withdrawnAsOf) {
    return { kind: 'conflict', why: `provider ${a.regNo} is registered; change its services with PUT /api/v1/providers/${a.regNo}/application (an amendment)` };
  }
  return { kind: 'created', application: await insert(tx, 'registration', a, by) };
}

/**
 * An amendment: replaces the pending application (`replaced`), or, while the provider is
 * registered and nothing is pending, becomes a new pending application of kind amendment
 * (`created`). `repeat` for a request taken before. A registration that runs out by withdrawal is
 * not amended: approved, the amendment would replace the withdrawn terms with terms that never
 * end, undoing the withdrawal unasked; the provider applies again instead.
 */
export async function amendApplication(tx: Db, a: ProviderApplicationInput, by: Representative, today: string):
  Promise<{ kind: 'replaced' | 'created' | 'repeat'; application: ProviderApplication } | Conflict> {
  await lock(tx, a.regNo);
  const same = await one(tx, 'reg_no = $1 AND request_id = $2', [a.regNo, by.requestId]);
  if (same) return { kind: 'repeat', application: same };
  const pending = await pendingOf(tx, a.regNo);
  if (pending) {
    const r = (await tx.query<Row>(
      `UPDATE provider_application SET name = $2, email = $3, phone = $4, requested_start = $5::date, services = $6::jsonb, representative = $7,
         request_id = $8, version = version + 1, updated_at = now()
       WHERE id = $1::bigint RETURNING ${COLS}`,
      [pending.id, a.name, a.contact.email ?? null, a.contact.phone ?? null, a.requestedStart, JSON.stringify(a.services), by.personCode, by.requestId])).rows[0];
    return { kind: 'replaced', application: applicationOf(r) };
  }
  const registration = await registrationFrom(tx, a.regNo, today);
  if (!registration) {
    return { kind: 'conflict', why: `provider ${a.regNo} has no pending application and is not registered: apply with POST /api/v1/providers/applications` };
  }
  if (registration.withdrawnAsOf) {
    return { kind: 'conflict', why: `provider ${a.regNo} withdrew: it is registered through ${registration.withdrawnAsOf} and its registration is no longer amended; to stay registered after that day, apply again with POST /api/v1/providers/applications` };
  }
  return { kind: 'created', application: await insert(tx, 'amendment', a, by) };
}

/**
 * Withdraws the provider: a pending application ends `withdrawn`, the approved one too, and every
 * term still running after `date` ends on it. A withdrawal already made from a later day is brought
 * forward to `date` (never put off: the provider applies again to stay). A conflict when there is
 * nothing to withdraw.
 */
export async function withdrawRegistration(tx: Db, regNo: string, date: string, today: string):
  Promise<{ kind: 'withdrawn'; applications: string[]; termsEnded: number } | Conflict> {
  await lock(tx, regNo);
  const registration = await registrationFrom(tx, regNo, today);
  const ids = (await tx.query<{ id: string }>(
    `UPDATE provider_application SET status = 'withdrawn', withdrawn_on = $2::date, updated_at = now()
     WHERE reg_no = $1 AND (status = 'applied' OR (status = 'approved' AND $3::boolean)) RETURNING id::text AS id`, [regNo, date, !!registration])).rows.map((r) => r.id);
  const sorted = (xs: string[]): string[] => xs.sort((a, b) => Number(a) - Number(b));
  if (ids.length > 0) return { kind: 'withdrawn', applications: sorted(ids), termsEnded: registration ? await endTerms(tx, regNo, date, 'withdrawal') : 0 };
  const last = registration?.withdrawnAsOf;
  if (last && date < last) {
    const moved = (await tx.query<{ id: string }>(
      `UPDATE provider_application SET withdrawn_on = $2::date, updated_at = now() WHERE reg_no = $1 AND status = 'withdrawn' AND withdrawn_on > $2::date
       RETURNING id::text AS id`, [regNo, date])).rows.map((r) => r.id);
    return { kind: 'withdrawn', applications: sorted(moved), termsEnded: await endTerms(tx, regNo, date, 'withdrawal') };
  }
  if (last) return { kind: 'conflict', field: 'date', why: `provider ${regNo} has withdrawn already, registered through ${last}: a withdrawal can be brought forward, not put off; to stay registered after ${last}, apply again with POST /api/v1/providers/applications` };
  return { kind: 'conflict', why: `provider ${regNo} has no pending application and is not registered: nothing to withdraw` };
}

export type Decision = { decision: 'approve'; validFrom: string; validTo?: string } | { decision: 'refuse'; reason: string };

/**
 * The Ministry's decision on a pending application. Approval makes the provider's register entry
 * what the application says: the terms running on validFrom end the day before, the applied
 * services are registered from validFrom to validTo, and the approved application it replaces is
 * `superseded`. The same decision again is a `repeat` (nothing changes); another decision on a
 * decided application is a conflict. So is a validFrom before `today` that would end terms on days
 * already past: the register never rewrites what it said about a day gone by.
 */
export async function decideApplication(tx: Db, id: string, d: Decision, decidedBy: string, today: string):
  Promise<{ kind: 'decided' | 'repeat'; application: ProviderApplication } | { kind: 'not-found' } | Conflict> {
  const found = await one(tx, 'id = $1::bigint', [id]);
  if (!found) return { kind: 'not-found' };
  await lock(tx, found.regNo);
  const a = (await one(tx, 'id = $1::bigint', [id]))!;
  if (a.status !== 'applied') {
    const same = d.decision === 'approve'
      ? a.status === 'approved' && a.decision?.validFrom === d.validFrom && a.decision?.validTo === d.validTo
      : a.status === 'refused' && a.decision?.reason === d.reason;
    return same ? { kind: 'repeat', application: a } : { kind: 'conflict', why: `application ${id} is ${a.status}, not pending: it was decided or withdrawn before` };
  }
  if (d.decision === 'refuse') {
    const r = (await tx.query<Row>(`UPDATE provider_application SET status = 'refused', reason = $2, decided_at = now(), decided_by = $3, updated_at = now()
      WHERE id = $1::bigint RETURNING ${COLS}`, [id, d.reason, decidedBy])).rows[0];
    return { kind: 'decided', application: applicationOf(r) };
  }
  if (d.validFrom < today) {
    const running = (await tx.query<{ valid_from: string }>(`SELECT to_char(min(t.valid_from), 'YYYY-MM-DD') AS valid_from FROM provider_service_term t
      WHERE t.reg_no = $1 AND (t.valid_to IS NULL OR t.valid_to >= $2::date) AND (t.valid_to IS NULL OR t.valid_to >= t.valid_from)`, [a.regNo, d.validFrom])).rows[0].valid_from;
    if (running) {
      return { kind: 'conflict', field: 'validFrom', why: `provider ${a.regNo} is registered on ${d.validFrom} (a term from ${running}), and approving from that day would rewrite the register's past; approve from today (${today}) or later` };
    }
  }
  await tx.query(`UPDATE provider_application SET status = 'superseded', updated_at = now() WHERE reg_no = $1 AND status = 'approved'`, [a.regNo]);
  await tx.query(
    `INSERT INTO provider (reg_no, name, email, phone) VALUES ($1, $2, $3, $4)
     ON CONFLICT (reg_no) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone, updated_at = now()`,
    [a.regNo, a.name, a.contact.email ?? null, a.contact.phone ?? null]);
  const dayBefore = new Date(Date.parse(`${d.validFrom}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  await endTerms(tx, a.regNo, dayBefore, 'amendment');
  await openTerms(tx, a.regNo, id, a.services, d.validFrom, d.validTo);
  const r = (await tx.query<Row>(`UPDATE provider_application SET status = 'approved', valid_from = $2::date, valid_to = $3::date, decided_at = now(),
    decided_by = $4, updated_at = now() WHERE id = $1::bigint RETURNING ${COLS}`, [id, d.validFrom, d.validTo ?? null, decidedBy])).rows[0];
  return { kind: 'decided', application: applicationOf(r) };
}

export interface ApplicationQuery {
  regNo?: string;
  status?: ApplicationStatus;
  limit: number;
  offset: number;
}

/** Applications, oldest first (the Ministry works through them in order); with the total. */
export async function listApplications(db: Db, q: ApplicationQuery): Promise<{ total: number; items: ProviderApplication[] }> {
  const where = `($1::text IS NULL OR reg_no = $1) AND ($2::text IS NULL OR status = $2)`;
  const params = [q.regNo ?? null, q.status ?? null];
  const [count, page] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM provider_application WHERE ${where}`, params),
    db.query<Row>(`SELECT ${COLS} FROM provider_application WHERE ${where} ORDER BY id LIMIT $3 OFFSET $4`, [...params, q.limit, q.offset]),
  ]);
  return { total: Number(count.rows[0].n), items: page.rows.map(applicationOf) };
}

export const getApplication = (db: Db, id: string): Promise<ProviderApplication | undefined> => one(db, 'id = $1::bigint', [id]);
