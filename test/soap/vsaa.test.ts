import assert from 'node:assert/strict';
import {
  ConnectorError,
} from '../../engine/index.ts';
import { createVsaaClient, type VsaaClientOptions } from '../../connectors/vsaa/index.ts';
import { startVsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import { XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from './tools.ts';
import { agencyBed } from './agency-bed.ts';


describe('VSAA simulator and client (EP50, EP51, EP52)', function () {
  this.timeout(30_000);
  const bed = agencyBed({ partner: 'vsaa', start: (hubCertPem) => startVsaaSimulator({ hubCertPem }), client: (sim, identity, opts: Partial<VsaaClientOptions>) => createVsaaClient({ baseUrl: sim.url, identity, vsaaCertPem: sim.certPem, timeoutMs: 3000, ...opts }) });
  // The last six months of the simulator's data.
  const period = { from: '2026-07', to: '2026-12' };
  const q = (requesterId = '0001000') => ({ requesterId, purpose: 'Sociālās palīdzības lieta Nr. 2026/17', period });

  it('EP50 returns the deductions of the period, money as two-decimal strings', async () => {
    const code = bed.sim.data.samples.full;
    const a = await bed.client.ep50(code, q());
    const expected = bed.sim.data.persons.get(code)!.deductions.filter((d) => d.month >= period.from && d.month <= period.to);
    assert.ok(expected.length > 0, 'the sample person has deductions in the period');
    assert.deepEqual(a, { personCode: code, periodFrom: period.from, periodTo: period.to, deductions: expected });
    for (const d of a.deductions) assert.match(d.amount, /^\d+\.\d{2}$/);
  });

  it('EP51 returns the grants in force in the period, dates as YYYY-MM-DD', async () => {
    const code = bed.sim.data.samples.full;
    const a = await bed.client.ep51(code, q());
    assert.ok(a.grants.length > 0);
    assert.deepEqual(a.grants, bed.sim.data.persons.get(code)!.grants.filter((g) => g.from.slice(0, 7) <= period.to && (!g.to || g.to.slice(0, 7) >= period.from)));
    for (const g of a.grants) {
      assert.equal(typeof g.amount, 'string');
      assert.match(g.from, /^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('EP52 returns the payments sent in the period', async () => {
    const code = bed.sim.data.samples.full;
    const a = await bed.client.ep52(`${code.slice(0, 6)}-${code.slice(6)}`, q());
    assert.equal(a.personCode, code, 'a hyphenated code is sent and answered in canonical form');
    assert.equal(a.payments.length, 6);
    assert.deepEqual(a.payments.map((p) => p.month), ['2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    for (const p of a.payments) assert.match(p.sentOn, /^2026-\d{2}-\d{2}$/);
  });

  it('answers an empty list for a person VSAA knows who receives nothing', async () => {
    const code = bed.sim.data.samples.empty;
    assert.deepEqual((await bed.client.ep50(code, q())).deductions, []);
    assert.deepEqual((await bed.client.ep51(code, q())).grants, []);
    assert.deepEqual((await bed.client.ep52(code, q())).payments, []);
  });

  it('sends requests that validate against vsaa-ep.xsd and that xmlsec1 verifies; the answers validate too', async () => {
    bed.exchanges.length = 0;
    const code = bed.sim.data.samples.full;
    await Promise.all([bed.client.ep50(code, q()), bed.client.ep51(code, q()), bed.client.ep52(code, q())]);
    assert.equal(bed.exchanges.length, 3);
    for (const e of bed.exchanges) {
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(bed.scratch, XSD('vsaa-ep.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      const v = xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem);
      assert.ok(v.ok, v.out);
    }
  });

  it('maps PERSON_NOT_FOUND to a final 404', async () => {
    const e = await failure(bed.client.ep51(bed.sim.data.samples.unknown, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
  });

  it('maps ACCESS_DENIED for a requester VSAA does not serve to a final 502', async () => {
    const e = await failure(bed.client.ep50(bed.sim.data.samples.full, q('9999999')));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
  });

  it('faults INVALID_REQUEST for a period over 24 months and for a RequestId reused with other content', async () => {
    const payload = `<GetDeductionsRequest xmlns="urn:lv:vsaa:ep:1"><RequestId>raw-1</RequestId><RequesterId>0001000</RequesterId><Purpose>p</Purpose><PersonCode>${bed.sim.data.samples.full}</PersonCode><PeriodFrom>2024-01</PeriodFrom><PeriodTo>2026-02</PeriodTo></GetDeductionsRequest>`;
    const res = await bed.signedPost(payload);
    assert.equal(res.status, 500);
    assert.deepEqual(res.fault, { faultcode: 'Client', faultstring: 'PeriodFrom and PeriodTo are 25 months apart; VSAA allows at most 24', errorCode: 'INVALID_REQUEST' });

    const first = await bed.client.ep50(bed.sim.data.samples.full, { ...q(), requestId: 'case-17-a' });
    assert.deepEqual(await bed.client.ep50(bed.sim.data.samples.full, { ...q(), requestId: 'case-17-a' }), first, 'a retry gets the same answer');
    const e = await failure(bed.client.ep51(bed.sim.data.samples.full, { ...q(), requestId: 'case-17-a' }));
    assert.deepEqual([e.code, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
  });

  it('maps SIGNATURE_INVALID (the hub signed with a key VSAA does not know) to a final 502', async () => {
    const e = await failure(bed.open({ identity: bed.stranger }).ep50(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
  });

  it('refuses an answer not signed by VSAA\'s registered certificate (502)', async () => {
    const e = await failure(bed.open({ vsaaCertPem: bed.stranger.certPem }).ep50(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
  });

  it('maps UNAVAILABLE to a retryable 503', async () => {
    bed.sim.switches.outage = 'unavailable';
    const e = await failure(bed.client.ep52(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
  });

  it('answers UNAVAILABLE above 20 requests a second from one requester, and serves the others', async () => {
    const code = bed.sim.data.samples.full;
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => bed.client.ep51(code, q('0005000'))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ConnectorError);
    assert.equal(results.length - refused.length, 20);
    assert.equal(refused.length, 5);
    for (const e of refused) {
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
      assert.match(e.message, /more than 20 requests a second/);
    }
    assert.equal(bed.sim.stats.faults.UNAVAILABLE, 5);
    await bed.client.ep51(code, q('0006000'));
    await new Promise((r) => setTimeout(r, 1000));
    await bed.client.ep51(code, q('0005000'));
  });

  it('takes as long as the latency switch says, and times out (504) past the client\'s deadline', async () => {
    bed.sim.switches.latencyMs = 300;
    const t0 = Date.now();
    await bed.client.ep50(bed.sim.data.samples.full, q());
    assert.ok(Date.now() - t0 >= 300);
    const e = await failure(bed.open({ timeoutMs: 100 }).ep50(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
  });

  it('times out (504) when the simulator never answers', async () => {
    bed.sim.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(bed.open({ timeoutMs: 250 }).ep51(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('maps an HTTP 503 from VSAA\'s front end to a retryable 503', async () => {
    bed.sim.switches.outage = 'http503';
    const e = await failure(bed.client.ep50(bed.sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
  });

  it('maps refused connections to a retryable 503, and recovers when VSAA is back', async () => {
    await bed.client.ep50(bed.sim.data.samples.full, q());
    await bed.sim.refuseConnections(true);
    try {
      const e = await failure(bed.client.ep50(bed.sim.data.samples.full, q()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
    } finally {
      await bed.sim.refuseConnections(false);
    }
    assert.ok((await bed.client.ep50(bed.sim.data.samples.full, q())).deductions.length > 0);
  });

  it('checks the question before sending it (400): personal code, purpose, period', async () => {
    for (const [p, field] of [
      [bed.client.ep50('16117519998', q()), 'personCode'],
      [bed.client.ep50(bed.sim.data.samples.full, { ...q(), purpose: ' ' }), 'purpose'],
      [bed.client.ep50(bed.sim.data.samples.full, { ...q(), period: { from: '2024-01', to: '2026-12' } }), 'period'],
    ] as const) {
      const e = await failure(p);
      assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field]);
    }
  });

  it('serves its WSDL at ?wsdl with its own address', async () => {
    const res = await fetch(`${bed.sim.url}?wsdl`);
    const wsdl = await res.text();
    assert.equal(res.status, 200);
    assert.ok(wsdl.includes(`<soap:address location="${bed.sim.url}"/>`));
    assert.equal((await fetch(new URL('/xsd/vsaa-ep.xsd', bed.sim.url))).status, 200);
  });
});
