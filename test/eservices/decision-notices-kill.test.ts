/**
 * Decision notices exactly once under a worker kill (issue 13): real hub processes (an API and
 * two workers on one PostgreSQL database and one Redis prefix), a slow e-address, and one worker
 * SIGKILLed while notices are being planned and sent; a fresh worker takes its place. Afterwards
 * every new decision has exactly one message at the e-address: as many distinct messageIds as
 * decisions, one per person, none carrying two different bodies. Repeats the e-address recognised
 * by messageId (a killed worker's message that had arrived, sent again) are expected and harmless.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEAddressSimulator, type EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { hashKey } from '../../engine/http/auth.ts';
import { call } from '../helpers/api.ts';
import { EADDRESS_POLICIES, KEYS, TEST_PARTNERS } from '../helpers/hub.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';
import { spawnHub, stopHub, until, type HubProcess } from '../faults/cluster.ts';
import { PERIOD, persons, servicesBatch } from './decision-notices-fixture.ts';

const ROUTE = 'portal-decision-notices';
const BATCHES = 4;
const PER_BATCH = 15;
const key = KEYS['sopa-riga'];

/** The SOPA load and the notices only, the test partners, and the e-address at the simulator. */
function configDir(ea: EAddressSimulator): string {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-notices-kill-'));
  writeFileSync(join(dir, 'sopa-monthly-load.yaml'), readFileSync('routes/sopa-monthly-load.yaml'));
  cpSync('routes/tests', join(dir, 'tests'), { recursive: true });   // the fixtures the route's tests: name
  writeFileSync(join(dir, `${ROUTE}.yaml`), readFileSync(`routes/${ROUTE}.yaml`, 'utf8')
    .replace(/^onError:.*$/m, 'onError: { retry: { attempts: 10, backoff: exponential, delay: 200ms, maxDelay: 1s }, deadLetter: true }'));
  const yaml = ['partners:', ...TEST_PARTNERS.flatMap((p) => [`  - id: ${p.id}`, `    system: ${p.system}`,
    ...(p.municipality ? [`    municipality: "${p.municipality}"`] : []), `    keyHashes: ["${hashKey(KEYS[p.id as keyof typeof KEYS])}"]`]),
  '  - id: portal', '    system: portal', '    keyHashes: []',
  '  - id: eaddress', '    system: eaddress', '    keyHashes: []', `    endpoint: ${ea.url}`, `    notify: { endpoint: ${ea.url}, token: "${ea.token}" }`,
  // As partners.yaml: the simulator, like VRAA, answers UNAVAILABLE above 20 a second. (JSON is YAML.)
  `    policies: ${JSON.stringify(EADDRESS_POLICIES)}`];
  writeFileSync(join(dir, 'partners.yaml'), yaml.join('\n') + '\n');
  return dir;
}

describe('e-services: decision notices exactly once under a worker kill (real processes)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let ea: EAddressSimulator;
  let cfg: string;
  const procs: HubProcess[] = [];
  const queue = testQueuePrefix();

  before(async () => {
    [db, ea] = await Promise.all([createTestDatabase(), startEAddressSimulator()]);
    cfg = configDir(ea);
  });
  after(async () => {
    await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
    await ea?.close();
    await queue.cleanup();
    await db?.drop();
    if (cfg) rmSync(cfg, { recursive: true, force: true });
  });

  it('kills a worker mid-way; every new decision still has exactly one message at the e-address', async () => {
    const e = { DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queue.prefix, HUB_CONFIG_DIR: cfg, HUB_LOCK_MS: '3000' };
    const t0 = Date.now();
    const api = await spawnHub('api', e);
    procs.push(api);
    const workers = await Promise.all([spawnHub('worker', e), spawnHub('worker', e)]);
    procs.push(...workers);
    // Slow answers, given after the message is kept: a worker killed meanwhile has sent messages it never marked.
    ea.switches.latencyMs = 400;

    const people = persons(BATCHES * PER_BATCH, 501);
    const created = await call(api.url!, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: PERIOD } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    for (let b = 0; b < BATCHES; b++) {
      const xml = servicesBatch(people.slice(b * PER_BATCH, (b + 1) * PER_BATCH).map((personCode, i) => ({ id: `RIX-K-KILL-${b}-${i}`, personCode })));
      const r = await call(api.url!, 'PUT', `/api/v1/loads/${id}/batches/${b + 1}`, { key, body: xml });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    assert.equal((await call(api.url!, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: BATCHES } })).status, 202);

    await until('the first notices at the e-address', async () => ea.stats.received >= 8, 30_000);
    const atKill = ea.stats.received;
    workers[0].child.kill('SIGKILL');
    await workers[0].exited;
    procs.push(await spawnHub('worker', e));
    assert.ok(atKill < people.length, `the kill came mid-way (${atKill} of ${people.length} received)`);

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await until('every notice delivered', async () => {
        const r = await c.query<{ delivered: number; all: number }>(
          `SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered, count(*)::int AS all FROM deliveries WHERE route_id = $1`, [ROUTE]);
        return Number(r.rows[0].delivered) === people.length && Number(r.rows[0].all) === people.length;
      }, 45_000);
      const scans = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM decision_notice_scan');
      assert.equal(Number(scans.rows[0].n), BATCHES, 'each batch scanned once');
    } finally {
      await c.end();
    }
    await new Promise((r) => setTimeout(r, 500)); // a stray late repeat would show now

    const inbox = ea.inbox();
    assert.equal(new Set(inbox.map((m) => m.messageId)).size, people.length, 'distinct messageIds = decisions');
    assert.equal(inbox.length, people.length);
    assert.deepEqual(people.map((p) => ea.byRecipient(p).length), people.map(() => 1), 'one message per person');
    assert.equal(ea.stats.conflicts, 0, 'no messageId carried two different messages');
    assert.ok(Date.now() - t0 < 60_000, `bounded: ${Date.now() - t0} ms`);
    // Repeats recognised by messageId (the killed worker's in-flight messages) are expected, not required.
    console.log(`      (killed at ${atKill}/${people.length} received; ${ea.stats.duplicates} repeat(s) deduplicated by the e-address; ${Date.now() - t0} ms)`);
  });
});
