/**
 * Heavy reads (the Ministry's statistics, cross-checks and state-report findings) on a streaming
 * replica when DATABASE_REPLICA_URL names one, so they do not compete with the loads for the
 * primary's CPU and I/O. Everything else, and every read that must see its own writes, stays on the
 * primary.
 *
 * A replica is behind by its replay lag (usually well under a second). A read goes to the primary
 * instead when the replica is further behind than `maxLagSeconds`, does not answer, cancels the
 * read for a recovery conflict, or lacks a table a migration has just added: a report is then as
 * fresh as the primary's, and the caller is told
 * where it was read (`Read.from`, `Read.fallback`) to say so in its answer and its log. After a
 * failure the replica is left alone for `retryMs`, so an outage costs one failed connect, not one
 * per request.
 */
import { openDb, type Db } from './db.ts';

export interface ReplicaOptions {
  /** postgres://… of a hot standby of the primary (DATABASE_REPLICA_URL). */
  url: string;
  /** Its own pool: connections this process may open to the replica. @defaultValue 4 */
  poolSize?: number;
  /** Further behind than this (seconds), a read goes to the primary. @defaultValue 30 */
  maxLagSeconds?: number;
  /** How long a replica that failed is left alone before it is tried again (ms). @defaultValue 15000 */
  retryMs?: number;
  /** Give up connecting to the replica after this long (ms). @defaultValue 2000 */
  connectTimeoutMs?: number;
  applicationName?: string;
}

export const REPLICA_DEFAULTS = { poolSize: 4, maxLagSeconds: 30, retryMs: 15_000, connectTimeoutMs: 2_000 } as const;

const RECHECK_MS = 100;

export interface Read<T> {
  value: T;
  from: 'replica' | 'primary';
  /** Seconds the replica's data were behind the primary when the read began (replica reads only). */
  lagSeconds?: number;
  /** Why a configured replica was not used; absent when none is configured or it was used. */
  fallback?: string;
}

export interface Reads {
  /** True when a replica is configured (not whether it answers now). */
  readonly replicated: boolean;
  /** Runs a read-only `fn` on the replica when it may, else on the primary; see the module comment. */
  run<T>(fn: (db: Db) => Promise<T>): Promise<Read<T>>;
  close(): Promise<void>;
}

/** Reads on the primary only: no replica configured (or an embedded store). */
export function primaryReads(primary: Db): Reads {
  return { replicated: false, run: async (fn) => ({ value: await fn(primary), from: 'primary' }), close: async () => {} };
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Whether `e` says the server cannot serve (rather than that the query is wrong): no connection,
 * a connection lost, a server shutting down or starting up, no free connection slot.
 */
export function unavailable(e: unknown): boolean {
  const x = e as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!x || typeof x !== 'object') return false;
  const code = typeof x.code === 'string' ? x.code : '';
  if (NET_CODES.has(code) || /^08|^57P0[1-3]$|^53300$/.test(code)) return true;
  if (typeof x.message === 'string' && /Connection terminated|timeout expired|connection timeout/i.test(x.message)) return true;
  return x.cause !== undefined && x.cause !== e && unavailable(x.cause);
}

/** A hot standby cancels a read whose rows its replay must remove (SQLSTATE 40001 there). */
const recoveryConflict = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === '40001';

/** Undefined table, column or function: right after a migration the replica may not have replayed it yet. */
const schemaBehind = (e: unknown): boolean => ['42P01', '42703', '42883'].includes(String((e as { code?: unknown } | null)?.code));

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || String((e as { code?: unknown })?.code ?? 'unknown error');

/**
 * The replica's lag: 0 when it has replayed all it received (an idle primary sends nothing, and
 * the last replayed commit may be old; a standby that has just restarted has replayed past what
 * its new stream received); else the age of the last commit replayed, which after a quiet spell
 * overstates the lag for the moment the first new WAL takes to replay (hence a second look before
 * a read goes to the primary for it; were both wrong, the answer would be fresher, never staler).
 * The figure is the standby's own view: commits it has not received yet are not counted. A
 * standby whose stream broke looks caught up to
 * itself: it has no WAL receiver then (the view shows one to any user, its details only to
 * pg_read_all_stats), and such a replica is unavailable.
 */
export const REPLICA_LAG_SQL = `SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() THEN 0
    ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp())) END::float8 AS lag,
  pg_is_in_recovery() AND NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver) AS detached`;

export async function openReads(primary: Db, o: ReplicaOptions): Promise<Reads> {
  const replica = await openDb(o.url, {
    poolSize: o.poolSize ?? REPLICA_DEFAULTS.poolSize, applicationName: o.applicationName,
    connectTimeoutMs: o.connectTimeoutMs ?? REPLICA_DEFAULTS.connectTimeoutMs,
  });
  const maxLag = o.maxLagSeconds ?? REPLICA_DEFAULTS.maxLagSeconds;
  const retryMs = o.retryMs ?? REPLICA_DEFAULTS.retryMs;
  let down: { until: number; reason: string } | undefined;

  const onPrimary = async <T>(fn: (db: Db) => Promise<T>, fallback: string): Promise<Read<T>> => ({ value: await fn(primary), from: 'primary', fallback });

  return {
    replicated: true,
    async run<T>(fn: (db: Db) => Promise<T>): Promise<Read<T>> {
      if (down && Date.now() < down.until) return onPrimary(fn, down.reason);
      down = undefined;
      let lag: number;
      try {
        const measure = async (): Promise<number | 'detached'> => {
          const r = (await replica.query<{ lag: number | null; detached: boolean }>(REPLICA_LAG_SQL)).rows[0];
          return r.detached ? 'detached' : Number(r.lag ?? 0);
        };
        let m = await measure();
        // Once more a moment later: the first WAL after a quiet spell looks like a lag as long as the spell.
        if (m !== 'detached' && m > maxLag) m = await new Promise((r) => setTimeout(r, RECHECK_MS)).then(measure);
        if (m === 'detached') {
          down = { until: Date.now() + retryMs, reason: 'the replica is not streaming from the primary' };
          return onPrimary(fn, down.reason);
        }
        lag = m;
      } catch (e) {
        if (!unavailable(e)) throw e;
        down = { until: Date.now() + retryMs, reason: `the replica does not answer: ${message(e)}` };
        return onPrimary(fn, down.reason);
      }
      if (lag > maxLag) return onPrimary(fn, `the replica is ${lag.toFixed(1)} s behind the primary (more than ${maxLag} s)`);
      try {
        return { value: await fn(replica), from: 'replica', lagSeconds: Math.round(lag * 1000) / 1000 };
      } catch (e) {
        if (recoveryConflict(e)) return onPrimary(fn, `the replica cancelled the read for a conflict with its replay: ${message(e)}`);
        if (schemaBehind(e)) return onPrimary(fn, `the replica lacks what the query reads (a migration not replayed yet?): ${message(e)}`);
        if (!unavailable(e)) throw e;
        down = { until: Date.now() + retryMs, reason: `the replica failed during the read: ${message(e)}` };
        return onPrimary(fn, down.reason);
      }
    },
    close: () => replica.close(),
  };
}
