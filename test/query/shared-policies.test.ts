import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import type { TestHub } from '../helpers/hub.ts';
import type { PartnerDef } from '../../engine/config/types.ts';
import { PERIOD, PURPOSE, ask, countingProxy, maxInWindow, startQueryHub, startSim } from './fixture.ts';

/** Two hub processes' worth of Hub.start on one database and one Redis prefix. */
async function twoHubs(sim: VsaaSimulator, policies: PartnerDef['policies'], endpoint?: string): Promise<[TestHub, TestHub]> {
  // One municipality floods both hubs here on purpose: its in-flight share per process is lifted so
  // that VSAA's shared rate limit, the subject of these tests, is what answers.
  const httpLimits = { partnerInFlight: 1_000 };
  const a = await startQueryHub(sim, { policies, endpoint, httpLimits });
  const b = await startQueryHub(sim, { policies, endpoint, shareWith: a, httpLimits });
  return [a, b];
}

describe('the vsaa partner\'s rate limit and circuit breaker, shared by two hubs through Redis', function () {
  this.timeout(60_000);
  let sim: VsaaSimulator;
  const q = () => ({ personCode: sim.data.samples.full, purpose: PURPOSE, ...PERIOD });
  before(async () => { sim = await startSim(); });
  afterEach(() => sim.reset());
  after(async () => { await sim?.close(); });

  describe('circuit breaker (3 failures, open 1 s)', () => {
    let a: TestHub;
    let b: TestHub;
    before(async () => { [a, b] = await twoHubs(sim, { circuitBreaker: { failures: 3, openSeconds: 1 }, timeout: '1s' }); });
    after(async () => { await b?.stop(); await a?.stop(); });

    it('opens after 3 failures in either hub, refuses without calling VSAA, and closes after openSeconds', async () => {
      sim.switches.outage = 'unavailable';
      for (const hub of [a, b, a]) {
        const r = await ask(hub.url, 'vsaa-ep51', q());
        assert.deepEqual([r.status, r.body.error.code], [503, 'HUB_ERR_PARTNER_UNAVAILABLE']);
      }
      assert.equal(sim.stats.requests, 3);
      // Open now, for both hubs and for every service of the partner.
      for (const [hub, service] of [[b, 'vsaa-ep51'], [a, 'vsaa-ep50'], [b, 'vsaa-ep52']] as const) {
        const r = await ask(hub.url, service, q());
        assert.deepEqual([r.status, r.body.error.code], [503, 'HUB_ERR_CIRCUIT_OPEN'], r.text);
        assert.equal(r.headers.get('retry-after'), '1');
      }
      assert.equal(sim.stats.requests, 3, 'VSAA is not called while the circuit is open');

      sim.switches.outage = 'none';
      await sleep(1100);
      const trial = await ask(b.url, 'vsaa-ep51', q());
      assert.equal(trial.status, 200, trial.text);
      for (const hub of [a, b]) assert.equal((await ask(hub.url, 'vsaa-ep50', q())).status, 200);
      assert.equal(sim.stats.requests, 6, 'the trial and the two after it reached VSAA');
    });

    it('reopens at once when the trial call after openSeconds fails too', async () => {
      sim.switches.outage = 'http503';
      for (let i = 0; i < 3; i++) await ask(a.url, 'vsaa-ep50', q());
      assert.equal((await ask(a.url, 'vsaa-ep50', q())).body.error.code, 'HUB_ERR_CIRCUIT_OPEN');
      await sleep(1100);
      assert.equal((await ask(b.url, 'vsaa-ep50', q())).body.error.code, 'HUB_ERR_PARTNER_UNAVAILABLE', 'the trial reaches VSAA');
      assert.equal((await ask(a.url, 'vsaa-ep50', q())).body.error.code, 'HUB_ERR_CIRCUIT_OPEN', 'one failed trial reopens it');
      assert.equal(sim.stats.requests, 4);
      sim.switches.outage = 'none';
      await sleep(1100);
      assert.equal((await ask(a.url, 'vsaa-ep50', q())).status, 200);
    });

    it('does not count answers that show VSAA alive (PERSON_NOT_FOUND) as failures', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await ask(a.url, 'vsaa-ep50', { ...q(), personCode: sim.data.samples.unknown })).status, 404);
      assert.equal((await ask(b.url, 'vsaa-ep50', q())).status, 200);
    });
  });

  describe('rate limit (20 a second, VSAA\'s own)', () => {
    let a: TestHub;
    let b: TestHub;
    let proxy: Awaited<ReturnType<typeof countingProxy>>;
    before(async () => {
      proxy = await countingProxy(sim.url);
      [a, b] = await twoHubs(sim, { rateLimit: { perSecond: 20, maxWait: '10s' }, circuitBreaker: { failures: 1000, openSeconds: 1 }, timeout: '5s' }, proxy.url);
    });
    after(async () => { await b?.stop(); await a?.stop(); await proxy?.close(); });

    it('never lets the two hubs together send VSAA more than 20 in any second: the rest wait their turn', async () => {
      const t0 = performance.now();
      const replies = await Promise.all(Array.from({ length: 70 }, (_, i) => ask((i % 2 ? a : b).url, ['vsaa-ep50', 'vsaa-ep51', 'vsaa-ep52'][i % 3], q())));
      const seconds = (performance.now() - t0) / 1000;
      assert.deepEqual(replies.filter((r) => r.status !== 200).map((r) => r.text), []);
      assert.equal(proxy.arrivals.length, 70);
      assert.ok(maxInWindow(proxy.arrivals, 1000) <= 20, `VSAA saw ${maxInWindow(proxy.arrivals, 1000)} requests within one second`);
      assert.equal(sim.stats.faults.UNAVAILABLE, undefined, 'VSAA never had to refuse for its limit');
      assert.ok(seconds >= 3.4, `70 requests at under 20 a second take over 3.4 s, not ${seconds.toFixed(2)} s`);
    });

    it('answers 503 with Retry-After when the wait would be longer than maxWait', async () => {
      // Under 20 a second with a 10 s queue: of 260 at once, some would wait more than 10 s.
      const replies = await Promise.all(Array.from({ length: 260 }, (_, i) => ask((i % 2 ? a : b).url, 'vsaa-ep52', { ...q(), personCode: sim.data.samples.empty })));
      const limited = replies.filter((r) => r.status === 503);
      assert.ok(limited.length > 0 && limited.every((r) => r.body.error.code === 'HUB_ERR_PARTNER_RATE_LIMITED' && Number(r.headers.get('retry-after')) >= 1), JSON.stringify(limited[0]?.body));
      assert.equal(replies.filter((r) => r.status === 200).length + limited.length, 260);
      assert.ok(maxInWindow(proxy.arrivals, 1000) <= 20);
      assert.equal(sim.stats.faults.UNAVAILABLE, undefined);
    });
  });
});
