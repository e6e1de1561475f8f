/**
 * Append-only, hash-chained audit log. Each row's hash is sha256(prev_hash + its canonical
 * content); rows are numbered 1, 2, 3… under a transaction-scoped advisory lock, so concurrent
 * writers from several processes still form one chain. Verification walks the chain and names
 * the first row whose content, number or link does not hold.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';

export interface AuditEntry {
  /** The partner or operator that acted (partner id, or `operator:<user>`). */
  actor: string;
  /** For whom: a personal code, or the load/batch a bulk action concerned. */
  subject?: string | null;
  /** Which service or action (`vsaa-ep51`, `dlq.replay`, …). */
  service: string;
  purpose?: string | null;
  outcome: string;
  requestSha256?: string | null;
  responseSha256?: string | null;
  details?: Record<string, unknown> | null;
}

const LOCK = 7_301_003;
const GENESIS = '0'.repeat(64);

interface Row extends AuditEntry { seq: number; at: string; prevHash: string; hash: string }

/**
 * Objects with their keys in jsonb's own order (shorter keys first, then bytewise): jsonb reorders
 * the keys it stores, so `details` must hash the same as written and as read back.
 */
function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])]));
}

/** The hashed content of a row: fixed field order, so the same row always hashes the same. */
function contentOf(r: Omit<Row, 'hash'>): string {
  return JSON.stringify([r.seq, r.at, r.actor, r.subject ?? null, r.service, r.purpose ?? null, r.outcome,
    r.requestSha256 ?? null, r.responseSha256 ?? null, jsonbOrder(r.details ?? null), r.prevHash]);
}

const hashOf = (r: Omit<Row, 'hash'>): string => createHash('sha256').update(contentOf(r)).digest('hex');

/** Appends one entry; throws if it cannot be written (callers must then not answer). */
export async function appendAudit(db: Db, e: AuditEntry): Promise<{ seq: number; hash: string }> {
  return (await appendAuditBatch(db, [e]))[0];
}

/** The last row of the chain: what the next row links to. */
export interface ChainHead { seq: number; hash: string }

/**
 * One statement appends the rows linked to `head` (0 and the genesis hash for an empty log), under
 * the chain's lock, and only if the committed chain still ends at `head`; nothing otherwise. A
 * writer that commits after this statement's snapshot is taken but before it inserts has the lock
 * until then and its rows' seqs, so this one fails on the primary key instead of forking the chain.
 */
const APPEND = `WITH lock AS (SELECT pg_advisory_xact_lock(${LOCK})),
       head AS (SELECT a.seq, a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1)
  INSERT INTO audit_log (seq, at, actor, subject, service, purpose, outcome, request_sha256, response_sha256, details, prev_hash, hash)
  SELECT u.* FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]::jsonb[], $11::text[], $12::text[]) AS u
  CROSS JOIN lock
  WHERE coalesce((SELECT seq FROM head), 0) = $13::bigint AND coalesce((SELECT hash FROM head), '${GENESIS}') = $14::text`;

/** Inserts `entries` after `head`; the rows written, or null when the chain no longer ends at `head`. */
async function insertAfter(db: Db, head: ChainHead, entries: AuditEntry[]): Promise<{ seq: number; hash: string }[] | null> {
  let seq = head.seq;
  let prevHash = head.hash;
  const rows = entries.map((e) => {
    const row = {
      seq: ++seq, at: new Date().toISOString(), ...e,
      subject: e.subject ?? null, purpose: e.purpose ?? null, requestSha256: e.requestSha256 ?? null,
      responseSha256: e.responseSha256 ?? null, details: e.details ?? null, prevHash,
    };
    prevHash = hashOf(row);
    return { ...row, hash: prevHash };
  });
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  // Prepared: every audited answer runs it, and its twelve arrays cost more to parse and plan than to insert.
  const r = await db.query(APPEND, [col('seq'), col('at'), col('actor'), col('subject'), col('service'), col('purpose'), col('outcome'),
    col('requestSha256'), col('responseSha256'), rows.map((x) => (x.details === null ? null : JSON.stringify(x.details))), col('prevHash'), col('hash'),
    head.seq, head.hash], { prepare: true });
  if (r.rowCount !== rows.length) return null;
  return rows.map((x) => ({ seq: x.seq, hash: x.hash }));
}

/**
 * Appends entries in order, in one transaction under the chain's lock: all are written or none.
 * Writers of many small rows (the query API) batch them so the lock is taken once per batch.
 */
export async function appendAuditBatch(db: Db, entries: AuditEntry[]): Promise<{ seq: number; hash: string }[]> {
  if (entries.length === 0) return [];
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
    const last = (await tx.query<{ seq: string; hash: string }>('SELECT a.seq::text AS seq, a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1')).rows[0];
    const head = last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS };
    // Under the lock, taken before the head was read, the chain cannot have moved on.
    const written = await insertAfter(tx, head, entries);
    if (!written) throw new Error(`the audit chain moved past row ${head.seq} while locked: another writer does not take the chain's lock`);
    return written;
  });
}

/**
 * Appends entries after the head this process last wrote, in one statement and one round trip
 * (appendAuditBatch needs five): for a writer that is usually the only one, as the API process is
 * for its answers. Null when another writer moved the chain on: append with appendAuditBatch then.
 * Not inside a transaction: the failed insert would end it.
 */
export async function appendAuditAfter(db: Db, head: ChainHead, entries: AuditEntry[]): Promise<{ seq: number; hash: string }[] | null> {
  if (entries.length === 0) return [];
  try {
    return await insertAfter(db, head, entries);
  } catch (e) {
    // Another writer took these seqs after this statement's snapshot: the chain moved on.
    if ((e as { code?: string }).code === '23505') return null;
    throw e;
  }
}

export type AuditVerdict =
  | { ok: true; rows: number; head: string }
  | { ok: false; rows: number; seq: number; problem: string };

/** Walks the whole chain in order; the first broken row is named with what is wrong with it. */
export async function verifyAudit(db: Db, pageSize = 5_000): Promise<AuditVerdict> {
  let expectedSeq = 1;
  let prev = GENESIS;
  for (let after = 0; ; ) {
    const page = (await db.query<Record<string, unknown>>(
      `SELECT seq::text AS seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, subject, service, purpose, outcome,
              request_sha256, response_sha256, details, prev_hash, hash
       FROM audit_log a WHERE a.seq > $1 ORDER BY a.seq LIMIT $2`, [after, pageSize])).rows;
    for (const p of page) {
      const row: Row = {
        seq: Number(p.seq), at: p.at as string, actor: p.actor as string, subject: p.subject as string | null, service: p.service as string,
        purpose: p.purpose as string | null, outcome: p.outcome as string, requestSha256: p.request_sha256 as string | null,
        responseSha256: p.response_sha256 as string | null, details: p.details as Record<string, unknown> | null,
        prevHash: p.prev_hash as string, hash: p.hash as string,
      };
      if (row.seq !== expectedSeq) return { ok: false, rows: expectedSeq - 1, seq: expectedSeq, problem: `row ${expectedSeq} is missing (the next row is ${row.seq}): removed` };
      if (row.prevHash !== prev) return { ok: false, rows: expectedSeq - 1, seq: row.seq, problem: `row ${row.seq} does not link to row ${row.seq - 1}: removed, inserted or reordered` };
      if (hashOf(row) !== row.hash) return { ok: false, rows: expectedSeq - 1, seq: row.seq, problem: `row ${row.seq} was altered: its content does not match its hash` };
      prev = row.hash;
      expectedSeq++;
    }
    if (page.length < pageSize) return { ok: true, rows: expectedSeq - 1, head: prev };
    after = expectedSeq - 1;
  }
}

/** What an auditor asks of the log: exact subject, service and actor (a trailing * matches a prefix), a time window. */
export interface AuditQuery {
  subject?: string;
  service?: string;
  actor?: string;
  /** Rows at or after this instant (ISO 8601). */
  from?: string;
  /** Rows before this instant (ISO 8601). */
  to?: string;
  /** Rows after this seq (the previous page's last row). */
  after?: number;
  /**
   * Rows up to this seq: the log's head when the first page was read. Without it every page would
   * also find the audit rows of the pages read before it (each read is audited), and a reader
   * paging one row at a time would never reach the end.
   */
  until?: number;
  limit: number;
}

/** One row as read back, with its place in the chain. */
export interface AuditRow extends AuditEntry { seq: number; at: string; prevHash: string; hash: string }

/**
 * One page of the log in seq order, the head it was bounded by (`until`), and the seq after which
 * the next page starts (null on the last). Paging by seq, not offset, within a fixed head: rows
 * appended while an auditor pages through neither shift the pages nor extend them.
 */
export async function listAudit(db: Db, q: AuditQuery): Promise<{ rows: AuditRow[]; next: number | null; until: number }> {
  const until = q.until ?? Number((await db.query<{ head: string }>('SELECT coalesce(max(a.seq), 0)::text AS head FROM audit_log a')).rows[0].head);
  const where: string[] = ['a.seq > $1', 'a.seq <= $2'];
  const args: unknown[] = [q.after ?? 0, until];
  const match = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    if (v.endsWith('*')) { args.push(`${v.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`); where.push(`a.${col} LIKE $${args.length}`); }
    else { args.push(v); where.push(`a.${col} = $${args.length}`); }
  };
  match('subject', q.subject);
  match('service', q.service);
  match('actor', q.actor);
  if (q.from !== undefined) { args.push(q.from); where.push(`a.at >= $${args.length}::timestamptz`); }
  if (q.to !== undefined) { args.push(q.to); where.push(`a.at < $${args.length}::timestamptz`); }
  args.push(q.limit + 1);
  const found = (await db.query<Record<string, unknown>>(
    `SELECT seq::text AS seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, subject, service, purpose, outcome,
            request_sha256, response_sha256, details, prev_hash, hash
     FROM audit_log a WHERE ${where.join(' AND ')} ORDER BY a.seq LIMIT $${args.length}`, args)).rows;
  const rows = found.slice(0, q.limit).map((p): AuditRow => ({
    seq: Number(p.seq), at: p.at as string, actor: p.actor as string, subject: p.subject as string | null, service: p.service as string,
    purpose: p.purpose as string | null, outcome: p.outcome as string, requestSha256: p.request_sha256 as string | null,
    responseSha256: p.response_sha256 as string | null, details: p.details as Record<string, unknown> | null,
    prevHash: p.prev_hash as string, hash: p.hash as string,
  }));
  return { rows, next: found.length > q.limit ? rows[rows.length - 1].seq : null, until };
}
