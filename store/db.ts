/**
 * One SQL dialect, two engines: PostgreSQL through `pg` when DATABASE_URL names a server, and
 * PGlite (PostgreSQL compiled to WebAssembly) embedded under ./data otherwise. Queries are written
 * once and must run on both; results are normalised (bytea → Buffer) so callers never branch.
 */
import pg from 'pg';
import { mkdirSync } from 'node:fs';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs fn in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** `postgres://…` → a pool; `memory://` → in-memory PGlite; anything else (or unset) → PGlite in that dir. */
export async function openDb(url: string | undefined, opts: { dataDir?: string; poolSize?: number } = {}): Promise<Db> {
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, opts.poolSize ?? 10);
  if (url === 'memory://') return openPglite(undefined);
  const dir = url && url.startsWith('file://') ? url.slice('file://'.length) : (opts.dataDir ?? './data/pglite');
  mkdirSync(dir, { recursive: true });
  return openPglite(dir);
}

function openPostgres(url: string, max: number): Db {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client that loses its server (restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const wrap = (client: pg.Pool | pg.PoolClient): Db => ({
    kind: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (!(client instanceof pg.Pool)) return fn(wrap(client));
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(wrap(c));
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    async exec(sql: string) { await client.query(sql); },
    async close() { if (client instanceof pg.Pool) await pool.end(); },
  });
  return wrap(pool);
}

async function openPglite(dir: string | undefined): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = dir ? new PGlite(dir) : new PGlite();
  await db.waitReady;
  type Q = { query: typeof db.query; exec: typeof db.exec };
  const norm = (rows: unknown[]): unknown[] => {
    for (const row of rows as Record<string, unknown>[]) {
      for (const k in row) if (row[k] instanceof Uint8Array && !Buffer.isBuffer(row[k])) row[k] = Buffer.from(row[k] as Uint8Array);
    }
    return rows;
  };
  const wrap = (q: Q, top: boolean): Db => ({
    kind: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      const r = await q.query(sql, params);
      return { rows: norm(r.rows) as T[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (!top) return fn(wrap(q, false));
      return db.transaction((tx) => fn(wrap(tx as unknown as Q, false)));
    },
    async exec(sql: string) { await q.exec(sql); },
    async close() { if (top) await db.close(); },
  });
  return wrap(db as unknown as Q, true);
}
