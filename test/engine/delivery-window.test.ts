/**
 * The delivery outbox hands its rows to BullMQ a window at a time (engine/runtime/deliveries.ts):
 * a backlog is rows, the queue holds at most the window, oldest first; the reconciler gives back
 * the jobs Redis lost, and a replayed dead letter takes its place again. No worker runs here, so
 * what the queue holds is exactly what was handed over.
 */
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { resolve } from 'node:path';
import { loadConfig } from '../../engine/config/loader.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { Deliveries } from '../../engine/runtime/deliveries.ts';
import { replayDeadLetters } from '../../engine/runtime/operations.ts';
import { listDeadLetters, markDelivered, openStore, type NewDelivery, type Store } from '../../store/index.ts';
import { markDeliveryDead } from '../../store/deliveries.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';

const ROUTE = 'portal-decision-notices';
const WINDOW = 5;

describe('the delivery window', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let store: Store;
  let q: ReturnType<typeof testQueuePrefix>;
  let deliveries: Deliveries;
  let queue: Queue;

  before(async () => {
    db = await createTestDatabase();
    store = await openStore(db.url);
    q = testQueuePrefix();
    const config = loadConfig(resolve('routes'), builtinRegistry());
    const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
    deliveries = new Deliveries({
      routes: config.routes, partners: config.partners, configDir: config.dir, registry: builtinRegistry(), store,
      logger: createLogger({ level: 'silent' }), connection, prefix: q.prefix, window: WINDOW,
    });
    queue = new Queue(`{deliver-${ROUTE}}`, { connection, prefix: q.prefix });
  });
  after(async () => {
    await queue?.close();
    await deliveries?.close();
    await store?.close();
    await db?.drop();
    await q?.cleanup();
  });

  /** The job ids in the route's queue now. */
  const inQueue = async (): Promise<string[]> => (await queue.getJobs(['waiting', 'active', 'delayed'])).map((j) => j.id!).sort();
  const notice = (i: number): NewDelivery => ({
    id: `notice-${String(i).padStart(2, '0')}`, routeId: ROUTE, component: 'eaddress/send-message', partnerId: 'eaddress',
    subject: '16117519997', payload: { n: i },
  });
  const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => notice(from + i).id);

  it('a backlog of 12 is 12 rows and a window of 5 jobs, the oldest first', async () => {
    for (let i = 0; i < 12; i++) await store.db.transaction((tx) => deliveries.record(tx, [notice(i)]));
    assert.equal(await deliveries.handOver(ROUTE), WINDOW);
    assert.deepEqual(await inQueue(), ids(0, 5));
    assert.equal(await deliveries.handOver(ROUTE), 0, 'a full window takes no more');
    assert.deepEqual(await inQueue(), ids(0, 5));
  });

  it('as deliveries end, the window takes the next ones', async () => {
    for (const id of ids(0, 2)) {
      assert.equal(await markDelivered(store.db, id, { attempts: 1, duplicate: false }), true);
      await queue.remove(id);
    }
    assert.equal(await deliveries.handOver(ROUTE), 2);
    assert.deepEqual(await inQueue(), ids(2, 7));
  });

  it('jobs Redis lost come back from the reconciler, and nothing beyond the window', async () => {
    await queue.obliterate({ force: true });
    assert.deepEqual(await inQueue(), []);
    assert.equal(await deliveries.reconcile(), WINDOW);
    assert.deepEqual(await inQueue(), ids(2, 7));
  });

  it('a replayed dead letter goes to the front of the outbox and takes the next free place', async () => {
    // notice-02 failed for good: it leaves the queue and its place goes to notice-07.
    assert.equal(await markDeliveryDead(store.db, { id: 'notice-02', routeId: ROUTE, attempts: 6, error: 'HUB_ERR_PARTNER_FAULT: test' }), true);
    await queue.remove('notice-02');
    assert.equal(await deliveries.handOver(ROUTE), 1);
    assert.deepEqual(await inQueue(), ids(3, 8));
    // The operator replays it while the window is full: it waits, first in line.
    const letters = await listDeadLetters(store.db, { route: ROUTE });
    assert.equal((await replayDeadLetters({ store, queues: { enqueueNext: async () => {} }, deliveries }, letters, 'operator:test')).length, 1);
    assert.deepEqual(await inQueue(), ids(3, 8));
    assert.equal(await markDelivered(store.db, 'notice-03', { attempts: 1, duplicate: false }), true);
    await queue.remove('notice-03');
    assert.equal(await deliveries.handOver(ROUTE), 1);
    assert.deepEqual(await inQueue(), ['notice-02', ...ids(4, 8)], 'the replayed one before notice-08');
  });
});
