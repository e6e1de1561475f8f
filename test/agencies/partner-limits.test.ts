/**
 * Issue 15 (HTTP): one partner may hold only so many requests in flight in a hub process; beyond
 * them it is answered 429 with Retry-After at once, and other partners are served as usual. The
 * share is small here (2) and PMLP slow, so requests stay in flight long enough to count.
 */
import assert from 'node:assert/strict';
import { KEYS } from '../helpers/hub.ts';
import { ask } from '../query/fixture.ts';
import { startWorld, type AgencyWorld } from './fixture.ts';

const PURPOSE = 'Sociālās palīdzības lieta Nr. 2026/17';

describe('in-flight requests per partner', function () {
  this.timeout(60_000);
  let w: AgencyWorld;
  before(async () => { w = await startWorld({ httpLimits: { partnerInFlight: 2 } }); });
  after(async () => { await w?.stop(); });

  it('answers a partner\'s requests beyond its share 429 at once, and serves another partner meanwhile', async () => {
    w.pmlp.switches.latencyMs = 600;
    try {
      const person = { personCode: w.pmlp.data.samples.alive, purpose: PURPOSE };
      const riga = Array.from({ length: 5 }, () => ask(w.hub.url, 'pmlp-person', person, { key: KEYS['sopa-riga'] }));
      await new Promise((r) => setTimeout(r, 100));
      const jelgava = await ask(w.hub.url, 'pmlp-person', person, { key: KEYS['sopa-jelgava'] });
      const answers = await Promise.all(riga);
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
      const busy = answers.find((a) => a.status === 429)!;
      assert.equal(busy.body.error.code, 'HUB_ERR_PARTNER_BUSY');
      assert.equal(busy.headers.get('retry-after'), '1');
      assert.equal(jelgava.status, 200, 'another partner is served while Rīga is at its share');
      // Once answered, the share is free again.
      assert.equal((await ask(w.hub.url, 'pmlp-person', person, { key: KEYS['sopa-riga'] })).status, 200);
    } finally {
      w.pmlp.switches.latencyMs = 0;
    }
  });
});
