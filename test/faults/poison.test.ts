import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hub } from '../../app/hub.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { defineTransformer } from '../../engine/components/specs.ts';
import { sopaExportToCanonical } from '../../transformers/sopa/index.ts';
import { listDeadLetters, reopenDeadLetters } from '../../store/index.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';
import { TEST_PARTNERS, KEYS, testSigningIdentity } from '../helpers/hub.ts';
import { call, waitForLoad } from '../helpers/api.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';

/** A transformer that throws (a bug, not a bad record) for any batch holding the marked decision. */
let poisonArmed = true;
const poisonous = defineTransformer({
  ...sopaExportToCanonical,
  name: 'test/poisonous-sopa',
  transform(r, ctx) {
    if (poisonArmed && r.data.lemumaNr === 'POISON') throw new TypeError('cannot read properties of undefined');
    return sopaExportToCanonical.transform(r, ctx);
  },
});

describe('a poison batch', function () {
  let dir: string;
  let db: TestDatabase;
  let hub: Hub;
  let cleanupQueue: () => Promise<void>;
  const key = KEYS['sopa-riga'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spolis-poison-'));
    cpSync('routes/partners.yaml', join(dir, 'partners.yaml'));
    const route = readFileSync('routes/sopa-monthly-load.yaml', 'utf8')
      .replace('transform: sopa/export-to-canonical', 'transform: test/poisonous-sopa')
      .replace(/onError:.*$/m, 'onError: { retry: { attempts: 3, backoff: exponential, delay: 50ms, maxDelay: 200ms }, deadLetter: true }');
    writeFileSync(join(dir, 'sopa-monthly-load.yaml'), route);
    cpSync('routes/tests', join(dir, 'tests'), { recursive: true });   // the fixtures the route's tests: name
    db = await createTestDatabase();
    const q = testQueuePrefix();
    cleanupQueue = q.cleanup;
    const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
    hub = await Hub.start({
      configDir: dir, registry: builtinRegistry().register('transformer', poisonous), logger: createLogger({ destination: quiet }),
      databaseUrl: db.url, redisUrl: REDIS_URL, queuePrefix: q.prefix, port: 0, partners: TEST_PARTNERS, prepareInThreads: false,
      signing: await testSigningIdentity(),
    });
  });
  after(async () => { await hub?.close(); await cleanupQueue?.(); await db?.drop(); rmSync(dir, { recursive: true, force: true }); });

  it('ends in the dead-letter table after its attempts while the batches behind it finish; a replay applies it once', async () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 400, batches: 4, errorRate: 0, seed: 3 });
    const bodies = gen.batches.map((b) => b.toString());
    // Batch 2 carries the poison: rename one decision there.
    bodies[1] = bodies[1].replace(/lemumaNr="[^"]+"/, 'lemumaNr="POISON"');
    const created = await call(hub.url, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: '2026-10' } });
    const id = created.body.id;
    for (let i = 0; i < 4; i++) assert.equal((await call(hub.url, 'PUT', `/api/v1/loads/${id}/batches/${i + 1}`, { key, body: bodies[i] })).status, 202);
    assert.equal((await call(hub.url, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: 4 } })).status, 202);

    const failed = await waitForLoad(hub.url, key, id);
    assert.equal(failed.status, 'failed');
    const batches = (await hub.store.db.query<{ seq: number; status: string }>('SELECT seq, status FROM batches WHERE load_id = $1 ORDER BY seq', [id])).rows;
    assert.deepEqual(batches.map((b) => b.status), ['done', 'dead', 'done', 'done']);
    const letters = await listDeadLetters(hub.store.db, { route: 'sopa-monthly-load' });
    assert.equal(letters.length, 1);
    assert.deepEqual([(letters[0].data as { seq: number }).seq, letters[0].attempts], [2, 3]);
    assert.match(letters[0].error, /cannot read properties/);
    assert.equal(failed.records.accepted, 300);

    // The bug is fixed; the operator replays the dead letter.
    poisonArmed = false;
    const reopened = await reopenDeadLetters(hub.store.db, letters);
    assert.equal(reopened.length, 1);
    await hub.queues.enqueueNext('sopa-monthly-load', id);
    const done = await waitForLoad(hub.url, key, id);
    assert.equal(done.status, 'done');
    assert.deepEqual(done.records, { received: 400, accepted: 400, rejected: 0 });
    assert.equal((await reopenDeadLetters(hub.store.db, letters)).length, 0, 'a letter is replayed once');
    const versions = (await hub.store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM decision_history`)).rows[0].n;
    assert.equal(Number(versions), 0, 'no key was applied twice');
  });
});
