/**
 * The Ministry's reports on a streaming replica (DATABASE_REPLICA_URL). The test starts its own
 * primary and a hot standby streaming from it (initdb, pg_basebackup -R -X stream: the machine's
 * PostgreSQL is not touched), points a hub at both, loads through the hub, and proves:
 * - once replay has caught up, statistics, checks and the state-report findings are computed on
 *   the standby (its statement log has the query, the primary's does not) and equal the primary's;
 * - a replica further behind than DATABASE_REPLICA_MAX_LAG is not used: the answer comes from
 *   the primary, fresh, and says so (x-spolis-read-from), and the log says why;
 * - a replica that is down costs nothing but a warning: the primary answers; once it is back,
 *   reads return to it.
 *
 * Skipped, saying so, where the PostgreSQL server binaries are not installed.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad, type Reply } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/env.ts';
import { missingPostgresServer, startReplicatedPair, type ReplicatedPair } from '../helpers/pg-servers.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { currentYear } from '../../eservices/state-reports/calendar.ts';
import { stateReportFindings } from '../../eservices/state-reports/report.ts';
import { monthlyChecks, monthlyStatistics, storeOptionsFromEnv } from '../../store/index.ts';
import { openDb, type Db } from '../../store/db.ts';
import { REPLICA_LAG_SQL } from '../../store/replica.ts';

const MAX_LAG_S = 2;
const RETRY_MS = 500;
/** A line only the statistics' benefit query has (store/statistics.ts). */
const STATISTICS_SQL = 'GROUPING(benefit_type)::int AS all_types';
const PERIOD = '2026-09';

const without = (o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => {
  const c = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  for (const k of keys) delete c[k];
  return c;
};

describe('the Ministry\'s reports on a streaming replica', function () {
  this.timeout(90_000);
  const missing = missingPostgresServer();
  let pair: ReplicatedPair;
  let t: TestHub;
  let primary: Db;
  let dbName: string;

  before(async function () {
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    pair = await startReplicatedPair();
    const db = await createTestDatabase(pair.primary.url());
    dbName = new URL(db.url).pathname.slice(1);
    t = await startTestHub({
      db, database: { poolSize: 4, replica: { url: pair.standby.url(dbName), maxLagSeconds: MAX_LAG_S, retryMs: RETRY_MS, connectTimeoutMs: 1_000 } },
    });
    primary = await openDb(db.url, { poolSize: 2 });
  });
  after(async () => {
    await primary?.close();
    await t?.stop();
    await pair?.destroy();
  });

  const get = (path: string): Promise<Reply & { headers: Headers }> =>
    fetch(t.url + path, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } })
      .then(async (r) => ({ status: r.status, headers: r.headers, body: JSON.parse(await r.text()) }));
  const statistics = () => get(`/api/v1/spolis/statistics?period=${PERIOD}`);
  const onPrimary = async () => without(await monthlyStatistics(primary, { period: PERIOD }) as never, 'computedAt');

  /** The standby's replay lag as it sees it (the hub's own measure, store/replica.ts). */
  async function standbyLag(): Promise<number> {
    const c = new pg.Client({ connectionString: pair.standby.url(dbName) });
    await c.connect();
    try {
      return Number((await c.query<{ lag: number }>(REPLICA_LAG_SQL)).rows[0].lag);
    } finally { await c.end(); }
  }
  async function onStandby(sql: string): Promise<void> {
    const c = new pg.Client({ connectionString: pair.standby.url(dbName) });
    await c.connect();
    try { await c.query(sql); } finally { await c.end(); }
  }

  it('computes statistics, checks and findings on the replica once replay caught up, equal to the primary\'s', async () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: PERIOD, records: 600, batches: 3, errorRate: 0.02, seed: 21 });
    const load = await pushLoad(t.url, KEYS['sopa-riga'], { source: 'sopa', municipality: '0001000', period: PERIOD }, gen.batches, gen.contentType);
    assert.equal(load.status, 'done');
    await pair.caughtUp();
    const [standbyLog, primaryLog] = [pair.standby.log().length, pair.primary.log().length];

    const s = await statistics();
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.headers.get('x-spolis-read-from'), 'replica');
    assert.ok(Number(s.headers.get('x-spolis-replica-lag')) < MAX_LAG_S, `lag ${s.headers.get('x-spolis-replica-lag')}`);
    // Before this test computes them on the primary itself.
    assert.ok(pair.standby.log().slice(standbyLog).includes(STATISTICS_SQL), 'the standby ran the statistics');
    assert.ok(!pair.primary.log().slice(primaryLog).includes(STATISTICS_SQL), 'the primary did not');
    assert.deepEqual(without(s.body, 'computedAt'), await onPrimary());
    assert.ok(s.body.municipalities.find((m: { atvk: string }) => m.atvk === '0001000').needy.persons > 0, 'the load is in the figures');

    const c = await get(`/api/v1/spolis/checks?period=${PERIOD}`);
    assert.equal(c.status, 200);
    assert.equal(c.headers.get('x-spolis-read-from'), 'replica');
    assert.deepEqual(without(c.body, 'computedAt'), without(await monthlyChecks(primary, { period: PERIOD }) as never, 'computedAt'));

    const year = currentYear();
    const f = await get(`/api/v1/spolis/state-report-findings?year=${year}`);
    assert.equal(f.status, 200, JSON.stringify(f.body));
    assert.equal(f.headers.get('x-spolis-read-from'), 'replica');
    assert.deepEqual(without(f.body, 'computedAt'), without(await stateReportFindings(primary, year) as never, 'computedAt'));
  });

  it('reads the primary while the replica is further behind than the maximum lag, and says so', async () => {
    await onStandby('SELECT pg_wal_replay_pause()');
    try {
      const gen = sopaSimulator.generate({ municipality: '0003000', period: PERIOD, records: 200, batches: 1, errorRate: 0, seed: 22 });
      const load = await pushLoad(t.url, KEYS['sopa-jelgava'], { source: 'sopa', municipality: '0003000', period: PERIOD }, gen.batches, gen.contentType);
      assert.equal(load.status, 'done');
      for (const until = Date.now() + 10_000; (await standbyLag()) <= MAX_LAG_S + 0.2;) {
        assert.ok(Date.now() < until, 'the paused standby falls behind');
        await new Promise((r) => setTimeout(r, 100));
      }
      const s = await statistics();
      assert.equal(s.status, 200);
      assert.equal(s.headers.get('x-spolis-read-from'), 'primary');
      assert.equal(s.headers.get('x-spolis-replica-lag'), null);
      assert.deepEqual(without(s.body, 'computedAt'), await onPrimary());
      assert.ok(s.body.municipalities.some((m: { atvk: string }) => m.atvk === '0003000'), 'the load the replica has not replayed is in the figures');
      assert.ok(t.logs.some((l) => /report read from the primary: the replica is [\d.]+ s behind/.test(l)), 'a warning says why');
    } finally {
      await onStandby('SELECT pg_wal_replay_resume()');
    }
    await pair.caughtUp();
    const back = await statistics();
    assert.equal(back.headers.get('x-spolis-read-from'), 'replica');
    assert.deepEqual(without(back.body, 'computedAt'), await onPrimary());
  });

  it('answers from the primary while the replica is down, and from the replica again once it is back', async () => {
    await pair.standby.stop();
    const started = Date.now();
    const s = await statistics();
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.headers.get('x-spolis-read-from'), 'primary');
    assert.deepEqual(without(s.body, 'computedAt'), await onPrimary());
    assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
    assert.ok(t.logs.some((l) => /report read from the primary: the replica (does not answer|failed during the read)/.test(l)), 'a warning says the replica is down');

    await pair.standby.start();
    await pair.caughtUp();
    await new Promise((r) => setTimeout(r, RETRY_MS + 100));
    const back = await statistics();
    assert.equal(back.headers.get('x-spolis-read-from'), 'replica', t.logs.filter((l) => l.includes('report read from')).slice(-1)[0]);
    assert.deepEqual(without(back.body, 'computedAt'), await onPrimary());
  });
});

describe('the store\'s budget and replica from the environment (spolis-hub start)', function () {
  const PRIMARY = 'postgres://hub@db1.lm.local/spolis';
  const REPLICA = 'postgres://hub@db2.lm.local/spolis';

  it('gives each role its pool, DATABASE_POOL_MAX overriding, and the replica to the roles that serve reports', () => {
    assert.deepEqual([storeOptionsFromEnv({}, 'api').poolSize, storeOptionsFromEnv({}, 'worker').poolSize, storeOptionsFromEnv({}, 'scheduler').poolSize], [10, 10, 3]);
    assert.equal(storeOptionsFromEnv({ DATABASE_POOL_MAX: '25' }, 'worker').poolSize, 25);
    const env = { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URL: REPLICA, DATABASE_REPLICA_POOL_MAX: '6', DATABASE_REPLICA_MAX_LAG: '5' };
    assert.deepEqual(storeOptionsFromEnv(env, 'api').replica, { url: REPLICA, poolSize: 6, maxLagSeconds: 5, applicationName: 'spolis-hub api replica' });
    assert.equal(storeOptionsFromEnv(env, 'all').replica?.url, REPLICA);
    // Workers and the scheduler never read the reports: no replica connections for them.
    assert.equal(storeOptionsFromEnv(env, 'worker').replica, undefined);
    assert.equal(storeOptionsFromEnv(env, 'scheduler').replica, undefined);
    // Prepared statements on unless a pooler cannot carry them.
    assert.deepEqual([storeOptionsFromEnv({}, 'api').preparedStatements, storeOptionsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'off' }, 'worker').preparedStatements], [true, false]);
  });

  it('refuses a bad value at start, naming the variable', () => {
    assert.throws(() => storeOptionsFromEnv({ DATABASE_POOL_MAX: 'ten' }, 'api'), /^Error: DATABASE_POOL_MAX: "ten" must be a whole number from 1 to 1000$/);
    assert.throws(() => storeOptionsFromEnv({ DATABASE_POOL_MAX: '0' }, 'api'), /DATABASE_POOL_MAX: "0"/);
    assert.throws(() => storeOptionsFromEnv({ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URL: REPLICA, DATABASE_REPLICA_MAX_LAG: '-1' }, 'api'), /DATABASE_REPLICA_MAX_LAG: "-1"/);
    assert.throws(() => storeOptionsFromEnv({ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URL: 'db2.lm.local' }, 'api'), /DATABASE_REPLICA_URL: must be a postgres:\/\/ URL/);
    assert.throws(() => storeOptionsFromEnv({ DATABASE_REPLICA_URL: REPLICA }, 'api'), /DATABASE_REPLICA_URL: a replica needs DATABASE_URL/);
    assert.throws(() => storeOptionsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'sometimes' }, 'api'), /^Error: DATABASE_PREPARED_STATEMENTS: "sometimes" must be on or off$/);
  });
});
