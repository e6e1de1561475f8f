/**
 * Issue 16: the hub on Redis as production runs it. Real servers from Debian's redis-server on
 * loopback (test/redis/servers.ts), real hub processes by role (test/faults/cluster.ts):
 * 1. a 3-master Redis Cluster: loads through 2 api + 3 worker + 1 scheduler processes come out
 *    exact, and the keys show each queue in one slot while the queues spread over the masters;
 * 2. a Sentinel set: the same, with the master SIGKILLed mid-load and mid-pull: the sentinels
 *    promote the replica, every process follows, the loads finish exact (nothing applied twice)
 *    and the scheduled pull keeps one leader (never two requests at once, no page fetched twice).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { KEYS } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../helpers/env.ts';
import { redisEnv, spawnHub, stopHub, storeTotals, testConfigDir, until, type HubProcess } from '../faults/cluster.ts';
import { nodeCommand, redisServerInstalled, startRedisCluster, startSentinelSet, type TestRedisCluster, type TestSentinelSet } from './servers.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { gvsSimulator } from '../../connectors/gvs/simulator.ts';
import { startPmlpSimulator, type PmlpSimulator } from '../../connectors/pmlp/sandbox.ts';
import { createSigningIdentity } from '../../engine/soap/signing.ts';
import { requestReload } from '../../app/route-reload.ts';
import type { GeneratedLoad } from '../../engine/components/specs.ts';
import { openRedis, type RedisTopology } from '../../engine/runtime/redis.ts';
import { PartnerGate } from '../../engine/runtime/partner-gate.ts';
import { partnerGates } from '../../engine/runtime/operations.ts';
import { partnerPolicies } from '../../engine/config/partners.ts';
import type { PartnerDef } from '../../engine/config/types.ts';

const PERIOD = '2026-09';
const SINCE = '2000-01-01T00:00:00Z';

/** Two loads on two routes (so two queues), each sent through both API processes in turn. */
interface Load { name: string; key: string; source: string; municipality: string; gen: GeneratedLoad; id?: string }

function loads(records: number, seed: number): Load[] {
  return [
    { name: 'sopa', key: KEYS['sopa-riga'], source: 'sopa', municipality: '0001000', gen: sopaSimulator.generate({ municipality: '0001000', period: PERIOD, records, seed, errorRate: 0.02, batches: 12 }) },
    { name: 'gvs', key: KEYS['gvs-tukums'], source: 'gvs', municipality: '0052000', gen: gvsSimulator.generate({ municipality: '0052000', period: PERIOD, records, seed: seed + 1, errorRate: 0.02, batches: 12 }) },
  ];
}

async function push(apis: HubProcess[], l: Load): Promise<void> {
  const created = await call(apis[0].url!, 'POST', '/api/v1/loads', { key: l.key, json: { source: l.source, municipality: l.municipality, period: PERIOD } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  l.id = created.body.id as string;
  for (let i = 0; i < l.gen.batches.length; i++) {
    const put: { status: number; body: unknown } = await call(apis[i % apis.length].url!, 'PUT', `/api/v1/loads/${l.id}/batches/${i + 1}`, { key: l.key, body: l.gen.batches[i], contentType: l.gen.contentType });
    assert.equal(put.status, 202, JSON.stringify(put.body));
  }
  const c = await call(apis[1 % apis.length].url!, 'POST', `/api/v1/loads/${l.id}/commit`, { key: l.key, json: { batches: l.gen.batches.length } });
  assert.equal(c.status, 202, JSON.stringify(c.body));
}

/** Polls through outages (an API may answer 5xx for a moment). */
async function finished(url: string, l: Load, timeoutMs: number): Promise<any> {
  let last: any;
  await until(`load ${l.name} to finish`, async () => {
    last = (await call(url, 'GET', `/api/v1/loads/${l.id}`, { key: l.key })).body;
    return last?.status === 'done' || last?.status === 'failed';
  }, timeoutMs);
  return last;
}

/** Every record once: the API's counts and the store's rows equal the generator's truth, no decision applied twice. */
async function assertExact(dbUrl: string, l: Load, load: any): Promise<void> {
  const total = l.gen.recordCounts.reduce((a, b) => a + b, 0);
  const planted = l.gen.truth.length;
  assert.equal(load.status, 'done', `load ${l.name}: ${JSON.stringify(load)}`);
  assert.deepEqual(load.records, { received: total, accepted: total - planted, rejected: planted }, l.name);
  assert.deepEqual(await storeTotals(dbUrl, l.id!), { decisions: total - planted, history: 0, rejections: planted }, l.name);
}

async function startRoles(env: Record<string, string>, roles: ('api' | 'worker' | 'scheduler')[]): Promise<{ apis: HubProcess[]; all: HubProcess[] }> {
  const all = await Promise.all(roles.map((r) => spawnHub(r, env)));
  return { apis: all.filter((p) => p.role === 'api'), all };
}

const ROLES = ['api', 'api', 'worker', 'worker', 'worker', 'scheduler'] as const;

describe('Redis topologies: Cluster and Sentinel under a multi-process load (real redis-server)', function () {
  this.timeout(150_000);
  let db: TestDatabase;
  let cfg: string;
  const procs: HubProcess[] = [];

  before(function () {
    if (!redisServerInstalled) {
      console.log('    skipped: redis-server and redis-cli are not installed (Debian: apt-get install redis-server)');
      this.skip();
    }
  });
  beforeEach(async () => { db = await createTestDatabase(); cfg = testConfigDir(); });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
    await db?.drop();
    rmSync(cfg, { recursive: true, force: true });
  });

  const envFor = (t: RedisTopology, prefix: string, over: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: db.url, HUB_QUEUE_PREFIX: prefix, HUB_CONFIG_DIR: cfg, HUB_WATCH_ROUTES: '0', ...redisEnv(t), ...over,
  });

  it('Cluster (3 masters): exact totals through 2 api + 3 worker + 1 scheduler; each queue in one slot, the queues on more than one master', async () => {
    let cluster: TestRedisCluster | undefined;
    try {
      cluster = await startRedisCluster(3);
      const queue = testQueuePrefix(cluster.topology);
      const { apis, all } = await startRoles(envFor(cluster.topology, queue.prefix), [...ROLES]);
      procs.push(...all);

      const ready = await call(apis[0].url!, 'GET', '/ready');
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.checks.redisTopology, 'cluster');
      assert.equal(ready.body.checks.redisMasters, '3');

      const ls = loads(6_000, 31);
      await Promise.all(ls.map((l) => push(apis, l)));
      for (const l of ls) await assertExact(db.url, l, await finished(apis[1].url!, l, 90_000));

      // The partner gates on a Cluster: each admit/settle script touches one partner's two keys (one
      // slot); the console reads every partner at once, across slots.
      const client = openRedis(cluster.topology, { maxRetriesPerRequest: 1 });
      try {
        const partners = ['vsaa', 'pmlp', 'vzd'];
        for (const id of partners) {
          const gate = new PartnerGate(client, queue.prefix, id, partnerPolicies({ id, system: id, keyHashes: [], policies: { rateLimit: { perSecond: 5 }, circuitBreaker: { failures: 1, openSeconds: 60 } } } as PartnerDef));
          const a = await gate.admit(1_000);
          assert.ok(a.ok);
          assert.equal(await gate.settle(a, 'failed'), true, `${id}'s circuit opens`);
        }
        const gates = await partnerGates(client, queue.prefix, partners.map((id) => ({ id })));
        assert.deepEqual(partners.map((id) => gates[id].circuit), ['open', 'open', 'open']);
      } finally {
        client.disconnect();
      }

      // Where the run's keys are: by master, and by hash tag.
      const byTag = new Map<string, { masters: Set<number>; slots: Set<number> }>();
      for (const port of cluster.ports) {
        let cursor = '0';
        do {
          const [next, keys] = await nodeCommand(port, 'SCAN', cursor, 'MATCH', `${queue.prefix}:*`, 'COUNT', 1000) as [string, string[]];
          for (const k of keys) {
            const tag = /\{([^}]+)\}/.exec(k)?.[1];
            assert.ok(tag, `key ${k} carries no hash tag`);
            const e = byTag.get(tag) ?? byTag.set(tag, { masters: new Set(), slots: new Set() }).get(tag)!;
            e.masters.add(port);
            e.slots.add(Number(await nodeCommand(port, 'CLUSTER', 'KEYSLOT', k)));
          }
          cursor = next;
        } while (cursor !== '0');
      }
      const queues = [...byTag.keys()].filter((t) => t.startsWith('route-'));
      assert.ok(queues.includes('route-sopa-monthly-load') && queues.includes('route-gvs-monthly-load'), `queues with keys: ${queues.join(', ')}`);
      for (const [tag, e] of byTag) assert.equal(e.slots.size, 1, `the keys of {${tag}} lie in ${e.slots.size} slots`);
      const masters = new Set(queues.flatMap((t) => [...byTag.get(t)!.masters]));
      assert.ok(masters.size > 1, `every queue is on one master (${[...masters].join(', ')})`);
      assert.ok(byTag.has('scheduler'), 'the scheduler\'s leader lock is in the cluster');
      assert.ok(byTag.has('vsaa') && byTag.has('pmlp'), 'the partner gates are in the cluster');

      // `routes reload` on a Cluster: every process hears it (sharded pub/sub) and answers.
      const r = await requestReload({ redis: cluster.topology, prefix: queue.prefix, by: 'operator:test', timeoutMs: 20_000 });
      assert.equal(r.listeners, ROLES.length);
      assert.equal(r.replies.filter((x) => x.result?.outcome === 'unchanged').length, ROLES.length);
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
      await cluster?.stop();
    }
  });

  it('Sentinel: the master SIGKILLed mid-load and mid-pull; the replica takes over, totals exact, nothing applied twice, one pull leader', async () => {
    let sentinel: TestSentinelSet | undefined;
    let sim: PmlpSimulator | undefined;
    let proxy: http.Server | undefined;
    try {
      sentinel = await startSentinelSet({ downAfterMs: 1000, failoverTimeoutMs: 2000 });
      const queue = testQueuePrefix(sentinel.topology);

      // PMLP's change feed, slowed so the pull spans the failover, behind a proxy that sees every
      // request: two leaders would show as two requests at once, or the same page asked twice.
      const hubId = await createSigningIdentity('hub under test');
      writeFileSync(join(cfg, 'hub-key.pem'), hubId.keyPem);
      writeFileSync(join(cfg, 'hub-cert.pem'), hubId.certPem);
      sim = await startPmlpSimulator({ hubCertPem: hubId.certPem, data: { seed: 16, persons: 600 } });
      sim.switches.latencyMs = 150;
      const target = new URL(sim.url);
      const seen = { requests: 0, inFlight: 0, maxInFlight: 0 };
      proxy = http.createServer((req, res) => {
        seen.requests++;
        seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
        const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        res.on('close', () => { seen.inFlight--; });
        up.on('error', () => res.destroy());
        req.pipe(up);
      });
      await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
      const proxied = new URL(sim.url);
      proxied.port = String((proxy.address() as { port: number }).port);
      writeFileSync(join(cfg, 'pmlp.pem'), sim.certPem);
      const route = join(cfg, 'pmlp-changes-pull.yaml');
      writeFileSync(route, readFileSync(route, 'utf8').replace(/cron: "[^"]*", pull: pmlp\/person-changes, pageSize: \d+, since: "[^"]*"/,
        `cron: "* * * * * *", pull: pmlp/person-changes, pageSize: 20, since: "${SINCE}"`));
      writeFileSync(join(cfg, 'partners.yaml'), readFileSync(join(cfg, 'partners.yaml'), 'utf8')
        + `  - id: pmlp\n    system: pmlp\n    keyHashes: []\n    endpoint: ${proxied.toString()}\n    certificate: pmlp.pem\n    policies: { timeout: 5s }\n`);

      // 1 scheduler, as the load runs, and a standby: with two candidates, "one leader" can fail.
      const env = envFor(sentinel.topology, queue.prefix, {
        HUB_SIGNING_KEY_FILE: join(cfg, 'hub-key.pem'), HUB_SIGNING_CERT_FILE: join(cfg, 'hub-cert.pem'), HUB_SCHEDULER_LOCK_MS: '3000',
      });
      const { apis, all } = await startRoles(env, [...ROLES, 'scheduler']);
      procs.push(...all);
      const ready = await call(apis[0].url!, 'GET', '/ready');
      assert.equal(ready.body.checks.redisTopology, 'sentinel');
      const oldMaster = sentinel.master.port;
      assert.equal(ready.body.checks.redisMaster, `127.0.0.1:${oldMaster}`);

      const total = sim.data.changes().length;
      const count = async (sql: string, args: unknown[] = []): Promise<number> => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try { return Number((await c.query<{ n: string }>(sql, args)).rows[0]?.n ?? 0); } finally { await c.end(); }
      };
      const pulled = () => count('SELECT count(*) AS n FROM person_register_change');

      const ls = loads(12_000, 41);
      await Promise.all(ls.map((l) => push(apis, l)));
      // Progress of the loads in the store, sampled until they are done: the longest stall after the kill.
      const progress: { at: number; n: number }[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const n = (await Promise.all(ls.map((l) => storeTotals(db.url, l.id!)))).reduce((a, t) => a + t.decisions + t.rejections, 0);
          progress.push({ at: Date.now(), n });
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const all1 = ls.reduce((a, l) => a + l.gen.recordCounts.reduce((x, y) => x + y, 0), 0);
      await until('the loads and the pull under way', async () => (progress.at(-1)?.n ?? 0) > 0 && (await pulled()) >= 60, 60_000);
      assert.ok(progress.at(-1)!.n < all1, 'the loads are not done before the kill');
      assert.ok((await pulled()) < total, 'the pull is not done before the kill');

      const killedAt = Date.now();
      await sentinel.master.kill('SIGKILL');
      let newMaster = oldMaster;
      await until('the sentinels to promote the replica', async () => (newMaster = await sentinel!.masterPort()) !== oldMaster, 30_000);
      const failoverMs = Date.now() - killedAt;
      assert.equal(newMaster, sentinel.replica.port);
      await until('/ready on the new master', async () => (await call(apis[0].url!, 'GET', '/ready')).body?.checks?.redisMaster === `127.0.0.1:${newMaster}`, 30_000);
      const readyMs = Date.now() - killedAt;

      const done = [];
      for (const l of ls) done.push(await finished(apis[1].url!, l, 120_000));
      sampling = false;
      await sampler;
      for (let i = 0; i < ls.length; i++) await assertExact(db.url, ls[i], done[i]);

      await until('the whole feed pulled', async () => (await pulled()) === total, 60_000);
      // Every process follows the new master: all of them hear `routes reload` there.
      const r = await requestReload({ redis: sentinel.topology, prefix: queue.prefix, by: 'operator:test', timeoutMs: 20_000 });
      assert.equal(r.listeners, ROLES.length + 1);

      // The cron keeps asking for new changes each second: stop the schedulers (SIGTERM lets a
      // running page finish) before counting requests against stored pages.
      await Promise.all(all.filter((p) => p.role === 'scheduler').map((p) => stopHub(p, 'SIGTERM')));
      assert.equal(seen.inFlight, 0);
      const row = { pages: await count(`SELECT pages AS n FROM pull_checkpoints WHERE route_id = 'pmlp-changes-pull'`), items: await count(`SELECT items AS n FROM pull_checkpoints WHERE route_id = 'pmlp-changes-pull'`) };
      assert.equal(row.items, total, 'every change stored once: the checkpoint counts each page once');
      assert.equal(seen.maxInFlight, 1, 'never two pull requests at once: one leader');
      assert.equal(seen.requests, row.pages, 'each page asked for once');

      // The longest time without a new record in the store, from the last progress before the kill.
      let stall = 0;
      let changed = progress[0].at;
      for (let i = 1; i < progress.length; i++) {
        if (progress[i].n === progress[i - 1].n) continue;
        if (progress[i].at > killedAt) stall = Math.max(stall, progress[i].at - changed);
        changed = progress[i].at;
      }
      console.log(`      sentinel failover: promoted ${failoverMs} ms after the kill; /ready on the new master after ${readyMs} ms; `
        + `longest stall of the loads after the kill ${stall} ms; ${all1} records, ${total} changes pulled in ${row.pages} pages`);
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL')));
      await sim?.close();
      await new Promise((r) => (proxy ? proxy.close(r) : r(null)));
      await sentinel?.stop();
    }
  });
});
