/**
 * Fault test 4 (issue 5): the delivery target, the SOPA notification receiver, is down. For 60 s:
 * every delivery waits and arrives once after it returns, and the partner's circuit breaker keeps
 * the hub from calling it all the while (DESIGN.md §5: per partner, shared by all workers). For
 * longer than the retry budget (breaker out of the way): the deliveries sit in the dead letters,
 * and `spolis-hub dlq replay` delivers each exactly once.
 * Real servers on loopback, a real hub on PostgreSQL and Redis; bounded in time.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { listDeliveries } from '../../store/index.ts';
import { partnerGates } from '../../engine/runtime/operations.ts';
import { REDIS_URL } from '../helpers/env.ts';
import { eventually, operatorCli, startWorld, type AgencyWorld } from '../agencies/fixture.ts';

const SINCE = '2000-01-01T00:00:00Z';
const onlySopa = (w: AgencyWorld) => w.burvis.data.all().filter((p) => p.municipality === '0001000' || p.municipality === '0003000');

describe('fault 4: the delivery target is down', function () {
  this.timeout(240_000);

  it('down for 60 s: deliveries wait behind the open circuit, and each arrives once when it is back', async () => {
    // The route's budget: 10 attempts, backoff from 2 s doubling to 20 s with jitter: at least 65 s in all.
    const w = await startWorld({
      patch: {
        'burvis-profiles-pull': [[/pageSize: \d+/, `pageSize: 500, since: "${SINCE}"`]],
        'burvis-profiles-push': [[/^onError:.*$/m, 'onError: { retry: { attempts: 10, backoff: exponential, delay: 2s, maxDelay: 20s }, deadLetter: true }']],
      },
    });
    try {
      const profiles = onlySopa(w).slice(0, 12);
      await w.sopa.refuseConnections(true);
      const down = Date.now();
      const r = await w.burvis.push(`${w.hub.url}/soap/burvis`, profiles, 'nva-fault-4');
      assert.equal(r.status, 200, 'NVA is answered once the deliveries are queued, receiver down or not');
      await new Promise((res) => setTimeout(res, 60_000 - (Date.now() - down)));
      const pending = await listDeliveries(w.hub.hub.store.db, { routeId: 'burvis-profiles-push', status: 'pending' });
      assert.equal(pending.length, profiles.length, 'after 60 s down every delivery is still pending, none dead');
      // Retrying alone called SOPA at least 3 times per delivery in these 60 s; the breaker opens
      // after 5 failures per municipality and then lets one trial through per 30 s.
      const attempts = pending.map((d) => d.attempts);
      assert.ok(attempts.reduce((a, b) => a + b, 0) < 3 * profiles.length, `the hub stopped calling the partner that is down (attempts: ${attempts.join(', ')})`);
      const redis = new Redis(REDIS_URL);
      try {
        const gates = await partnerGates(redis, w.hub.prefix, [{ id: 'sopa-riga' }, { id: 'sopa-jelgava' }]);
        assert.deepEqual(Object.values(gates).map((g) => g.circuit !== 'closed'), [true, true], `each municipality's circuit is open, as the console shows (${JSON.stringify(gates)})`);
      } finally {
        redis.disconnect();
      }
      await w.sopa.refuseConnections(false);
      await eventually(() => w.sopa.received.size === profiles.length, 60_000, 'every delivery after SOPA returned');
      await new Promise((res) => setTimeout(res, 500));
      assert.equal(w.sopa.duplicates, 0, 'each arrived once');
      assert.deepEqual([...w.sopa.received.values()].map((n) => n.profile.personCode).sort(), profiles.map((p) => p.personCode).sort());
    } finally {
      await w.stop();
    }
  });

  it('down longer than the retry budget: dead letters, and dlq replay delivers each exactly once', async () => {
    const w = await startWorld({
      patch: { 'burvis-profiles-push': [[/^onError:.*$/m, 'onError: { retry: { attempts: 3, backoff: exponential, delay: 300ms, maxDelay: 1s }, deadLetter: true }']] },
      // Every attempt reaches SOPA: with the breaker, a long outage spends the budget one trial per 30 s.
      municipalPolicies: { circuitBreaker: { failures: 1000, openSeconds: 1 } },
    });
    try {
      const profiles = onlySopa(w).slice(0, 8);
      await w.sopa.refuseConnections(true);
      assert.equal((await w.burvis.push(`${w.hub.url}/soap/burvis`, profiles, 'nva-fault-4b')).status, 200);
      await eventually(async () => (await listDeliveries(w.hub.hub.store.db, { status: 'dead' })).length === profiles.length, 60_000, 'every delivery dead-lettered');
      const dry = operatorCli(w, ['dlq', 'replay', '--dry-run']);
      assert.match(dry.stdout, new RegExp(`${profiles.length} dead letter\\(s\\) would be replayed`));
      await w.sopa.refuseConnections(false);
      const replay = operatorCli(w, ['dlq', 'replay']);
      assert.equal(replay.status, 0, replay.stderr);
      await eventually(() => w.sopa.received.size === profiles.length, 30_000, 'every replayed delivery');
      assert.equal(operatorCli(w, ['dlq', 'replay']).stdout.includes('0 dead letter(s) replayed'), true);
      await new Promise((res) => setTimeout(res, 500));
      assert.equal(w.sopa.requests, w.sopa.received.size, 'exactly once: no request beyond the first of each');
    } finally {
      await w.stop();
    }
  });
});
