/**
 * Dead letters: jobs whose last attempt failed, kept in the store with their reason, attempts and
 * times. Replaying one reopens its batch (pending again, its load processing again) or its delivery
 * (pending again); the queue then runs it like any other, and the reconciler would find it even if
 * nothing enqueued it.
 */
import type { Db } from './db.ts';

export interface DeadLetter {
  id: number;
  routeId: string;
  jobId: string;
  /** `batch`: data is {loadId, seq}; `delivery`: data is {deliveryId}. */
  kind: 'batch' | 'delivery';
  data: { loadId: string; seq: number } | { deliveryId: string };
  error: string;
  attempts: number;
  firstFailedAt: string | null;
  failedAt: string;
  replayedAt: string | null;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Oldest first; `newestFirst` and `limit` serve the console's list, `loadId` a load's batches. */
export async function listDeadLetters(db: Db, opts: { route?: string; id?: number; includeReplayed?: boolean; loadId?: string; newestFirst?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT id::int AS id, kind, route_id, job_id, data, error, attempts, ${TS('first_failed_at')} AS first_failed_at, ${TS('failed_at')} AS failed_at,
            ${TS('replayed_at')} AS replayed_at
     FROM dead_letters
     WHERE ($1::text IS NULL OR route_id = $1) AND ($2::bigint IS NULL OR id = $2) AND ($3 OR replayed_at IS NULL)
       AND ($4::text IS NULL OR (kind = 'batch' AND data->>'loadId' = $4))
     ORDER BY id ${opts.newestFirst ? 'DESC' : ''} LIMIT $5`,
    [opts.route ?? null, opts.id ?? null, opts.includeReplayed ?? false, opts.loadId ?? null, opts.limit ?? null],
  );
  return r.rows.map((x) => ({
    id: Number(x.id), kind: x.kind as DeadLetter['kind'], routeId: x.route_id as string, jobId: x.job_id as string, data: x.data as DeadLetter['data'], error: x.error as string,
    attempts: Number(x.attempts), firstFailedAt: (x.first_failed_at as string) ?? null, failedAt: x.failed_at as string, replayedAt: (x.replayed_at as string) ?? null,
  }));
}

/** Marks the letters replayed and reopens their batches, in one transaction; returns those reopened. */
export async function reopenDeadLetters(db: Db, letters: DeadLetter[]): Promise<DeadLetter[]> {
  return db.transaction(async (tx) => {
    const done: DeadLetter[] = [];
    for (const l of letters) {
      const r = await tx.query(`UPDATE dead_letters SET replayed_at = now() WHERE id = $1 AND replayed_at IS NULL`, [l.id]);
      if (!r.rowCount) continue;
      if ('deliveryId' in l.data) {
        // A fresh attempt budget: the replay is the operator saying the receiver is back.
        await tx.query(`UPDATE deliveries SET status = 'pending', attempts = 0, enqueued_at = NULL, updated_at = now() WHERE id = $1 AND status = 'dead'`, [l.data.deliveryId]);
      } else {
        await tx.query(`UPDATE batches SET status = 'pending', error = NULL WHERE load_id = $1 AND seq = $2 AND status = 'dead'`, [l.data.loadId, l.data.seq]);
        await tx.query(`UPDATE loads SET status = 'processing', finished_at = NULL WHERE id = $1 AND status IN ('failed', 'done')`, [l.data.loadId]);
      }
      done.push(l);
    }
    return done;
  });
}
