/**
 * The store behind a real PgBouncer in transaction mode (pool_mode=transaction), as a national
 * deployment runs it: every transaction, and every statement outside one, may land on another
 * server connection, and whatever a statement leaves on its connection (a SET, a session advisory
 * lock, a temp table, a named prepared statement, a cursor WITH HOLD, a LISTEN) is met by the next
 * client. The hub's main paths run through it (loads of new and of known keys, the Ministry's
 * reports, the audit chain, a dead letter and its replay, a co-participation's outbox row), then
 * every server connection is searched for session state; none may have any. The process's pool
 * (DATABASE_POOL_MAX) is its whole budget: PgBouncer's client list never shows more.
 *
 * Skipped, saying so, where pgbouncer is not installed (Debian: apt-get install -y pgbouncer).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad, waitForLoad } from '../helpers/api.ts';
import { pushAndMatchTruth } from '../helpers/truth.ts';
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from '../helpers/env.ts';
import { missingPgBouncer, startPgBouncer, type PgBouncer } from '../helpers/pg-servers.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { AuditWriter } from '../../engine/runtime/audit-writer.ts';
import { listDeadLetters, monthlyChecks, monthlyStatistics, reopenDeadLetters, verifyAudit } from '../../store/index.ts';
import { openDb, type Db } from '../../store/db.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
/** Server connections PgBouncer keeps per database: fewer than the hub's pool, so clients take turns on them. */
const SERVERS = 2;
/** The hub's DATABASE_POOL_MAX. */
const POOL_MAX = 3;
const APP = `spolis-hub pooler-test-${process.pid}`;

const nameOf = (url: string): string => new URL(url).pathname.slice(1);

/** Settings PgBouncer itself sets on a server connection for each client (its varcache), not the hub's doing. */
const POOLER_PARAMS = ['client_encoding', 'datestyle', 'timezone', 'standard_conforming_strings', 'application_name'];

const PROBE = `SELECT pg_backend_pid() AS pid,
  (SELECT coalesce(json_agg(name || ' = ' || setting ORDER BY name), '[]') FROM pg_settings
    WHERE source = 'session' AND lower(name) <> ALL($1::text[])) AS settings,
  (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema())::int AS temp_relations,
  (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())::int AS advisory_locks,
  (SELECT count(*) FROM pg_prepared_statements)::int AS prepared_statements,
  (SELECT count(*) FROM pg_cursors WHERE is_holdable)::int AS cursors,
  (SELECT count(*) FROM pg_listening_channels())::int AS listening`;

interface Leftover { pid: number; settings: string[]; temp_relations: number; advisory_locks: number; prepared_statements: number; cursors: number; listening: number }

/**
 * What each of PgBouncer's server connections to `db` carries from earlier clients. As many
 * clients as there are server connections each hold one in a transaction at once, so together
 * they look at every one of them.
 */
async function serverSessions(bouncer: PgBouncer, db: string): Promise<Leftover[]> {
  const clients = Array.from({ length: SERVERS }, () => new pg.Client({ connectionString: bouncer.url(db) }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    await Promise.all(clients.map((c) => c.query('BEGIN')));
    const rows = await Promise.all(clients.map(async (c) => (await c.query<Leftover>(PROBE, [POOLER_PARAMS])).rows[0]));
    assert.equal(new Set(rows.map((r) => r.pid)).size, SERVERS, 'each probe on its own server connection');
    return rows;
  } finally {
    await Promise.all(clients.map(async (c) => { await c.query('ROLLBACK').catch(() => {}); await c.end().catch(() => {}); }));
  }
}

/** The state a server connection should not carry, in words (empty: none). */
const described = (rows: Leftover[]): string[] => rows.flatMap((r) => [
  ...r.settings.map((s) => `backend ${r.pid}: SET ${s} outside a transaction`),
  ...(r.temp_relations ? [`backend ${r.pid}: ${r.temp_relations} temp relation(s) outlived their transaction`] : []),
  ...(r.advisory_locks ? [`backend ${r.pid}: ${r.advisory_locks} session advisory lock(s)`] : []),
  ...(r.prepared_statements ? [`backend ${r.pid}: ${r.prepared_statements} named prepared statement(s)`] : []),
  ...(r.cursors ? [`backend ${r.pid}: ${r.cursors} cursor(s) WITH HOLD`] : []),
  ...(r.listening ? [`backend ${r.pid}: LISTEN on ${r.listening} channel(s)`] : []),
]);

/** Seen from the server itself: backends of `db` idle in a transaction, or holding an advisory lock outside one. */
async function serverSideLeftovers(db: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    const r = await c.query<{ pid: number; what: string }>(
      `SELECT a.pid, 'idle in transaction' AS what FROM pg_stat_activity a WHERE a.datname = $1 AND a.state LIKE 'idle in transaction%'
       UNION ALL
       SELECT a.pid, 'advisory lock held outside a transaction' FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND a.datname = $1 AND a.xact_start IS NULL`, [db]);
    return r.rows.map((x) => `backend ${x.pid}: ${x.what}`);
  } finally { await c.end(); }
}

describe('the store behind PgBouncer in transaction mode', function () {
  this.timeout(120_000);
  const missing = missingPgBouncer();
  let bouncer: PgBouncer;

  before(async function () {
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const target = new URL(PG_ADMIN_URL);
    bouncer = await startPgBouncer({ target: { host: target.hostname, port: Number(target.port || 5432) }, serverConnections: SERVERS });
  });
  after(async () => { await bouncer?.stop(); });

  it('the probe finds each kind of session state a statement can leave on a server connection', async () => {
    // The probe must be able to fail: a database of its own, where a careless client leaves everything behind.
    const leaky = await createTestDatabase();
    try {
      const c = new pg.Client({ connectionString: bouncer.url(nameOf(leaky.url)) });
      await c.connect();
      await c.query("SET lock_timeout = '1s'");
      await c.query('SELECT pg_advisory_lock(42)');
      await c.query({ name: 'leaky', text: 'SELECT $1::int', values: [1] });
      await c.query('DECLARE held CURSOR WITH HOLD FOR SELECT 1');
      await c.query('LISTEN leaky');
      // What the store's known-keys stage was before (kept for the session, emptied at commit).
      await c.query('BEGIN');
      await c.query('CREATE TEMP TABLE IF NOT EXISTS stage_leaky (x int) ON COMMIT DELETE ROWS');
      await c.query('COMMIT');
      await c.end();
      const found = described(await serverSessions(bouncer, nameOf(leaky.url))).join('\n');
      for (const kind of ['SET lock_timeout = 1000', 'session advisory lock', 'named prepared statement', 'WITH HOLD', 'LISTEN', 'temp relation']) {
        assert.ok(found.includes(kind), `the probe reports ${kind}:\n${found}`);
      }
      assert.match((await serverSideLeftovers(nameOf(leaky.url))).join('\n'), /advisory lock held outside a transaction/);
    } finally {
      await leaky.drop();
    }
  });

  describe('a hub whose DATABASE_URL names the pooler', function () {
    let t: TestHub;
    let db: TestDatabase;
    let direct: Db;
    let dir: string;
    let sampling: NodeJS.Timeout | undefined;
    let admin: pg.Client;
    let mostClients = 0;

    before(async function () {
      if (missing) this.skip();
      // The bundled routes, but a batch that fails twice goes to the dead letters at once.
      dir = mkdtempSync(join(tmpdir(), 'spolis-pooler-'));
      cpSync('routes', dir, { recursive: true });
      const route = join(dir, 'sopa-monthly-load.yaml');
      writeFileSync(route, readFileSync(route, 'utf8').replace(/^onError:.*$/m, 'onError: { retry: { attempts: 2, backoff: fixed, delay: 50ms }, deadLetter: true }'));
      db = await createTestDatabase();
      // Debian's PgBouncer (1.18) cannot carry named prepared statements between server
      // connections: the hub runs behind it as DATABASE_PREPARED_STATEMENTS=off says.
      t = await startTestHub({ db, configDir: dir, databaseUrl: bouncer.url(nameOf(db.url)), database: { poolSize: POOL_MAX, applicationName: APP, preparedStatements: false } });
      direct = await openDb(db.url, { poolSize: 2 });
      // How many connections the hub holds to the pooler, sampled all along.
      admin = new pg.Client({ connectionString: bouncer.adminUrl });
      await admin.connect();
      let busy = false;
      sampling = setInterval(() => {
        if (busy) return;
        busy = true;
        admin.query<{ application_name: string }>('SHOW CLIENTS')
          .then((r) => { mostClients = Math.max(mostClients, r.rows.filter((x) => x.application_name === APP).length); })
          .catch(() => {}).finally(() => { busy = false; });
      }, 20);
    });
    after(async () => {
      clearInterval(sampling);
      await admin?.end().catch(() => {});
      await direct?.close();
      await t?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads two municipalities at once, then a correction of known keys, each record applied once', async () => {
      const riga = sopaSimulator.generate({ municipality: '0001000', period: '2026-09', records: 600, batches: 3, everyCode: true, seed: 11 });
      const jelgava = sopaSimulator.generate({ municipality: '0003000', period: '2026-09', records: 400, batches: 2, errorRate: 0, seed: 12 });
      await Promise.all([
        pushAndMatchTruth(t, KEYS['sopa-riga'], { source: 'sopa', municipality: '0001000', period: '2026-09' }, riga, ['DUPLICATE']),
        pushAndMatchTruth(t, KEYS['sopa-jelgava'], { source: 'sopa', municipality: '0003000', period: '2026-09' }, jelgava, []),
      ]);
      const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
      const first = await pushLoad(t.url, KEYS['sopa-riga'], RIGA, [EXAMPLE]);
      assert.deepEqual(first.records, { received: 5, accepted: 5, rejected: 0 });
      // The same decisions again, one amount corrected: the known-keys path (a stage table in the transaction).
      const corrected = EXAMPLE.toString().replace('89.40', '91.20');
      assert.notEqual(corrected, EXAMPLE.toString());
      const second = await pushLoad(t.url, KEYS['sopa-riga'], RIGA, [corrected]);
      assert.deepEqual(second.records, { received: 5, accepted: 5, rejected: 0 });
      const gmi = (await direct.query<{ amount: string; version: number; load_id: string }>(
        `SELECT amount::text AS amount, version, load_id FROM benefit_month WHERE decision_id = 'RIX-P-2026-120044'`)).rows;
      assert.deepEqual(gmi.map((r) => [r.amount, Number(r.version), r.load_id]), [['91.20', 2, second.id]]);
      const history = (await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM decision_history WHERE natural_key LIKE '%RIX-P-2026-120044%' AND load_id = $1`, [first.id])).rows[0].n;
      assert.equal(history, 1, 'the replaced version kept in history, once');
    });

    it('answers the Ministry\'s statistics and checks as the server computes them', async () => {
      for (const kind of ['statistics', 'checks'] as const) {
        const r = await call(t.url, 'GET', `/api/v1/spolis/${kind}?period=2026-09`, { key: KEYS['lm-analytics'] });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const want = kind === 'statistics' ? await monthlyStatistics(direct, { period: '2026-09' }) : await monthlyChecks(direct, { period: '2026-09' });
        assert.deepEqual({ ...r.body, computedAt: undefined }, { ...JSON.parse(JSON.stringify(want)), computedAt: undefined });
      }
      const s = (await call(t.url, 'GET', '/api/v1/spolis/statistics?period=2026-09', { key: KEYS['lm-analytics'] })).body;
      assert.ok(s.municipalities.find((m: { atvk: string }) => m.atvk === '0003000').needy.persons > 0, 'Jelgava\'s load counted');
    });

    it('appends 60 audit rows from concurrent callers as one unbroken chain', async () => {
      const writer = new AuditWriter(t.hub.store.db);
      const before = (await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
      await Promise.all(Array.from({ length: 60 }, (_, i) => writer.append({ actor: 'pooler-test', subject: `row-${i}`, service: 'test.pooler', outcome: 'ok' })));
      assert.equal((await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0].n, before + 60);
      const v = await verifyAudit(t.hub.store.db);
      assert.equal(v.ok, true, JSON.stringify(v));
    });

    it('dead-letters a batch the store refuses, and applies it once when replayed', async () => {
      // A fault in the store (a trigger refusing one decision) fails the batch on every attempt.
      await direct.exec(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.decision_id = 'RIX-S-2026-004711' THEN RAISE EXCEPTION 'poisoned by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON household_status FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
      const key = KEYS['sopa-riga'];
      const doc = EXAMPLE.toString().replaceAll('2026-10', '2026-08');
      const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: '2026-08' } });
      const id = created.body.id as string;
      assert.equal((await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: doc })).status, 202);
      assert.equal((await call(t.url, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: 1 } })).status, 202);
      let letters = await listDeadLetters(t.hub.store.db, { loadId: id });
      for (const until = Date.now() + 20_000; letters.length === 0 && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 100));
        letters = await listDeadLetters(t.hub.store.db, { loadId: id });
      }
      assert.equal(letters.length, 1, 'one dead letter');
      assert.match(letters[0].error, /poisoned by the test/);
      await direct.exec('DROP TRIGGER refuse_poison ON household_status; DROP FUNCTION refuse_poison();');
      assert.equal((await reopenDeadLetters(t.hub.store.db, letters)).length, 1);
      await t.hub.reconcile();
      const done = await waitForLoad(t.url, key, id, 20_000);
      assert.deepEqual([done.status, done.records.accepted], ['done', 5]);
      assert.equal((await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM benefit_month WHERE load_id = $1`, [id])).rows[0].n, 2);
    });

    it('records a co-participation in the outbox once, however often it is posted', async () => {
      const body = { id: 'POOLER-LP-1', personCode: '16117519997', agreedOn: '2026-11-02', duties: ['REGISTER_WITH_NVA'] };
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await call(t.url, 'POST', '/api/v1/coparticipation', { key: KEYS['lietis-daugavpils'], json: body });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.add(r.body.deliveryId);
      }
      assert.equal(ids.size, 1);
      assert.equal((await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE id = $1`, [[...ids][0]])).rows[0].n, 1);
    });

    it('leaves no session state on any server connection, and never held more connections than DATABASE_POOL_MAX', async () => {
      // Let the workers' last writes (delivery attempts, notices) settle.
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(sampling);
      const leftovers = [...described(await serverSessions(bouncer, nameOf(db.url))), ...await serverSideLeftovers(nameOf(db.url))];
      assert.deepEqual(leftovers, []);
      assert.ok(mostClients >= 2, `the sampler saw the hub's connections (${mostClients})`);
      assert.ok(mostClients <= POOL_MAX, `at most ${POOL_MAX} connections to the pooler, saw ${mostClients}`);
    });
  });
});
