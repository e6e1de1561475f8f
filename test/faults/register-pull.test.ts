/**
 * Issue 12: the scheduled pull of PMLP's change feed survives a SIGKILL of the hub process in the
 * middle of the feed. A real hub process (role all) pulls from the PMLP simulator in this process,
 * slowed so the feed takes seconds; it is killed once some pages are stored, a new process takes
 * over, and the store ends with every change of the feed exactly once: no gap, and no page applied
 * twice (the checkpoint's item count, which grows by each stored page, equals the feed's length).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startPmlpSimulator, type PmlpSimulator } from '../../connectors/pmlp/sandbox.ts';
import { createSigningIdentity } from '../../engine/soap/signing.ts';
import { REDIS_URL, createTestDatabase, testQueuePrefix, type TestDatabase } from '../helpers/env.ts';
import { spawnHub, stopHub, testConfigDir, until, type HubProcess } from './cluster.ts';

const SINCE = '2000-01-01T00:00:00Z';

describe('the PMLP feed pull under a killed process (real processes)', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let cfg: string;
  let sim: PmlpSimulator;
  const procs: HubProcess[] = [];
  const queue = testQueuePrefix();

  before(async () => {
    db = await createTestDatabase();
    cfg = testConfigDir();
    const hub = await createSigningIdentity('hub under test');
    writeFileSync(join(cfg, 'hub-key.pem'), hub.keyPem);
    writeFileSync(join(cfg, 'hub-cert.pem'), hub.certPem);
    sim = await startPmlpSimulator({ hubCertPem: hub.certPem, data: { seed: 12, persons: 600 } });
    writeFileSync(join(cfg, 'pmlp.pem'), sim.certPem);
    // The pull every second, in pages of 20, from the beginning of the feed; PMLP as the simulator.
    const route = join(cfg, 'pmlp-changes-pull.yaml');
    writeFileSync(route, readFileSync(route, 'utf8').replace(/cron: "[^"]*", pull: pmlp\/person-changes, pageSize: \d+, since: "[^"]*"/,
      `cron: "* * * * * *", pull: pmlp/person-changes, pageSize: 20, since: "${SINCE}"`));
    writeFileSync(join(cfg, 'partners.yaml'), readFileSync(join(cfg, 'partners.yaml'), 'utf8')
      + `  - id: pmlp\n    system: pmlp\n    keyHashes: []\n    endpoint: ${sim.url}\n    certificate: pmlp.pem\n    policies: { timeout: 5s }\n`);
  });
  afterEach(async () => { await Promise.all(procs.splice(0).map((p) => stopHub(p, 'SIGKILL'))); });
  after(async () => {
    await sim?.close();
    await queue.cleanup();
    await db?.drop();
    rmSync(cfg, { recursive: true, force: true });
  });

  const count = async (sql: string): Promise<number> => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try { return Number((await c.query<{ n: string }>(sql)).rows[0]?.n ?? 0); } finally { await c.end(); }
  };
  const stored = () => count('SELECT count(*) AS n FROM person_register_change');
  const checkpointItems = () => count(`SELECT items AS n FROM pull_checkpoints WHERE route_id = 'pmlp-changes-pull'`);

  it('resumes after a SIGKILL mid-feed with every change stored exactly once', async () => {
    const total = sim.data.changes().length;
    assert.ok(total > 600, `the feed holds ${total} changes`);
    sim.switches.latencyMs = 120; // ~40 pages of 20: several seconds of pulling
    const env = {
      DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queue.prefix, HUB_CONFIG_DIR: cfg,
      HUB_SIGNING_KEY_FILE: join(cfg, 'hub-key.pem'), HUB_SIGNING_CERT_FILE: join(cfg, 'hub-cert.pem'),
    };
    const first = await spawnHub('all', env);
    procs.push(first);
    await until('a few pages stored', async () => (await stored()) >= 100, 60_000);
    await stopHub(first, 'SIGKILL');
    const atKill = await stored();
    assert.ok(atKill < total, `killed mid-feed (${atKill} of ${total} stored)`);
    assert.equal(await checkpointItems(), atKill, 'the checkpoint moved with exactly the pages stored');

    sim.switches.latencyMs = 0;
    procs.push(await spawnHub('all', env));
    await until('the whole feed stored', async () => (await stored()) === total, 90_000);
    assert.equal(await checkpointItems(), total, 'no page applied twice, none skipped');
    assert.equal(await count('SELECT count(DISTINCT change_id) AS n FROM person_register_change'), total);
  });
});
