/**
 * One SQL dialect, two engines: PostgreSQL through `pg` when DATABASE_URL names a server, and
 * PGlite (PostgreSQL compiled to WebAssembly) embedded under ./data otherwise. Queries are written
 * once and must run on both; results are normalised (bytea → Buffer) so callers never branch.
 */
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** How one statement is run. */
export interface QueryOptions {
  /**
   * A statement on the path of every request (a person's read, the audit chain's append): a named
   * statement, parsed and planned once per connection instead of on every run. Measured on the
   * application status's read of a person's decisions: 1.4 → 0.12 ms of server CPU a run. Only for
   * statements whose text is one of a fixed few: each distinct text stays prepared on every
   * connection. Ignored when prepared statements are off (DbOptions.preparedStatements) and on PGlite.
   */
  prepare?: boolean;
}

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
  /**
   * The first column of the first row as raw bytes (null when there is no row). Sent by the server
   * in binary: a bytea in the text protocol is hex, so a 4 MB batch would travel as 8 MB of text
   * and be decoded back on this side.
   */
  bytes(sql: string, params?: unknown[]): Promise<Buffer | null>;
  /**
   * Loads rows in PostgreSQL's COPY text format (tab-separated, `\N` for null, backslash escapes;
   * a string, or its UTF-8 bytes) into `table (columns)`. Several times cheaper for the server than
   * the same rows as a query parameter it must parse as JSON; the bulk write path depends on it.
   */
  copyIn(table: string, columns: string[], text: string | Uint8Array): Promise<void>;
  /** Runs fn in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** How a process connects; see docs/deployment.md for the budget across a deployment. */
export interface DbOptions {
  /** Where PGlite keeps its files when the URL names no server. @defaultValue ./data/pglite */
  dataDir?: string;
  /**
   * The most connections this process opens to the server (DATABASE_POOL_MAX). Every statement,
   * transaction and COPY stream takes its connection from this pool and nothing opens one beside
   * it, so it is the process's whole budget; work beyond it waits for a free connection.
   * @defaultValue 10
   */
  poolSize?: number;
  /** Shown in pg_stat_activity (unless the URL names one), so a DBA sees which process holds what. */
  applicationName?: string;
  /** Give up opening a connection after this long (ms); 0 waits as long as the OS does. @defaultValue 0 */
  connectTimeoutMs?: number;
  /**
   * Whether `prepare: true` statements are named prepared statements (DATABASE_PREPARED_STATEMENTS).
   * Off for a pooler in transaction mode that cannot carry them from one server connection to the
   * next (PgBouncer before 1.21, or without max_prepared_statements): there a statement prepared in
   * one transaction may be run on another server connection, which does not know it.
   * @defaultValue true
   */
  preparedStatements?: boolean;
}

/** A prepared statement's name: the same text has the same name in every process. */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let n = statementNames.get(sql);
  if (!n) {
    n = `spolis_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, n);
  }
  return n;
}

export const DEFAULT_POOL_SIZE = 10;

/**
 * An idle connection is closed after five minutes, not pg's ten seconds: a connection opened under
 * load costs the requests that wait for it the server's start-up of a backend and its cold caches
 * (a first plan of the application status's read: 4–6 ms instead of 0.3). Measured in `npm run
 * bench -- eservices` at 200/s after 16 s without store work: with ten seconds, the first 300 ms of
 * requests took 130–350 ms and set the loop's p99; the connections stay within DATABASE_POOL_MAX.
 */
const IDLE_CLOSE_MS = 5 * 60_000;

/** `postgres://…` → a pool; `memory://` → in-memory PGlite; anything else (or unset) → PGlite in that dir. */
export async function openDb(url: string | undefined, opts: DbOptions = {}): Promise<Db> {
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, opts);
  if (url === 'memory://') return openPglite(undefined);
  const dir = url && url.startsWith('file://') ? url.slice('file://'.length) : (opts.dataDir ?? './data/pglite');
  mkdirSync(dir, { recursive: true });
  return openPglite(dir);
}

/**
 * Every statement is one of: a single statement outside a transaction, or part of `transaction()`;
 * nothing sets session state (no SET without LOCAL, no session advisory lock, no temp table or
 * cursor that outlives its transaction, no LISTEN), and the only state a connection keeps is the
 * prepared statements of the hot paths, which can be turned off. So the URL may name a pooler in
 * transaction mode (PgBouncer pool_mode=transaction) instead of the server, with
 * preparedStatements off unless the pooler carries them (PgBouncer 1.21+, max_prepared_statements);
 * test/store/pooler.test.ts proves it through a real PgBouncer.
 */
function openPostgres(url: string, opts: DbOptions): Db {
  const timeout = opts.connectTimeoutMs ?? 0;
  // The connect timeout goes on each client, not on the pool: the pool's own option would also
  // fail a caller that merely waits its turn for a busy connection.
  class TimedClient extends pg.Client {
    constructor(c?: pg.ClientConfig) { super({ ...c, connectionTimeoutMillis: timeout }); }
  }
  const pool = new pg.Pool({
    connectionString: url, max: opts.poolSize ?? DEFAULT_POOL_SIZE, application_name: opts.applicationName, idleTimeoutMillis: IDLE_CLOSE_MS,
    ...(timeout > 0 ? { Client: TimedClient as unknown as new () => pg.ClientBase } : {}),
  });
  // An idle client that loses its server (restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const prepared = opts.preparedStatements ?? true;
  const wrap = (client: pg.Pool | pg.PoolClient): Db => ({
    kind: 'postgres',
    async query<T>(sql: string, params?: unknown[], q?: QueryOptions) {
      const r = prepared && q?.prepare
        ? await client.query({ name: statementName(sql), text: sql, values: params as unknown[] })
        : await client.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async bytes(sql: string, params?: unknown[]) {
      // pg reads every result field as text, so the raw bytes come through COPY's binary format.
      // COPY takes no parameters: they are inlined as quoted literals.
      const c = client instanceof pg.Pool ? await pool.connect() : client;
      try {
        const literal = sql.replace(/\$(\d+)/g, (_m, n: string) => c.escapeLiteral(String((params ?? [])[Number(n) - 1])));
        const chunks: Buffer[] = [];
        const stream = c.query(copyTo(`COPY (${literal}) TO STDOUT WITH (FORMAT binary)`));
        await new Promise<void>((resolve, reject) => {
          stream.on('data', (d: Buffer) => chunks.push(d));
          stream.on('end', resolve);
          stream.on('error', reject);
        });
        return firstBinaryField(Buffer.concat(chunks));
      } finally {
        if (client instanceof pg.Pool) (c as pg.PoolClient).release();
      }
    },
    async copyIn(table: string, columns: string[], text: string | Uint8Array) {
      const c = client instanceof pg.Pool ? await pool.connect() : client;
      try {
        const stream = c.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
        await new Promise<void>((resolve, reject) => {
          stream.on('finish', resolve);
          stream.on('error', reject);
          stream.end(typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength));
        });
      } finally {
        if (client instanceof pg.Pool) (c as pg.PoolClient).release();
      }
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

/** The first field of the first row of a COPY … (FORMAT binary) stream, or null. */
function firstBinaryField(b: Buffer): Buffer | null {
  // Signature (11 bytes), flags (4), header extension length (4) and the extension itself.
  if (b.length < 19 || b.toString('latin1', 0, 6) !== 'PGCOPY') throw new Error('not a binary COPY stream');
  let at = 19 + b.readInt32BE(15);
  const fields = b.readInt16BE(at);
  if (fields < 1) return null;
  at += 2;
  const len = b.readInt32BE(at);
  return len < 0 ? null : b.subarray(at + 4, at + 4 + len);
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
    async bytes(sql: string, params?: unknown[]) {
      const row = norm((await q.query(sql, params)).rows)[0] as Record<string, unknown> | undefined;
      return row ? (Object.values(row)[0] as Buffer | null) : null;
    },
    async copyIn(table: string, columns: string[], text: string | Uint8Array) {
      // PGlite reads COPY data from a Blob it exposes to the server as /dev/blob.
      await q.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], { blob: new Blob([typeof text === 'string' ? text : new Uint8Array(text)]) });
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
