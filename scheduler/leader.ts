/**
 * One leader across hub processes through a Redis lock: `SET key token NX PX ttl`, renewed by the
 * holder well inside its ttl with a compare-and-extend script, so only the holder can extend or
 * release it. A leader that stops renewing (killed, partitioned) loses the lock after `ttlMs`, and
 * another process takes over at its next attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class LeaderLock {
  readonly token = randomUUID();
  private held = false;
  private timer?: NodeJS.Timeout;

  /** @param ttlMs how long the lock outlives a silent holder. @defaultValue 30000 */
  constructor(private readonly redis: Redis, readonly key: string, private readonly ttlMs = 30_000, private readonly onChange?: (leader: boolean) => void) {}

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
        const ok = await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX');
        this.set(ok === 'OK');
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
