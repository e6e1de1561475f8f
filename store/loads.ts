/**
 * The load protocol's state: loads, their batches (raw bytes + sha256) and per-record rejections.
 * Every transition happens in one transaction under the load's row lock, so two API processes
 * receiving the same batch, or a commit racing a PUT, cannot interleave.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from './db.ts';

export type LoadStatus = 'receiving' | 'committed' | 'processing' | 'done' | 'failed';

export interface LoadRow {
  id: string;
  source: string;
  municipality: string;
  period: string;
  partnerId: string;
  routeId: string;
  status: LoadStatus;
  createdAt: string;
  committedAt: string | null;
  finishedAt: string | null;
  expectedBatches: number | null;
  records: { received: number; accepted: number; rejected: number };
  quality: unknown;
}

export interface NewLoad {
  source: string;
  municipality: string;
  period: string;
  partnerId: string;
  routeId: string;
}

const LOAD_COLUMNS = `id, source, municipality, period, partner_id, route_id, status,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS committed_at,
  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS finished_at,
  expected_batches, received, accepted, rejected, quality`;

function toLoad(r: Record<string, unknown>): LoadRow {
  return {
    id: r.id as string,
    source: r.source as string,
    municipality: r.municipality as string,
    period: r.period as string,
    partnerId: r.partner_id as string,
    routeId: r.route_id as string,
    status: r.status as LoadStatus,
    createdAt: r.created_at as string,
    committedAt: (r.committed_at as string) ?? null,
    finishedAt: (r.finished_at as string) ?? null,
    expectedBatches: r.expected_batches === null ? null : Number(r.expected_batches),
    records: { received: Number(r.received), accepted: Number(r.accepted), rejected: Number(r.rejected) },
    quality: r.quality ?? null,
  };
}

export async function createLoad(db: Db, l: NewLoad): Promise<LoadRow> {
  const id = randomUUID();
  const r = await db.query(
    `INSERT INTO loads (id, source, municipality, period, partner_id, route_id, status)
     VALUES ($1,$2,$3,$4,$5,$6,'receiving') RETURNING ${LOAD_COLUMNS}`,
    [id, l.source, l.municipality, l.period, l.partnerId, l.routeId],
  );
  return toLoad(r.rows[0]);
}

export async function getLoad(db: Db, id: string, forUpdate = false): Promise<LoadRow | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const r = await db.query(`SELECT ${LOAD_COLUMNS} FROM loads WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toLoad(r.rows[0]) : null;
}

export type PutBatchOutcome =
  | { kind: 'stored'; sha256: string }
  | { kind: 'same'; sha256: string }
  | { kind: 'conflict'; existingSha256: string }
  | { kind: 'closed'; status: LoadStatus };

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Stores a batch durably; the same body again is a no-op, another body under that seq a conflict. */
export async function putBatch(db: Db, loadId: string, seq: number, body: Buffer, contentType: string, recordCount: number): Promise<PutBatchOutcome> {
  const hash = sha256(body);
  return db.transaction(async (tx) => {
    const load = await getLoad(tx, loadId, true);
    if (!load) throw new Error(`load ${loadId} vanished`);
    const existing = await tx.query<{ sha256: string }>('SELECT sha256 FROM batches WHERE load_id = $1 AND seq = $2', [loadId, seq]);
    if (existing.rows[0]) {
      return existing.rows[0].sha256 === hash
        ? { kind: 'same' as const, sha256: hash }
        : { kind: 'conflict' as const, existingSha256: existing.rows[0].sha256 };
    }
    if (load.status !== 'receiving') return { kind: 'closed' as const, status: load.status };
    await tx.query(
      `INSERT INTO batches (load_id, seq, sha256, content_type, body, size, record_count) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
      [loadId, seq, hash, contentType, body, body.length, recordCount],
    );
    await tx.query('UPDATE loads SET received = received + $2 WHERE id = $1', [loadId, recordCount]);
    return { kind: 'stored' as const, sha256: hash };
  });
}

export type CommitOutcome =
  | { kind: 'committed'; load: LoadRow }
  | { kind: 'already'; load: LoadRow }
  | { kind: 'incomplete'; missing: number[]; extra: number[] }
  | { kind: 'conflict'; load: LoadRow };

/** Commits when exactly batches 1..expected are present; reports what is missing rather than guessing. */
export async function commitLoad(db: Db, loadId: string, expected: number): Promise<CommitOutcome> {
  return db.transaction(async (tx) => {
    const load = await getLoad(tx, loadId, true);
    if (!load) throw new Error(`load ${loadId} vanished`);
    if (load.status !== 'receiving') {
      return load.expectedBatches === expected ? { kind: 'already' as const, load } : { kind: 'conflict' as const, load };
    }
    const seqs = new Set((await tx.query<{ seq: number }>('SELECT seq FROM batches WHERE load_id = $1', [loadId])).rows.map((r) => Number(r.seq)));
    const missing: number[] = [];
    for (let s = 1; s <= expected; s++) if (!seqs.has(s)) missing.push(s);
    const extra = [...seqs].filter((s) => s > expected).sort((a, b) => a - b);
    if (missing.length || extra.length) return { kind: 'incomplete' as const, missing, extra };
    const r = await tx.query(
      `UPDATE loads SET status = 'committed', expected_batches = $2, committed_at = now() WHERE id = $1 RETURNING ${LOAD_COLUMNS}`,
      [loadId, expected],
    );
    return { kind: 'committed' as const, load: toLoad(r.rows[0]) };
  });
}

export interface BatchRow {
  loadId: string;
  seq: number;
  sha256: string;
  contentType: string;
  body: Buffer;
  status: 'pending' | 'done' | 'dead';
  recordCount: number;
  /** ISO instant. */
  receivedAt: string;
}

export async function getBatch(db: Db, loadId: string, seq: number): Promise<BatchRow | null> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT load_id, seq, sha256, content_type, status, record_count,
            to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at
     FROM batches WHERE load_id = $1 AND seq = $2`,
    [loadId, seq],
  );
  const b = r.rows[0];
  if (!b) return null;
  const body = await db.bytes('SELECT body FROM batches WHERE load_id = $1 AND seq = $2', [loadId, seq]);
  if (!body) return null;
  return {
    loadId: b.load_id as string, seq: Number(b.seq), sha256: b.sha256 as string, contentType: b.content_type as string,
    body, status: b.status as BatchRow['status'], recordCount: Number(b.record_count), receivedAt: b.received_at as string,
  };
}

export interface RejectionRow {
  batch: number;
  index: number;
  kind: string | null;
  naturalKey: string | null;
  errors: { field: string; code: string; message: string }[];
}

export async function listRejections(db: Db, loadId: string, opts: { offset: number; limit: number }): Promise<{ total: number; items: RejectionRow[] }> {
  const total = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rejections WHERE load_id = $1', [loadId])).rows[0].n;
  const r = await db.query<Record<string, unknown>>(
    `SELECT batch_seq, idx, kind, natural_key, errors FROM rejections WHERE load_id = $1
     ORDER BY batch_seq, idx OFFSET $2 LIMIT $3`,
    [loadId, opts.offset, opts.limit],
  );
  return {
    total: Number(total),
    items: r.rows.map((x) => ({
      batch: Number(x.batch_seq), index: Number(x.idx), kind: (x.kind as string) ?? null,
      naturalKey: (x.natural_key as string) ?? null, errors: x.errors as RejectionRow['errors'],
    })),
  };
}

/** The first pending batch of a load after `afterSeq` (batches of one load are written in seq order). */
export async function nextPendingBatch(db: Db, loadId: string, afterSeq = 0): Promise<number | null> {
  const r = await db.query<{ seq: number }>(
    `SELECT seq FROM batches WHERE load_id = $1 AND status = 'pending' AND seq > $2 ORDER BY seq LIMIT 1`, [loadId, afterSeq]);
  return r.rows[0] ? Number(r.rows[0].seq) : null;
}

/** Committed loads not yet finished: what the reconciler must see has a live job. */
export async function unfinishedLoads(db: Db): Promise<{ id: string; routeId: string }[]> {
  const r = await db.query<{ id: string; route_id: string }>(
    `SELECT id, route_id FROM loads WHERE status IN ('committed','processing') ORDER BY committed_at`);
  return r.rows.map((x) => ({ id: x.id, routeId: x.route_id }));
}

/** Batches that went dead (their job failed for good), with the reason, in seq order. */
export async function failedBatches(db: Db, loadId: string): Promise<{ seq: number; error: string }[]> {
  const r = await db.query<{ seq: number; error: string | null }>(`SELECT seq, error FROM batches WHERE load_id = $1 AND status = 'dead' ORDER BY seq`, [loadId]);
  return r.rows.map((b) => ({ seq: Number(b.seq), error: b.error ?? 'unknown' }));
}

export interface BatchSummary {
  seq: number;
  sha256: string;
  size: number;
  recordCount: number;
  accepted: number | null;
  rejected: number | null;
  status: string;
}

export async function batchSummaries(db: Db, loadId: string): Promise<BatchSummary[]> {
  const r = await db.query<Record<string, unknown>>(
    'SELECT seq, sha256, size, record_count, accepted, rejected, status FROM batches WHERE load_id = $1 ORDER BY seq', [loadId]);
  return r.rows.map((b) => ({
    seq: Number(b.seq), sha256: b.sha256 as string, size: Number(b.size), recordCount: Number(b.record_count),
    accepted: b.accepted === null ? null : Number(b.accepted), rejected: b.rejected === null ? null : Number(b.rejected), status: b.status as string,
  }));
}
