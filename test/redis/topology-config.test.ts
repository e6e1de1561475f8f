/**
 * Which Redis a hub process runs on, from its environment (engine/runtime/redis.ts), and the
 * scheduler's lock across a Redis outage: an administrator's mistake is named by its variable; a
 * leader cut off for a moment takes its own lock back at once instead of leaving pulls idle.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { describeTopology, redisTopologyFromEnv } from '../../engine/runtime/redis.ts';
import { LeaderLock } from '../../scheduler/index.ts';
import { REDIS_URL, testQueuePrefix } from '../helpers/env.ts';

const refused = (env: Record<string, string>, field: string, what: RegExp): void => {
  assert.throws(() => redisTopologyFromEnv(env), (e: { code?: string; details?: { field?: string }; message: string }) => {
    assert.equal(e.code, 'HUB_ERR_REDIS_CONFIG');
    assert.equal(e.details?.field, field);
    assert.match(e.message, what);
    return true;
  });
};

describe('the Redis topology from the environment', () => {
  it('defaults to one server on loopback, and takes REDIS_URL as given', () => {
    assert.deepEqual(redisTopologyFromEnv({}), { kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    assert.deepEqual(redisTopologyFromEnv({ REDIS_URL: 'rediss://:pw@redis.internal:6380/2' }), { kind: 'standalone', url: 'rediss://:pw@redis.internal:6380/2' });
    assert.equal(describeTopology(redisTopologyFromEnv({ REDIS_URL: 'redis://:secret@redis.internal:6379' })), 'redis://:***@redis.internal:6379');
  });

  it('reads a Sentinel set and a Cluster, with their credentials; an empty variable counts as unset', () => {
    assert.deepEqual(redisTopologyFromEnv({
      REDIS_URL: '', REDIS_SENTINELS: 'r1.internal:26379, r2.internal:26379,[::1]:26380', REDIS_SENTINEL_MASTER: 'spolis',
      REDIS_PASSWORD: 'pw', REDIS_SENTINEL_PASSWORD: 'spw', REDIS_DB: '1',
    }), {
      kind: 'sentinel', masterName: 'spolis', password: 'pw', sentinelPassword: 'spw', db: 1,
      sentinels: [{ host: 'r1.internal', port: 26379 }, { host: 'r2.internal', port: 26379 }, { host: '::1', port: 26380 }],
    });
    assert.deepEqual(redisTopologyFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000', REDIS_USERNAME: 'hub' }),
      { kind: 'cluster', username: 'hub', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] });
    assert.equal(describeTopology(redisTopologyFromEnv({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'm', REDIS_PASSWORD: 'secret' })), 'sentinel master m via a:1');
  });

  it('refuses an environment that names no single valid topology, naming the variable', () => {
    refused({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }, 'REDIS_CLUSTER_NODES', /REDIS_URL and REDIS_CLUSTER_NODES are all set/);
    refused({ REDIS_SENTINELS: 'a:26379' }, 'REDIS_SENTINEL_MASTER', /required with REDIS_SENTINELS/);
    refused({ REDIS_SENTINEL_MASTER: 'spolis' }, 'REDIS_SENTINELS', /required with REDIS_SENTINEL_MASTER/);
    refused({ REDIS_CLUSTER_NODES: 'a:7000,b' }, 'REDIS_CLUSTER_NODES', /"b" is not host:port/);
    refused({ REDIS_SENTINELS: 'a:99999', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS', /"a:99999" is not host:port/);
    refused({ REDIS_URL: '127.0.0.1:6379' }, 'REDIS_URL', /not a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe('the scheduler\'s leader lock across a Redis outage', function () {
  this.timeout(20_000);
  const queue = testQueuePrefix();
  after(() => queue.cleanup());

  it('a leader cut off from Redis steps down, then takes its own lock back at once; the other candidate never leads', async () => {
    const a = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    const b = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    a.on('error', () => {});
    await a.connect();
    const key = `${queue.prefix}:{scheduler}:leader`;
    const first = new LeaderLock(a, key, 30_000);
    const second = new LeaderLock(b, key, 30_000);
    try {
      assert.equal(await first.tick(), true);
      assert.equal(await second.tick(), false);
      a.disconnect();
      assert.equal(await first.tick(), false, 'without Redis it cannot prove it leads');
      assert.equal(await second.tick(), false, 'the lock still stands for the first');
      await a.connect();
      assert.equal(await first.tick(), true, 'its own lock, taken back before the 30 s ttl lapses');
      assert.equal(await second.tick(), false);
    } finally {
      await first.stop();
      await second.stop();
      a.disconnect();
      b.disconnect();
    }
  });
});
