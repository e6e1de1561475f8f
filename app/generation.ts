/**
 * One route set at work in a process: everything built from the route files and partners.yaml (the
 * queues and their workers, deliveries, flows, pulls and the scheduler, the partner key table, the
 * HTTP APIs), on top of what lives as long as the process (store, Redis, metrics, signing key, prep
 * threads). A reload builds the next generation beside the running one, points new requests and
 * new jobs at it, and lets the old one finish what it started before it closes (hub.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../engine/components/registry.ts';
import type { HubConfig } from '../engine/config/types.ts';
import type { Logger } from '../engine/core/logger.ts';
import type { Outbound } from '../engine/components/specs.ts';
import type { HubMetrics } from '../engine/core/metrics.ts';
import type { SigningIdentity } from '../engine/soap/signing.ts';
import { createServer, type HttpLimits } from '../engine/http/server.ts';
import { registerLoadApi } from '../engine/http/load-api.ts';
import { registerMinistryApi } from '../engine/http/ministry-api.ts';
import { registerQueryApi } from '../engine/http/query-api.ts';
import { registerSoapApi } from '../engine/http/soap-api.ts';
import { registerCoParticipationApi } from '../engine/http/coparticipation-api.ts';
import { PartnerAuth } from '../engine/http/auth.ts';
import { RouteQueues } from '../engine/runtime/queues.ts';
import { runBatch } from '../engine/runtime/pipeline.ts';
import { redisReadiness, type QueueConnection, type RedisClient, type RedisTopology } from '../engine/runtime/redis.ts';
import type { PrepPool } from '../engine/runtime/prep-pool.ts';
import { Deliveries } from '../engine/runtime/deliveries.ts';
import { FlowRunner } from '../engine/runtime/flows.ts';
import { PullRunner } from '../engine/runtime/pulls.ts';
import { AuditWriter } from '../engine/runtime/audit-writer.ts';
import type { Store } from '../store/index.ts';
import { Scheduler } from '../scheduler/index.ts';
import { PortalCallers, registerEServices, startEServiceWorkers, type EServiceDeps, type EServiceWorkers } from '../eservices/index.ts';
import { registerSurfaces } from './surfaces.ts';

/** What outlives a generation: one of each per process. */
export interface ProcessParts {
  registry: Registry;
  logger: Logger;
  store: Store;
  metrics: HubMetrics;
  /** Readiness, the partner gate, the scheduler's leader lock. */
  redis: RedisClient;
  /** Which Redis (one server, Sentinel or Cluster: engine/runtime/redis.ts). */
  redisTopology: RedisTopology;
  /** What BullMQ's queues and workers of every generation connect with. */
  queueConnection: QueueConnection;
  /** Redis key prefix of the queues. */
  prefix: string;
  signing: SigningIdentity;
  /** Record-level steps in worker threads (worker role), shared by every generation. */
  pool?: PrepPool;
  /** One audit chain writer per process: a swap must not start a second group commit. */
  audit: AuditWriter;
}

export interface GenerationOptions {
  /** Serves HTTP (api role). */
  http: boolean;
  /** Runs queue and delivery workers and the e-service planners (worker role). */
  works: boolean;
  /** Takes part in the scheduler's leader election (scheduler role). */
  schedules: boolean;
  concurrency?: number;
  lockDurationMs?: number;
  deliveryWindow?: number;
  schedulerLockMs?: number;
  cron?: boolean;
  httpLimits?: Partial<HttpLimits>;
}

export class Generation {
  scheduler?: Scheduler;
  pulls?: PullRunner;
  eservices?: EServiceWorkers;

  private constructor(
    /** A short content hash of the route set (hub.ts), in logs and audit rows. */
    readonly id: string,
    readonly config: HubConfig,
    /** The set as the route directory gives it (partners and staff before any override): the next reload compares with it. */
    readonly files: HubConfig,
    readonly queues: RouteQueues,
    readonly deliveries: Deliveries,
    readonly flows: FlowRunner,
    readonly auth: PartnerAuth,
    readonly app: FastifyInstance | undefined,
    /** Requests this generation's API is answering now, and who waits for there to be none: the old one closes when they are done. */
    private readonly answering: { requests: Set<object>; idle: (() => void)[] },
    private readonly eserviceDeps: EServiceDeps,
    private readonly outbounds: Map<string, Outbound>,
    private readonly p: ProcessParts,
    private readonly o: GenerationOptions,
  ) {}

  /** Builds every part and the HTTP app (ready to route), but starts no worker and no schedule. */
  static async build(id: string, config: HubConfig, files: HubConfig, p: ProcessParts, o: GenerationOptions): Promise<Generation> {
    const { store, logger, registry, signing: identity, prefix } = p;
    const { connection } = p.queueConnection;
    const queues = new RouteQueues(config.routes, { connection, prefix, concurrency: o.concurrency, lockDurationMs: o.lockDurationMs }, store, logger);
    const deliveries = new Deliveries({
      routes: config.routes, partners: config.partners, configDir: config.dir, registry, store, identity, redis: p.redis, logger, connection, prefix,
      lockDurationMs: o.lockDurationMs, window: o.deliveryWindow,
    });
    const flows = new FlowRunner({ registry, store, logger, deliveries });
    // One key table per generation: the in-flight share and every API authenticate against it.
    const auth = new PartnerAuth(config.partners, config.operators);
    const eserviceDeps: EServiceDeps = {
      routes: config.routes, partners: config.partners, configDir: config.dir, registry, store, flows, deliveries,
      callers: new PortalCallers({ auth, configDir: config.dir }), audit: p.audit, identity, redis: p.redis, prefix, logger,
    };
    const outbounds = new Map<string, Outbound>();
    for (const r of config.routes) for (const s of 'bulkLoad' in r.from ? r.steps : []) {
      if ('to' in s && !outbounds.has(s.to)) outbounds.set(s.to, registry.get('outbound', s.to)!.create(s.options ?? {}, { store, logger }));
    }

    let app: FastifyInstance | undefined;
    let requests = new Set<object>();
    const idle: (() => void)[] = [];
    if (o.http) {
      app = createServer({
        logger, metrics: p.metrics, limits: o.httpLimits,
        partnerOf: (authorization) => { try { return auth.authenticate(authorization).id; } catch { return undefined; } },
        readiness: async () => {
          await store.db.query('SELECT 1');
          return { store: 'ok', ...await redisReadiness(p.redis, p.redisTopology), routes: id };
        },
      });
      // Before any API, so every route counts: a request ends with its answer, or when its client goes away.
      const open = new Set<object>();
      const end = (req: object): void => { if (open.delete(req) && open.size === 0) for (const f of idle.splice(0)) f(); };
      app.addHook('onRequest', async (req) => { open.add(req); });
      app.addHook('onResponse', async (req) => { end(req); });
      app.addHook('onRequestAbort', async (req) => { end(req); });
      requests = open;
      registerLoadApi(app, { store, registry, routes: config.routes, auth, queues, logger, signing: identity });
      registerMinistryApi(app, { store, auth });
      registerQueryApi(app, {
        routes: config.routes, partners: config.partners, configDir: config.dir, registry, redis: p.redis, prefix, identity, logger, auth, store, metrics: p.metrics,
      });
      registerSoapApi(app, { routes: config.routes, partners: config.partners, configDir: config.dir, registry, store, flows, identity, logger });
      registerCoParticipationApi(app, { routes: config.routes, auth, store, flows });
      await registerEServices(app, eserviceDeps);
      await registerSurfaces(app, { config, registry, store, queues, deliveries, metrics: p.metrics, auth, redis: p.redis, prefix, audit: p.audit, identity, logger });
    }
    const g = new Generation(id, config, files, queues, deliveries, flows, auth, app, { requests, idle }, eserviceDeps, outbounds, p, o);
    await app?.ready();
    return g;
  }

  /** Starts the workers, the e-service planners and the scheduler this process's role runs. */
  async start(): Promise<void> {
    const { store, registry, metrics, pool, logger } = this.p;
    if (this.o.works) {
      const eservices = startEServiceWorkers(this.eserviceDeps);
      this.eservices = eservices;
      this.queues.startWorkers(async (route, ref, beforeEffects) => {
        const end = metrics.batchSeconds.startTimer({ route: route.id });
        const out = await runBatch({ store, registry, outbounds: this.outbounds, prepare: pool?.prepare }, route, ref, beforeEffects);
        end();
        metrics.batches.inc({ route: route.id, outcome: out.skipped ? 'skipped' : 'done' });
        metrics.records.inc({ route: route.id, outcome: 'accepted' }, out.accepted);
        metrics.records.inc({ route: route.id, outcome: 'rejected' }, out.rejected);
        eservices.afterBatch();
        return out;
      });
      this.deliveries.startWorkers();
    }
    if (this.o.schedules) {
      const pulls = new PullRunner({ registry, partners: this.config.partners, configDir: this.config.dir, identity: this.p.signing, store, flows: this.flows, logger });
      this.pulls = pulls;
      this.scheduler = new Scheduler({
        routes: this.config.routes, redis: this.p.redis, prefix: this.p.prefix, logger, lockTtlMs: this.o.schedulerLockMs,
        run: (route, shouldStop) => pulls.run(route, { shouldStop }),
      });
      this.scheduler.start({ cron: this.o.cron ?? true });
      await this.scheduler.lock.tick();
    }
  }

  /**
   * Ends this generation after a swap (or at shutdown): its answers in flight are sent, its jobs in
   * flight finish on the routes they started on (or, after `graceMs`, are released to the next
   * generation's workers), a pull running now ends on its page, then every connection it opened closes.
   */
  async close(graceMs?: number): Promise<void> {
    const answered = this.answering.requests.size === 0 ? Promise.resolve() : new Promise<void>((r) => this.answering.idle.push(r));
    await Promise.race([answered, new Promise((r) => setTimeout(r, graceMs ?? 8_000).unref())]);
    await this.scheduler?.stop();
    await this.pulls?.close();
    await Promise.all([this.queues.close(graceMs), this.deliveries.close(graceMs)]);
    await this.eservices?.close();
    await this.flows.close();
    for (const ob of this.outbounds.values()) await ob.close();
    await this.app?.close();
  }
}
