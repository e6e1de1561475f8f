/**
 * Delivery guarantees under real faults (issue 5): hub processes on loopback, private Redis and
 * PostgreSQL servers, plugs pulled mid-load. Every test ends with the store's totals equal to
 * the load's truth: every record once, no key applied twice, every planted error rejected.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { rmSync } from 'node:fs';
import { KEYS } from '../helpers/hub.ts';
import { call, waitForLoad } from '../helpers/api.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import type { GeneratedLoad } from '../../engine/components/specs.ts';
import { privatePostgres, privateRedis, spawnHub, stopHub, storeTotals, testConfigDir, until, type HubProcess } from './cluster.ts';

const key = KEYS['sopa-riga'];
const PERIOD = '2026-09';

function generate(records: number, seed: number): GeneratedLoad {
  return sopaSimulator.generate({ municipality: '0001000', period: PERIOD, records, seed, errorRate: 0.02 });
}

async function pushAndCommit(url: string, gen: GeneratedLoad): Promise<string> {
  const created = await call(url, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: PERIOD } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (let i = 0; i < gen.batches.length; i++) {
    const r = await call(url, 'PUT', `/api/v1/loads/${created.body.id}/batches/${i + 1}`, { key, body: gen.batches[i] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  assert.equal((await call(url, 'POST', `/api/v1/loads/${created.body.id}/commit`, { key, json: { batches: gen.batches.length } })).status, 202);
  return created.body.id;
}

/** Polls through outages: the API itself may answer 5xx while the store restarts. */
async function finished(url: string, id: string, timeoutMs: number): Promise<any> {
  let last: any;
  await until(`load ${id} to finish`, async () => {
    last = (await call(url, 'GET', `/api/v1/loads/${id}`, { key })).body;
    return last?.status === 'done' || last?.status === 'failed';
  }, timeoutMs);
  return last;
}

async function assertExact(dbUrl: string, load: any, gen: GeneratedLoad): Promise<void> {
  if (load.status !== 'done') {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    const dead = (await c.query('SELECT job_id, attempts, error FROM dead_letters')).rows;
    await c.end();
    assert.fail(`load ${load.id} is ${load.status}; dead letters: ${JSON.stringify(dead)}`);
  }
  const total = gen.recordCounts.reduce((a, b) => a + b, 0);
  const planted = gen.truth.length;
  assert.equal(load.status, 'done');
  assert.deepEqual(load.records, { received: total, accepted: total - planted, rejected: planted });
  assert.deepEqual(await storeTotals(dbUrl, load.id), { decisions: total - planted, history: 0, rejections: planted });
}

describe('delivery under faults (real processes)', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let cfg: string;
  const procs: HubProcess[] = [];
  const queue = testQueuePrefix();

  before(async () => { db = await createTestDatabase(); cfg = testConfigDir(); });
  afterEach(async () => { await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL'))); });
  after(async () => { await queue.cleanup(); await db?.drop(); rmSync(cfg, { recursive: true, force: true }); });

  const env = (over: Record<string, string> = {}): Record<string, string> => ({ DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queue.prefix, HUB_CONFIG_DIR: cfg, ...over });

  it('1. keeps exact totals while one of three workers is SIGKILLed every few seconds (100,000 records)', async () => {
    const api = await spawnHub('api', env());
    procs.push(api);
    const workers = await Promise.all([0, 1, 2].map(() => spawnHub('worker', env())));
    procs.push(...workers);
    const gen = generate(100_000, 11);
    const id = await pushAndCommit(api.url!, gen);
    // Every five seconds one worker dies without warning (its transaction is cut, its job lock
    // lapses) and a fresh one takes its place; the restarts overlap the kills.
    let kills = 0;
    let done = false;
    const restarts: Promise<void>[] = [];
    const chaos = (async () => {
      while (!done) {
        // The first kill lands early, while batches are surely in flight; then every 5 s.
        await new Promise((r) => setTimeout(r, kills === 0 ? 2_000 : 5_000));
        if (done) break;
        const i = kills % workers.length;
        if (workers[i].child.exitCode !== null || !workers[i].child.pid) continue;
        workers[i].child.kill('SIGKILL');
        kills++;
        restarts.push(spawnHub('worker', env()).then((w) => { workers[i] = w; procs.push(w); }));
      }
    })();
    const load = await finished(api.url!, id, 240_000);
    done = true;
    await chaos;
    await Promise.allSettled(restarts);
    assert.ok(kills >= 1, `only ${kills} kills happened`);
    await assertExact(db.url, load, gen);
  });

  it('2a. completes with exact totals when Redis is restarted empty mid-load (the reconciler re-enqueues)', async () => {
    const redis = await privateRedis();
    try {
      const hub = await spawnHub('all', env({ REDIS_URL: redis.url }));
      procs.push(hub);
      const gen = generate(30_000, 12);
      const id = await pushAndCommit(hub.url!, gen);
      await until('processing to start', async () => (await call(hub.url!, 'GET', `/api/v1/loads/${id}`, { key })).body.status === 'processing');
      await redis.restart();
      await assertExact(db.url, await finished(hub.url!, id, 120_000), gen);
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
      await redis.stop();
    }
  });

  it('2b. completes with exact totals after FLUSHALL mid-load', async () => {
    const redis = await privateRedis();
    try {
      const hub = await spawnHub('all', env({ REDIS_URL: redis.url }));
      procs.push(hub);
      const gen = generate(30_000, 13);
      const id = await pushAndCommit(hub.url!, gen);
      await until('processing to start', async () => (await call(hub.url!, 'GET', `/api/v1/loads/${id}`, { key })).body.status === 'processing');
      await redis.flushall();
      await assertExact(db.url, await finished(hub.url!, id, 120_000), gen);
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
      await redis.stop();
    }
  });

  it('3. backs off and recovers with exact totals when PostgreSQL restarts mid-load', async () => {
    const pgs = await privatePostgres();
    try {
      const hub = await spawnHub('all', env({ DATABASE_URL: pgs.url }));
      procs.push(hub);
      const gen = generate(40_000, 14);
      const id = await pushAndCommit(hub.url!, gen);
      await until('processing to start', async () => (await call(hub.url!, 'GET', `/api/v1/loads/${id}`, { key })).body.status === 'processing');
      await pgs.restart();
      await assertExact(pgs.url, await finished(hub.url!, id, 180_000), gen);
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
      await pgs.stop();
    }
  });

  it('6. exits within 10 s of SIGTERM mid-load; the other worker finishes the load exactly', async () => {
    const api = await spawnHub('api', env());
    const a = await spawnHub('worker', env());
    const b = await spawnHub('worker', env());
    procs.push(api, a, b);
    const gen = generate(40_000, 15);
    const id = await pushAndCommit(api.url!, gen);
    await until('processing to start', async () => (await call(api.url!, 'GET', `/api/v1/loads/${id}`, { key })).body.status === 'processing');
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    await a.exited;
    const took = Date.now() - t0;
    assert.ok(took < 10_000, `SIGTERM took ${took} ms`);
    await assertExact(db.url, await finished(api.url!, id, 120_000), gen);
    await waitForLoad(api.url!, key, id);
  });
});
