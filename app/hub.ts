/**
 * Assembles a hub process from its parts: config (routes + partners), store, queues, workers,
 * the reconciler and the HTTP server, by role. One process may run every role (the default).
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../engine/config/loader.ts';
import type { Registry } from '../engine/components/registry.ts';
import type { HubConfig, PartnerDef } from '../engine/config/types.ts';
import type { Logger } from '../engine/core/logger.ts';
import type { Outbound } from '../engine/components/specs.ts';
import { createServer, type HttpLimits, type HttpTimeouts } from '../engine/http/server.ts';
import { registerLoadApi } from '../engine/http/load-api.ts';
import { registerMinistryApi } from '../engine/http/ministry-api.ts';
import { registerQueryApi } from '../engine/http/query-api.ts';
import { PartnerAuth } from '../engine/http/auth.ts';
import { RouteQueues } from '../engine/runtime/queues.ts';
import { runBatch } from '../engine/runtime/pipeline.ts';
import { HubMetrics } from '../engine/core/metrics.ts';
import { connectionOptions } from '../engine/runtime/redis.ts';
import { createPrepPool, type PrepPool } from '../engine/runtime/prep-pool.ts';
import { loadSigningIdentity, type SigningIdentity } from '../engine/soap/signing.ts';
import { openStore, type Store } from '../store/index.ts';
import { Deliveries } from '../engine/runtime/deliveries.ts';
import { FlowRunner } from '../engine/runtime/flows.ts';
import { PullRunner } from '../engine/runtime/pulls.ts';
import { registerSoapApi } from '../engine/http/soap-api.ts';
import { registerCoParticipationApi } from '../engine/http/coparticipation-api.ts';
import { Scheduler } from '../scheduler/index.ts';
import { AuditWriter } from '../engine/runtime/audit-writer.ts';
import { PortalCallers, registerEServices, startEServiceWorkers, type EServiceDeps, type EServiceWorkers } from '../eservices/index.ts';

export type Role = 'all' | 'api' | 'worker' | 'scheduler';

export interface HubOptions {
  configDir: string;
  registry: Registry;
  logger: Logger;
  /** DATABASE_URL semantics (store/db.ts). */
  databaseUrl?: string;
  dataDir?: string;
  redisUrl: string;
  /** Redis key prefix of the queues; tests give each run its own. */
  queuePrefix?: string;
  role?: Role;
  port?: number;
  host?: string;
  /** Replaces partners.yaml's partners (sandbox keys, tests). */
  partners?: PartnerDef[];
  concurrency?: number;
  /** BullMQ lock per job; a dead worker's job is retried after it lapses (default 60 s). */
  lockDurationMs?: number;
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
}

export class Hub {
  url = '';
  private timers: NodeJS.Timeout[] = [];
  private closing = false;

  /** The scheduler role's part: pulls run here (tests call scheduler.trigger). */
  scheduler?: Scheduler;
  pulls?: PullRunner;
  /** The worker role's e-service planners (decision notices). */
  eservices?: EServiceWorkers;

  private constructor(
    readonly config: HubConfig,
    readonly store: Store,
    readonly queues: RouteQueues,
    readonly deliveries: Deliveries,
    readonly flows: FlowRunner,
    readonly metrics: HubMetrics,
    private readonly server: FastifyInstance | undefined,
    private readonly outbounds: Map<string, Outbound>,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly pool: PrepPool | undefined,
  ) {}

  static async start(o: HubOptions): Promise<Hub> {
    const role = o.role ?? 'all';
    const loaded = loadConfig(o.configDir, o.registry);
    const config: HubConfig = o.partners ? { ...loaded, partners: o.partners } : loaded;
    const store = await openStore(o.databaseUrl, { dataDir: o.dataDir });
    const metrics = new HubMetrics(o.defaultMetrics ?? false);
    const queues = new RouteQueues(config.routes, {
      connection: connectionOptions(o.redisUrl), prefix: o.queuePrefix ?? '{spolis}', concurrency: o.concurrency, lockDurationMs: o.lockDurationMs,
    }, store, o.logger);
    const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
    redis.on('error', () => {});

    const signing = o.signing ?? await loadSigningIdentity(o.dataDir ?? './data');
    const prefix = o.queuePrefix ?? '{spolis}';
    const deliveries = new Deliveries({
      routes: config.routes, partners: config.partners, configDir: o.configDir, registry: o.registry, store, identity: signing, logger: o.logger,
      connection: connectionOptions(o.redisUrl), prefix, lockDurationMs: o.lockDurationMs,
    });
    const flows = new FlowRunner({ registry: o.registry, store, logger: o.logger, deliveries });
    const auth = new PartnerAuth(config.partners);
    const eserviceDeps: EServiceDeps = {
      routes: config.routes, partners: config.partners, configDir: o.configDir, registry: o.registry, store, flows, deliveries,
      callers: new PortalCallers({ auth, configDir: o.configDir }), audit: new AuditWriter(store.db), identity: signing, logger: o.logger,
    };

    const outbounds = new Map<string, Outbound>();
    for (const r of config.routes) for (const s of 'bulkLoad' in r.from ? r.steps : []) {
      if ('to' in s && !outbounds.has(s.to)) outbounds.set(s.to, o.registry.get('outbound', s.to)!.create(s.options ?? {}, { store, logger: o.logger }));
    }

    let server: FastifyInstance | undefined;
    if (role === 'all' || role === 'api') {
      // One key table for the process (`auth`): the in-flight share and every API authenticate against it.
      server = createServer({
        logger: o.logger, metrics, timeouts: o.httpTimeouts, limits: o.httpLimits,
        partnerOf: (authorization) => { try { return auth.authenticate(authorization).id; } catch { return undefined; } },
        readiness: async () => {
          await store.db.query('SELECT 1');
          if ((await redis.ping()) !== 'PONG') throw new Error('Redis does not answer');
          return { store: 'ok', redis: 'ok' };
        },
      });
      registerLoadApi(server, { store, registry: o.registry, routes: config.routes, auth, queues, logger: o.logger, signing });
      registerMinistryApi(server, { store, auth });
      registerQueryApi(server, {
        routes: config.routes, partners: config.partners, configDir: o.configDir, registry: o.registry, redis, prefix,
        identity: signing, logger: o.logger, auth, store, metrics,
      });
      registerSoapApi(server, { routes: config.routes, partners: config.partners, configDir: o.configDir, registry: o.registry, store, flows, identity: signing, logger: o.logger });
      registerCoParticipationApi(server, { routes: config.routes, auth, store, flows });
      await registerEServices(server, eserviceDeps);
    }
    const works = role === 'all' || role === 'worker';
    const pool = works && (o.prepareInThreads ?? true) ? createPrepPool(new URL('./prep-thread.ts', import.meta.url)) : undefined;
    const hub = new Hub(config, store, queues, deliveries, flows, metrics, server, outbounds, redis, o.logger, pool);
    const eservices = works ? startEServiceWorkers(eserviceDeps) : undefined;
    hub.eservices = eservices;

    if (works) {
      await pool?.warm();
      queues.startWorkers(async (route, ref, beforeEffects) => {
        const end = metrics.batchSeconds.startTimer({ route: route.id });
        const out = await runBatch({ store, registry: o.registry, outbounds, prepare: pool?.prepare }, route, ref, beforeEffects);
        end();
        metrics.batches.inc({ route: route.id, outcome: out.skipped ? 'skipped' : 'done' });
        metrics.records.inc({ route: route.id, outcome: 'accepted' }, out.accepted);
        metrics.records.inc({ route: route.id, outcome: 'rejected' }, out.rejected);
        eservices?.afterBatch();
        return out;
      });
      deliveries.startWorkers();
      await hub.reconcile();
      const every = o.reconcileEveryMs ?? 60_000;
      hub.timers.push(setInterval(() => void hub.reconcile(), every).unref());
    }
    if (role === 'all' || role === 'scheduler') {
      const pulls = new PullRunner({ registry: o.registry, partners: config.partners, configDir: o.configDir, identity: signing, store, flows, logger: o.logger });
      hub.pulls = pulls;
      hub.scheduler = new Scheduler({
        routes: config.routes, redis, prefix, logger: o.logger, lockTtlMs: o.schedulerLockMs,
        run: (route, shouldStop) => pulls.run(route, { shouldStop }),
      });
      hub.scheduler.start({ cron: o.cron ?? true });
      await hub.scheduler.lock.tick();
    }
    if (server) {
      hub.url = await server.listen({ port: o.port ?? 8080, host: o.host ?? '127.0.0.1' });
    }
    return hub;
  }

  /** Re-enqueues committed, unfinished work (see RouteQueues.reconcile). */
  async reconcile(): Promise<void> {
    try {
      const n = await this.queues.reconcile();
      if (n) this.logger.info({ loads: n }, 'reconciler re-enqueued unfinished loads');
      const d = await this.deliveries.reconcile();
      if (d) this.logger.info({ deliveries: d }, 'reconciler re-enqueued pending deliveries');
    } catch (e) {
      this.logger.warn({ err: e }, 'reconciler could not run; it tries again');
    }
  }

  /** Stops taking work, finishes (or within graceMs releases) in-flight jobs, closes connections. */
  async close(graceMs?: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    await this.server?.close();
    await this.scheduler?.stop();
    await this.pulls?.close();
    await Promise.all([this.queues.close(graceMs), this.deliveries.close(graceMs)]);
    await this.eservices?.close();
    await this.flows.close();
    await this.pool?.close();
    for (const ob of this.outbounds.values()) await ob.close();
    this.redis.disconnect();
    await this.store.close();
  }
}
