/**
 * The auditors' read API over the hash-chained audit log (store/audit.ts).
 *
 * - `GET /api/v1/audit?subject=&service=&actor=&from=&to=&limit=&after=`: rows in chain order, a
 *   page at a time (`next` is the `after` of the next page). Auditors only. Each read is itself an
 *   audit row (actor `auditor:<id>`, service `audit.read`, subject the one asked about), written
 *   before the answer: no audit row, no answer, as for the partners' queries.
 * - `GET /api/v1/audit/verification[?fresh=true]`: whether the chain holds, how many rows, the
 *   first broken row. Auditors and operators (the console shows it); it shows no row's content, so
 *   it is not itself audited, and the console may poll it. The verdict is kept VERIFY_CACHE_MS;
 *   an auditor may ask for a fresh walk.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PartnerAuth, StaffIdentity } from './auth.ts';
import { httpError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { parseDateTime } from '../config/keys.ts';
import type { AuditWriter } from '../runtime/audit-writer.ts';
import { listAudit, verifyAudit, type AuditQuery, type AuditVerdict, type Store } from '../../store/index.ts';
import { S, type RouteContract } from './openapi.ts';

export const AUDIT_PAGE = { default: 100, max: 1000 } as const;
/**
 * Verification walks the whole chain (a second or more per million rows); the verdict is kept this
 * long per process, so that a console polling every few seconds does not walk it each time.
 */
export const VERIFY_CACHE_MS = 30_000;

export interface AuditApiDeps {
  auth: PartnerAuth;
  store: Store;
  audit: AuditWriter;
  logger: Logger;
  /** @defaultValue VERIFY_CACHE_MS */
  verifyCacheMs?: number;
}

/** The verdict as the API answers it. */
export interface AuditVerification {
  verified: boolean;
  /** Rows that verified (all of them when verified). */
  rows: number;
  /** The last row's hash: an auditor may note it and compare later. */
  head?: string;
  /** The first row that does not hold, and what is wrong with it. */
  firstBroken?: { seq: number; problem: string };
  checkedAt: string;
}

const toVerification = (v: AuditVerdict, at: number): AuditVerification => (v.ok
  ? { verified: true, rows: v.rows, head: v.head, checkedAt: new Date(at).toISOString() }
  : { verified: false, rows: v.rows, firstBroken: { seq: v.seq, problem: v.problem }, checkedAt: new Date(at).toISOString() });

const QUERY_KEYS = ['subject', 'service', 'actor', 'from', 'to', 'limit', 'after'] as const;

/** An auditor's query string, checked; a bad parameter is a 400 naming it. */
export function auditQuery(raw: Record<string, unknown>): AuditQuery {
  for (const k of Object.keys(raw)) {
    if (!(QUERY_KEYS as readonly string[]).includes(k)) throw httpError(400, 'HUB_ERR_REQUEST', `unknown parameter "${k}"; valid: ${QUERY_KEYS.join(', ')}`, k);
  }
  const text = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw httpError(400, 'HUB_ERR_REQUEST', `give ${k} once`, k);
    if (v.length > 200) throw httpError(400, 'HUB_ERR_REQUEST', `${k} is at most 200 characters`, k);
    return v;
  };
  const int = (k: string, min: number, max: number): number | undefined => {
    const v = text(k);
    if (v === undefined) return undefined;
    if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw httpError(400, 'HUB_ERR_REQUEST', `${k} "${v}" must be a whole number from ${min} to ${max}`, k);
    return Number(v);
  };
  const instant = (k: string): string | undefined => {
    const v = text(k);
    if (v === undefined) return undefined;
    const t = parseDateTime(v);
    if (t === undefined) throw httpError(400, 'HUB_ERR_REQUEST', `${k} "${v}" must be an ISO 8601 date-time with its zone, e.g. 2026-11-01T00:00:00Z`, k);
    return new Date(t).toISOString();
  };
  const cursor = text('after');
  const c = cursor === undefined ? undefined : /^(\d{1,15})(?:\.(\d{1,15}))?$/.exec(cursor);
  if (c === null) throw httpError(400, 'HUB_ERR_REQUEST', `after "${cursor}" must be the next of the previous page (e.g. 120.4711), or a row's seq`, 'after');
  const q: AuditQuery = {
    subject: text('subject'), service: text('service'), actor: text('actor'), from: instant('from'), to: instant('to'),
    ...(c ? { after: Number(c[1]), ...(c[2] ? { until: Number(c[2]) } : {}) } : {}),
    limit: int('limit', 1, AUDIT_PAGE.max) ?? AUDIT_PAGE.default,
  };
  if (q.from && q.to && q.from >= q.to) throw httpError(400, 'HUB_ERR_REQUEST', `from (${q.from}) must be before to (${q.to})`, 'from');
  return q;
}

const hash = S.str({ pattern: '^[0-9a-f]{64}$' });
const ROW = S.obj({
  seq: S.int({ minimum: 1 }), at: S.instant(), actor: S.str({ description: 'A partner id, or <role>:<id> for staff (operator:ops-duty, auditor:audit-internal).' }),
  subject: S.nullable(S.str({ description: 'For whom: a personal code, or the load or batch a bulk action concerned.' })),
  service: S.str({ description: 'The service or action: vsaa-ep51, dlq.replay, audit.read, …' }), purpose: S.nullable(S.str()), outcome: S.str(),
  requestSha256: S.nullable(S.str()), responseSha256: S.nullable(S.str()), details: S.nullable(S.map({})), prevHash: hash, hash,
}, {}, { description: 'One row of the hash-chained audit log.' });

const textParam = (description: string) => ({ schema: S.str({ maxLength: 200 }), description });
export const AUDIT_ROWS_CONTRACT: RouteContract = {
  operationId: 'auditRows', tag: 'audit', summary: 'Rows of the audit log, a page at a time (auditors only)',
  description: 'Rows in chain order. Every read is itself an audit row (actor auditor:<id>, service audit.read), written before the answer.',
  auth: ['auditor'],
  query: {
    subject: textParam('Rows for this subject (a personal code, a load id); a trailing * matches a prefix.'),
    service: textParam('Rows of this service or action; a trailing * matches a prefix.'),
    actor: textParam('Rows of this actor (partner id, operator:<id>, auditor:<id>); a trailing * matches a prefix.'),
    from: { schema: S.instant(), description: 'Rows at or after this instant.' },
    to: { schema: S.instant(), description: 'Rows before this instant.' },
    limit: { schema: S.int({ minimum: 1, maximum: AUDIT_PAGE.max, default: AUDIT_PAGE.default }), description: 'Rows per page.' },
    after: { schema: S.str({ pattern: '^\\d+(\\.\\d+)?$' }), description: 'The previous page\'s next (rows after it, up to the log\'s head when the first page was read), or a row\'s seq.' },
  },
  responses: { 200: { description: 'One page.', schema: S.obj({ rows: S.arr(ROW), next: S.nullable(S.str({ description: 'The after of the next page; null on the last.' })) }) } },
  errors: [400, 401, 403, 503],
};

export const AUDIT_VERIFICATION_CONTRACT: RouteContract = {
  operationId: 'auditVerification', tag: 'audit', summary: 'Whether the audit log\'s hash chain holds (auditors and operators)',
  description: `The verdict of a walk of the whole chain, at most ${VERIFY_CACHE_MS / 1000} s old (checkedAt).`,
  auth: ['auditor', 'operator'],
  query: { fresh: { schema: S.oneOf(['true']), description: 'Auditors: walk the chain now rather than answer the kept verdict.' } },
  responses: {
    200: {
      description: 'The verdict.',
      schema: S.obj({ verified: S.bool(), rows: S.int({ description: 'Rows that verified.' }), checkedAt: S.instant() }, {
        head: hash, firstBroken: S.obj({ seq: S.int(), problem: S.str() }, {}, { description: 'The first row that does not hold: altered, removed, inserted or reordered.' }),
      }),
    },
  },
  errors: [400, 401, 403],
};

export function registerAuditApi(app: FastifyInstance, deps: AuditApiDeps): void {
  const cacheMs = deps.verifyCacheMs ?? VERIFY_CACHE_MS;
  let cached: { at: number; verdict: Promise<AuditVerification> } | undefined;

  app.get('/api/v1/audit', { config: { contract: AUDIT_ROWS_CONTRACT } }, async (req: FastifyRequest, reply) => {
    const who: StaffIdentity = deps.auth.requireRole(req.headers.authorization, 'auditor');
    const q = auditQuery((req.query ?? {}) as Record<string, unknown>);
    const found = await listAudit(deps.store.db, q);
    // The cursor carries the head the first page saw: later pages do not grow with their own audit rows.
    const page = { rows: found.rows, next: found.next === null ? null : `${found.next}.${found.until}` };
    const filters = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
    try {
      await deps.audit.append({
        actor: `${who.role}:${who.id}`, subject: q.subject ?? null, service: 'audit.read', purpose: 'audit', outcome: 'ok',
        details: { query: filters, rows: page.rows.length, ...(page.rows.length ? { seqs: [page.rows[0].seq, page.rows[page.rows.length - 1].seq] } : {}) },
      });
    } catch (e) {
      deps.logger.error({ err: e, auditor: who.id }, 'audit row of an audit read could not be written; the read is answered 503');
      throw httpError(503, 'HUB_ERR_AUDIT_UNAVAILABLE', 'the audit log cannot be written, and no read of it is answered without its own audit row; try again later');
    }
    void reply.header('cache-control', 'no-store');
    return page;
  });

  app.get('/api/v1/audit/verification', { config: { contract: AUDIT_VERIFICATION_CONTRACT } }, async (req, reply) => {
    const who = deps.auth.requireRole(req.headers.authorization, ['auditor', 'operator']);
    const fresh = (req.query as Record<string, unknown> | undefined)?.fresh;
    if (fresh !== undefined && fresh !== 'true') throw httpError(400, 'HUB_ERR_REQUEST', 'fresh is "true" or absent', 'fresh');
    // Only an auditor may make the hub walk the whole chain on demand; the console polls the kept verdict.
    if (fresh && who.role !== 'auditor') throw httpError(403, 'HUB_ERR_ROLE_DENIED', 'a fresh walk of the chain (fresh=true) needs an auditor\'s key; without it the verdict is at most 30 s old');
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs || (fresh && cached.at < now)) {
      const verdict = verifyAudit(deps.store.db).then((v) => toVerification(v, now));
      cached = { at: now, verdict };
      // A failed walk is not kept: the next request tries again.
      verdict.catch(() => { if (cached?.verdict === verdict) cached = undefined; });
    }
    void reply.header('cache-control', 'no-store');
    return cached.verdict;
  });
}
