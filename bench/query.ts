/**
 * `npm run bench -- query [--rate 200] [--seconds 10] [--repeat 3] [--concurrency 8,16,32,64]`:
 * the synchronous query path (issue 4: "Speed").
 *
 * The hub runs as its own process (`spolis-hub start --role api`, PostgreSQL store, Redis gate),
 * the VSAA simulator and the load generator in this one; every leg is signed and verified (the
 * hub signs its request and verifies VSAA's answer; the simulator verifies and signs). In the same
 * run, alternating, the same load goes to the simulator directly through the hub's own VSAA client
 * (which signs and verifies here), so the difference is what the hub adds: HTTP and JSON, the key,
 * access and body checks, the Redis rate limit and breaker, and the audit row in PostgreSQL.
 * 1. Open loop at --rate for --seconds (latency from each request's scheduled instant, so a
 *    stall is not hidden): p50 and p99, direct and through the hub; medians over --repeat rounds.
 * 2. Closed loop at each --concurrency for --seconds: the highest sustained queries/s, all 200.
 * The vsaa partner's rate limit is set far above the load (it still runs, in Redis, per call).
 */
import { mkdtempSync, writeFileSync, cpSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { CpuMeter } from './cpu.ts';
import http from 'node:http';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { hashKey } from '../engine/http/auth.ts';
import { createSigningIdentity } from '../engine/soap/signing.ts';
import { createVsaaClient } from '../connectors/vsaa/index.ts';
import { startVsaaSimulator, type VsaaSimulator } from '../connectors/vsaa/sandbox.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL } from '../test/helpers/env.ts';

const KEY = 'bench-query-key-sopa-riga-0000000000';
const PURPOSE = 'Sociālās palīdzības lieta Nr. 2026/17';
const say = (s: string): void => { process.stderr.write(`[query] ${s}\n`); };
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const median = (xs: number[]): number => pct(xs, 0.5);
const r2 = (x: number): number => Math.round(x * 100) / 100;

type Ask = (i: number) => Promise<void>;

/** Open loop: request i is due at t0 + i/rate; its latency counts from then. */
async function openLoop(ask: Ask, rate: number, seconds: number): Promise<{ p50: number; p99: number; failed: number; achieved: number }> {
  const n = Math.round(rate * seconds);
  const lat: number[] = [];
  let failed = 0;
  const t0 = performance.now() + 20;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(ask(i).then(() => { lat.push(performance.now() - due); }, () => { failed++; }));
  }
  await Promise.all(pending);
  return { p50: median(lat), p99: pct(lat, 0.99), failed, achieved: n / ((performance.now() - t0) / 1000) };
}

/** Closed loop: `concurrency` callers, each asking again as soon as it is answered. */
async function closedLoop(ask: Ask, concurrency: number, seconds: number): Promise<{ perSecond: number; failed: number; p99: number }> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      const t = performance.now();
      try { await ask(i); done++; lat.push(performance.now() - t); } catch { failed++; }
    }
  }));
  return { perSecond: done / ((performance.now() - t0) / 1000), failed, p99: pct(lat, 0.99) };
}

function hubAsker(url: string, persons: string[]): Ask {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const services = ['vsaa-ep50', 'vsaa-ep51', 'vsaa-ep52'];
  return (i) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ personCode: persons[i % persons.length], purpose: PURPOSE, periodFrom: '2026-01', periodTo: '2026-12' });
    const req = http.request(`${url}/api/v1/query/${services[i % 3]}`, {
      method: 'POST', agent, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}`);
    try { if ((await fetch(`${url}/ready`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('hub did not become ready');
}

function configDir(sim: VsaaSimulator): string {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-bench-query-'));
  cpSync('routes', dir, { recursive: true });
  writeFileSync(join(dir, 'vsaa-sim.pem'), sim.certPem);
  // The shipped agencies, portal and Ministry stay (the routes name them); Rīga and VSAA are the bench's.
  const shipped = (parseYaml(readFileSync(join('routes', 'partners.yaml'), 'utf8')) as { partners: { id: string; municipality?: string }[] }).partners;
  const partners = [
    ...shipped.filter((p) => !p.municipality && p.id !== 'vsaa'),
    { id: 'sopa-riga', system: 'sopa', municipality: '0001000', keyHashes: [hashKey(KEY)] },
    {
      id: 'vsaa', system: 'vsaa', keyHashes: [], endpoint: sim.url, certificate: 'vsaa-sim.pem',
      policies: { rateLimit: { perSecond: 100000, maxWait: '2s' }, circuitBreaker: { failures: 1000, openSeconds: 1 }, timeout: '10s' },
    },
  ];
  // JSON is YAML: municipality codes stay strings.
  writeFileSync(join(dir, 'partners.yaml'), JSON.stringify({ partners }, null, 2) + '\n');
  return dir;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: {
    rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '10' }, repeat: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8,16,32,64' },
  } });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const repeat = Number(values.repeat);
  const levels = String(values.concurrency).split(',').map(Number);

  const identity = await createSigningIdentity('spolis-hub bench');
  const sim = await startVsaaSimulator({ hubCertPem: identity.certPem, rateLimitPerSecond: 1e9 });
  const persons = [...sim.data.persons.keys()];
  const db = await createTestDatabase();
  const q = testQueuePrefix();
  const dir = configDir(sim);
  writeFileSync(join(dir, 'hub-key.pem'), identity.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'hub-cert.pem'), identity.certPem);
  const port = 19000 + Math.floor(Math.random() * 1000);
  const url = `http://127.0.0.1:${port}`;
  const hub = spawn(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'start', '--role', 'api'], {
    env: {
      ...process.env, DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: q.prefix, HUB_CONFIG_DIR: dir, PORT: String(port), LOG_LEVEL: 'warn',
      HUB_SIGNING_KEY_FILE: join(dir, 'hub-key.pem'), HUB_SIGNING_CERT_FILE: join(dir, 'hub-cert.pem'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = createVsaaClient({ baseUrl: sim.url, identity, vsaaCertPem: sim.certPem, timeoutMs: 10_000, maxSockets: 256 });
  const services = ['ep50', 'ep51', 'ep52'] as const;
  const direct: Ask = async (i) => { await client[services[i % 3]](persons[i % persons.length], { requesterId: '0001000', purpose: PURPOSE, period: { from: '2026-01', to: '2026-12' } }); };
  try {
    await waitReady(url, hub);
    const viaHub = hubAsker(url, persons);
    say('warming up');
    await closedLoop(viaHub, 16, 3);
    await closedLoop(direct, 16, 2);

    const rounds: { direct: Awaited<ReturnType<typeof openLoop>>; hub: Awaited<ReturnType<typeof openLoop>> }[] = [];
    // CPU of the hub process (threads included), PostgreSQL and Redis per signed query through the hub
    // (bench/cpu.ts): the figure that does not depend on the machine (issue 16).
    const cpuPerQueryMs: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const d = await openLoop(direct, rate, seconds);
      const meter = CpuMeter.start(['postgres', 'redis-server'], () => [hub.pid!]);
      const h = await openLoop(viaHub, rate, seconds);
      const cpu = meter.stop();
      cpuPerQueryMs.push((Object.values(cpu).reduce((x, y) => x + y, 0) * 1000) / Math.round(rate * seconds));
      rounds.push({ direct: d, hub: h });
      say(`${rate}/s round ${i + 1}: direct p50 ${d.p50.toFixed(2)} p99 ${d.p99.toFixed(2)} ms; hub p50 ${h.p50.toFixed(2)} p99 ${h.p99.toFixed(2)} ms (failed ${d.failed}/${h.failed})`);
    }
    const sustained: { concurrency: number; hub: Awaited<ReturnType<typeof closedLoop>>; direct: Awaited<ReturnType<typeof closedLoop>> }[] = [];
    for (const c of levels) {
      const h = await closedLoop(viaHub, c, seconds);
      const d = await closedLoop(direct, c, seconds);
      sustained.push({ concurrency: c, hub: h, direct: d });
      say(`closed loop ×${c}: hub ${Math.round(h.perSecond)}/s (p99 ${h.p99.toFixed(1)} ms, failed ${h.failed}); direct ${Math.round(d.perSecond)}/s`);
    }
    const pgc = new pg.Client({ connectionString: db.url });
    await pgc.connect();
    const audited = Number((await pgc.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    await pgc.end();
    const m = (k: 'p50' | 'p99', w: 'direct' | 'hub') => median(rounds.map((r) => r[w][k]));
    const best = sustained.filter((s) => s.hub.failed === 0).reduce((a, s) => (s.hub.perSecond > a.hub.perSecond ? s : a), sustained[0]);
    const result = {
      benchmark: 'query', date: new Date().toISOString(), rate, seconds, repeat,
      openLoop: {
        direct: { p50Ms: r2(m('p50', 'direct')), p99Ms: r2(m('p99', 'direct')) },
        hub: { p50Ms: r2(m('p50', 'hub')), p99Ms: r2(m('p99', 'hub')) },
        addedByHub: { p50Ms: r2(m('p50', 'hub') - m('p50', 'direct')), p99Ms: r2(m('p99', 'hub') - m('p99', 'direct')) },
        targets: { p50Ms: 5, p99Ms: 20 },
        rounds: rounds.map((r) => ({ direct: [r2(r.direct.p50), r2(r.direct.p99)], hub: [r2(r.hub.p50), r2(r.hub.p99)], failed: r.direct.failed + r.hub.failed })),
      },
      sustained: {
        bestQueriesPerSecond: Math.round(best.hub.perSecond), atConcurrency: best.concurrency, target: 500,
        levels: sustained.map((s) => ({ concurrency: s.concurrency, hubPerSecond: Math.round(s.hub.perSecond), hubP99Ms: r2(s.hub.p99), hubFailed: s.hub.failed, directPerSecond: Math.round(s.direct.perSecond) })),
      },
      auditRows: audited,
      cpuMsPerSignedQuery: r2(median(cpuPerQueryMs)),
      cpuNote: 'hub process (threads included) + PostgreSQL + Redis, per query through the hub in the open loop (the VSAA simulator\'s own signing, in this process, is not counted)',
      setup: 'hub: one process, --role api, PostgreSQL, Redis gate; VSAA simulator and load generator: this process; every leg signed and verified',
      machine: { cpus: cpus().length, node: process.version },
    };
    const a = result.openLoop.addedByHub;
    process.stdout.write(`at ${rate}/s: direct p50 ${result.openLoop.direct.p50Ms} ms p99 ${result.openLoop.direct.p99Ms} ms; through the hub p50 ${result.openLoop.hub.p50Ms} ms p99 ${result.openLoop.hub.p99Ms} ms; `
      + `added p50 ${a.p50Ms} ms (target ≤ 5), p99 ${a.p99Ms} ms (target ≤ 20)\n`
      + `sustained through the hub: ${result.sustained.bestQueriesPerSecond} queries/s at ${best.concurrency} in flight (target ≥ 500); ${audited} audit rows\n`
      + `CPU per signed query (hub process + PostgreSQL + Redis): ${result.cpuMsPerSignedQuery} ms\n`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/query.json', JSON.stringify(result, null, 2) + '\n');
  } finally {
    client.close();
    hub.kill('SIGTERM');
    await new Promise((r) => (hub.exitCode !== null ? r(null) : hub.once('exit', r)));
    await sim.close();
    await q.cleanup();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
