/** Prometheus metrics (prom-client), one registry per hub process so tests can run several hubs; every metric is made here, once. */
import { Registry as PromRegistry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

/** One queue's jobs by state, as BullMQ counts them. */
export interface QueueDepth { kind: 'batches' | 'deliveries'; route: string; counts: Record<string, number> }

export class HubMetrics {
  readonly registry = new PromRegistry();
  readonly httpRequests = new Counter({ name: 'spolis_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly batches = new Counter({ name: 'spolis_batches_processed_total', help: 'Batches processed by route and outcome', labelNames: ['route', 'outcome'], registers: [this.registry] });
  readonly routeReloads = new Counter({ name: 'spolis_route_reloads_total', help: 'Route reloads by outcome (swapped, unchanged, refused)', labelNames: ['outcome'], registers: [this.registry] });
  readonly records = new Counter({ name: 'spolis_records_total', help: 'Records processed by route and outcome', labelNames: ['route', 'outcome'], registers: [this.registry] });
  readonly batchSeconds = new Histogram({ name: 'spolis_batch_duration_seconds', help: 'Time to process one batch', labelNames: ['route'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [this.registry] });

  // The query API's: here, not in the API module, because a route reload registers the API again (app/generation.ts).
  readonly queries = new Counter({ name: 'spolis_queries_total', help: 'Queries by service and outcome', labelNames: ['service', 'outcome'], registers: [this.registry] });
  readonly queryDuration = new Histogram({ name: 'spolis_query_duration_seconds', help: 'Time to answer a query, audit included', labelNames: ['service'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });

  /**
   * Jobs in each route's queues by state (waiting, active, delayed, failed), read from Redis when
   * /metrics is scraped: a backlog that grows (a slow partner, a stopped worker) shows before its
   * loads or deliveries are late. Empty while Redis does not answer, rather than failing the scrape.
   */
  private readQueues: () => Promise<QueueDepth[]> = async () => [];
  readonly queueJobs: Gauge<'kind' | 'route' | 'state'>;

  constructor(defaults = false) {
    const metrics = this;
    this.queueJobs = new Gauge({
      name: 'spolis_queue_jobs', help: 'Jobs in a route\'s queue by state, when scraped (kind: batches or deliveries)', labelNames: ['kind', 'route', 'state'], registers: [this.registry],
      async collect() {
        this.reset();
        let depths: QueueDepth[] = [];
        try { depths = await metrics.readQueues(); } catch { /* Redis down: no figures, /metrics still answers */ }
        for (const d of depths) for (const [state, n] of Object.entries(d.counts)) this.set({ kind: d.kind, route: d.route, state }, n);
      },
    });
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'spolis_' });
  }

  /** Where the queue gauge reads from: the running route set's queues (app/hub.ts, which follows reloads). */
  observeQueues(read: () => Promise<QueueDepth[]>): void {
    this.readQueues = read;
  }
}
