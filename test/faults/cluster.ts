/**
 * Real processes for the fault tests: private Redis and PostgreSQL servers on their own ports
 * (never the machine's shared ones, which other runs use), and hub processes by role.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { hashKey } from '../../engine/http/auth.ts';
import { TEST_PARTNERS, KEYS, ESERVICE_KEYS } from '../helpers/hub.ts';
import type { RedisTopology } from '../../engine/runtime/redis.ts';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try { if (await check()) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface PrivateRedis { url: string; stop(): Promise<void>; restart(): Promise<void>; flushall(): Promise<void> }

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('redis', async () => { const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }); r.on('error', () => {}); try { await r.connect(); return (await r.ping()) === 'PONG'; } finally { r.disconnect(); } });
  };
  const stop = async (): Promise<void> => { const c = child; c.kill('SIGKILL'); await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))); };
  await start();
  return {
    url, stop,
    async restart() { await stop(); await start(); },
    async flushall() { const r = new Redis(url); await r.flushall(); r.disconnect(); },
  };
}

export interface PrivatePostgres { url: string; restart(): Promise<void>; stop(): Promise<void> }

/** A throwaway cluster (initdb) in a temp dir, run as the postgres user when we are root. */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const bin = (spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' }).stdout || '/usr/lib/postgresql/15/bin/').trim();
  const dir = mkdtempSync(join(tmpdir(), 'spolis-pg-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout));
  const run = (cmd: string, args: string[]): void => {
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' }) : spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() { run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-m', 'fast', '-w', 'restart']); },
    async stop() { try { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } finally { rmSync(dir, { recursive: true, force: true }); } },
  };
}

/** routes/ with partners.yaml holding the test partners' key hashes. */
export function testConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-cfg-'));
  cpSync('routes', dir, { recursive: true });
  const yaml = ['partners:', ...TEST_PARTNERS.flatMap((p) => [`  - id: ${p.id}`, `    system: ${p.system}`,
    ...(p.municipality ? [`    municipality: "${p.municipality}"`] : []), `    keyHashes: ["${hashKey(KEYS[p.id as keyof typeof KEYS])}"]`]),
    // The e-services' partners (routes/portal-*.yaml name them); the portal's placeholder certificate is never used here.
    '  - id: portal', '    system: portal', `    keyHashes: ["${hashKey(ESERVICE_KEYS.portal)}"]`,
    '  - id: vsac', '    system: vsac', `    keyHashes: ["${hashKey(ESERVICE_KEYS.vsac)}"]`];
  writeFileSync(join(dir, 'partners.yaml'), yaml.join('\n') + '\n');
  return dir;
}

export interface HubProcess { role: string; child: ChildProcess; url?: string; exited: Promise<number | null> }

export async function spawnHub(role: 'api' | 'worker' | 'scheduler' | 'all', env: Record<string, string>): Promise<HubProcess> {
  const port = role === 'worker' || role === 'scheduler' ? undefined : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'start', '--role', role], {
    env: { ...process.env, LOG_LEVEL: 'warn', HUB_LOCK_MS: '4000', HUB_RECONCILE_MS: '1000', ...env, ...(port ? { PORT: String(port) } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); if (/listening on/.test(out)) res(); });
    void exited.then((c) => rej(new Error(`${role} exited with ${c} before it was ready`)));
  });
  await ready;
  return { role, child, url: port ? `http://127.0.0.1:${port}` : undefined, exited };
}

/**
 * The environment that names Redis topology `t` to a hub process (engine/runtime/redis.ts
 * redisTopologyFromEnv), the other topologies' variables emptied so an inherited one cannot clash.
 */
export function redisEnv(t: RedisTopology): Record<string, string> {
  const none = { REDIS_URL: '', REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '', REDIS_CLUSTER_NODES: '' };
  const list = (ns: { host: string; port: number }[]): string => ns.map((n) => `${n.host}:${n.port}`).join(',');
  if (t.kind === 'cluster') return { ...none, REDIS_CLUSTER_NODES: list(t.nodes) };
  if (t.kind === 'sentinel') return { ...none, REDIS_SENTINELS: list(t.sentinels), REDIS_SENTINEL_MASTER: t.masterName };
  return { ...none, REDIS_URL: t.url };
}

export async function stopHub(h: HubProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (h.child.exitCode !== null) return;
  h.child.kill(signal);
  await h.exited;
}

/** Totals of what a load wrote, straight from the store. */
export async function storeTotals(url: string, loadId: string): Promise<{ decisions: number; history: number; rejections: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT
      (SELECT count(*) FROM household_status WHERE load_id = $1) + (SELECT count(*) FROM benefit_month WHERE load_id = $1)
        + (SELECT count(*) FROM service_decision WHERE load_id = $1) + (SELECT count(*) FROM assistant_month WHERE load_id = $1) AS decisions,
      (SELECT count(*) FROM decision_history WHERE load_id = $1) AS history,
      (SELECT count(*) FROM rejections WHERE load_id = $1) AS rejections`, [loadId]);
    return { decisions: Number(r.rows[0].decisions), history: Number(r.rows[0].history), rejections: Number(r.rows[0].rejections) };
  } finally {
    await c.end();
  }
}
