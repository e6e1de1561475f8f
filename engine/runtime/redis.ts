/**
 * The Redis the hub runs on, in one of three topologies, and every connection the hub opens to it:
 * - one server: `REDIS_URL` (the default, `redis://127.0.0.1:6379`);
 * - Sentinel: `REDIS_SENTINELS=host:port,…` and `REDIS_SENTINEL_MASTER=name`; every connection
 *   asks the sentinels for the master and follows it when they fail over;
 * - Cluster: `REDIS_CLUSTER_NODES=host:port,…` (seed nodes; the rest is discovered).
 * `REDIS_PASSWORD` / `REDIS_USERNAME` are the data nodes' credentials for Sentinel and Cluster
 * (a URL carries its own), `REDIS_SENTINEL_PASSWORD` the sentinels'.
 *
 * Keys: every key the hub writes carries a hash tag (`{…}`), so what one script or one queue
 * touches lives in one Cluster slot, while different queues and partners spread over the masters:
 * BullMQ keys are `<prefix>:{route-<id>}:…` (the tag is in the queue's name), the partner gate
 * `<prefix>:partner:{<id>}:…`, the scheduler's lock `<prefix>:{scheduler}:leader`. A prefix that
 * carries a tag itself (`{spolis}`) still works, with all of the hub in one slot.
 *
 * When nothing answers at `REDIS_URL` and `redis-server` is installed, `ensureRedis` starts a
 * private one under ./data (sandbox convenience, never a production path, never for Sentinel or
 * Cluster).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { HubError } from '../core/errors.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The default key prefix. No braces: the tags are in the names under it (see above). */
export const DEFAULT_PREFIX = 'spolis';

export interface RedisNode { host: string; port: number }

export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; masterName: string; sentinels: RedisNode[]; password?: string; username?: string; sentinelPassword?: string; db?: number }
  | { kind: 'cluster'; nodes: RedisNode[]; password?: string; username?: string };

/** A command connection: one server (standalone or the Sentinel's master) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** `{name}`: a hash tag, so every key built on it lands in one Cluster slot. */
export const hashTag = (name: string): string => `{${name}}`;

const configError = (field: string, what: string): HubError =>
  new HubError('HUB_ERR_REDIS_CONFIG', `${field}: ${what}`, { details: { field } });

function parseNodes(field: string, value: string): RedisNode[] {
  const nodes = value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(s);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw configError(field, `"${s}" is not host:port (e.g. 10.0.0.5:${field === 'REDIS_SENTINELS' ? 26379 : 6379})`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
  if (!nodes.length) throw configError(field, 'names no node; give host:port,host:port');
  return nodes;
}

/**
 * The topology the environment names. Exactly one of REDIS_URL, REDIS_SENTINELS (with
 * REDIS_SENTINEL_MASTER) and REDIS_CLUSTER_NODES; none means the default REDIS_URL. An empty
 * variable counts as unset.
 */
export function redisTopologyFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTopology {
  const v = (k: string): string | undefined => (env[k]?.trim() ? env[k]!.trim() : undefined);
  const set = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter((k) => v(k));
  if (set.length > 1) throw configError(set[1], `${set.join(' and ')} are all set: name one Redis topology (a server, a Sentinel set or a Cluster)`);
  const creds = { ...(v('REDIS_PASSWORD') ? { password: v('REDIS_PASSWORD') } : {}), ...(v('REDIS_USERNAME') ? { username: v('REDIS_USERNAME') } : {}) };
  if (v('REDIS_SENTINELS')) {
    const masterName = v('REDIS_SENTINEL_MASTER');
    if (!masterName) throw configError('REDIS_SENTINEL_MASTER', 'is required with REDIS_SENTINELS: the master name the sentinels monitor (`sentinel monitor <name> …`)');
    const db = v('REDIS_DB');
    if (db !== undefined && !/^\d+$/.test(db)) throw configError('REDIS_DB', `"${db}" is not a database number`);
    return {
      kind: 'sentinel', masterName, sentinels: parseNodes('REDIS_SENTINELS', v('REDIS_SENTINELS')!), ...creds,
      ...(v('REDIS_SENTINEL_PASSWORD') ? { sentinelPassword: v('REDIS_SENTINEL_PASSWORD') } : {}), ...(db ? { db: Number(db) } : {}),
    };
  }
  if (v('REDIS_SENTINEL_MASTER')) throw configError('REDIS_SENTINELS', 'is required with REDIS_SENTINEL_MASTER: the sentinels\' host:port,host:port');
  if (v('REDIS_CLUSTER_NODES')) return { kind: 'cluster', nodes: parseNodes('REDIS_CLUSTER_NODES', v('REDIS_CLUSTER_NODES')!), ...creds };
  const url = v('REDIS_URL') ?? DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\//.test(url)) throw configError('REDIS_URL', `"${url}" is not a redis:// or rediss:// URL`);
  return { kind: 'standalone', url };
}

/** For logs and the start-up line: the topology without its secrets. */
export function describeTopology(t: RedisTopology): string {
  const list = (ns: RedisNode[]): string => ns.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  if (t.kind === 'sentinel') return `sentinel master ${t.masterName} via ${list(t.sentinels)}`;
  if (t.kind === 'cluster') return `cluster via ${list(t.nodes)}`;
  const u = new URL(t.url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Options of one server: standalone from its URL, or the Sentinel's master. */
function serverOptions(t: Exclude<RedisTopology, { kind: 'cluster' }>): RedisOptions {
  if (t.kind === 'standalone') {
    const u = new URL(t.url);
    return {
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(u.port || 6379),
      db: Number(u.pathname.slice(1) || 0),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    };
  }
  return {
    sentinels: t.sentinels, name: t.masterName, role: 'master',
    ...(t.password ? { password: t.password } : {}),
    ...(t.username ? { username: t.username } : {}),
    ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
    ...(t.db ? { db: t.db } : {}),
    // No `failoverDetector`: in ioredis 5.11 a connection closed while it starts leaks its sentinel
    // subscribers (they reconnect forever, with no error handler). A failover is followed anyway:
    // the old master's connection breaks, or, once demoted, it answers writes with READONLY, and
    // reconnecting asks the sentinels again.
    reconnectOnError: (e: Error) => (/READONLY/.test(e.message) ? 2 : false),
  };
}

function clusterOptions(t: Extract<RedisTopology, { kind: 'cluster' }>, extra: RedisOptions, more: ClusterOptions = {}): ClusterOptions {
  return {
    redisOptions: { ...(t.password ? { password: t.password } : {}), ...(t.username ? { username: t.username } : {}), ...extra },
    // Keep asking while a master fails over or the cluster is down, rather than failing at once.
    retryDelayOnFailover: 200, retryDelayOnClusterDown: 300, retryDelayOnTryAgain: 200,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 2_000),
    ...more,
  };
}

/**
 * A command connection for the hub's own use (readiness, the partner gate, the scheduler's lock).
 * `extra` applies to every server connection.
 */
export function openRedis(t: RedisTopology, extra: RedisOptions = {}): RedisClient {
  if (t.kind === 'cluster') return new Cluster(t.nodes, clusterOptions(t, extra));
  if (t.kind === 'standalone') return new Redis(t.url, extra);
  return new Redis({ ...serverOptions(t), ...extra });
}

/** What BullMQ takes as `connection`, and how to let go of it once every queue and worker on it closed. */
export interface QueueConnection {
  connection: ConnectionOptions;
  close(): Promise<void>;
}

/**
 * One server or Sentinel: options, which BullMQ clones into a connection per queue and worker
 * (and each follows a failover). Cluster: one shared Cluster instance (BullMQ makes no Cluster from
 * options); each worker duplicates it for its blocking reads. Workers need
 * `maxRetriesPerRequest: null`: a blocking read must wait out a reconnect, not fail.
 */
export function queueConnection(t: RedisTopology): QueueConnection {
  if (t.kind === 'cluster') {
    const c = openRedis(t, { maxRetriesPerRequest: null }) as Cluster;
    c.on('error', () => {});
    return { connection: c, close: async () => { await c.quit().catch(() => c.disconnect()); } };
  }
  return { connection: { ...serverOptions(t), maxRetriesPerRequest: null }, close: async () => {} };
}

/**
 * Publish/subscribe across every process of the hub. One server and Sentinel: PUBLISH and
 * SUBSCRIBE on the master (the subscriber follows a failover and subscribes again). Cluster:
 * sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis ≥ 7), so a channel lives on the master of its slot
 * and SPUBLISH's count is every subscriber, not only those on the node that was asked.
 */
export interface RedisBus {
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Resolves with how many subscribers received it. */
  publish(channel: string, message: string): Promise<number>;
  close(): void;
}

export function openBus(t: RedisTopology): RedisBus {
  const sharded = t.kind === 'cluster';
  const sub = t.kind === 'cluster'
    ? new Cluster(t.nodes, clusterOptions(t, { maxRetriesPerRequest: null }, { shardedSubscribers: true }))
    : openRedis(t, { maxRetriesPerRequest: null });
  const pub = openRedis(t, { maxRetriesPerRequest: 1 });
  for (const r of [sub, pub]) r.on('error', () => {});
  const handlers = new Map<string, (message: string) => void>();
  sub.on(sharded ? 'smessage' : 'message', (channel: string, message: string) => handlers.get(channel)?.(message));
  return {
    async subscribe(channel, onMessage) {
      handlers.set(channel, onMessage);
      if (sharded) await sub.ssubscribe(channel); else await sub.subscribe(channel);
    },
    publish: async (channel, message) => Number(await (sharded ? pub.spublish(channel, message) : pub.publish(channel, message))),
    close() { sub.disconnect(); pub.disconnect(); },
  };
}

/** The masters of a Cluster (or the one server): where keys live. */
export function masters(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Every key matching `pattern`, on every master (a Cluster's SCAN sees one node only). */
export async function* scanKeys(client: RedisClient, pattern: string): AsyncGenerator<string[]> {
  for (const node of masters(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) yield keys;
      cursor = next;
    } while (cursor !== '0');
  }
}

/**
 * `/ready`'s Redis checks, per topology: the server answers; Sentinel: the server this process
 * writes to is the master (and which one); Cluster: every master answers and the cluster is ok.
 * Throws, with the reason, when not.
 */
export async function redisReadiness(client: RedisClient, t: RedisTopology): Promise<Record<string, string>> {
  if (client instanceof Cluster) {
    await client.ping(); // waits for the slot map when the connection is new
    const nodes = client.nodes('master');
    if (!nodes.length) throw new Error('Redis Cluster: no master known yet');
    await Promise.all(nodes.map(async (n) => {
      if ((await n.ping()) !== 'PONG') throw new Error(`Redis Cluster master ${n.options.host}:${n.options.port} does not answer`);
    }));
    const info = String(await nodes[0].cluster('INFO'));
    if (!/cluster_state:ok/.test(info)) throw new Error('Redis Cluster state is not ok (slots without a master)');
    return { redis: 'ok', redisTopology: 'cluster', redisMasters: String(nodes.length) };
  }
  if (t.kind === 'sentinel') {
    const role = await client.call('ROLE') as unknown[];
    if (role[0] !== 'master') throw new Error(`Redis Sentinel: connected to a ${String(role[0])}, not the master of ${t.masterName}`);
    const s = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    return { redis: 'ok', redisTopology: 'sentinel', redisMaster: `${s?.remoteAddress ?? '?'}:${s?.remotePort ?? '?'}` };
  }
  if ((await client.ping()) !== 'PONG') throw new Error('Redis does not answer');
  return { redis: 'ok', redisTopology: 'standalone' };
}

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
  topology: RedisTopology;
  stop(): Promise<void>;
}

/**
 * The topology to run on. One server that does not answer (and redis-server installed): a private
 * one under dataDir. Sentinel and Cluster are taken as given: their connections retry until the
 * servers answer.
 */
export async function ensureRedis(t: RedisTopology, dataDir: string, logger: Logger): Promise<RedisHandle> {
  if (t.kind !== 'standalone' || (await redisAnswers(t.url))) return { topology: t, stop: async () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`nothing answers at REDIS_URL ${describeTopology(t)} and redis-server is not installed: start Redis or set REDIS_URL`);
  }
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(privateUrl, 200)); i++) await new Promise((r) => setTimeout(r, 100));
  logger.warn({ url: privateUrl }, `no Redis answered at ${describeTopology(t)}; started a private redis-server under ${dir}`);
  return {
    topology: { kind: 'standalone', url: privateUrl },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
