/**
 * The delivery outbox. A delivery row is written in the same transaction as what caused it (a
 * pulled page, a SOAP push, a co-participation), so "queued" means durable: the job that sends it
 * is only a reference. Rows become jobs a window at a time (handOverDeliveries, `enqueued_at`), and
 * the reconciler makes a new job for any handed-over pending row that lost its own.
 * The row's id travels to the receiver (notificationId, RequestId), which deduplicates by it.
 */
import type { Db } from './db.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'undeliverable';

export interface NewDelivery {
  id: string;
  routeId: string;
  /** The delivery component that sends it (e.g. sopa/notify-profile). */
  component: string;
  partnerId?: string;
  municipality?: string;
  /** The person it concerns, for the audit log. */
  subject?: string;
  payload: unknown;
  /** `undeliverable` rows record an item no receiver is configured for, with `error` saying why. */
  status?: 'pending' | 'undeliverable';
  error?: string;
}

export interface DeliveryRow {
  id: string;
  routeId: string;
  component: string;
  partnerId: string | null;
  municipality: string | null;
  subject: string | null;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  error: string | null;
  ref: string | null;
  duplicate: boolean | null;
  createdAt: string;
  deliveredAt: string | null;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const COLS = `id, route_id, component, partner_id, municipality, subject, payload, status, attempts::int AS attempts, error, ref, duplicate,
  ${TS('created_at')} AS created_at, ${TS('delivered_at')} AS delivered_at`;

const toRow = (x: Record<string, unknown>): DeliveryRow => ({
  id: x.id as string, routeId: x.route_id as string, component: x.component as string, partnerId: (x.partner_id as string) ?? null,
  municipality: (x.municipality as string) ?? null, subject: (x.subject as string) ?? null, payload: x.payload,
  status: x.status as DeliveryStatus, attempts: Number(x.attempts), error: (x.error as string) ?? null, ref: (x.ref as string) ?? null,
  duplicate: (x.duplicate as boolean) ?? null, createdAt: x.created_at as string, deliveredAt: (x.delivered_at as string) ?? null,
});

/** Inserts the deliveries that do not exist yet; resolves with the ids that are new. */
export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const r = await db.query<{ id: string }>(
    `INSERT INTO deliveries (id, route_id, component, partner_id, municipality, subject, payload, status, error)
     SELECT x.id, x."routeId", x.component, x."partnerId", x.municipality, x.subject, x.payload, x.status, x.error
     FROM json_to_recordset($1::json) AS x(id text, "routeId" text, component text, "partnerId" text, municipality text, subject text, payload jsonb, status text, error text)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [JSON.stringify(rows.map((d) => ({ ...d, status: d.status ?? 'pending' })))],
  );
  return r.rows.map((x) => x.id);
}

export async function getDelivery(db: Db, id: string): Promise<DeliveryRow | undefined> {
  const r = await db.query<Record<string, unknown>>(`SELECT ${COLS} FROM deliveries WHERE id = $1`, [id]);
  return r.rows[0] && toRow(r.rows[0]);
}

export async function listDeliveries(db: Db, opts: { routeId?: string; status?: DeliveryStatus; municipality?: string; payloadId?: string } = {}): Promise<DeliveryRow[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${COLS} FROM deliveries WHERE ($1::text IS NULL OR route_id = $1) AND ($2::text IS NULL OR status = $2)
       AND ($3::text IS NULL OR municipality = $3) AND ($4::text IS NULL OR payload->>'id' = $4) ORDER BY created_at, id`,
    [opts.routeId ?? null, opts.status ?? null, opts.municipality ?? null, opts.payloadId ?? null]);
  return r.rows.map(toRow);
}

/**
 * Hands the oldest waiting deliveries of a route to its queue: marks up to `window` minus those in
 * the queue now (pending, handed over) and returns their ids, for BullMQ jobs. The bound is per
 * call: two processes handing over at the same instant may together exceed it by one window, which
 * is harmless (it bounds memory and Redis work, not correctness). SKIP LOCKED: they never hand over
 * the same row.
 */
export async function handOverDeliveries(db: Db, routeId: string, window: number): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `UPDATE deliveries d SET enqueued_at = now()
     FROM (SELECT id FROM deliveries WHERE route_id = $1 AND status = 'pending' AND enqueued_at IS NULL ORDER BY created_at, id
           LIMIT greatest(0, $2 - (SELECT count(*) FROM deliveries WHERE route_id = $1 AND status = 'pending' AND enqueued_at IS NOT NULL))
           FOR UPDATE SKIP LOCKED) w
     WHERE d.id = w.id RETURNING d.id`, [routeId, window], { prepare: true });
  return r.rows.map((x) => x.id);
}

/** Ids of the pending deliveries of these routes that were handed to the queue, oldest first (the reconciler re-adds their jobs). */
export async function queuedDeliveryIds(db: Db, routeIds: string[], limit = 10_000): Promise<{ id: string; routeId: string }[]> {
  const r = await db.query<{ id: string; route_id: string }>(
    `SELECT id, route_id FROM deliveries WHERE status = 'pending' AND enqueued_at IS NOT NULL AND route_id = ANY($1::text[]) ORDER BY created_at, id LIMIT $2`,
    [routeIds, limit]);
  return r.rows.map((x) => ({ id: x.id, routeId: x.route_id }));
}

/** Marks a pending delivery delivered; false when it was not pending (another attempt got there first). */
export async function markDelivered(db: Db, id: string, out: { attempts: number; ref?: string; duplicate: boolean }): Promise<boolean> {
  const r = await db.query(
    `UPDATE deliveries SET status = 'delivered', attempts = $2, ref = $3, duplicate = $4, error = NULL, delivered_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'pending'`, [id, out.attempts, out.ref ?? null, out.duplicate]);
  return (r.rowCount ?? 0) === 1;
}

/**
 * The receiver answered that a pending delivery can never arrive (e.g. no e-address): it ends
 * `undeliverable` with the reason; false when it was not pending.
 */
export async function markDeliveryUndeliverable(db: Db, id: string, attempts: number, reason: string): Promise<boolean> {
  const r = await db.query(`UPDATE deliveries SET status = 'undeliverable', attempts = $2, error = $3, updated_at = now() WHERE id = $1 AND status = 'pending'`, [id, attempts, reason]);
  return (r.rowCount ?? 0) === 1;
}

export async function markDeliveryFailed(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db.query(`UPDATE deliveries SET attempts = $2, error = $3, updated_at = now() WHERE id = $1 AND status = 'pending'`, [id, attempts, error]);
}

/** The last attempt failed: the delivery is dead and a dead letter says why, in one transaction. */
export async function markDeliveryDead(db: Db, d: { id: string; routeId: string; attempts: number; error: string; firstFailedAt?: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.query(`UPDATE deliveries SET status = 'dead', attempts = $2, error = $3, updated_at = now() WHERE id = $1 AND status = 'pending'`, [d.id, d.attempts, d.error]);
    if (!r.rowCount) return false;
    await tx.query(
      `INSERT INTO dead_letters (route_id, job_id, data, error, attempts, first_failed_at, kind) VALUES ($1, $2, $3::jsonb, $4, $5, to_timestamp($6 / 1000.0), 'delivery')`,
      [d.routeId, d.id, JSON.stringify({ deliveryId: d.id }), d.error, d.attempts, d.firstFailedAt ?? Date.now()]);
    return true;
  });
}

export async function deliveryCounts(db: Db): Promise<Record<string, Record<DeliveryStatus, number>>> {
  const r = await db.query<{ route_id: string; status: DeliveryStatus; n: number }>('SELECT route_id, status, count(*)::int AS n FROM deliveries GROUP BY 1, 2');
  const out: Record<string, Record<DeliveryStatus, number>> = {};
  for (const x of r.rows) (out[x.route_id] ??= { pending: 0, delivered: 0, dead: 0, undeliverable: 0 })[x.status] = Number(x.n);
  return out;
}
