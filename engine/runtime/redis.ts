/**
 * Finds the Redis the queues use. When nothing answers at the configured URL and `redis-server`
 * is installed, starts a private one under ./data (sandbox convenience, never a production path).
 */
import { Redis } from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../core/logger.ts';

export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface RedisHandle {
  url: string;
  stop(): Promise<void>;
}

export async function ensureRedis(url: string, dataDir: string, logger: Logger): Promise<RedisHandle> {
  if (await redisAnswers(url)) return { url, stop: async () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`nothing answers at REDIS_URL ${url} and redis-server is not installed: start Redis or set REDIS_URL`);
  }
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(privateUrl, 200)); i++) await new Promise((r) => setTimeout(r, 100));
  logger.warn({ url: privateUrl }, `no Redis answered at ${url}; started a private redis-server under ${dir}`);
  return {
    url: privateUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** BullMQ connection options from a redis:// URL (BullMQ wants options it can clone per worker). */
export function connectionOptions(url: string): { host: string; port: number; db: number; password?: string; username?: string; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    maxRetriesPerRequest: null,
  };
}
