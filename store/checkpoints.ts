/**
 * Where each scheduled pull stands. The checkpoint moves in the transaction that stores a page,
 * never before: a pull stopped mid-page (a crash, a timeout) asks for the same page again, and
 * since effects are idempotent, nothing is lost and nothing applied twice.
 */
import type { Db } from './db.ts';

export interface Checkpoint {
  routeId: string;
  /** Changes strictly after this instant (ISO). */
  since: string;
  /** The partner's cursor of the next page within `since`; absent at the start of a feed. */
  cursor?: string;
  /** The newest change instant stored so far in this `since` run: the next run's `since`. */
  newest?: string;
  pages: number;
  items: number;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The route's checkpoint; a route never pulled starts at `initialSince`. */
export async function readCheckpoint(db: Db, routeId: string, initialSince: string): Promise<Checkpoint> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${TS('since')} AS since, cursor, ${TS('newest')} AS newest, pages::int AS pages, items::int AS items FROM pull_checkpoints WHERE route_id = $1`, [routeId]);
  const x = r.rows[0];
  if (!x) return { routeId, since: initialSince, pages: 0, items: 0 };
  return {
    routeId, since: x.since as string, pages: Number(x.pages), items: Number(x.items),
    ...(x.cursor ? { cursor: x.cursor as string } : {}), ...(x.newest ? { newest: x.newest as string } : {}),
  };
}

/** Writes the checkpoint (inside the page's transaction). */
export async function writeCheckpoint(db: Db, c: Checkpoint): Promise<void> {
  await db.query(
    `INSERT INTO pull_checkpoints (route_id, since, cursor, newest, pages, items, updated_at) VALUES ($1, $2::timestamptz, $3, $4::timestamptz, $5, $6, now())
     ON CONFLICT (route_id) DO UPDATE SET since = EXCLUDED.since, cursor = EXCLUDED.cursor, newest = EXCLUDED.newest,
       pages = EXCLUDED.pages, items = EXCLUDED.items, updated_at = now()`,
    [c.routeId, c.since, c.cursor ?? null, c.newest ?? null, c.pages, c.items],
  );
}
