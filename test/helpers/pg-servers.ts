/**
 * Real PostgreSQL machinery a test starts for itself, from Debian's packages: a PgBouncer in
 * transaction mode in front of the machine's server, and a private primary with a streaming
 * standby. Both refuse to run as root (CI runs as root): then they run as the `postgres` OS user,
 * in temporary directories it owns. Each returns what is missing when it cannot run (`missing*`),
 * so a test can skip saying why.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const root = process.getuid?.() === 0;

/** The uid and gid of the postgres OS user when running as root; undefined otherwise. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (!root) return undefined;
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) };
  } catch { return undefined; }
}

/** `cmd args` as the postgres OS user when root, else as ourselves. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], timeoutMs = 60_000): string {
  const [c, a] = asServerUser(cmd, args);
  return execFileSync(c, a, { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A directory the server user may write. */
function serverDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const u = postgresUser();
  if (u) chownSync(dir, u.uid, u.gid);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function answers(url: string, sql = 'SELECT 1'): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query(sql);
    return true;
  } finally {
    await c.end().catch(() => {});
  }
}

const which = (cmd: string): string | undefined => {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
};

// ------------------------------------------------------------------ PgBouncer

export interface PgBouncer {
  port: number;
  /** The URL of database `name` through the pooler. */
  url(name: string): string;
  /** The admin console (SHOW POOLS, SHOW CLIENTS…). */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Why a PgBouncer cannot run here, or undefined when it can. */
export function missingPgBouncer(): string | undefined {
  if (!which('pgbouncer')) return 'pgbouncer is not installed (Debian: apt-get install -y pgbouncer)';
  if (root && !postgresUser()) return 'running as root and there is no postgres OS user to run pgbouncer as';
  return undefined;
}

/**
 * A PgBouncer in transaction mode in front of `target` (host:port of a PostgreSQL that trusts
 * `postgres` from 127.0.0.1): `serverConnections` server connections per database at most, so
 * clients take turns on them, and round robin, so consecutive transactions land on different ones.
 */
export async function startPgBouncer(o: { target: { host: string; port: number }; serverConnections: number }): Promise<PgBouncer> {
  const dir = serverDir('spolis-pgbouncer-');
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `* = host=${o.target.host} port=${o.target.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1', `listen_port = ${port}`, 'unix_socket_dir =',
    'auth_type = trust', `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${o.serverConnections}`, `max_db_connections = ${o.serverConnections}`, 'min_pool_size = 0', 'reserve_pool_size = 0',
    'server_round_robin = 1', 'max_client_conn = 500',
    // Nothing cleans a server connection between clients: what a statement leaves behind, the next client meets.
    'server_reset_query =',
    'ignore_startup_parameters = extra_float_digits',
    'admin_users = postgres', 'stats_users = postgres',
    `logfile = ${join(dir, 'pgbouncer.log')}`, `pidfile = ${join(dir, 'pgbouncer.pid')}`,
  ].join('\n') + '\n');
  const u = postgresUser();
  for (const f of ['users.txt', 'pgbouncer.ini']) if (u) chownSync(join(dir, f), u.uid, u.gid);
  const [cmd, args] = asServerUser('pgbouncer', [join(dir, 'pgbouncer.ini')]);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => { exited = true; });
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/pgbouncer`;
  try {
    await waitFor('pgbouncer', async () => {
      if (exited) throw new Error('pgbouncer exited: ' + readLog(join(dir, 'pgbouncer.log')));
      return answers(adminUrl, 'SHOW VERSION');
    }, 10_000);
  } catch (e) {
    await stopChild(child, join(dir, 'pgbouncer.pid'));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port, adminUrl,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    async stop() {
      await stopChild(child, join(dir, 'pgbouncer.pid'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const readLog = (f: string): string => { try { return readFileSync(f, 'utf8').slice(-2000); } catch { return '(no log)'; } };

/** Ends a server we spawned (through runuser when root: the pid file names the server itself). */
async function stopChild(child: ChildProcess, pidFile: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let pid: number | undefined;
  try { pid = Number(readFileSync(pidFile, 'utf8').trim()); } catch { /* not written yet */ }
  try { process.kill(pid || child.pid!, 'SIGTERM'); } catch { /* gone */ }
  const t = setTimeout(() => { try { process.kill(pid || child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
  await exited;
  clearTimeout(t);
}

// ------------------------------------------------------------------ primary and standby

/** The newest PostgreSQL server binaries: PG_BINDIR, Debian's /usr/lib/postgresql/N/bin, or pg_config's. */
export function pgBinDir(): string | undefined {
  const has = (d: string): boolean => ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].every((b) => existsSync(join(d, b)));
  if (process.env.PG_BINDIR) return has(process.env.PG_BINDIR) ? process.env.PG_BINDIR : undefined;
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch { /* not Debian's layout */ }
  try {
    const d = execFileSync('pg_config', ['--bindir']).toString().trim();
    if (has(d)) return d;
  } catch { /* no pg_config */ }
  return undefined;
}

/** Why a private primary and standby cannot run here, or undefined when they can. */
export function missingPostgresServer(): string | undefined {
  if (!pgBinDir()) return 'the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed; set PG_BINDIR or install postgresql';
  if (root && !postgresUser()) return 'running as root and there is no postgres OS user to run PostgreSQL as';
  return undefined;
}

export interface PgInstance {
  port: number;
  dir: string;
  /** The URL of database `name` on it (user postgres, trust). */
  url(name?: string): string;
  /** Everything the server logged (log_min_duration_statement = 0: every statement). */
  log(): string;
  start(): Promise<void>;
  /** pg_ctl stop -m fast. */
  stop(): Promise<void>;
}

export interface ReplicatedPair {
  primary: PgInstance;
  standby: PgInstance;
  /** Waits until the standby streams from the primary and has replayed everything it has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops both and removes their directories. */
  destroy(): Promise<void>;
}

function instance(bin: string, dir: string, port: number): PgInstance {
  const logFile = join(dir, 'server.log');
  const self: PgInstance = {
    port, dir,
    url: (name = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${name}`,
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
    async start() {
      run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', logFile, '-w', '-t', '30', 'start']);
      await waitFor(`PostgreSQL on port ${port}`, () => answers(self.url()), 30_000);
    },
    async stop() {
      try { run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', '-t', '30', 'stop']); } catch { /* not running */ }
    },
  };
  return self;
}

/**
 * A private primary (initdb in a temporary directory, on a free port, trusting local connections
 * and replication) and a hot standby streaming from it (pg_basebackup -R -X stream). Every
 * statement is logged on both, so a test can see where a query ran. Small and unsafe (fsync off):
 * test equipment only.
 */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const bin = pgBinDir()!;
  const base = serverDir('spolis-pg-pair-');
  const [pport, sport] = [await freePort(), await freePort()];
  const pdir = join(base, 'primary'), sdir = join(base, 'standby');
  run('mkdir', ['-p', pdir, sdir]);
  run(join(bin, 'initdb'), ['-D', join(pdir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const conf = (port: number, dir: string): string => [
    `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
    'wal_level = replica', 'max_wal_senders = 4', 'hot_standby = on', 'hot_standby_feedback = on',
    'fsync = off', 'full_page_writes = off', 'shared_buffers = 32MB', 'max_connections = 40',
    'log_min_duration_statement = 0', "log_line_prefix = '%m [%p] %a '", 'logging_collector = off',
  ].join('\n') + '\n';
  // As the server user: the file must stay its own.
  const append = (dir: string, text: string): void => {
    const f = join(dir, 'data', 'postgresql.conf');
    writeFileSync(f, readFileSync(f, 'utf8') + '\n# spolis-hub test\n' + text);
  };
  append(pdir, conf(pport, pdir));
  const primary = instance(bin, pdir, pport);
  let standby: PgInstance | undefined;
  try {
    await primary.start();
    run(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(pport), '-U', 'postgres', '-D', join(sdir, 'data'), '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    append(sdir, conf(sport, sdir));
    standby = instance(bin, sdir, sport);
    await standby.start();
  } catch (e) {
    await standby?.stop();
    await primary.stop();
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
  const s = standby;
  return {
    primary, standby: s,
    async caughtUp(timeoutMs = 20_000) {
      const p = new pg.Client({ connectionString: primary.url() });
      await p.connect();
      // The insert position: every commit so far is before it, even one whose WAL is not written yet.
      const lsn = (await p.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
      await p.end();
      await waitFor('the standby\'s replay', async () => {
        const c = new pg.Client({ connectionString: s.url() });
        await c.connect();
        try {
          // Streaming too: a standby just restarted replays its own WAL before its receiver starts.
          return (await c.query<{ ok: boolean }>(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn
            AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS ok`, [lsn])).rows[0].ok;
        } finally { await c.end(); }
      }, timeoutMs);
    },
    async destroy() {
      await s.stop();
      await primary.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
