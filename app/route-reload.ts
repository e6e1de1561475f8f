/**
 * What starts a route reload in a running hub process (hub.ts `reload`):
 * - a change in the route directory, when watched (debounced: an editor's save is several events);
 * - `spolis-hub routes reload`, published on Redis so that every process of the hub (api, worker,
 *   scheduler, on any machine) reloads and answers with what it did.
 */
import { watch, type FSWatcher } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../engine/core/logger.ts';
import { openBus, type RedisBus, type RedisTopology } from '../engine/runtime/redis.ts';

export interface ReloadResult {
  /** swapped: the new set runs; unchanged: the files give the running set; refused: the running set keeps going. */
  outcome: 'swapped' | 'unchanged' | 'refused';
  /** Generation ids (content hashes) before and after. */
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: string[];
  /** Why refused: `file:line: path: what`, every problem. */
  problems?: string[];
}

/** A process's answer to `routes reload`. */
export interface ReloadReply { requestId: string; host: string; pid: number; result?: ReloadResult; error?: string }

/** Both channels hash-tagged alike: on a Cluster they are sharded channels of one slot (redis.ts openBus). */
const channels = (prefix: string) => ({ ask: `${prefix}:{routes}:reload`, reply: `${prefix}:{routes}:reloaded` });
const DEBOUNCE_MS = 300;

export class RouteReloads {
  private watcher?: FSWatcher;
  private bus?: RedisBus;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: { dir: string; redis: RedisTopology; prefix: string; logger: Logger; watch: boolean; reload(by: string): Promise<ReloadResult> }) {}

  async start(): Promise<void> {
    if (this.o.watch) {
      this.watcher = watch(this.o.dir, { recursive: true }, () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.o.reload('file-watch').catch((e: unknown) => this.o.logger.error({ err: e }, 'route reload failed')), DEBOUNCE_MS);
      });
      this.watcher.on('error', (e) => this.o.logger.warn({ err: e, dir: this.o.dir }, 'the route directory cannot be watched; use `spolis-hub routes reload`'));
    }
    const c = channels(this.o.prefix);
    this.bus = openBus(this.o.redis);
    await this.bus.subscribe(c.ask, (message) => void this.answer(message));
  }

  private async answer(message: string): Promise<void> {
    let ask: { requestId?: string; by?: string };
    try { ask = JSON.parse(message) as typeof ask; } catch { return; }
    const requestId = String(ask.requestId ?? '');
    const by = typeof ask.by === 'string' && /^[\w.:@-]{1,80}$/.test(ask.by) ? ask.by : 'operator:unknown';
    const reply: ReloadReply = { requestId, host: hostname(), pid: process.pid };
    try {
      reply.result = await this.o.reload(by);
    } catch (e) {
      reply.error = (e as Error).message;
    }
    await this.bus?.publish(channels(this.o.prefix).reply, JSON.stringify(reply)).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.bus?.close();
  }
}

/**
 * `spolis-hub routes reload`: asks every running process of the hub (same Redis and prefix) to
 * reload, and collects their answers. Resolves with the replies; `listeners` is how many processes
 * heard the request (Redis PUBLISH's count), so a missing answer is visible.
 */
export async function requestReload(o: { redis: RedisTopology; prefix: string; by: string; timeoutMs?: number }): Promise<{ listeners: number; replies: ReloadReply[] }> {
  const c = channels(o.prefix);
  const bus = openBus(o.redis);
  try {
    const requestId = randomUUID();
    const replies: ReloadReply[] = [];
    let listeners = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((r) => { done = r; });
    await bus.subscribe(c.reply, (m) => {
      try {
        const reply = JSON.parse(m) as ReloadReply;
        if (reply.requestId !== requestId) return;
        replies.push(reply);
        if (listeners > 0 && replies.length >= listeners) done();
      } catch { /* not ours */ }
    });
    listeners = await bus.publish(c.ask, JSON.stringify({ requestId, by: o.by }));
    if (listeners === 0) return { listeners, replies };
    if (replies.length >= listeners) done();
    await Promise.race([all, new Promise((r) => setTimeout(r, o.timeoutMs ?? 30_000))]);
    return { listeners, replies };
  } finally {
    bus.close();
  }
}
