/**
 * The scheduler role: starts each `from: {schedule}` route on its cron, in the one process that
 * holds the leader lock. A tick that finds the previous run of the same route still going is
 * skipped (node-cron noOverlap), and the run itself is what the engine does (engine PullRunner via
 * `run`). Missed ticks are not caught up: the next run starts from the stored checkpoint and so
 * covers whatever the missed ones would have.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Cluster, Redis } from 'ioredis';
import type { Logger, RouteDef } from '../engine/index.ts';
import { LeaderLock } from './leader.ts';

export { LeaderLock } from './leader.ts';

export interface SchedulerOptions {
  routes: RouteDef[];
  redis: Redis | Cluster;
  /** The hub's Redis prefix; the lock lives under it, hash-tagged `{scheduler}`. */
  prefix: string;
  logger: Logger;
  /** Runs one route now; rejects with the partner's error. */
  run(route: RouteDef, shouldStop: () => boolean): Promise<unknown>;
  /** Leader lock ttl. @defaultValue 30000 */
  lockTtlMs?: number;
}

export class Scheduler {
  readonly lock: LeaderLock;
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private cronOn = false;

  constructor(private readonly o: SchedulerOptions) {
    this.lock = new LeaderLock(o.redis, `${o.prefix}:{scheduler}:leader`, o.lockTtlMs ?? 30_000, (leader) => {
      o.logger.info({ leader }, leader ? 'this process leads the scheduler' : 'this process no longer leads the scheduler');
      // A new leader catches up at once from the checkpoints instead of waiting up to a cron period.
      if (leader && this.cronOn) for (const r of this.routes) void this.trigger(r);
    });
  }

  get routes(): RouteDef[] {
    return this.o.routes.filter((r) => 'schedule' in r.from);
  }

  /** Takes part in the leader election; with `cron` (the default) also starts the cron triggers. */
  start(opts: { cron?: boolean } = {}): void {
    this.cronOn = opts.cron !== false;
    this.lock.start();
    if (!this.cronOn) return;
    for (const route of this.routes) {
      const expr = (route.from as { schedule: { cron: string } }).schedule.cron;
      this.tasks.push(cron.schedule(expr, () => { void this.trigger(route); }, { name: route.id, noOverlap: true }));
    }
  }

  /**
   * Runs a route now if this process leads and the route is not already running here. Resolves
   * with false when it did not run. Operators and tests use it; cron ticks call it too.
   */
  async trigger(route: RouteDef): Promise<boolean> {
    if (!this.lock.isLeader || this.running.has(route.id)) return false;
    const p = this.o.run(route, () => !this.lock.isLeader)
      .catch((e) => this.o.logger.warn({ route: route.id, err: e }, 'scheduled run failed; the next tick resumes from the checkpoint'))
      .finally(() => this.running.delete(route.id));
    this.running.set(route.id, p);
    await p;
    return true;
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    await Promise.allSettled([...this.running.values()]);
    await this.lock.stop();
  }
}
