/**
 * Asynchronous deliveries (DESIGN.md §5): the `deliver:` steps of flow routes. Planning turns items
 * into outbox rows (store/deliveries.ts) inside the caller's transaction; after it commits, a
 * BullMQ job per row (jobId = the delivery id) sends it through the delivery component, with the
 * route's retries and backoff; the last failure dead-letters it, and `dlq replay` reopens it. The
 * receiver deduplicates by the delivery id, so a job run twice (a stalled lock, a crash between
 * sending and marking) is harmless. Every attempt is audited before the data leaves the hub.
 */
import { createHash } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
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
import {
  getDelivery, insertDeliveries, markDelivered, markDeliveryDead, markDeliveryFailed, pendingDeliveryIds,
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
  logger: Logger;
  connection: ConnectionOptions;
  prefix: string;
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal, as the batch queues' (HUB_LOCK_MS): the deliveries
   * of a worker that died (kill -9) go to another worker within about this. @defaultValue BullMQ's 30 s
   */
  lockDurationMs?: number;
}

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

  /** Writes the planned rows in `tx`; resolves with the ids to enqueue once `tx` commits. */
  async record(tx: Db, rows: NewDelivery[]): Promise<string[]> {
    const fresh = new Set(await insertDeliveries(tx, rows));
    return rows.filter((r) => fresh.has(r.id) && (r.status ?? 'pending') === 'pending').map((r) => r.id);
  }

  async enqueue(routeId: string, ids: string[]): Promise<void> {
    const route = this.routes.get(routeId);
    const q = this.queues.get(routeId);
    if (!route || !q || ids.length === 0) return;
    await q.addBulk(ids.map((deliveryId) => ({
      name: 'deliver', data: { deliveryId },
      opts: { jobId: deliveryId, attempts: route.onError.retry.attempts, backoff: { type: 'route' }, removeOnComplete: true, removeOnFail: true },
    })));
  }

  /** Re-enqueues every pending delivery: Redis may have lost its job. */
  async reconcile(): Promise<number> {
    const pending = await pendingDeliveryIds(this.deps.store.db, [...this.routes.keys()]);
    const byRoute = new Map<string, string[]>();
    for (const p of pending) (byRoute.get(p.routeId) ?? byRoute.set(p.routeId, []).get(p.routeId)!).push(p.id);
    for (const [routeId, ids] of byRoute) await this.enqueue(routeId, ids);
    return pending.length;
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

  private target(partnerId: string | null, spec: DeliverySpec): { target: DeliveryTarget; timeoutMs: number } {
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
    };
  }

  private async run(route: RouteDef, job: Job<Job1>): Promise<void> {
    const db = this.deps.store.db;
    const row = await getDelivery(db, job.data.deliveryId);
    if (!row || row.status !== 'pending') return; // delivered (a rerun), dead, or gone: nothing to do
    const spec = this.deps.registry.get('delivery', row.component);
    if (!spec) throw new UnrecoverableError(`HUB_ERR_DELIVERY_TARGET: no delivery component ${row.component} is registered`);
    const attempt = job.attemptsMade + 1;
    const step = deliverStepOf(route);
    const service = `deliver:${row.component}`;
    try {
      const { target, timeoutMs: partnerTimeout } = this.target(row.partnerId, spec);
      const timeoutMs = Math.min(partnerTimeout, step?.timeout ? parseDuration(step.timeout) : Infinity);
      // No audit row, no delivery: personal data leaves the hub only after its row is committed.
      await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: `attempt ${attempt}`, details: { deliveryId: row.id, partner: target.partnerId } });
      const out = await this.component(row.component).deliver({ deliveryId: row.id, municipality: row.municipality ?? '', item: row.payload }, target, { timeoutMs });
      if (out.undeliverable !== undefined) {
        // An answer, not a failure: no retry can change it, so it is neither retried nor a dead letter.
        await markDeliveryUndeliverable(db, row.id, attempt, out.undeliverable);
        await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: 'undeliverable', details: { deliveryId: row.id, partner: target.partnerId, attempts: attempt, reason: out.undeliverable } });
        return;
      }
      await markDelivered(db, row.id, { attempts: attempt, ref: out.ref, duplicate: out.duplicate });
      await this.audit.append({ actor: 'hub', subject: row.subject, service, purpose: route.id, outcome: out.duplicate ? 'delivered (duplicate)' : 'delivered', details: { deliveryId: row.id, partner: target.partnerId, attempts: attempt, ...(out.ref ? { ref: out.ref } : {}) } });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await markDeliveryFailed(db, row.id, attempt, message).catch(() => {});
      if (isHubError(e) && !e.retryable) throw new UnrecoverableError(`${e.code}: ${message}`);
      throw e;
    }
  }

  startWorkers(): void {
    for (const [id, route] of this.routes) {
      const worker = new Worker<Job1>(deliveryQueueOf(id), async (job) => {
        try {
          await this.run(route, job);
        } catch (e) {
          this.deps.logger.warn({ route: id, deliveryId: job.data.deliveryId, attempt: job.attemptsMade + 1, err: e instanceof ConnectorError ? e.message : e }, 'delivery failed');
          throw e;
        }
      }, {
        connection: this.deps.connection, prefix: this.deps.prefix, concurrency: this.deps.concurrency ?? 8,
        ...(this.deps.lockDurationMs ? { lockDuration: this.deps.lockDurationMs, stalledInterval: Math.min(30_000, this.deps.lockDurationMs) } : {}),
        maxStalledCount: 5,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(route, attemptsMade) },
      });
      worker.on('failed', (job, err) => {
        if (!job) return;
        if (isFinalFailure(job, err)) void this.deadLetter(route, job, err);
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
    await closeWorkers(this.workers, graceMs, () => this.deps.logger.warn({ graceMs }, 'in-flight deliveries did not finish in time; releasing them to other workers'));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    for (const c of this.components.values()) await c.close();
  }
}
