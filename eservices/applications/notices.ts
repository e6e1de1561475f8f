/**
 * Decision notices (issue 13, point 2; docs/partners/eaddress.md, "Decision notices"): when a load
 * brings a new decision for a person, one notice goes to the person's e-address, once.
 *
 * The bulk path stays as it is (it is the measured hot path): this planner, in the worker role,
 * runs after every batch applied and every 10 s, takes one done batch not yet scanned at a time
 * (a row lock with SKIP LOCKED, so two workers never plan the same batch at once), and in ONE
 * transaction writes the batch's notices into the delivery outbox and records the batch scanned.
 * A notice's delivery id is made from its cause (the decision's natural key) and its recipient
 * only, never from its words: the same decision loaded again, corrected, or planned twice after a
 * crash plans the same id, which the outbox keeps once; the e-address deduplicates by it too.
 */
import type { RouteDef } from '../../engine/config/types.ts';
import { deliveryIdOf, deliverStepOf } from '../../engine/runtime/deliveries.ts';
import { claimUnscannedBatch, decisionsOfBatch, markBatchScanned, summarizeNewDecisionRanges } from '../../store/decision-notices.ts';
import { routeAt, type EServiceDeps } from '../common/deps.ts';
import { decisionNotice } from './notice-text.ts';

export const DECISION_NOTICES_PATH = '/api/v1/persons/me/decision-notices';
/**
 * Only decisions made at most this many days before their batch reached the hub get a notice: a
 * municipality's first load brings years of history, and a month's load corrections of old
 * decisions, which persons were told of long ago. 90 days: a monthly export reaches SPOLIS up to six
 * weeks after its month ends, so a decision of the 1st of a month may arrive some 75 days later.
 */
export const NOTICE_WINDOW_DAYS = 90;
const TICK_MS = 10_000;

export interface DecisionNoticeOptions {
  /** @defaultValue NOTICE_WINDOW_DAYS */
  windowDays?: number;
  /** How often to look for batches another process applied. @defaultValue 10 s */
  tickMs?: number;
}

export interface DecisionNotices {
  afterBatch(): void;
  /** Plans every batch waiting now; resolves when none is left (tests, and close). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function startDecisionNotices(deps: EServiceDeps, opts: DecisionNoticeOptions = {}): DecisionNotices {
  const route = routeAt(deps.routes, DECISION_NOTICES_PATH);
  const off: DecisionNotices = { afterBatch() {}, async drain() {}, async close() {} };
  if (!route || !deliverStepOf(route)) return off;
  const logger = deps.logger.child({ eservice: 'decision-notices' });
  // Without a receiver, notices would only pile up as dead letters: the batches wait unscanned,
  // and once the e-address is configured their notices go (the window still counts from receipt).
  if (!deps.partners.some((p) => p.system === 'eaddress' && p.endpoint)) {
    logger.warn({ route: route.id }, 'decision notices are off: partners.yaml has no eaddress partner with an endpoint');
    return off;
  }
  const windowDays = opts.windowDays ?? NOTICE_WINDOW_DAYS;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const planAll = async (): Promise<void> => {
    do {
      again = false;
      await summarizeNewDecisionRanges(deps.store.db);
      while (!closed && await planOneBatch(deps, route, windowDays, logger)) { /* next batch */ }
    } while (again && !closed);
  };
  // One pass at a time per process; a call during a pass asks for another, so no batch waits a tick.
  const run = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) { again = true; return running; }
    running = planAll()
      .catch((err) => logger.error({ err }, 'planning decision notices failed; the next batch or tick tries again'))
      .finally(() => { running = undefined; });
    return running;
  };

  const timer = setInterval(() => void run(), opts.tickMs ?? TICK_MS);
  timer.unref();
  void run(); // batches applied while no worker ran

  return {
    afterBatch: () => void run(),
    // A pass already running is asked for one more, which starts after this call: awaiting it covers every batch done by now.
    drain: run,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Plans one batch's notices; false when no batch is waiting. */
async function planOneBatch(deps: EServiceDeps, route: RouteDef, windowDays: number, logger: EServiceDeps['logger']): Promise<boolean> {
  let queued: string[] = [];
  let planned = 0;
  const found = await deps.store.db.transaction(async (tx) => {
    const batch = await claimUnscannedBatch(tx);
    if (!batch) return undefined;
    if (batch.alreadyScanned) return batch;
    const messages = (await decisionsOfBatch(tx, batch, windowDays)).map(decisionNotice);
    // A notice is its cause and recipient, not its words: the same decision planned again is the same delivery.
    const rows = deps.deliveries.plan(route, 'eaddress.message', messages, (component, m) => deliveryIdOf(component, { cause: m.cause, recipient: m.recipient }));
    queued = await deps.deliveries.record(tx, rows);
    planned = rows.length;
    await markBatchScanned(tx, batch, queued.length);
    return batch;
  });
  if (!found) return false;
  if (queued.length) {
    await deps.deliveries.handOver(route.id).catch((err) => {
      logger.warn({ err, notices: queued.length }, 'notices stored but not handed to the queue; the reconciler hands them over');
    });
  }
  if (planned) logger.info({ loadId: found.loadId, batch: found.seq, decisions: planned, newNotices: queued.length }, 'decision notices planned');
  return true;
}
