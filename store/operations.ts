/**
 * What the operators' console reads (console/): recent loads with their progress, a load's batches
 * and rejections by code, records and rejections per minute, what each route, pull and partner did
 * last. Read-only, and bounded: the audit log is read over its newest rows only, by sequence number
 * (its primary key), never scanned whole for a dashboard.
 */
import type { Db } from './db.ts';
import type { LoadRow, LoadStatus } from './loads.ts';
import type { DeadLetter } from './dead-letters.ts';
import { listDeadLetters } from './dead-letters.ts';

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A load as the console lists it: the partner API's view plus where its batches stand. */
export interface LoadProgress extends LoadRow {
  batches: { total: number; done: number; dead: number; pending: number };
}

const LOAD_SELECT = `l.id, l.source, l.municipality, l.period, l.partner_id, l.route_id, l.status,
  ${TS('l.created_at')} AS created_at, ${TS('l.committed_at')} AS committed_at, ${TS('l.finished_at')} AS finished_at,
  l.expected_batches, l.received, l.accepted, l.rejected, l.quality,
  (SELECT count(*) FROM batches b WHERE b.load_id = l.id)::int AS b_total,
  (SELECT count(*) FROM batches b WHERE b.load_id = l.id AND b.status = 'done')::int AS b_done,
  (SELECT count(*) FROM batches b WHERE b.load_id = l.id AND b.status = 'dead')::int AS b_dead`;

function toProgress(r: Record<string, unknown>, withQuality: boolean): LoadProgress {
  const total = num(r.b_total), done = num(r.b_done), dead = num(r.b_dead);
  return {
    id: r.id as string, source: r.source as string, municipality: r.municipality as string, period: r.period as string,
    partnerId: r.partner_id as string, routeId: r.route_id as string, status: r.status as LoadStatus,
    createdAt: r.created_at as string, committedAt: iso(r.committed_at), finishedAt: iso(r.finished_at),
    expectedBatches: r.expected_batches === null ? null : Number(r.expected_batches),
    records: { received: num(r.received), accepted: num(r.accepted), rejected: num(r.rejected) },
    quality: withQuality ? (r.quality ?? null) : null,
    batches: { total, done, dead, pending: total - done - dead },
  };
}

/**
 * The newest loads first; `status` narrows to one status, `problems` to loads that failed or hold a
 * dead batch. The quality report is left out of the list (it is the load page's), to keep it light.
 */
export async function recentLoads(db: Db, opts: { limit?: number; status?: LoadStatus; problems?: boolean } = {}): Promise<LoadProgress[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${LOAD_SELECT} FROM loads l
     WHERE ($1::text IS NULL OR l.status = $1)
       AND (NOT $2 OR l.status = 'failed' OR EXISTS (SELECT 1 FROM batches b WHERE b.load_id = l.id AND b.status = 'dead'))
     ORDER BY l.created_at DESC, l.id LIMIT $3`,
    [opts.status ?? null, opts.problems ?? false, Math.min(500, Math.max(1, opts.limit ?? 50))],
  );
  return r.rows.map((x) => toProgress(x, false));
}

/** One load with its progress and quality report; null when there is none. */
export async function loadProgress(db: Db, id: string): Promise<LoadProgress | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const r = await db.query<Record<string, unknown>>(`SELECT ${LOAD_SELECT} FROM loads l WHERE l.id = $1`, [id]);
  return r.rows[0] ? toProgress(r.rows[0], true) : null;
}

/** How many loads are in each status. */
export async function loadStatusCounts(db: Db): Promise<Record<LoadStatus, number>> {
  const out: Record<LoadStatus, number> = { receiving: 0, committed: 0, processing: 0, done: 0, failed: 0 };
  const r = await db.query<{ status: LoadStatus; n: number }>('SELECT status, count(*)::int AS n FROM loads GROUP BY status');
  for (const x of r.rows) out[x.status] = Number(x.n);
  return out;
}

export interface BatchState {
  seq: number;
  status: 'pending' | 'done' | 'dead';
  records: number;
  accepted: number | null;
  rejected: number | null;
  size: number;
  sha256: string;
  receivedAt: string;
  processedAt: string | null;
  /** Why it went dead (the last attempt's error). */
  error: string | null;
}

export async function batchStates(db: Db, loadId: string): Promise<BatchState[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT seq, status, record_count, accepted, rejected, size, sha256, ${TS('received_at')} AS received_at, ${TS('processed_at')} AS processed_at, error
     FROM batches WHERE load_id = $1 ORDER BY seq`, [loadId]);
  return r.rows.map((b) => ({
    seq: Number(b.seq), status: b.status as BatchState['status'], records: num(b.record_count),
    accepted: b.accepted === null ? null : Number(b.accepted), rejected: b.rejected === null ? null : Number(b.rejected),
    size: num(b.size), sha256: b.sha256 as string, receivedAt: b.received_at as string, processedAt: iso(b.processed_at), error: iso(b.error),
  }));
}

export interface CodeCount {
  code: string;
  /** Records rejected with this code (a record with two errors of one code counts once). */
  records: number;
  /** The fields at fault, as the partner spells them, most frequent first. */
  fields: { field: string; records: number }[];
}

/** A load's rejected records by rule code, most frequent first. */
export async function rejectionsByCode(db: Db, loadId: string): Promise<CodeCount[]> {
  const r = await db.query<{ code: string; field: string; n: number }>(
    `SELECT code, field, count(*)::int AS n FROM (
       SELECT DISTINCT r.batch_seq, r.idx, e->>'code' AS code, coalesce(e->>'field', '') AS field
       FROM rejections r, jsonb_array_elements(r.errors) e WHERE r.load_id = $1) x
     GROUP BY code, field`, [loadId]);
  const records = await db.query<{ code: string; n: number }>(
    `SELECT code, count(*)::int AS n FROM (
       SELECT DISTINCT r.batch_seq, r.idx, e->>'code' AS code FROM rejections r, jsonb_array_elements(r.errors) e WHERE r.load_id = $1) x
     GROUP BY code`, [loadId]);
  const byCode = new Map<string, CodeCount>();
  for (const x of records.rows) byCode.set(x.code, { code: x.code, records: Number(x.n), fields: [] });
  for (const x of r.rows) byCode.get(x.code)?.fields.push({ field: x.field, records: Number(x.n) });
  const out = [...byCode.values()].sort((a, b) => b.records - a.records || a.code.localeCompare(b.code));
  for (const c of out) c.fields.sort((a, b) => b.records - a.records || a.field.localeCompare(b.field));
  return out;
}

/** The dead letters of one load's batches, open ones and replayed ones, oldest first. */
export async function deadLettersOfLoad(db: Db, loadId: string): Promise<DeadLetter[]> {
  return listDeadLetters(db, { loadId, includeReplayed: true });
}

/** Open (not replayed) dead letters per route. */
export async function openDeadLetterCounts(db: Db): Promise<Record<string, number>> {
  const r = await db.query<{ route_id: string; n: number }>(`SELECT route_id, count(*)::int AS n FROM dead_letters WHERE replayed_at IS NULL GROUP BY route_id`);
  return Object.fromEntries(r.rows.map((x) => [x.route_id, Number(x.n)]));
}

export interface MinuteSeries {
  /** The first minute (ISO, UTC) and the number of minutes covered. */
  from: string;
  minutes: number;
  /** Per minute with any activity: its offset from `from`, and the records processed in it. */
  records: { m: number; accepted: number; rejected: number; deadBatches: number }[];
  /** Per rule code: [minute offset, records rejected with the code] for each minute that had any. */
  rejections: Record<string, [number, number][]>;
}

/**
 * Records processed per minute over the last `minutes` (by the minute their batch was written),
 * and rejected records per code. From the store, so every worker's batches count.
 */
export async function minuteSeries(db: Db, minutes = 1440): Promise<MinuteSeries> {
  const head = await db.query<{ from_ms: string; from_iso: string }>(
    `SELECT (extract(epoch FROM date_trunc('minute', now()) - make_interval(mins => $1::int - 1)) * 1000)::bigint::text AS from_ms,
            ${TS(`(date_trunc('minute', now()) - make_interval(mins => $1::int - 1))`)} AS from_iso`, [minutes]);
  const fromMs = Number(head.rows[0].from_ms);
  const offset = (ms: unknown): number => Math.round((Number(ms) - fromMs) / 60_000);
  const recs = await db.query<{ t: string; accepted: number; rejected: number; dead: number }>(
    `SELECT (extract(epoch FROM date_trunc('minute', processed_at)) * 1000)::bigint::text AS t,
            coalesce(sum(accepted), 0)::int AS accepted, coalesce(sum(rejected), 0)::int AS rejected,
            count(*) FILTER (WHERE status = 'dead')::int AS dead
     FROM batches WHERE processed_at >= to_timestamp($1 / 1000.0) GROUP BY 1 ORDER BY 1`, [fromMs]);
  const codes = await db.query<{ t: string; code: string; n: number }>(
    `SELECT t, code, count(*)::int AS n FROM (
       SELECT DISTINCT (extract(epoch FROM date_trunc('minute', b.processed_at)) * 1000)::bigint::text AS t, r.load_id, r.batch_seq, r.idx, e->>'code' AS code
       FROM batches b JOIN rejections r ON r.load_id = b.load_id AND r.batch_seq = b.seq, jsonb_array_elements(r.errors) e
       WHERE b.processed_at >= to_timestamp($1 / 1000.0) AND b.status = 'done') x
     GROUP BY t, code ORDER BY t`, [fromMs]);
  const rejections: MinuteSeries['rejections'] = {};
  for (const c of codes.rows) (rejections[c.code] ??= []).push([offset(c.t), Number(c.n)]);
  return {
    from: head.rows[0].from_iso, minutes,
    records: recs.rows.map((x) => ({ m: offset(x.t), accepted: Number(x.accepted), rejected: Number(x.rejected), deadBatches: Number(x.dead) })).filter((x) => x.m >= 0 && x.m < minutes),
    rejections,
  };
}

/** What a bulk-load route did: its last written batch, the records of the last hour, its dead batches of the last day. */
export interface LoadRouteActivity { lastRun: string | null; recordsLastHour: number; batchesLastHour: number; deadLastDay: number }

export async function loadRouteActivity(db: Db): Promise<Record<string, LoadRouteActivity>> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT l.route_id, ${TS('max(b.processed_at)')} AS last_run,
            coalesce(sum(coalesce(b.accepted, 0) + coalesce(b.rejected, 0)) FILTER (WHERE b.processed_at >= now() - interval '1 hour'), 0)::int AS records_hour,
            count(*) FILTER (WHERE b.processed_at >= now() - interval '1 hour')::int AS batches_hour,
            count(*) FILTER (WHERE b.status = 'dead' AND b.processed_at >= now() - interval '1 day')::int AS dead_day
     FROM loads l JOIN batches b ON b.load_id = l.id WHERE b.processed_at IS NOT NULL GROUP BY l.route_id`);
  return Object.fromEntries(r.rows.map((x) => [x.route_id as string, {
    lastRun: iso(x.last_run), recordsLastHour: num(x.records_hour), batchesLastHour: num(x.batches_hour), deadLastDay: num(x.dead_day),
  }]));
}

/** What a delivering route did: its last delivery attempt and deliveries made in the last hour. */
export interface DeliveryRouteActivity { lastRun: string | null; deliveredLastHour: number; failingNow: number }

export async function deliveryRouteActivity(db: Db): Promise<Record<string, DeliveryRouteActivity>> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT route_id, ${TS('max(updated_at)')} AS last_run,
            count(*) FILTER (WHERE status = 'delivered' AND delivered_at >= now() - interval '1 hour')::int AS delivered_hour,
            count(*) FILTER (WHERE status = 'pending' AND attempts > 0)::int AS failing
     FROM deliveries GROUP BY route_id`);
  return Object.fromEntries(r.rows.map((x) => [x.route_id as string, { lastRun: iso(x.last_run), deliveredLastHour: num(x.delivered_hour), failingNow: num(x.failing) }]));
}

export interface PullState {
  routeId: string;
  since: string;
  cursor: string | null;
  pages: number;
  items: number;
  /** When the last page was stored (the checkpoint moves with every page). */
  updatedAt: string;
}

export async function pullStates(db: Db): Promise<Record<string, PullState>> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT route_id, ${TS('since')} AS since, cursor, pages::int AS pages, items::int AS items, ${TS('updated_at')} AS updated_at FROM pull_checkpoints`);
  return Object.fromEntries(r.rows.map((x) => [x.route_id as string, {
    routeId: x.route_id as string, since: x.since as string, cursor: iso(x.cursor), pages: num(x.pages), items: num(x.items), updatedAt: x.updated_at as string,
  }]));
}

/** Per service, partner, actor or route: the newest row and its outcome, the calls of the last hour, and those that failed. */
export interface AuditActivity { last: string; lastOutcome: string; lastHour: number; failedLastHour: number }

/** Outcomes that are a success or a plain answer, not an error. */
const FINE = `(outcome IN ('answered', 'delivered', 'delivered (duplicate)', 'read', 'reopened', 'stored', 'repeat') OR outcome LIKE 'attempt %' OR outcome LIKE 'answered %')`;
/**
 * A delivery writes a row before each attempt ("attempt N") and one when it ends: only the first
 * kind is a call. A delivery's failed attempts leave no row of their own, but each is followed by
 * the next attempt's row or, after the last, by "dead-lettered": so those count its failures.
 * ("undeliverable" is the receiver's answer, not a failure.)
 */
const DELIVERY = `service LIKE 'deliver:%'`;
const CALL = `(NOT ${DELIVERY} OR outcome LIKE 'attempt %')`;
const FAILED = `((NOT ${DELIVERY} AND NOT ${FINE}) OR (${DELIVERY} AND (outcome = 'dead-lettered' OR (outcome LIKE 'attempt %' AND outcome <> 'attempt 1'))))`;

/**
 * Activity by service, by the partner the hub called (`details.partner`), by actor, and by route
 * (`purpose` of deliveries and SOAP pushes, one of `routeIds`), read from the newest `window` rows
 * of the audit log: every query, call, push and delivery writes one before it answers (see
 * engine/http/query-api.ts, soap-api.ts, engine/runtime/deliveries.ts).
 */
export async function auditActivity(db: Db, routeIds: string[], window = 100_000): Promise<{
  rows: number; byService: Record<string, AuditActivity>; byPartner: Record<string, AuditActivity>; byActor: Record<string, AuditActivity>; byRoute: Record<string, AuditActivity>;
}> {
  const head = await db.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM audit_log');
  const top = Number(head.rows[0]?.seq ?? 0);
  const from = Math.max(0, top - window);
  const group = async (key: string, only?: string[]): Promise<Record<string, AuditActivity>> => {
    const r = await db.query<Record<string, unknown>>(
      `SELECT k, ${TS('max(at)')} AS last,
              (array_agg(outcome ORDER BY seq DESC))[1] AS last_outcome,
              count(*) FILTER (WHERE at >= now() - interval '1 hour' AND ${CALL})::int AS hour,
              count(*) FILTER (WHERE at >= now() - interval '1 hour' AND ${FAILED})::int AS failed
       FROM (SELECT ${key} AS k, at, seq, outcome, service FROM audit_log WHERE seq > $1) a
       WHERE k IS NOT NULL AND ($2::text[] IS NULL OR k = ANY($2::text[])) GROUP BY k`, [from, only ?? null]);
    return Object.fromEntries(r.rows.map((x) => [x.k as string, { last: x.last as string, lastOutcome: x.last_outcome as string, lastHour: num(x.hour), failedLastHour: num(x.failed) }]));
  };
  return {
    rows: top - from, byService: await group('service'), byPartner: await group(`details->>'partner'`), byActor: await group('actor'),
    byRoute: await group('purpose', routeIds),
  };
}

/** The newest load each partner created. */
export async function lastLoadByPartner(db: Db): Promise<Record<string, string>> {
  const r = await db.query<{ partner_id: string; last: string }>(`SELECT partner_id, ${TS('max(created_at)')} AS last FROM loads GROUP BY partner_id`);
  return Object.fromEntries(r.rows.map((x) => [x.partner_id, x.last]));
}
