/**
 * `spolis_queue_jobs`: each route's queue depth by state, read when /metrics is scraped (issue 14's
 * leftover: an operator's Prometheus sees a backlog grow, not only the console).
 */
import assert from 'node:assert/strict';
import { HubMetrics, type QueueDepth } from '../../engine/core/metrics.ts';

const lines = async (m: HubMetrics): Promise<string[]> => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('spolis_queue_jobs{'));

describe('the queue depth gauge', () => {
  it('shows what the running queues hold at each scrape, and nothing of a queue that is gone', async () => {
    const m = new HubMetrics();
    let depths: QueueDepth[] = [
      { kind: 'batches', route: 'sopa-monthly-load', counts: { waiting: 12, active: 2, delayed: 0, failed: 1 } },
      { kind: 'deliveries', route: 'decision-notices', counts: { waiting: 650, active: 8, delayed: 3, failed: 0 } },
    ];
    m.observeQueues(async () => depths);
    const first = await lines(m);
    assert.ok(first.includes('spolis_queue_jobs{kind="batches",route="sopa-monthly-load",state="waiting"} 12'), first.join('\n'));
    assert.ok(first.includes('spolis_queue_jobs{kind="deliveries",route="decision-notices",state="waiting"} 650'), first.join('\n'));
    // A route reload removed the load route: its queue is no longer reported.
    depths = [{ kind: 'deliveries', route: 'decision-notices', counts: { waiting: 640, active: 8, delayed: 0, failed: 0 } }];
    const second = await lines(m);
    assert.deepEqual(second.filter((l) => l.includes('sopa-monthly-load')), []);
    assert.ok(second.includes('spolis_queue_jobs{kind="deliveries",route="decision-notices",state="waiting"} 640'));
  });

  it('leaves the gauge empty, and /metrics answering, while Redis does not answer', async () => {
    const m = new HubMetrics();
    m.observeQueues(async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379'); });
    const text = await m.registry.metrics();
    assert.match(text, /# TYPE spolis_queue_jobs gauge/);
    assert.deepEqual(await lines(m), []);
  });
});
