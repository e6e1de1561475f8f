/**
 * Runs a scheduled pull (a `from: {schedule: {pull}}` route): reads the partner's change feed page
 * by page from the stored checkpoint, applies each page with the route's steps, and moves the
 * checkpoint in the same transaction, so a pull stopped anywhere (crash, timeout, outage) resumes
 * at the first page not stored: no gaps, and no page applied twice.
 *
 * Within one `since`, pages follow the partner's cursor; after the last page (no NextCursor) the
 * next run asks for changes after the newest change instant stored.
 */
import { randomUUID } from 'node:crypto';
import type { Pull, PullSpec } from '../components/specs.ts';
import type { Registry } from '../components/registry.ts';
import type { PartnerDef, RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import type { SigningIdentity } from '../soap/signing.ts';
import type { FlowRunner } from './flows.ts';
import { resolveTarget } from '../config/partners.ts';
import { readCheckpoint, writeCheckpoint, type Checkpoint, type Store } from '../../store/index.ts';

export interface PullDeps {
  registry: Registry;
  partners: PartnerDef[];
  configDir: string;
  identity: SigningIdentity;
  store: Store;
  flows: FlowRunner;
  logger: Logger;
}

export interface PullRun {
  routeId: string;
  pages: number;
  items: number;
  checkpoint: Checkpoint;
}

type Schedule = { cron: string; pull: string; pageSize?: number; since?: string };

/** Where a route never pulled starts: the `since` of its file, or the start of the current year. */
const initialSince = (s: Schedule, now = new Date()): string => s.since ?? `${now.getUTCFullYear()}-01-01T00:00:00.000Z`;

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b;

export class PullRunner {
  private readonly pulls = new Map<string, { pull: Pull; spec: PullSpec; timeoutMs: number }>();

  constructor(private readonly deps: PullDeps) {}

  /** The pull of a route, made once; undefined when partners.yaml has no such partner (logged). */
  private pullOf(route: RouteDef): { pull: Pull; spec: PullSpec; timeoutMs: number } | undefined {
    let p = this.pulls.get(route.id);
    if (p) return p;
    const s = (route.from as { schedule: Schedule }).schedule;
    const spec = this.deps.registry.get('pull', s.pull)!;
    const resolved = resolveTarget(spec, this.deps.partners, this.deps.configDir);
    if (!resolved) return undefined;
    p = { spec, timeoutMs: resolved.policies.timeoutMs, pull: spec.create({}, { target: resolved.target, identity: this.deps.identity, logger: this.deps.logger.child({ route: route.id }) }) };
    this.pulls.set(route.id, p);
    return p;
  }

  /**
   * Pulls until the feed is exhausted, `maxPages` pages were stored, or `shouldStop()` says so
   * (the scheduler lost its leadership). Throws the partner's error after storing what came before.
   */
  async run(route: RouteDef, opts: { maxPages?: number; shouldStop?: () => boolean } = {}): Promise<PullRun> {
    const s = (route.from as { schedule: Schedule }).schedule;
    const p = this.pullOf(route);
    if (!p) throw new Error(`route ${route.id}: partners.yaml has no ${this.deps.registry.get('pull', s.pull)?.partner} partner with endpoint and certificate`);
    let cp = await readCheckpoint(this.deps.store.db, route.id, initialSince(s));
    const run: PullRun = { routeId: route.id, pages: 0, items: 0, checkpoint: cp };
    const field = p.spec.changedAtField;
    for (;;) {
      if (opts.shouldStop?.() || (opts.maxPages !== undefined && run.pages >= opts.maxPages)) break;
      const page = await p.pull.page({ since: cp.since, cursor: cp.cursor, pageSize: s.pageSize ?? 500, requestId: randomUUID() }, { timeoutMs: p.timeoutMs });
      let newest = cp.newest;
      for (const item of page.items) newest = later(newest, (item as Record<string, string>)[field]);
      const next: Checkpoint = page.nextCursor
        ? { ...cp, cursor: page.nextCursor, newest, pages: cp.pages + 1, items: cp.items + page.items.length }
        : { routeId: cp.routeId, since: newest ?? cp.since, pages: cp.pages + 1, items: cp.items + page.items.length };
      await this.deps.flows.apply(route, p.spec.produces, page.items, { routeId: route.id, actor: p.spec.partner, origin: 'pull' }, {
        after: (tx) => writeCheckpoint(tx, next),
      });
      cp = next;
      run.pages++;
      run.items += page.items.length;
      run.checkpoint = cp;
      if (!page.nextCursor) break;
    }
    this.deps.logger.info({ route: route.id, pages: run.pages, items: run.items, since: cp.since }, 'pull finished');
    return run;
  }

  async close(): Promise<void> {
    for (const p of this.pulls.values()) await p.pull.close();
    this.pulls.clear();
  }
}
