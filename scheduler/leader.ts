/**
 * One leader across hub processes through a Redis lock: a key set to the holder's token only when
 * free (SET NX PX, in a script that also knows the holder's own token), renewed by the
 * holder well inside its ttl with a compare-and-extend script, so only the holder can extend or
 * release it. A leader that stops renewing (killed, partitioned) loses the lock after `ttlMs`, and
 * another process takes over at its next attempt. A holder that stepped down because Redis did not
 * answer (a Sentinel failover, say) takes its own lock back at once when it finds it still standing,
 * rather than leaving the pulls idle until the lock lapses.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const ACQUIRE = `local v = redis.call('get', KEYS[1])
if v == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if v then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class LeaderLock {
  readonly token = randomUUID();
  private held = false;
  private timer?: NodeJS.Timeout;

  /** @param ttlMs how long the lock outlives a silent holder. @defaultValue 30000 */
  constructor(private readonly redis: Redis | Cluster, readonly key: string, private readonly ttlMs = 30_000, private readonly onChange?: (leader: boolean) => void) {}

  get isLeader(): boolean { return this.held; }

  /** Tries to take or keep the lock now, then every ttl/3. */
  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private set(leader: boolean): void {
    if (leader !== this.held) {
      this.held = leader;
      this.onChange?.(leader);
    }
  }

  private inflight?: Promise<boolean>;

  /** Takes or renews the lock; concurrent calls share one round trip (two could contradict each other). */
  tick(): Promise<boolean> {
    this.inflight ??= this.attempt().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async attempt(): Promise<boolean> {
    try {
      if (this.held) {
        const ok = await this.redis.eval(EXTEND, 1, this.key, this.token, String(this.ttlMs));
        this.set(ok === 1);
      } else {
        const ok = await this.redis.eval(ACQUIRE, 1, this.key, this.token, String(this.ttlMs));
        this.set(ok === 1);
      }
    } catch {
      // Without Redis no one can prove leadership: step down rather than risk two leaders.
      this.set(false);
    }
    return this.held;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.held) await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => {});
    this.set(false);
  }
}
