/**
 * Assembles a hub process by role: what lives as long as the process (store, Redis, metrics, the
 * signing key, prep threads, the listening socket) and the running route set, a `Generation`
 * (generation.ts). One process may run every role (the default).
 *
 * Live route changes: `reload()` reads the route directory again; a set that does not load is
 * refused with every problem as `file:line: path: what` and the running set keeps going; a set
 * that loads is built beside the running one, then takes every new request and job at once, while
 * the old one finishes what it started and closes. Triggers: a change in the directory (`watch`),
 * `spolis-hub routes reload` (a Redis message every process of the hub hears), or a call. Every
 * swap and every refusal is an audit row.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../engine/config/loader.ts';
import { runRouteTests } from '../engine/runtime/route-tests.ts';
import type { Registry } from '../engine/components/registry.ts';
import type { HubConfig, OperatorDef, PartnerDef } from '../engine/config/types.ts';
import type { Logger } from '../engine/core/logger.ts';
import { HTTP_LIMITS, HTTP_TIMEOUTS, type HttpLimits, type HttpTimeouts } from '../engine/http/server.ts';
import { HubMetrics, type QueueDepth } from '../engine/core/metrics.ts';
import { createPrepPool, type PrepPool } from '../engine/runtime/prep-pool.ts';
import { loadSigningIdentity, type SigningIdentity } from '../engine/soap/signing.ts';
import { openStore, type Store, type StoreOptions } from '../store/index.ts';
import type { RouteQueues } from '../engine/runtime/queues.ts';
import type { Deliveries } from '../engine/runtime/deliveries.ts';
import type { FlowRunner } from '../engine/runtime/flows.ts';
import type { PullRunner } from '../engine/runtime/pulls.ts';
import { AuditWriter } from '../engine/runtime/audit-writer.ts';
import type { Scheduler } from '../scheduler/index.ts';
import type { EServiceWorkers } from '../eservices/index.ts';
import { Generation, type ProcessParts } from './generation.ts';
import { DEFAULT_PREFIX, DEFAULT_REDIS_URL, openRedis, queueConnection, type RedisTopology } from '../engine/runtime/redis.ts';
import { RouteReloads, type ReloadResult } from './route-reload.ts';

export type Role = 'all' | 'api' | 'worker' | 'scheduler';
export type { ReloadResult } from './route-reload.ts';

export interface HubOptions {
  configDir: string;
  registry: Registry;
  logger: Logger;
  /** DATABASE_URL semantics (store/db.ts). */
  databaseUrl?: string;
  /** The process's connection budget and the replica for reports (store/options.ts; `start` reads them from the environment). */
  database?: Omit<StoreOptions, 'dataDir'>;
  dataDir?: string;
  /** One Redis server (tests, bench); `redis` names any topology and wins. */
  redisUrl?: string;
  /** One server, Sentinel or Cluster (engine/runtime/redis.ts redisTopologyFromEnv). */
  redis?: RedisTopology;
  /** Redis key prefix of the queues; tests give each run its own. */
  queuePrefix?: string;
  role?: Role;
  port?: number;
  host?: string;
  /** Replaces partners.yaml's partners (sandbox keys, tests), in every generation. */
  partners?: PartnerDef[];
  /** Replaces routes/operators.yaml's staff (sandbox keys, tests), in every generation. */
  operators?: OperatorDef[];
  concurrency?: number;
  /** BullMQ lock per job; a dead worker's job is retried after it lapses (default 60 s). */
  lockDurationMs?: number;
  /** A route's deliveries in its queue at once; the rest wait in the outbox (default DELIVERY_WINDOW, 500). */
  deliveryWindow?: number;
  reconcileEveryMs?: number;
  defaultMetrics?: boolean;
  /**
   * Run the record-level steps in worker threads (default true). Threads load the bundled
   * components, so a hub built on another registry (a test's) sets this false.
   */
  prepareInThreads?: boolean;
  /** The key receipts and SOAP messages are signed with; by default loaded (or made once) under dataDir/keys. */
  signing?: SigningIdentity;
  /** Leader lock ttl of the scheduler role (default 30 s). */
  schedulerLockMs?: number;
  /** Start cron triggers (default true); tests trigger pulls themselves. */
  cron?: boolean;
  /** How long an HTTP client may take (engine/http/server.ts HTTP_TIMEOUTS by default). */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** In-flight requests per partner and connections (engine/http/server.ts HTTP_LIMITS by default). */
  httpLimits?: Partial<HttpLimits>;
  /** Reload when a file of the route directory changes (`spolis-hub start` turns it on). */
  watch?: boolean;
  /** How long an old generation may take to finish its work after a swap (default 8 s). */
  reloadGraceMs?: number;
}

/** The content hash that names a route set: the same files give the same generation id. */
export function generationId(config: HubConfig): string {
  const h = createHash('sha256').update(JSON.stringify({ routes: config.routes, partners: config.partners, operators: config.operators })).digest('hex');
  return h.slice(0, 12);
}

export class Hub {
  url = '';
  private timers: NodeJS.Timeout[] = [];
  private closing = false;
  private listener?: http.Server;
  private gen!: Generation;
  private reloads?: RouteReloads;
  /** Generations swapped out and still finishing their work. */
  private readonly retiring = new Set<Promise<void>>();

  private constructor(
    readonly store: Store,
    readonly metrics: HubMetrics,
    private readonly parts: ProcessParts,
    private readonly o: HubOptions,
    private readonly role: Role,
  ) {}

  /** The running route set and what it built; each getter follows a reload. */
  get config(): HubConfig { return this.gen.config; }
  /** The HTTP app of the running set (api role): what a request arriving now is routed to. */
  get app(): FastifyInstance | undefined { return this.gen.app; }
  get generation(): string { return this.gen.id; }
  get queues(): RouteQueues { return this.gen.queues; }
  get deliveries(): Deliveries { return this.gen.deliveries; }
  get flows(): FlowRunner { return this.gen.flows; }
  /** The scheduler role's part: pulls run here (tests call scheduler.trigger). */
  get scheduler(): Scheduler | undefined { return this.gen.scheduler; }
  get pulls(): PullRunner | undefined { return this.gen.pulls; }
  /** The worker role's e-service planners (decision notices). */
  get eservices(): EServiceWorkers | undefined { return this.gen.eservices; }

  static async start(o: HubOptions): Promise<Hub> {
    const role = o.role ?? 'all';
    const files = loadConfig(o.configDir, o.registry);
    const config = Hub.withOverrides(files, o);
    const store = await openStore(o.databaseUrl, { ...o.database, dataDir: o.dataDir });
    const metrics = new HubMetrics(o.defaultMetrics ?? false);
    const redisTopology: RedisTopology = o.redis ?? { kind: 'standalone', url: o.redisUrl ?? DEFAULT_REDIS_URL };
    const redis = openRedis(redisTopology, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const works = role === 'all' || role === 'worker';
    const pool: PrepPool | undefined = works && (o.prepareInThreads ?? true) ? createPrepPool(new URL('./prep-thread.ts', import.meta.url)) : undefined;
    const parts: ProcessParts = {
      registry: o.registry, logger: o.logger, store, metrics, redis, redisTopology, queueConnection: queueConnection(redisTopology), prefix: o.queuePrefix ?? DEFAULT_PREFIX,
      signing: o.signing ?? await loadSigningIdentity(o.dataDir ?? './data'), pool, audit: new AuditWriter(store.db),
    };
    const hub = new Hub(store, metrics, parts, o, role);
    // Always the running set's queues: `hub.queues` follows a reload.
    const depths = (kind: QueueDepth['kind'], counts: Record<string, Record<string, number>>): QueueDepth[] =>
      Object.entries(counts).map(([route, c]) => ({ kind, route, counts: c }));
    metrics.observeQueues(async () => [...depths('batches', await hub.queues.counts()), ...depths('deliveries', await hub.deliveries.counts())]);
    hub.gen = await hub.build(config, files);
    if (works) await pool?.warm();
    await hub.gen.start();
    if (works) {
      await hub.reconcile();
      hub.timers.push(setInterval(() => void hub.reconcile(), o.reconcileEveryMs ?? 60_000).unref());
    }
    if (hub.gen.app) hub.url = await hub.listen();
    hub.reloads = new RouteReloads({
      dir: o.configDir, redis: redisTopology, prefix: parts.prefix, logger: o.logger, watch: o.watch ?? false,
      reload: (by) => hub.reload(by),
    });
    await hub.reloads.start();
    return hub;
  }

  private static withOverrides(loaded: HubConfig, o: HubOptions): HubConfig {
    return { ...loaded, ...(o.partners ? { partners: o.partners } : {}), ...(o.operators ? { operators: o.operators } : {}) };
  }

  /** `files`: the set as the route directory gives it, before the sandbox's or a test's partners replace its own. */
  private build(config: HubConfig, files: HubConfig): Promise<Generation> {
    const role = this.role;
    return Generation.build(generationId(config), config, files, this.parts, {
      http: role === 'all' || role === 'api', works: role === 'all' || role === 'worker', schedules: role === 'all' || role === 'scheduler',
      concurrency: this.o.concurrency, lockDurationMs: this.o.lockDurationMs, deliveryWindow: this.o.deliveryWindow, schedulerLockMs: this.o.schedulerLockMs, cron: this.o.cron, httpLimits: this.o.httpLimits,
    });
  }

  /**
   * The one socket of the process: every request goes to the generation running when it arrives,
   * so a swap never drops a connection. Timeouts and the connection cap belong to the socket.
   */
  private async listen(): Promise<string> {
    const t = { ...HTTP_TIMEOUTS, ...this.o.httpTimeouts };
    // Node checks these every connectionsCheckingInterval (30 s by default): checked each second
    // here, so a slow client is cut near its deadline, answered 408.
    const server = http.createServer({
      headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.idleMs, connectionsCheckingInterval: Math.min(1_000, t.headersMs),
    }, (req, res) => this.gen.app!.routing(req, res));
    server.maxConnections = { ...HTTP_LIMITS, ...this.o.httpLimits }.connections;
    this.listener = server;
    const host = this.o.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 8080, host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address() as { port: number };
    return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  }

  private reloading: Promise<unknown> = Promise.resolve();

  /**
   * Reads the route directory again and swaps to it, or refuses it and keeps the running set.
   * `by` names who asked (`operator:<user>`, `file-watch`), for the audit row. One at a time.
   */
  reload(by: string): Promise<ReloadResult> {
    const next = this.reloading.then(() => this.swap(by));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async swap(by: string): Promise<ReloadResult> {
    const old = this.gen;
    const audit = async (r: ReloadResult): Promise<ReloadResult> => {
      await this.parts.audit.append({
        actor: by, subject: 'routes', service: 'routes.reload', outcome: r.outcome,
        details: { role: this.role, pid: process.pid, from: r.from, to: r.to, added: r.added, removed: r.removed, changed: r.changed, ...(r.problems ? { problems: r.problems } : {}) },
      }).catch((e: unknown) => this.o.logger.error({ err: e }, 'the audit row of a route reload could not be written'));
      this.metrics.routeReloads.inc({ outcome: r.outcome });
      return r;
    };
    let config: HubConfig;
    let files: HubConfig;
    try {
      if (this.closing) throw new Error('the hub is shutting down');
      const loaded = loadConfig(this.o.configDir, this.o.registry);
      // A set whose own examples fail is as invalid as one that does not load (`routes test`).
      const failed = generationId(loaded) === generationId(old.files) ? [] : (await runRouteTests(loaded, this.o.registry)).flatMap((r) => r.failures);
      if (failed.length) throw Object.assign(new Error('route tests failed'), { problems: failed });
      config = Hub.withOverrides(loaded, this.o);
      files = loaded;
    } catch (e) {
      const problems = (e as { problems?: string[] }).problems ?? [(e as Error).message];
      this.o.logger.error({ by, problems }, `route reload refused: the running set ${old.id} keeps going; ${problems.length} problem(s)`);
      return audit({ outcome: 'refused', from: old.id, to: old.id, added: [], removed: [], changed: [], problems });
    }
    const diff = routeDiff(old.config, config);
    const id = generationId(config);
    if (id === old.id) return { outcome: 'unchanged', from: old.id, to: id, added: [], removed: [], changed: [] };
    const next = await this.build(config, files);
    this.gen = next;
    await next.start();
    this.o.logger.info({ by, from: old.id, to: id, ...diff }, `routes reloaded: generation ${id} runs; ${old.id} finishes its work`);
    // The old generation ends in the background: a long job must not hold up the next reload's answer.
    const retired = old.close(this.o.reloadGraceMs).catch((e: unknown) => this.o.logger.warn({ err: e, generation: old.id }, 'the previous route set did not close cleanly'));
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
    return audit({ outcome: 'swapped', from: old.id, to: id, ...diff });
  }

  /** Re-enqueues committed, unfinished work (see RouteQueues.reconcile). */
  async reconcile(): Promise<void> {
    try {
      const n = await this.queues.reconcile();
      if (n) this.o.logger.info({ loads: n }, 'reconciler re-enqueued unfinished loads');
      const d = await this.deliveries.reconcile();
      if (d) this.o.logger.info({ deliveries: d }, 'reconciler re-enqueued pending deliveries');
    } catch (e) {
      this.o.logger.warn({ err: e }, 'reconciler could not run; it tries again');
    }
  }

  /** Stops taking work, finishes (or within graceMs releases) in-flight jobs, closes connections. */
  async close(graceMs?: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    await this.reloads?.close();
    await this.reloading;
    await Promise.all(this.retiring);
    if (this.listener) {
      const l = this.listener;
      const closed = new Promise<void>((r) => l.close(() => r()));
      l.closeIdleConnections();
      await this.gen.close(graceMs);
      l.closeAllConnections();
      await closed;
    } else {
      await this.gen.close(graceMs);
    }
    await this.parts.pool?.close();
    await this.parts.queueConnection.close();
    this.parts.redis.disconnect();
    await this.store.close();
  }
}

/** Which routes a new set adds, removes and changes, by id. */
function routeDiff(a: HubConfig, b: HubConfig): { added: string[]; removed: string[]; changed: string[] } {
  const before = new Map(a.routes.map((r) => [r.id, JSON.stringify(r)]));
  const after = new Map(b.routes.map((r) => [r.id, JSON.stringify(r)]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id)),
  };
}
