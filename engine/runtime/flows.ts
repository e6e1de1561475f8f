/**
 * Runs the effect of a flow route (a scheduled pull's page, a SOAP push, an HTTP intake) on a list
 * of canonical items: its `to:` sinks and its `deliver:` outbox rows, in one transaction together
 * with what the caller must record alongside (a pull's checkpoint, a push's RequestId). Only after
 * that transaction commits are the delivery jobs enqueued; if enqueueing fails, the rows are
 * pending in the store and the reconciler enqueues them.
 */
import type { Sink, SinkMeta } from '../components/specs.ts';
import type { MessageType } from '../../schemas/canonical/model.ts';
import type { Registry } from '../components/registry.ts';
import type { RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import type { Deliveries } from './deliveries.ts';
import type { Db, Store } from '../../store/index.ts';

export interface FlowOutcome {
  /** Items stored by the sinks (a sink route), or queued for delivery (a deliver route). */
  count: number;
  /** Items no receiver is configured for (recorded as undeliverable). */
  undeliverable: number;
}

export interface FlowHooks {
  /** Runs first in the transaction; returning false rolls back and skips the effect. */
  before?(tx: Db): Promise<boolean>;
  /** Runs last in the transaction, with the outcome. */
  after?(tx: Db, out: FlowOutcome): Promise<void>;
}

export class FlowRunner {
  private readonly sinks = new Map<string, Sink>();

  constructor(private readonly deps: { registry: Registry; store: Store; logger: Logger; deliveries?: Deliveries }) {}

  private sink(name: string, options: Record<string, unknown>): Sink {
    let s = this.sinks.get(name);
    if (!s) {
      s = this.deps.registry.get('sink', name)!.create(options, { store: this.deps.store, logger: this.deps.logger });
      this.sinks.set(name, s);
    }
    return s;
  }

  /** Applies the route's steps to `items`; undefined when `hooks.before` declined. */
  async apply(route: RouteDef, type: MessageType, items: unknown[], meta: SinkMeta, hooks: FlowHooks = {}): Promise<FlowOutcome | undefined> {
    const queued: string[] = [];
    const out = await this.deps.store.db.transaction(async (tx) => {
      if (hooks.before && !(await hooks.before(tx))) return undefined;
      const o: FlowOutcome = { count: 0, undeliverable: 0 };
      for (const step of route.steps) {
        if ('to' in step) {
          o.count = await this.sink(step.to, step.options ?? {}).accept(items, meta, tx);
        } else if ('deliver' in step) {
          if (!this.deps.deliveries) throw new Error(`route ${route.id} delivers, and this hub process has no delivery queues`);
          const rows = this.deps.deliveries.plan(route, type, items);
          queued.push(...await this.deps.deliveries.record(tx, rows));
          o.undeliverable = rows.filter((r) => r.status === 'undeliverable').length;
          o.count = rows.length - o.undeliverable;
        }
      }
      await hooks.after?.(tx, o);
      return o;
    });
    if (out && queued.length) {
      await this.deps.deliveries!.handOver(route.id).catch((e) => {
        this.deps.logger.warn({ err: e, route: route.id, deliveries: queued.length }, 'deliveries stored but not handed to the queue; the reconciler hands them over');
      });
    }
    if (out?.undeliverable) this.deps.logger.warn({ route: route.id, undeliverable: out.undeliverable }, 'items with no configured receiver recorded as undeliverable');
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.sinks.values()) await s.close();
  }
}
