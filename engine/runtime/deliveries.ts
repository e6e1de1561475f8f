/**
 * Asynchronous deliveries (DESIGN.md §5): the `deliver:` steps of flow routes. Planning turns items
 * into outbox rows (store/deliveries.ts) inside the caller's transaction; after it commits, the
 * route's oldest waiting rows are handed to its queue, a window at a time (handOver): a BullMQ job
 * per row (jobId = the delivery id) sends it through the delivery component, with the route's
 * retries and backoff; the last failure dead-letters it, and `dlq replay` reopens it. As jobs end,
 * the window refills from the outbox, so a backlog of 65,000 notices is 65,000 rows and a window
 * of jobs, not 65,000 jobs. The receiver deduplicates by the delivery id, so a job run twice (a
 * stalled lock, a crash between sending and marking) is harmless. Every attempt is audited before
 * the data leaves the hub.
 *
 * Every call goes through its partner's gate (partner-gate.ts), as queries do: the e-address takes
 * 20 messages a second from the whole hub, and a municipality whose system is down is not called
 * again until its circuit half-opens. A delivery the gate turns away waits (a delayed job) without
 * spending an attempt: only calls that reached the partner count towards the dead letter.
 */
import { createHash } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Delivery, DeliverySpec, DeliveryTarget } from '../components/specs.ts';
import type { MessageType } from '../../schemas/canonical/model.ts';
import type { Registry } from '../components/registry.ts';
import type { PartnerDef, RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import type { SigningIdentity } from '../soap/signing.ts';
import { ConnectorError, HubError, isHubError } from '../core/errors.ts';
import { readCertificate, partnerPolicies } from '../config/partners.ts';
import { municipalities } from '../validation/municipalities.ts';
import { parseDuration } from '../core/duration.ts';
import { backoffDelay, closeWorkers, isFinalFailure } from './queues.ts';
import { AuditWriter } from './audit-writer.ts';
import { PartnerGate } from './partner-gate.ts';
import type { RedisClient } from './redis.ts';
import {
  getDelivery, handOverDeliveries, insertDeliveries, markDelivered, markDeliveryDead, markDeliveryFailed, queuedDeliveryIds,
  type Db, type NewDelivery, type Store,
} from '../../store/index.ts';
import { markDeliveryUndeliverable } from '../../store/deliveries.ts';

type DeliverStep = Extract<RouteDef['steps'][number], { deliver: unknown }>;

/** The deliver step of a route, if it has one. */
export const deliverStepOf = (route: RouteDef): DeliverStep | undefined =>
  route.steps.find((s): s is DeliverStep => 'deliver' in s);

const namesOf = (step: DeliverStep): string[] => (Array.isArray(step.deliver) ? step.deliver : [step.deliver]);

/** What an item is about: whose personal data, and which municipality. */
export interface ItemFacts { subject?: string; municipality: string }

/** What an item is about, whatever its message type: each carries personCode, and all but opinions a municipality. */
export function factsOf(item: unknown): ItemFacts {
  const i = item as { personCode?: string; municipality?: string };
  return { subject: i.personCode, municipality: i.municipality ?? '' };
}

/**
 * A delivery id from what is delivered, not from when: the same change pulled twice, or pulled
 * and pushed, is one delivery. Letters, digits and "-" only (BullMQ job ids may not hold ":").
 */
export function deliveryIdOf(component: string, item: unknown): string {
  return `${component.replace(/[^a-z0-9]+/gi, '-')}-${createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 32)}`;
}

const envToken = (t: string | undefined): string | undefined => (t?.startsWith('env:') ? process.env[t.slice(4)] : t);

export interface DeliveryDeps {
  routes: RouteDef[];
  partners: PartnerDef[];
  configDir: string;
  registry: Registry;
  store: Store;
  /** Needed to send (workers); a process that only enqueues (the API, `dlq replay`) may leave it out. */
  identity?: SigningIdentity;
  /** The partners' shared gates live here; needed to send, like `identity`. */
  redis?: RedisClient;
  logger: Logger;
  connection: ConnectionOptions;
  prefix: string;
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal, as the batch queues' (HUB_LOCK_MS): the deliveries
   * of a worker that died (kill -9) go to another worker within about this. @defaultValue BullMQ's 30 s
   */
  lockDurationMs?: number;
  /** How many of a route's deliveries are in its queue at most (HUB_DELIVERY_WINDOW). @defaultValue DELIVERY_WINDOW */
  window?: number;
}

/**
 * A route's deliveries in BullMQ at once. Enough to keep every worker's concurrency busy (8 per
 * process) and a rate-limited partner's pacing full; the rest wait as rows, which cost nothing.
 */
export const DELIVERY_WINDOW = 500;
/** How soon after a job ends the window is refilled: jobs ending together refill it once. */
const REFILL_MS = 100;

/**
 * The outbox rows for `items` of a route's deliver step: each to its receiver, or recorded as
 * undeliverable when none is configured (a GVS municipality, a municipality without a partner
 * entry with notify.endpoint), so an operator sees it instead of it vanishing. Pure: route tests
 * (route-tests.ts) run it without queues or store.
 */
export function planDeliveries<T>(deps: Pick<DeliveryDeps, 'registry' | 'partners'>, route: RouteDef, items: T[], idOf: (component: string, item: T) => string = deliveryIdOf): NewDelivery[] {
  const step = deliverStepOf(route);
  if (!step) return [];
  const specs = namesOf(step).map((n) => deps.registry.get('delivery', n)!);
  return items.map((item) => {
    const f = factsOf(item);
    const base = { routeId: route.id, municipality: f.municipality || undefined, subject: f.subject, payload: item };
    const agency = specs.find((s) => s.receiver === 'agency');
    if (agency) {
      const partner = deps.partners.find((p) => p.system === agency.system);
      return { ...base, id: idOf(agency.name, item), component: agency.name, partnerId: partner?.id };
    }
    const m = municipalities().get(f.municipality);
    const spec = m && specs.find((s) => s.system === m.system);
    const id = idOf(spec?.name ?? route.id, item);
    if (!m) return { ...base, id, component: specs[0].name, status: 'undeliverable' as const, error: `municipality "${f.municipality}" is not in schemas/classifiers/municipalities.json` };
    if (!spec) {
      return { ...base, id, component: specs[0].name, status: 'undeliverable' as const,
        error: `${m.name} (${m.atvk}) uses ${m.system.toUpperCase()}, and route ${route.id} delivers only to ${specs.map((s) => s.system).join(', ')}` };
    }
    const partner = deps.partners.find((p) => p.system === spec.system && p.municipality === m.atvk && p.notify?.endpoint);
    if (!partner) {
      return { ...base, id, component: spec.name, status: 'undeliverable' as const,
        error: `no ${spec.system} partner for ${m.name} (${m.atvk}) with notify.endpoint in partners.yaml` };
    }
    return { ...base, id, component: spec.name, partnerId: partner.id };
  });
}

interface Job1 { deliveryId: string }

/** A route's delivery queue: `{deliver-<id>}`, its own hash tag (one Cluster slot per queue). */
const deliveryQueueOf = (routeId: string): string => `{deliver-${routeId}}`;

export class Deliveries {
  private readonly routes: Map<string, RouteDef>;
  private readonly queues = new Map<string, Queue<Job1>>();
  private readonly workers: Worker<Job1>[] = [];
  private readonly components = new Map<string, Delivery>();
  private readonly certificates = new Map<string, string>();
  private readonly gates = new Map<string, PartnerGate>();
  private readonly refills = new Map<string, NodeJS.Timeout>();
  /** Per route, the end of the last hand-over this process began (the next waits for it). */
  private readonly handing = new Map<string, Promise<void>>();
  private closed = false;
  private readonly audit: AuditWriter;

  constructor(private readonly deps: DeliveryDeps) {
    this.routes = new Map(deps.routes.filter((r) => deliverStepOf(r)).map((r) => [r.id, r]));
    for (const id of this.routes.keys()) this.queues.set(id, new Queue<Job1>(deliveryQueueOf(id), { connection: deps.connection, prefix: deps.prefix }));
    this.audit = new AuditWriter(deps.store.db);
  }

  /**
   * The outbox rows for `items` of a route's deliver step (planDeliveries). `idOf` when an item's
   * identity is less than its whole content (a notice is its cause and recipient, not its words).
   */
  plan<T>(route: RouteDef, type: MessageType, items: T[], idOf?: (component: string, item: T) => string): NewDelivery[] {
    return planDeliveries(this.deps, route, items, idOf);
  }

  /**
   * Writes the planned rows in `tx`; resolves with the ids of the new pending ones. Once `tx`
   * commits, the caller hands them over (handOver).
   */
  async record(tx: Db, rows: NewDelivery[]): Promise<string[]> {
    const fresh = new Set(await insertDeliveries(tx, rows));
    return rows.filter((r) => fresh.has(r.id) && (r.status ?? 'pending') === 'pending').map((r) => r.id);
  }

  /**
   * Hands the route's oldest waiting deliveries to its queue, as many as its window has room for;
   * resolves with how many. Rows that miss their job (Redis lost, this process died between the
   * two) are found by reconcile().
   */
  handOver(routeId: string): Promise<number> {
    if (!this.routes.has(routeId)) return Promise.resolve(0);
    // One at a time per route in a process, so the process's own hand-overs never overrun the window.
    const next = (this.handing.get(routeId) ?? Promise.resolve()).then(async () => {
      const ids = await handOverDeliveries(this.deps.store.db, routeId, this.deps.window ?? DELIVERY_WINDOW);
      await this.enqueue(routeId, ids);
      return ids.length;
    });
    this.handing.set(routeId, next.then(() => {}, () => {}));
    return next;
  }

  private async enqueue(routeId: string, ids: string[]): Promise<void> {
    const route = this.routes.get(routeId);
    const q = this.queues.get(routeId);
    if (!route || !q || ids.length === 0) return;
    await q.addBulk(ids.map((deliveryId) => ({
      name: 'deliver', data: { deliveryId },
      opts: { jobId: deliveryId, attempts: route.onError.retry.attempts, backoff: { type: 'route' }, removeOnComplete: true, removeOnFail: true },
    })));
  }

  /** A job ended: soon, once for all that end together, the window takes the next waiting rows. */
  private refill(routeId: string): void {
    if (this.closed || this.refills.has(routeId)) return;
    this.refills.set(routeId, setTimeout(() => {
      void this.handOver(routeId)
        .catch((err) => this.deps.logger.warn({ err, route: routeId }, 'could not refill the delivery window; the reconciler does'))
        .finally(() => this.refills.delete(routeId));
    }, REFILL_MS));
  }

  /**
   * Re-adds the job of every delivery in a window (Redis may have lost it; BullMQ keeps one job per
   * id, so one that exists stays as it is), then fills each route's window. Resolves with how many
   * deliveries are in the queues.
   */
  async reconcile(): Promise<number> {
    const queued = await queuedDeliveryIds(this.deps.store.db, [...this.routes.keys()]);
    const byRoute = new Map<string, string[]>();
    for (const p of queued) (byRoute.get(p.routeId) ?? byRoute.set(p.routeId, []).get(p.routeId)!).push(p.id);
    for (const [routeId, ids] of byRoute) await this.enqueue(routeId, ids);
    let handed = 0;
    for (const routeId of this.routes.keys()) handed += await this.handOver(routeId);
    return queued.length + handed;
  }

  private component(name: string): Delivery {
    let c = this.components.get(name);
    if (!c) {
      const spec = this.deps.registry.get('delivery', name) as DeliverySpec;
      if (!this.deps.identity) throw new Error('this process has no signing identity, so it cannot send deliveries');
      c = spec.create({}, { identity: this.deps.identity, logger: this.deps.logger.child({ delivery: name }) });
      this.components.set(name, c);
    }
    return c;
  }

  /** A partner's certificate, read once per process rather than at every attempt. */
  private certificateOf(p: PartnerDef): string {
    let pem = this.certificates.get(p.id);
    if (pem === undefined) this.certificates.set(p.id, (pem = readCertificate(p.certificate!, this.deps.configDir)));
    return pem;
  }

  /** The partner's gate, shared with every process and with the queries to the same partner. */
  private gateOf(p: PartnerDef): PartnerGate {
    let g = this.gates.get(p.id);
    if (!g) {
      if (!this.deps.redis) throw new Error('this process has no Redis client for the partners\' gates, so it cannot send deliveries');
      this.gates.set(p.id, (g = new PartnerGate(this.deps.redis, this.deps.prefix, p.id, partnerPolicies(p))));
    }
    return g;
  }

  private target(partnerId: string | null, spec: DeliverySpec): { target: DeliveryTarget; timeoutMs: number; gate: PartnerGate } {
    const p = this.deps.partners.find((x) => x.id === partnerId);
    if (!p) throw new HubError('HUB_ERR_DELIVERY_TARGET', `partner ${partnerId ?? '(none)'} is no longer in partners.yaml; add it back and replay the dead letter`, { retryable: false });
    const endpoint = spec.receiver === 'agency' ? p.endpoint : p.notify?.endpoint;
    if (!endpoint) throw new HubError('HUB_ERR_DELIVERY_TARGET', `partner ${p.id} has no ${spec.receiver === 'agency' ? 'endpoint' : 'notify.endpoint'} in partners.yaml`, { retryable: false });
    return {
      target: {
        partnerId: p.id, endpoint,
        ...(p.certificate ? { certPem: this.certificateOf(p) } : {}),
        ...(p.notify?.token ? { token: envToken(p.notify.token) } : {}),
      },
      timeoutMs: partnerPolicies(p).timeoutMs,
      gate: this.gateOf(p),
    };
  }

  private async run(route: RouteDef, job: Job<Job1>, token: string | undefined): Promise<void> {
    const db = this.deps.store.db;
    const row = await getDelivery(db, job.data.deliveryId);
    if (!row || row.status !== 'pending') return; // delivered (a rerun), dead, or gone: nothing to do
    const spec = this.deps.registry.get('delivery', row.component);
    if (!spec) throw new UnrecoverableError(`HUB_ERR_DELIVERY_TARGET: no delivery component ${row.component} is registered`);
    const attempt = job.attemptsMade + 1;
    const step = deliverStepOf(route);
    const service = `deliver:${row.component}`;
    try {
      const { target, timeoutMs: partnerTimeout, gate } = this.target(row.partnerId, spec);
      const timeoutMs = Math.min(partnerTimeout, step?.timeout ? parseDuration(step.timeout) : Infinity);
      const admission = await gate.admit(timeoutMs);
      if (!admission.ok) {
        // Not an attempt: the partner was not called. The job waits for the gate's own figure.
        await job.moveToDelayed(Date.now() + Math.max(admission.retryAfterMs, 50), token);
        throw new DelayedError();
      }
      const out = await gate.pass(admission, async () => {
        // No audit row, no delivery: personal data leaves the hub only after its row is committed.
        await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: `attempt ${attempt}`, details: { deliveryId: row.id, partner: target.partnerId } });
        return this.component(row.component).deliver({ deliveryId: row.id, municipality: row.municipality ?? '', item: row.payload }, target, { timeoutMs });
      });
      if (out.undeliverable !== undefined) {
        // An answer, not a failure: no retry can change it, so it is neither retried nor a dead letter.
        await markDeliveryUndeliverable(db, row.id, attempt, out.undeliverable);
        await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: 'undeliverable', details: { deliveryId: row.id, partner: target.partnerId, attempts: attempt, reason: out.undeliverable } });
        return;
      }
      await markDelivered(db, row.id, { attempts: attempt, ref: out.ref, duplicate: out.duplicate });
      await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: out.duplicate ? 'delivered (duplicate)' : 'delivered', details: { deliveryId: row.id, partner: target.partnerId, attempts: attempt, ...(out.ref ? { ref: out.ref } : {}) } });
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      await markDeliveryFailed(db, row.id, attempt, message).catch(() => {});
      if (isHubError(e) && !e.retryable) throw new UnrecoverableError(`${e.code}: ${message}`);
      throw e;
    }
  }

  startWorkers(): void {
    for (const [id, route] of this.routes) {
      const worker = new Worker<Job1>(deliveryQueueOf(id), async (job, token) => {
        try {
          await this.run(route, job, token);
        } catch (e) {
          if (e instanceof DelayedError) throw e;
          this.deps.logger.warn({ route: id, deliveryId: job.data.deliveryId, attempt: job.attemptsMade + 1, err: e instanceof ConnectorError ? e.message : e }, 'delivery failed');
          throw e;
        }
      }, {
        connection: this.deps.connection, prefix: this.deps.prefix, concurrency: this.deps.concurrency ?? 8,
        ...(this.deps.lockDurationMs ? { lockDuration: this.deps.lockDurationMs, stalledInterval: Math.min(30_000, this.deps.lockDurationMs) } : {}),
        maxStalledCount: 5,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(route, attemptsMade) },
      });
      worker.on('completed', () => this.refill(id));
      worker.on('failed', (job, err) => {
        if (!job) return;
        if (isFinalFailure(job, err)) void this.deadLetter(route, job, err).finally(() => this.refill(id));
      });
      worker.on('error', (err) => this.deps.logger.error({ err, route: id }, 'delivery worker error'));
      this.workers.push(worker);
    }
  }

  private async deadLetter(route: RouteDef, job: Job<Job1>, err: Error): Promise<void> {
    try {
      const row = await getDelivery(this.deps.store.db, job.data.deliveryId);
      const dead = await markDeliveryDead(this.deps.store.db, { id: job.data.deliveryId, routeId: route.id, attempts: job.attemptsMade, error: err.message, firstFailedAt: job.processedOn });
      if (!dead) return;
      await this.audit.append({ actor: 'hub', subject: row?.subject, service: `deliver:${row?.component ?? '?'}`, purpose: route.id, outcome: 'dead-lettered', details: { deliveryId: job.data.deliveryId, attempts: job.attemptsMade, error: err.message } });
      this.deps.logger.error({ route: route.id, deliveryId: job.data.deliveryId, attempts: job.attemptsMade, err: err.message }, 'delivery dead-lettered');
    } catch (e) {
      this.deps.logger.error({ err: e }, 'could not dead-letter a delivery; it stays pending and the reconciler retries it');
    }
  }

  async counts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [id, q] of this.queues) out[id] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return out;
  }

  async close(graceMs = 8_000): Promise<void> {
    this.closed = true;
    for (const t of this.refills.values()) clearTimeout(t);
    await closeWorkers(this.workers, graceMs, () => this.deps.logger.warn({ graceMs }, 'in-flight deliveries did not finish in time; releasing them to other workers'));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    for (const c of this.components.values()) await c.close();
  }
}
