/**
 * BullMQ queues, one per route. A job is a reference {loadId, seq} to a batch kept in the store;
 * its id is deterministic, so enqueueing the same batch twice (a retry of the API, the reconciler)
 * is a no-op while a job for it is still waiting.
 *
 * Batches of one load are written in seq order, which makes the DUPLICATE rule ("the first
 * occurrence in the load wins") deterministic. Only the writes are ordered: once batch n is parsed
 * and validated and its predecessor is written, it enqueues batch n+1, whose CPU work then
 * overlaps n's write; n+1 writes when n is no longer pending. Loads of different municipalities run fully in parallel.
 */
import { Queue, Worker, UnrecoverableError, type Job, type ConnectionOptions } from 'bullmq';
import type { RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import { HubError, isHubError } from '../core/errors.ts';
import type { BatchRef, BatchOutcome } from './pipeline.ts';
import { markBatchDead, nextPendingBatch, unfinishedLoads, type Store } from '../../store/index.ts';

export interface QueueOptions {
  connection: ConnectionOptions;
  /** Key prefix (redis.ts): the queue's name carries the hash tag that keeps its keys in one Cluster slot. */
  prefix: string;
  concurrency?: number;
  /** How long a job's lock lives without renewal; parsing a 4 MB batch must fit well inside it. */
  lockDurationMs?: number;
}

export type BatchProcessor = (route: RouteDef, ref: BatchRef, beforeEffects: () => Promise<void>) => Promise<BatchOutcome>;

/** How long a prepared batch waits for its predecessor's write before it lets go of its slot. */
const PREDECESSOR_WAIT_MS = 60_000;

/** A route's queue: `{route-<id>}`, its own hash tag, so routes spread over a Cluster's masters. */
export const queueNameOf = (routeId: string): string => `{route-${routeId}}`;

export const jobIdOf = (ref: BatchRef): string => `${ref.loadId}-${ref.seq}`;

/** Exponential backoff with full jitter under a ceiling: retries of many workers do not align. */
export function backoffDelay(route: RouteDef, attemptsMade: number, random = Math.random): number {
  const r = route.onError.retry;
  const raw = r.backoff === 'fixed' ? r.delayMs : r.delayMs * 2 ** Math.max(0, attemptsMade - 1);
  const capped = Math.min(r.maxDelayMs, raw);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** Whether a failure was the job's last: unrecoverable, or out of attempts (then it is dead-lettered). */
export const isFinalFailure = (job: Job, err: Error): boolean =>
  err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);

/**
 * Stops the workers taking jobs and lets in-flight ones finish within `graceMs`; jobs still
 * running then are released (their locks lapse and another worker takes them over; effects are
 * idempotent, so the rerun is harmless).
 */
export async function closeWorkers(workers: Worker[], graceMs: number, onLate?: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = Promise.all(workers.map((w) => w.close())).then(() => true);
  const late = new Promise<boolean>((res) => { timer = setTimeout(() => res(false), graceMs); });
  const finished = await Promise.race([graceful, late]);
  clearTimeout(timer);
  if (!finished) {
    onLate?.();
    await Promise.all(workers.map((w) => w.close(true)));
  }
}

export class RouteQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly routes: Map<string, RouteDef>;

  constructor(
    routes: RouteDef[],
    private readonly opts: QueueOptions,
    private readonly store: Store,
    private readonly logger: Logger,
  ) {
    this.routes = new Map(routes.filter((r) => 'bulkLoad' in r.from).map((r) => [r.id, r]));
    for (const id of this.routes.keys()) {
      this.queues.set(id, new Queue(queueNameOf(id), { connection: opts.connection, prefix: opts.prefix }));
    }
  }

  queue(routeId: string): Queue {
    const q = this.queues.get(routeId);
    if (!q) throw new Error(`no queue for route ${routeId}`);
    return q;
  }

  async enqueue(routeId: string, ref: BatchRef): Promise<void> {
    const route = this.routes.get(routeId)!;
    await this.queue(routeId).add('batch', ref, {
      jobId: jobIdOf(ref),
      attempts: route.onError.retry.attempts,
      backoff: { type: 'route' },
      removeOnComplete: true,
      // Failed jobs are kept in the store's dead-letter table, not in Redis.
      removeOnFail: true,
    });
  }

  /** Enqueues the next pending batch of a load (after `afterSeq`, when given), if any. */
  async enqueueNext(routeId: string, loadId: string, afterSeq = 0): Promise<void> {
    const seq = await nextPendingBatch(this.store.db, loadId, afterSeq);
    if (seq !== null) await this.enqueue(routeId, { loadId, seq });
  }

  /** Resolves once batch seq-1 is written (or dead); a retryable error after a bound. */
  private async waitForPredecessor(ref: BatchRef): Promise<void> {
    if (ref.seq === 1) return;
    const until = Date.now() + PREDECESSOR_WAIT_MS;
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      const r = await this.store.db.query<{ status: string }>('SELECT status FROM batches WHERE load_id = $1 AND seq = $2', [ref.loadId, ref.seq - 1]);
      if (r.rows[0]?.status !== 'pending') return;
      if (Date.now() > until) throw new HubError('HUB_ERR_BATCH_ORDER', `batch ${ref.seq - 1} of load ${ref.loadId} is still pending; batch ${ref.seq} waits for it`, { retryable: true });
      await new Promise((res) => setTimeout(res, pause));
    }
  }

  /** Re-enqueues every committed, unfinished load's next batch: Redis may have lost the job. */
  async reconcile(): Promise<number> {
    const loads = await unfinishedLoads(this.store.db);
    for (const l of loads) if (this.routes.has(l.routeId)) await this.enqueueNext(l.routeId, l.id);
    return loads.length;
  }

  startWorkers(process: BatchProcessor): void {
    for (const [id, route] of this.routes) {
      const worker = new Worker<BatchRef>(queueNameOf(id), async (job: Job<BatchRef>) => {
        const log = this.logger.child({ route: id, loadId: job.data.loadId, batch: job.data.seq, jobId: job.id, attempt: job.attemptsMade + 1 });
        try {
          const out = await process(route, job.data, async () => {
            // Wait first, then hand on: one batch of lookahead overlaps CPU with the write
            // without piling up prepared batches (memory) that compete for the event loop.
            await this.waitForPredecessor(job.data);
            await this.enqueueNext(id, job.data.loadId, job.data.seq);
          });
          log.debug(out, 'batch processed');
        } catch (e) {
          log.warn({ err: e }, 'batch failed');
          if (isHubError(e) && !e.retryable) throw new UnrecoverableError(`${e.code}: ${e.message}`);
          throw e;
        }
        await this.enqueueNext(id, job.data.loadId);
      }, {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency: this.opts.concurrency ?? 4,
        lockDuration: this.opts.lockDurationMs ?? 60_000,
        // A job whose worker died (kill -9) is found and handed to another within this.
        stalledInterval: Math.min(30_000, this.opts.lockDurationMs ?? 60_000),
        // A worker that dies with a job is an accident, not a verdict on the job: allow several
        // before BullMQ fails it (then it goes to the dead letters like any other failure).
        maxStalledCount: 5,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(route, attemptsMade) },
      });
      worker.on('failed', (job, err) => {
        if (!job) return;
        if (isFinalFailure(job, err)) void this.deadLetter(route, job, err);
      });
      worker.on('error', (err) => this.logger.error({ err, route: id }, 'worker error'));
      this.workers.push(worker);
    }
  }

  /** The last attempt failed: keep the job with its reason in the store and let the load go on. */
  private async deadLetter(route: RouteDef, job: Job<BatchRef>, err: Error): Promise<void> {
    try {
      await this.store.db.query(
        `INSERT INTO dead_letters (route_id, job_id, data, error, attempts, first_failed_at) VALUES ($1, $2, $3::jsonb, $4, $5, to_timestamp($6 / 1000.0))`,
        [route.id, job.id ?? jobIdOf(job.data), JSON.stringify(job.data), err.message, job.attemptsMade, job.processedOn ?? Date.now()],
      );
      await markBatchDead(this.store.db, job.data.loadId, job.data.seq, err.message);
      this.logger.error({ route: route.id, loadId: job.data.loadId, batch: job.data.seq, attempts: job.attemptsMade, err: err.message }, 'batch dead-lettered');
      await this.enqueueNext(route.id, job.data.loadId);
    } catch (e) {
      this.logger.error({ err: e }, 'could not dead-letter a job; the reconciler will retry it');
    }
  }

  async counts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [id, q] of this.queues) out[id] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return out;
  }

  /**
   * Stops taking work and lets in-flight jobs finish within `graceMs`; jobs still running then are
   * released (their locks lapse and another worker takes them over, the store's idempotence makes
   * the rerun harmless). Then closes the connections.
   */
  async close(graceMs = 8_000): Promise<void> {
    await closeWorkers(this.workers, graceMs, () => this.logger.warn({ graceMs }, 'in-flight jobs did not finish in time; releasing them to other workers'));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
