/**
 * How a process connects to the store: its connection budget and its replica, from the environment.
 *
 * - `DATABASE_POOL_MAX`: connections this process may open to the primary (or to the pooler
 *   DATABASE_URL names). By role: api 10, worker 10, scheduler 3, all 10.
 * - `DATABASE_REPLICA_URL`: a streaming replica for the Ministry's reports (api and all roles only:
 *   the other roles never read them); `DATABASE_REPLICA_POOL_MAX` (default 4) its budget;
 *   `DATABASE_REPLICA_MAX_LAG` (seconds, default 30): further behind, reports read the primary.
 * - `DATABASE_PREPARED_STATEMENTS`: `on` (default) or `off`; off behind a pooler in transaction mode
 *   that cannot carry named prepared statements (PgBouncer before 1.21; see db.ts).
 */
import { DEFAULT_POOL_SIZE, type DbOptions } from './db.ts';
import { REPLICA_DEFAULTS, type ReplicaOptions } from './replica.ts';

export interface StoreOptions extends DbOptions {
  /** Heavy reads on a streaming replica (replica.ts); none by default. */
  replica?: ReplicaOptions;
}

export type ProcessRole = 'all' | 'api' | 'worker' | 'scheduler';

/** Connections to the primary by role when DATABASE_POOL_MAX does not say (see docs/deployment.md). */
export const POOL_SIZE_BY_ROLE: Record<ProcessRole, number> = { all: DEFAULT_POOL_SIZE, api: DEFAULT_POOL_SIZE, worker: DEFAULT_POOL_SIZE, scheduler: 3 };

const whole = (env: Record<string, string | undefined>, name: string, min: number, max: number): number | undefined => {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: "${v}" must be a whole number from ${min} to ${max}`);
  return n;
};

const onOff = (env: Record<string, string | undefined>, name: string, dflt: boolean): boolean => {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return dflt;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new Error(`${name}: "${env[name]}" must be on or off`);
};

/** DATABASE_PREPARED_STATEMENTS, for every process that opens the store (the hub's roles and the CLI). */
export const preparedStatementsFromEnv = (env: Record<string, string | undefined>): boolean => onOff(env, 'DATABASE_PREPARED_STATEMENTS', true);

const isServer = (url: string | undefined): boolean => !!url && /^postgres(ql)?:\/\//.test(url);

/** The store options of a process of `role` from its environment; a bad value throws naming the variable. */
export function storeOptionsFromEnv(env: Record<string, string | undefined>, role: ProcessRole): StoreOptions {
  const poolSize = whole(env, 'DATABASE_POOL_MAX', 1, 1000) ?? POOL_SIZE_BY_ROLE[role];
  const applicationName = `spolis-hub ${role}`;
  const preparedStatements = preparedStatementsFromEnv(env);
  const url = env.DATABASE_REPLICA_URL?.trim();
  const replicaPool = whole(env, 'DATABASE_REPLICA_POOL_MAX', 1, 1000);
  const maxLag = whole(env, 'DATABASE_REPLICA_MAX_LAG', 0, 86_400);
  if (!url) return { poolSize, applicationName, preparedStatements };
  if (!isServer(url)) throw new Error(`DATABASE_REPLICA_URL: must be a postgres:// URL of a streaming replica of the DATABASE_URL server`);
  if (!isServer(env.DATABASE_URL)) throw new Error('DATABASE_REPLICA_URL: a replica needs DATABASE_URL to name its PostgreSQL primary (the embedded store has none)');
  if (role !== 'all' && role !== 'api') return { poolSize, applicationName, preparedStatements };
  return {
    poolSize, applicationName, preparedStatements,
    replica: { url, poolSize: replicaPool ?? REPLICA_DEFAULTS.poolSize, maxLagSeconds: maxLag ?? REPLICA_DEFAULTS.maxLagSeconds, applicationName: `${applicationName} replica` },
  };
}
