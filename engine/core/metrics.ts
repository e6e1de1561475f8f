/** Prometheus metrics (prom-client), one registry per hub process so tests can run several hubs; every metric is made here, once. */
import { Registry as PromRegistry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

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

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'spolis_' });
  }
}
