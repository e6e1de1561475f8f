/**
 * Per-partner rate limit and circuit breaker, shared by every hub process through Redis, so that
 * two processes together never exceed what the partner allows (VSAA: 20 requests a second, above
 * which it answers UNAVAILABLE). One Lua script admits a call in one round trip; both keys carry
 * the partner's hash tag (`<prefix>:partner:{<id>}:…`), so the script runs on Redis Cluster and
 * different partners' gates spread over its masters.
 *
 * Rate limit: calls are paced, one every (1 s + GUARD_MS) / perSecond, so no second ever holds
 * more than perSecond of them. A call reserves the next free instant and waits until then (a FIFO
 * queue without polling); if that is more than maxWait away it reserves nothing and is refused (the
 * API answers 503 with Retry-After). Pacing rather than letting a second's worth go at once: the
 * partner counts arrivals, and a burst reaches it spread by scheduling and network jitter, so that
 * the next second's burst could overlap it; evenly spaced calls leave the guard as the margin for
 * that jitter. A lone call is never delayed. Redis's clock is the one clock, so processes with
 * skewed clocks still agree. (rate-limiter-flexible's Redis limiter counts fixed windows, which let
 * 2× the limit through across a window edge, and queues only in process memory; this is 6 lines.)
 *
 * Circuit breaker: `failures` consecutive failures (unreachable, timeout, UNAVAILABLE: a retryable
 * ConnectorError) open it for openMs, during which calls are refused without reaching the partner.
 * Then one process at a time gets a trial call: success closes the circuit, failure reopens it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from './redis.ts';
import type { PartnerPolicies } from '../config/partners.ts';
import { ConnectorError } from '../core/errors.ts';

export const GUARD_MS = 100;

const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
local trial = 0
if openUntil > 0 then
  if now < openUntil then return {1, openUntil - now, 0, 0} end
  local trialUntil = tonumber(redis.call('HGET', KEYS[1], 'trialUntil') or '0')
  if now < trialUntil then return {1, trialUntil - now, 0, 0} end
  trial = 1
end
local delay = 0
local interval = tonumber(ARGV[1])
if interval > 0 then
  local at = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
  delay = at - now
  if delay > tonumber(ARGV[2]) then return {2, delay, 0, 0} end
  -- %.3f: tostring would round a millisecond timestamp to 14 significant digits
  redis.call('SET', KEYS[2], string.format('%.3f', at + interval), 'PX', math.ceil(delay + interval) + 1000)
end
if trial == 1 then redis.call('HSET', KEYS[1], 'trialUntil', now + delay + tonumber(ARGV[3])) end
return {0, delay, trial, tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')}`;

const FAILED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if ARGV[3] == '1' or f >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'openUntil', now + tonumber(ARGV[2]), 'failures', 0)
  redis.call('HDEL', KEYS[1], 'trialUntil')
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 600000)
  return 1
end
redis.call('PEXPIRE', KEYS[1], 600000)
return 0`;

// A success closes a trial's circuit; otherwise it only resets the count (another process may
// have opened the circuit meanwhile, and one late success must not close it).
const SUCCEEDED = `
if ARGV[1] == '1' or not redis.call('HGET', KEYS[1], 'openUntil') then redis.call('DEL', KEYS[1]) return 1 end
redis.call('HSET', KEYS[1], 'failures', 0)
return 0`;

type GateRedis = RedisClient & {
  spolisGateAdmit(breaker: string, rate: string, intervalMs: number, maxWaitMs: number, trialMs: number): Promise<number[]>;
  spolisGateFailed(breaker: string, threshold: number, openMs: number, trial: string): Promise<number>;
  spolisGateSucceeded(breaker: string, trial: string): Promise<number>;
};

function withScripts(redis: RedisClient): GateRedis {
  const r = redis as GateRedis;
  if (typeof r.spolisGateAdmit !== 'function') {
    redis.defineCommand('spolisGateAdmit', { numberOfKeys: 2, lua: ADMIT });
    redis.defineCommand('spolisGateFailed', { numberOfKeys: 1, lua: FAILED });
    redis.defineCommand('spolisGateSucceeded', { numberOfKeys: 1, lua: SUCCEEDED });
  }
  return r;
}

export type Admission =
  | { ok: true; delayMs: number; trial: boolean; failures: number }
  | { ok: false; reason: 'circuit-open' | 'rate-limited'; retryAfterMs: number };

export type Settlement = 'ok' | 'failed' | 'neutral';

export class PartnerGate {
  private readonly redis: GateRedis;
  private readonly breakerKey: string;
  private readonly rateKey: string;

  constructor(redis: RedisClient, prefix: string, readonly partnerId: string, private readonly policies: PartnerPolicies) {
    this.redis = withScripts(redis);
    ({ breaker: this.breakerKey, rate: this.rateKey } = gateKeys(prefix, partnerId));
  }

  /** Asks for a turn: refused (circuit open, or the queue is longer than maxWait), or admitted after delayMs. */
  async admit(callTimeoutMs: number): Promise<Admission> {
    const rl = this.policies.rateLimit;
    const [state, ms, trial, failures] = await this.redis.spolisGateAdmit(
      this.breakerKey, this.rateKey, rl ? (1000 + GUARD_MS) / rl.perSecond : 0, rl?.maxWaitMs ?? 0, callTimeoutMs + 1000,
    );
    if (state === 1) return { ok: false, reason: 'circuit-open', retryAfterMs: ms };
    if (state === 2) return { ok: false, reason: 'rate-limited', retryAfterMs: ms };
    return { ok: true, delayMs: ms, trial: trial === 1, failures };
  }

  /**
   * Makes an admitted call: waits its turn, runs `call`, and records how it went. Only an
   * unreachable, slow or UNAVAILABLE partner (a retryable ConnectorError) counts against it; an
   * answer, even a refusal, shows it alive; any other error (nothing was sent) is neutral. An error
   * whose failure opened the circuit leaves with `circuitOpened: true`.
   */
  async pass<T>(a: Extract<Admission, { ok: true }>, call: () => Promise<T>): Promise<T> {
    if (a.delayMs > 0) await sleep(a.delayMs);
    let out: T;
    try {
      out = await call();
    } catch (e) {
      const how: Settlement = e instanceof ConnectorError ? (e.retryable ? 'failed' : 'ok') : 'neutral';
      if (await this.settle(a, how).catch(() => false)) Object.assign(e as object, { circuitOpened: true });
      throw e;
    }
    await this.settle(a, 'ok').catch(() => {});
    return out;
  }

  /**
   * Records how an admitted call went. Returns true when this failure opened the circuit. A
   * neutral end (the call was never sent, e.g. a validation error) only frees a trial slot.
   */
  async settle(a: Extract<Admission, { ok: true }>, how: Settlement): Promise<boolean> {
    const trial = a.trial ? '1' : '0';
    if (how === 'failed') {
      const cb = this.policies.circuitBreaker;
      return (await this.redis.spolisGateFailed(this.breakerKey, cb.failures, cb.openMs, trial)) === 1;
    }
    if (how === 'ok' && (a.trial || a.failures > 0)) await this.redis.spolisGateSucceeded(this.breakerKey, trial);
    if (how === 'neutral' && a.trial) await this.redis.hdel(this.breakerKey, 'trialUntil');
    return false;
  }
}

/** What a partner's gate holds at this instant (read-only; the console shows it). */
export interface GateState {
  /** closed: calls pass; open: refused for `retryInMs` more; half-open: the next call is a trial (`trial`: one is in flight). */
  circuit: 'closed' | 'open' | 'half-open';
  /** Consecutive failures counted towards opening it. */
  failures: number;
  retryInMs: number;
  trial: boolean;
  /** How long a call asking now would wait for its turn under the rate limit. */
  queuedMs: number;
}

/** A partner's two keys, in one slot of a Cluster (its id is their hash tag). */
const gateKeys = (prefix: string, partnerId: string): { breaker: string; rate: string } =>
  ({ breaker: `${prefix}:partner:{${partnerId}}:breaker`, rate: `${prefix}:partner:{${partnerId}}:rate` });

/**
 * Reads the breakers and pacing of `partnerIds`, one round trip per partner (all at once), each by
 * the clock of the server holding that partner's keys, as admit() sees them. (One pipeline for all
 * would cross slots on a Cluster.)
 */
export async function readGates(redis: RedisClient, prefix: string, partnerIds: string[]): Promise<Record<string, GateState>> {
  const read = async (id: string): Promise<[number, Record<string, string>, string | null]> => {
    const k = gateKeys(prefix, id);
    const res = (await redis.pipeline().time().hgetall(k.breaker).get(k.rate).exec()) ?? [];
    const failed = res.find(([e]) => e);
    if (failed) throw failed[0];
    const [sec, usec] = res[0][1] as [string, string];
    return [Number(sec) * 1000 + Math.floor(Number(usec) / 1000), res[1][1] as Record<string, string>, res[2][1] as string | null];
  };
  const all = await Promise.all(partnerIds.map(read));
  const out: Record<string, GateState> = {};
  partnerIds.forEach((id, i) => {
    const [now, b, rate] = all[i];
    const openUntil = Number(b.openUntil ?? 0), trialUntil = Number(b.trialUntil ?? 0), failures = Number(b.failures ?? 0);
    const queuedMs = Math.max(0, Math.round(Number(rate ?? 0) - now));
    out[id] = openUntil > now ? { circuit: 'open', failures, retryInMs: openUntil - now, trial: false, queuedMs }
      : openUntil > 0 ? { circuit: 'half-open', failures, retryInMs: 0, trial: trialUntil > now, queuedMs }
        : { circuit: 'closed', failures, retryInMs: 0, trial: false, queuedMs };
  });
  return out;
}
