/**
 * Test environment: every test run gets its own PostgreSQL database and its own Redis key prefix,
 * and removes both afterwards, so runs never see each other's data (CI shares the machine's
 * PostgreSQL and Redis).
 */
import pg from 'pg';
import { openRedis, scanKeys, type RedisTopology } from '../../engine/runtime/redis.ts';
import { randomBytes } from 'node:crypto';

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const uniqueName = (prefix: string): string => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database on the server `adminUrl` names (by default the machine's, PG_ADMIN_URL). */
export async function createTestDatabase(adminUrl = PG_ADMIN_URL): Promise<TestDatabase> {
  const name = uniqueName('spolis_t');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A key prefix of its own, and a way to delete every key under it. No braces, as in production
 * (engine/runtime/redis.ts): the hash tags are in the names under it, so on a Cluster the run's
 * queues spread over the masters. `redis`: another topology than TEST_REDIS_URL (the cleanup then
 * scans every master of a Cluster).
 */
export function testQueuePrefix(redis: RedisTopology = { kind: 'standalone', url: REDIS_URL }): { prefix: string; cleanup(): Promise<void> } {
  const prefix = uniqueName('spolis-t');
  return {
    prefix,
    async cleanup() {
      const r = openRedis(redis, { maxRetriesPerRequest: 1 });
      r.on('error', () => {});
      try {
        await r.ping();
        // One DEL per slot group: a Cluster refuses a DEL across slots.
        for await (const keys of scanKeys(r, `${prefix}:*`)) await Promise.all(keys.map((k) => r.del(k)));
      } finally {
        r.disconnect();
      }
    },
  };
}
