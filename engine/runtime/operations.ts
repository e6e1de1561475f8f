/**
 * What operators do to a running hub, whatever they do it from (`spolis-hub dlq replay`, the
 * console), and what of its state lives in Redis rather than the store.
 *
 * A replay reopens the dead letter in the store (its batch or delivery pending again), writes the
 * operator's audit row, then hands the work back to its queue. Reopening comes first and is what
 * counts: were the enqueue lost, the reconciler finds the reopened work anyway.
 */
import type { RedisClient } from './redis.ts';
import type { PartnerDef } from '../config/types.ts';
import { httpError } from '../core/errors.ts';
import { appendAudit, listDeadLetters, reopenDeadLetters, type DeadLetter, type Store } from '../../store/index.ts';
import type { RouteQueues } from './queues.ts';
import type { Deliveries } from './deliveries.ts';
import { readGates, type GateState } from './partner-gate.ts';

export type { GateState } from './partner-gate.ts';

export interface ReplayDeps {
  store: Store;
  queues: Pick<RouteQueues, 'enqueueNext'>;
  deliveries: Pick<Deliveries, 'handOver'>;
}

/** What a dead letter held: `delivery <id>` or `load <id> batch <seq>`. */
export const deadLetterSubject = (l: DeadLetter): string => ('deliveryId' in l.data ? `delivery ${l.data.deliveryId}` : `load ${l.data.loadId} batch ${l.data.seq}`);

/**
 * Replays `letters` as `actor` (`operator:<who>`): those not replayed yet are reopened in one
 * transaction, each audited, then enqueued; `onReplayed` hears of each in turn. Returns the ones
 * this call reopened (a letter already replayed, by anyone, is left alone).
 */
export async function replayDeadLetters(deps: ReplayDeps, letters: DeadLetter[], actor: string, onReplayed?: (l: DeadLetter) => void): Promise<DeadLetter[]> {
  const reopened = await reopenDeadLetters(deps.store.db, letters);
  for (const l of reopened) {
    // Audited before the work runs again: a replay is an operator's act on a municipality's data.
    const subject = 'deliveryId' in l.data ? l.data.deliveryId : `${l.data.loadId}/${l.data.seq}`;
    await appendAudit(deps.store.db, { actor, subject, service: 'dlq.replay', outcome: 'reopened', details: { deadLetterId: l.id, route: l.routeId, error: l.error } });
    if ('deliveryId' in l.data) await deps.deliveries.handOver(l.routeId);
    else await deps.queues.enqueueNext(l.routeId, l.data.loadId);
    onReplayed?.(l);
  }
  return reopened;
}

/** Replays the one dead letter `id`: 404 when there is none, 409 when it was replayed already. */
export async function replayDeadLetter(deps: ReplayDeps, id: number, actor: string): Promise<DeadLetter> {
  const [letter] = await listDeadLetters(deps.store.db, { id, includeReplayed: true });
  if (!letter) throw httpError(404, 'HUB_ERR_DEAD_LETTER_NOT_FOUND', `no dead letter ${id}; list them with GET /api/v1/ops/dead-letters or spolis-hub dlq list`, 'id');
  const replayedAlready = (at: string | null): never => {
    throw httpError(409, 'HUB_ERR_DEAD_LETTER_REPLAYED', `dead letter ${id} (${deadLetterSubject(letter)}) was replayed at ${at}; if it failed again, it is a new dead letter`, 'id');
  };
  if (letter.replayedAt) replayedAlready(letter.replayedAt);
  const [done] = await replayDeadLetters(deps, [letter], actor);
  if (!done) {
    // Another operator's replay got there between the read and the reopen.
    const [now] = await listDeadLetters(deps.store.db, { id, includeReplayed: true });
    replayedAlready(now?.replayedAt ?? null);
  }
  const [after] = await listDeadLetters(deps.store.db, { id, includeReplayed: true });
  return after ?? done;
}

/** The circuit breaker and rate-limit queue of each partner, as every hub process sees them (Redis). */
export async function partnerGates(redis: RedisClient, prefix: string, partners: Pick<PartnerDef, 'id'>[]): Promise<Record<string, GateState>> {
  return readGates(redis, prefix, partners.map((p) => p.id));
}
