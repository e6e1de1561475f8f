/**
 * What the console's JSON API answers: each view gathers what an operator looks at together, from
 * the store (what every process did), the queues and partner gates in Redis (shared by every
 * process), the configuration this process runs, and this process's own metrics.
 */
import { X509Certificate } from 'node:crypto';
import type { RedisClient } from '../engine/runtime/redis.ts';
import type { HubConfig, PartnerDef, RouteDef } from '../engine/config/types.ts';
import type { Registry } from '../engine/components/registry.ts';
import type { Logger } from '../engine/core/logger.ts';
import type { HubMetrics } from '../engine/core/metrics.ts';
import type { PartnerAuth } from '../engine/http/auth.ts';
import type { RouteQueues } from '../engine/runtime/queues.ts';
import type { Deliveries } from '../engine/runtime/deliveries.ts';
import type { SigningIdentity } from '../engine/soap/signing.ts';
import { partnerPolicies, readCertificate } from '../engine/config/partners.ts';
import { partnerGates } from '../engine/runtime/operations.ts';
import { httpError } from '../engine/core/errors.ts';
import {
  auditActivity, batchStates, deadLettersOfLoad, deliveryCounts, deliveryRouteActivity, lastLoadByPartner, listDeadLetters, listRejections,
  loadProgress, loadRouteActivity, loadStatusCounts, minuteSeries, openDeadLetterCounts, pullStates, recentLoads, rejectionsByCode,
  type DeadLetter, type LoadStatus, type Store,
} from '../store/index.ts';
import { nextRun } from './schedule.ts';
import type { AuditWatch } from './audit-watch.ts';

/** What the console reads; app/surfaces.ts's SurfaceDeps carries all of it. */
export interface ConsoleDeps {
  config: HubConfig;
  registry: Registry;
  store: Store;
  queues: RouteQueues;
  deliveries: Deliveries;
  metrics: HubMetrics;
  auth: PartnerAuth;
  redis: RedisClient;
  prefix: string;
  identity: SigningIdentity;
  logger: Logger;
}

type Kind = 'bulkLoad' | 'query' | 'soap' | 'schedule' | 'http';
const kindOf = (r: RouteDef): Kind => Object.keys(r.from)[0] as Kind;

function triggerText(r: RouteDef): string {
  const f = r.from as Record<string, Record<string, unknown>>;
  const k = kindOf(r), t = f[k];
  switch (k) {
    case 'bulkLoad': return `bulk load from ${t.source}`;
    case 'query': return `query ${t.service}`;
    case 'soap': return `SOAP ${t.service}/${t.operation}`;
    case 'schedule': return `pull ${t.pull} at "${t.cron}"`;
    case 'http': return `HTTP ${t.path}`;
  }
}

interface CertInfo { subject: string; validTo: string; daysLeft: number }
type CertView = CertInfo | { error: string };

const certCache = new Map<string, { at: number; view: CertView }>();

/** A certificate's subject and expiry; files are re-read once a minute (a renewed certificate shows without a restart). */
function certificateView(certificate: string, dir: string, now = Date.now()): CertView {
  const key = `${dir}\u0000${certificate}`;
  const hit = certCache.get(key);
  if (hit && now - hit.at < 60_000) return hit.view;
  let view: CertView;
  try {
    const x = new X509Certificate(readCertificate(certificate, dir));
    const validTo = new Date(x.validTo);
    view = { subject: x.subject.replace(/\n/g, ', '), validTo: validTo.toISOString(), daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000) };
  } catch (e) {
    view = { error: (e as Error).message };
  }
  certCache.set(key, { at: now, view });
  return view;
}

/** This process's counters (prom-client): what it served and processed since it started. */
async function processView(metrics: HubMetrics) {
  const all = await metrics.registry.getMetricsAsJSON();
  const sum = (name: string, keep: (labels: Record<string, string | number>) => boolean = () => true): number =>
    (all.find((m) => m.name === name)?.values ?? []).filter((v) => keep(v.labels as Record<string, string | number>)).reduce((a, v) => a + Number(v.value), 0);
  return {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    httpRequests: sum('spolis_http_requests_total'),
    http5xx: sum('spolis_http_requests_total', (l) => String(l.status).startsWith('5')),
    batches: sum('spolis_batches_processed_total'),
    records: { accepted: sum('spolis_records_total', (l) => l.outcome === 'accepted'), rejected: sum('spolis_records_total', (l) => l.outcome === 'rejected') },
  };
}

const callsHub = (p: PartnerDef): boolean => !!(p.endpoint || p.notify?.endpoint);

const redisDown = (e: Error): { error: string } => ({ error: e.message });
const failed = (x: object): x is { error: string } => 'error' in x && typeof (x as { error: unknown }).error === 'string';

export async function overview(deps: ConsoleDeps, audit: AuditWatch) {
  const { config, store } = deps;
  const db = store.db;
  const routes = config.routes;
  const routeIds = routes.map((r) => r.id);
  const [auditState, counts, recent, loadAct, deliveryAct, deliveryTotals, pulls, activity, lastLoads, openLetters, letters, batchQueues, deliveryQueues, gates, proc] = await Promise.all([
    audit.state(), loadStatusCounts(db), recentLoads(db, { limit: 25 }), loadRouteActivity(db), deliveryRouteActivity(db), deliveryCounts(db), pullStates(db),
    auditActivity(db, routeIds), lastLoadByPartner(db), openDeadLetterCounts(db), listDeadLetters(db, { newestFirst: true, limit: 25 }),
    // Redis down must not take the store's half of the picture with it: each Redis read degrades alone.
    deps.queues.counts().catch(redisDown), deps.deliveries.counts().catch(redisDown),
    partnerGates(deps.redis, deps.prefix, config.partners.filter(callsHub)).catch(redisDown),
    processView(deps.metrics),
  ]);
  const now = new Date();

  const routeViews = routes.map((r) => {
    const k = kindOf(r);
    const f = r.from as Record<string, Record<string, string>>;
    const base = {
      id: r.id, description: r.description, file: r.file, kind: k, trigger: triggerText(r), enabled: true,
      access: r.access.partners, steps: r.steps.map((s) => `${Object.keys(s)[0]} ${JSON.stringify(Object.values(s)[0]).replace(/^"|"$/g, '')}`),
      retry: r.onError.retry, deadLetter: r.onError.deadLetter, openDeadLetters: openLetters[r.id] ?? 0,
    };
    const viaAudit = (key: string | undefined, unit: string) => {
      const a = key === undefined ? undefined : (k === 'query' ? activity.byService[key] : activity.byRoute[key]);
      return { lastRun: a?.last ?? null, lastHour: a?.lastHour ?? 0, unit, errorsLastHour: a?.failedLastHour ?? 0, lastOutcome: a?.lastOutcome ?? null };
    };
    switch (k) {
      case 'bulkLoad': {
        const a = loadAct[r.id];
        return { ...base, lastRun: a?.lastRun ?? null, lastHour: a?.recordsLastHour ?? 0, unit: 'records', errorsLastHour: null, deadBatchesLastDay: a?.deadLastDay ?? 0 };
      }
      case 'schedule': {
        const p = pulls[r.id], d = deliveryAct[r.id];
        const next = nextRun(f.schedule.cron, now);
        return { ...base, lastRun: p?.updatedAt ?? null, lastHour: d?.deliveredLastHour ?? 0, unit: 'deliveries', errorsLastHour: null, failingDeliveries: d?.failingNow ?? 0, nextRun: next?.toISOString() ?? null };
      }
      case 'query': return { ...base, ...viaAudit(f.query.service, 'queries') };
      case 'soap': return { ...base, ...viaAudit(r.id, 'pushes') };
      default: {
        const d = deliveryAct[r.id];
        return d ? { ...base, lastRun: d.lastRun, lastHour: d.deliveredLastHour, unit: 'deliveries', errorsLastHour: null, failingDeliveries: d.failingNow }
          : { ...base, ...viaAudit(r.id, 'requests') };
      }
    }
  });

  const queueRows = (counts: Record<string, Record<string, number>> | { error: string }, kind: 'batches' | 'deliveries') =>
    failed(counts) ? [] : Object.entries(counts).map(([route, c]) => ({ route, kind, waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, deadLetters: openLetters[route] ?? 0 }));
  const queues = [...queueRows(batchQueues, 'batches'), ...queueRows(deliveryQueues, 'deliveries')];
  const redisProblem = [batchQueues, deliveryQueues, gates].find(failed)?.error;

  const deliveries = Object.entries(deliveryTotals).map(([route, c]) => ({ route, ...c, ...(deliveryAct[route] ?? { lastRun: null, deliveredLastHour: 0, failingNow: 0 }) }));

  const pullViews = routes.filter((r) => kindOf(r) === 'schedule').map((r) => {
    const s = (r.from as { schedule: { cron: string; pull: string; pageSize?: number; since?: string } }).schedule;
    const cp = pulls[r.id];
    return {
      route: r.id, pull: s.pull, partner: deps.registry.get('pull', s.pull)?.partner ?? null, cron: s.cron, pageSize: s.pageSize ?? 500,
      checkpoint: cp ? { since: cp.since, cursor: cp.cursor, pages: cp.pages, items: cp.items } : null,
      lastPageAt: cp?.updatedAt ?? null, nextRun: nextRun(s.cron, now)?.toISOString() ?? null,
    };
  });

  // Pulls write no audit row per page (no personal data leaves the hub): their checkpoint says when the partner last answered.
  const lastPulled = new Map<string, { at: string; route: string }>();
  for (const pv of pullViews) {
    if (!pv.partner || !pv.lastPageAt) continue;
    const had = lastPulled.get(pv.partner);
    if (!had || had.at < pv.lastPageAt) lastPulled.set(pv.partner, { at: pv.lastPageAt, route: pv.route });
  }
  const partners = config.partners.map((p) => {
    const pol = partnerPolicies(p);
    const audited = activity.byPartner[p.id];
    const pulled = p.endpoint ? lastPulled.get(p.system) : undefined;
    const called = pulled && (!audited || audited.last < pulled.at)
      ? { ...audited, last: pulled.at, lastOutcome: `page stored (${pulled.route})`, lastHour: audited?.lastHour ?? 0, failedLastHour: audited?.failedLastHour ?? 0 }
      : audited;
    const seen = [activity.byActor[p.id]?.last, lastLoads[p.id]].filter((x): x is string => !!x).sort().at(-1) ?? null;
    return {
      id: p.id, system: p.system, municipality: p.municipality ?? null, endpoint: p.endpoint ?? p.notify?.endpoint ?? null,
      rateLimit: pol.rateLimit ?? null, circuitBreaker: pol.circuitBreaker, timeoutMs: pol.timeoutMs,
      gate: callsHub(p) && !failed(gates) ? gates[p.id] ?? null : null,
      lastCall: called?.last ?? null, lastCallOutcome: called?.lastOutcome ?? null, callsLastHour: called?.lastHour ?? 0, failedLastHour: called?.failedLastHour ?? 0,
      lastSeen: seen,
      certificate: p.certificate ? certificateView(p.certificate, config.dir) : null,
    };
  });

  return {
    at: now.toISOString(),
    process: proc,
    audit: auditState,
    loads: { counts, recent },
    routes: routeViews,
    queues,
    deliveries,
    pulls: pullViews,
    partners,
    ...(redisProblem ? { redisError: redisProblem } : {}),
    hubCertificate: certificateView(deps.identity.certPem, config.dir),
    deadLetters: { open: Object.values(openLetters).reduce((a, b) => a + b, 0), recent: letters.map(letterView) },
    auditWindow: activity.rows,
  };
}

export const letterView = (l: DeadLetter) => ({
  id: l.id, route: l.routeId, kind: l.kind, ...('deliveryId' in l.data ? { deliveryId: l.data.deliveryId } : { loadId: l.data.loadId, seq: l.data.seq }),
  error: l.error, attempts: l.attempts, firstFailedAt: l.firstFailedAt, failedAt: l.failedAt, replayedAt: l.replayedAt,
});

export async function loadView(deps: ConsoleDeps, id: string) {
  const db = deps.store.db;
  const load = await loadProgress(db, id);
  if (!load) throw httpError(404, 'HUB_ERR_LOAD_NOT_FOUND', `no load ${id}`, 'id');
  const [batches, byCode, rejections, letters] = await Promise.all([
    batchStates(db, id), rejectionsByCode(db, id), listRejections(db, id, { offset: 0, limit: 50 }), deadLettersOfLoad(db, id),
  ]);
  const finished = load.status === 'done' || load.status === 'failed';
  return {
    load, batches, rejectionsByCode: byCode, rejections, deadLetters: letters.map(letterView),
    // The signed receipt is the partner's (GET /api/v1/loads/{id}/receipt with its key); it certifies these counts and batch hashes.
    receipt: { ready: finished, path: `/api/v1/loads/${id}/receipt` },
  };
}

export async function loadsView(deps: ConsoleDeps, q: { status?: string; problems?: string; limit?: string }) {
  const statuses: LoadStatus[] = ['receiving', 'committed', 'processing', 'done', 'failed'];
  const status = statuses.find((s) => s === q.status);
  if (q.status && !status) throw httpError(400, 'HUB_ERR_REQUEST', `status must be one of ${statuses.join(', ')}`, 'status');
  return { items: await recentLoads(deps.store.db, { status, problems: q.problems === '1' || q.problems === 'true', limit: Number(q.limit ?? 50) || 50 }) };
}

export async function seriesView(deps: ConsoleDeps, minutes: number) {
  return minuteSeries(deps.store.db, Math.min(1440, Math.max(1, Math.floor(minutes) || 1440)));
}
