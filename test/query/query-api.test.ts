import assert from 'node:assert/strict';
import type { VsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import { KEYS, type TestHub } from '../helpers/hub.ts';
import { PERIOD, PURPOSE, ask, startQueryHub, startSim } from './fixture.ts';

const inPeriod = (month: string): boolean => month >= PERIOD.periodFrom && month <= PERIOD.periodTo;

describe('POST /api/v1/query/{service} (VSAA EP50–52 through the hub)', function () {
  this.timeout(30_000);
  let sim: VsaaSimulator;
  let th: TestHub;
  let full: string;

  before(async () => {
    // Jelgava (0003000) is a requester VSAA does not serve: its questions get ACCESS_DENIED.
    sim = await startSim({ requesters: ['0001000', '0002000', '0052000'] });
    th = await startQueryHub(sim);
    full = sim.data.samples.full;
  });
  afterEach(() => sim.reset());
  after(async () => {
    await th?.stop();
    await sim?.close();
  });

  describe('answers', () => {
    it('EP50 answers the deductions of the period as canonical JSON', async () => {
      const r = await ask(th.url, 'vsaa-ep50', { personCode: full, purpose: PURPOSE, ...PERIOD });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type')!, /^application\/json/);
      const deductions = sim.data.persons.get(full)!.deductions.filter((d) => inPeriod(d.month));
      assert.ok(deductions.length > 0);
      assert.deepEqual(r.body, { service: 'vsaa-ep50', requestId: r.body.requestId, personCode: full, ...PERIOD, deductions });
      assert.match(r.body.requestId, /^[0-9a-f-]{36}$/);
    });

    it('EP51 answers the grants in force in the period', async () => {
      const r = await ask(th.url, 'vsaa-ep51', { personCode: `${full.slice(0, 6)}-${full.slice(6)}`, purpose: PURPOSE, ...PERIOD });
      assert.equal(r.status, 200, r.text);
      const grants = sim.data.persons.get(full)!.grants.filter((g) => g.from.slice(0, 7) <= PERIOD.periodTo && (!g.to || g.to.slice(0, 7) >= PERIOD.periodFrom));
      assert.deepEqual(r.body, { service: 'vsaa-ep51', requestId: r.body.requestId, personCode: full, ...PERIOD, grants });
    });

    it('EP52 answers the payments sent in the period, money as decimal strings', async () => {
      const r = await ask(th.url, 'vsaa-ep52', { personCode: full, purpose: PURPOSE, ...PERIOD });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.payments, sim.data.persons.get(full)!.payments.filter((p) => inPeriod(p.month)));
      for (const p of r.body.payments) assert.match(p.amount, /^\d+\.\d{2}$/);
    });

    it('answers empty lists for a person who receives nothing, and twelve months when no period is given', async () => {
      const r = await ask(th.url, 'vsaa-ep52', { personCode: sim.data.samples.empty, purpose: PURPOSE });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.payments, []);
      const [fy, fm] = r.body.periodFrom.split('-').map(Number);
      const [ty, tm] = r.body.periodTo.split('-').map(Number);
      assert.equal((ty - fy) * 12 + tm - fm, 11);
    });
  });

  describe('refusals before VSAA is asked', () => {
    afterEach(() => assert.equal(sim.stats.requests, 0, 'VSAA was not asked'));

    it('401 without a key, or with a key no partner has', async () => {
      assert.deepEqual((await ask(th.url, 'vsaa-ep51', { personCode: full, purpose: PURPOSE }, { key: null })).body.error.code, 'HUB_ERR_AUTH_MISSING');
      const r = await ask(th.url, 'vsaa-ep51', { personCode: full, purpose: PURPOSE }, { key: 'not-a-key' });
      assert.deepEqual([r.status, r.body.error.code], [401, 'HUB_ERR_AUTH_INVALID']);
    });

    it('404 for an unknown service, listing the valid ones', async () => {
      const r = await ask(th.url, 'vsaa-ep53', { personCode: full, purpose: PURPOSE });
      assert.deepEqual([r.status, r.body.error.code], [404, 'HUB_ERR_QUERY_SERVICE']);
      assert.match(r.body.error.message, /valid: burvis-profile, pmlp-person, vdeavk-opinions, vsaa-ep50, vsaa-ep51, vsaa-ep52, vzd-property/);
    });

    it('403 for a partner the route does not list (deny by default)', async () => {
      const r = await ask(th.url, 'vsaa-ep51', { personCode: full, purpose: PURPOSE }, { key: KEYS['lm-analytics'] });
      assert.deepEqual([r.status, r.body.error.code], [403, 'HUB_ERR_ACCESS_DENIED']);
      assert.match(r.body.error.message, /lm-analytics may not use route vsaa-ep51-query/);
    });

    const bad: [string, unknown, string, RegExp][] = [
      ['no purpose', { personCode: '161175-19997' }, 'purpose', /purpose is required/],
      ['a blank purpose', { personCode: '161175-19997', purpose: '   ' }, 'purpose', /purpose is required/],
      ['a purpose over 500 characters', { personCode: '161175-19997', purpose: 'x'.repeat(501) }, 'purpose', /at most 500/],
      ['a purpose with control characters', { personCode: '161175-19997', purpose: 'case\u0001' }, 'purpose', /control characters/],
      ['no personal code', { purpose: PURPOSE }, 'personCode', /personCode is required/],
      ['a personal code as a number', { personCode: 16117519997, purpose: PURPOSE }, 'personCode', /must be a string/],
      ['a wrong check digit', { personCode: '161175-19998', purpose: PURPOSE }, 'personCode', /check digit is 8, expected 7/],
      ['a date that does not exist', { personCode: '310275-10000', purpose: PURPOSE }, 'personCode', /not a real birth date/],
      ['an unknown field', { personCode: '161175-19997', purpose: PURPOSE, name: 'Jānis' }, 'name', /unknown field "name"/],
      ['a month spelled otherwise', { personCode: '161175-19997', purpose: PURPOSE, periodFrom: '2026-7' }, 'periodFrom', /YYYY-MM/],
      ['periodTo before periodFrom', { personCode: '161175-19997', purpose: PURPOSE, periodFrom: '2026-07', periodTo: '2026-01' }, 'periodTo', /before periodFrom/],
      ['a period over 24 months (VSAA\'s rule)', { personCode: '161175-19997', purpose: PURPOSE, periodFrom: '2024-01', periodTo: '2026-02' }, 'periodTo', /25 months apart/],
    ];
    for (const [what, body, field, message] of bad) {
      it(`400 naming ${field} for ${what}`, async () => {
        const r = await ask(th.url, 'vsaa-ep50', body);
        assert.deepEqual([r.status, r.body.error.code, r.body.error.field], [400, 'HUB_ERR_QUERY_INVALID', field], r.text);
        assert.match(r.body.error.message, message);
      });
    }

    it('400 for a body that is not a JSON object', async () => {
      for (const [body, contentType] of [['{"personCode":', 'application/json'], ['[1]', 'application/json'], ['personCode=1', 'application/x-www-form-urlencoded']]) {
        const r = await ask(th.url, 'vsaa-ep50', body, { contentType });
        assert.deepEqual([r.status, r.body.error.code], [400, 'HUB_ERR_QUERY_BODY'], r.text);
      }
    });
  });

  describe('VSAA\'s faults', () => {
    const q = (code = full) => ({ personCode: code, purpose: PURPOSE, ...PERIOD });

    it('404 when VSAA has no record of the person', async () => {
      const r = await ask(th.url, 'vsaa-ep51', q(sim.data.samples.unknown));
      assert.deepEqual([r.status, r.body.error.code], [404, 'HUB_ERR_PARTNER_NOT_FOUND']);
    });

    it('502 when VSAA refuses the municipality (ACCESS_DENIED)', async () => {
      const r = await ask(th.url, 'vsaa-ep50', q(), { key: KEYS['sopa-jelgava'] });
      assert.deepEqual([r.status, r.body.error.code], [502, 'HUB_ERR_PARTNER_FAULT']);
      assert.match(r.body.error.message, /ACCESS_DENIED/);
    });

    it('503 when VSAA answers UNAVAILABLE, or its front end answers HTTP 503', async () => {
      sim.switches.outage = 'unavailable';
      const a = await ask(th.url, 'vsaa-ep50', q());
      sim.switches.outage = 'http503';
      const b = await ask(th.url, 'vsaa-ep50', q());
      for (const r of [a, b]) assert.deepEqual([r.status, r.body.error.code], [503, 'HUB_ERR_PARTNER_UNAVAILABLE'], r.text);
    });

    it('503 when VSAA refuses connections', async () => {
      await sim.refuseConnections(true);
      try {
        const r = await ask(th.url, 'vsaa-ep52', q());
        assert.deepEqual([r.status, r.body.error.code], [503, 'HUB_ERR_PARTNER_UNAVAILABLE']);
      } finally {
        await sim.refuseConnections(false);
      }
    });

    it('504 when VSAA does not answer within the partner\'s timeout', async () => {
      sim.switches.timeout = true;
      const t0 = performance.now();
      const r = await ask(th.url, 'vsaa-ep51', q());
      const ms = performance.now() - t0;
      assert.deepEqual([r.status, r.body.error.code], [504, 'HUB_ERR_PARTNER_TIMEOUT']);
      assert.ok(ms >= 1400 && ms < 3000, `answered after ${Math.round(ms)} ms; the test partner's timeout is 1.5 s`);
    });

    it('keeps personal codes out of the log', async () => {
      await ask(th.url, 'vsaa-ep51', q());
      const logs = th.logs.join('');
      assert.match(logs, /"msg":"query"/);
      assert.ok(!logs.includes(full) && !logs.includes(sim.data.samples.unknown), 'no whole personal code in the log');
      assert.ok(logs.includes(`${full.slice(0, 6)}-*****`));
    });
  });
});
