/**
 * Real Redis topologies for the tests, started from Debian's redis-server on free loopback ports in
 * temp dirs (nothing kept on disk): a Cluster of masters made with `redis-cli --cluster create`,
 * and a Sentinel set (a master, a replica, three sentinels with quorum 2). `redis-sentinel` is
 * `redis-server --sentinel`, so one binary serves both. KEEP_REDIS_LOGS=1 keeps a Sentinel set's
 * dir (the sentinels' logs show each election) and prints where.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, until } from '../faults/cluster.ts';
import type { RedisTopology } from '../../engine/runtime/redis.ts';

export const redisServerInstalled = spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;

export interface RedisServer { port: number; child: ChildProcess; exited: Promise<void>; kill(signal?: NodeJS.Signals): Promise<void> }

function server(args: string[], port: number, dir: string): RedisServer {
  const child = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port, child, exited,
    async kill(signal = 'SIGKILL') { if (child.exitCode === null && child.signalCode === null) { child.kill(signal); await exited; } },
  };
}

async function answers(port: number): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try { await r.connect(); return (await r.ping()) === 'PONG'; } finally { r.disconnect(); }
}

/** One command against one node, by port. */
export async function nodeCommand(port: number, ...args: (string | number)[]): Promise<unknown> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  r.on('error', () => {});
  try { await r.connect(); return await r.call(String(args[0]), ...args.slice(1).map(String)); } finally { r.disconnect(); }
}

const DATA_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];

export interface TestRedisCluster {
  /** The masters' ports, in the order the cluster was created. */
  ports: number[];
  topology: RedisTopology;
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-rcluster-'));
  const servers: RedisServer[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      servers.push(server(['--port', String(port), ...DATA_ARGS, '--dir', dir, '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'], port, dir));
    }
    for (const p of ports) await until(`redis ${p}`, () => answers(p), 10_000);
    const made = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (made.status !== 0) throw new Error(`redis-cli --cluster create: ${made.stdout}${made.stderr}`);
    for (const p of ports) await until(`cluster state ok on ${p}`, async () => /cluster_state:ok/.test(String(await nodeCommand(p, 'CLUSTER', 'INFO'))), 20_000);
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    return {
      ports,
      topology: { kind: 'cluster', nodes },
      async stop() { await Promise.all(servers.map((s) => s.kill())); rmSync(dir, { recursive: true, force: true }); },
    };
  } catch (e) {
    await Promise.all(servers.map((s) => s.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface TestSentinelSet {
  masterName: string;
  master: RedisServer;
  replica: RedisServer;
  sentinelPorts: number[];
  topology: RedisTopology;
  /** The master's port as the sentinels name it now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, one replica, three sentinels (quorum 2). A master silent for `downAfterMs` is down,
 * and the sentinels promote the replica.
 */
export async function startSentinelSet(o: { downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<TestSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-rsentinel-'));
  const all: RedisServer[] = [];
  const masterName = 'spolis-test';
  try {
    const mp = await freePort();
    const master = server(['--port', String(mp), ...DATA_ARGS, '--dir', dir], mp, dir);
    all.push(master);
    await until('sentinel set master', () => answers(mp), 10_000);
    const rp = await freePort();
    const replica = server(['--port', String(rp), ...DATA_ARGS, '--dir', dir, '--replicaof', '127.0.0.1', String(mp)], rp, dir);
    all.push(replica);
    await until('replica in sync', async () => /master_link_status:up/.test(String(await nodeCommand(rp, 'INFO', 'replication'))), 15_000);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sp = await freePort();
      sentinelPorts.push(sp);
      const conf = join(dir, `sentinel-${sp}.conf`);
      // A sentinel rewrites its file (what it learns): one file each, writable.
      writeFileSync(conf, [
        `port ${sp}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, `logfile ${join(dir, `sentinel-${sp}.log`)}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${mp} 2`,
        `sentinel down-after-milliseconds ${masterName} ${o.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${masterName} ${o.failoverTimeoutMs ?? 3000}`,
        `sentinel parallel-syncs ${masterName} 1`, '',
      ].join('\n'));
      all.push(server([conf, '--sentinel'], sp, dir));
    }
    const masterPort = async (): Promise<number> => {
      for (const sp of sentinelPorts) {
        try { return Number((await nodeCommand(sp, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName) as string[])[1]); } catch { /* next */ }
      }
      throw new Error('no sentinel answers');
    };
    // Ready when every sentinel knows the replica and the other two sentinels (so a quorum can act).
    for (const sp of sentinelPorts) {
      await until(`sentinel ${sp} to see the set`, async () => {
        const m = await nodeCommand(sp, 'SENTINEL', 'MASTER', masterName) as string[];
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < m.length; i += 2) f.set(m[i], m[i + 1]);
        return Number(f.get('num-slaves')) >= 1 && Number(f.get('num-other-sentinels')) >= 2;
      }, 20_000);
    }
    const sentinels = sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
    return {
      masterName, master, replica, sentinelPorts, masterPort,
      topology: { kind: 'sentinel', masterName, sentinels },
      async stop() { await Promise.all(all.map((s) => s.kill())); if (process.env.KEEP_REDIS_LOGS) console.log(dir); else rmSync(dir, { recursive: true, force: true }); },
    };
  } catch (e) {
    await Promise.all(all.map((s) => s.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
