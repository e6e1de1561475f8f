import assert from 'node:assert/strict';
import {
  ConnectorError, createSigningIdentity, postSoap, readSoapFault, signEnvelope, soapEnvelope, verifyEnvelope, type SigningIdentity,
} from '../../engine/index.ts';
import { createVsaaClient, type VsaaClient, type VsaaExchange } from '../../connectors/vsaa/index.ts';
import { startVsaaSimulator, type VsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import { Scratch, XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from './tools.ts';


describe('VSAA simulator and client (EP50, EP51, EP52)', function () {
  this.timeout(30_000);
  let hub: SigningIdentity;
  let stranger: SigningIdentity;
  let sim: VsaaSimulator;
  let client: VsaaClient;
  let exchanges: VsaaExchange[];
  let scratch: Scratch;
  const clients: VsaaClient[] = [];
  const open = (opts: Partial<Parameters<typeof createVsaaClient>[0]> = {}): VsaaClient => {
    const c = createVsaaClient({ baseUrl: sim.url, identity: hub, vsaaCertPem: sim.certPem, timeoutMs: 3000, ...opts });
    clients.push(c);
    return c;
  };
  // The last six months of the simulator's data.
  const period = { from: '2026-07', to: '2026-12' };
  const q = (requesterId = '0001000') => ({ requesterId, purpose: 'Sociālās palīdzības lieta Nr. 2026/17', period });

  before(async () => {
    [hub, stranger] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('stranger')]);
    sim = await startVsaaSimulator({ hubCertPem: hub.certPem });
    exchanges = [];
    client = open({ onExchange: (e) => exchanges.push(e) });
    scratch = new Scratch();
  });
  afterEach(() => sim.reset());
  after(async () => {
    for (const c of clients) c.close();
    await sim.close();
    scratch.dispose();
  });

  it('EP50 returns the deductions of the period, money as two-decimal strings', async () => {
    const code = sim.data.samples.full;
    const a = await client.ep50(code, q());
    const expected = sim.data.persons.get(code)!.deductions.filter((d) => d.month >= period.from && d.month <= period.to);
    assert.ok(expected.length > 0, 'the sample person has deductions in the period');
    assert.deepEqual(a, { personCode: code, periodFrom: period.from, periodTo: period.to, deductions: expected });
    for (const d of a.deductions) assert.match(d.amount, /^\d+\.\d{2}$/);
  });

  it('EP51 returns the grants in force in the period, dates as YYYY-MM-DD', async () => {
    const code = sim.data.samples.full;
    const a = await client.ep51(code, q());
    assert.ok(a.grants.length > 0);
    assert.deepEqual(a.grants, sim.data.persons.get(code)!.grants.filter((g) => g.from.slice(0, 7) <= period.to && (!g.to || g.to.slice(0, 7) >= period.from)));
    for (const g of a.grants) {
      assert.equal(typeof g.amount, 'string');
      assert.match(g.from, /^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('EP52 returns the payments sent in the period', async () => {
    const code = sim.data.samples.full;
    const a = await client.ep52(`${code.slice(0, 6)}-${code.slice(6)}`, q());
    assert.equal(a.personCode, code, 'a hyphenated code is sent and answered in canonical form');
    assert.equal(a.payments.length, 6);
    assert.deepEqual(a.payments.map((p) => p.month), ['2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    for (const p of a.payments) assert.match(p.sentOn, /^2026-\d{2}-\d{2}$/);
  });

  it('answers an empty list for a person VSAA knows who receives nothing', async () => {
    const code = sim.data.samples.empty;
    assert.deepEqual((await client.ep50(code, q())).deductions, []);
    assert.deepEqual((await client.ep51(code, q())).grants, []);
    assert.deepEqual((await client.ep52(code, q())).payments, []);
  });

  it('sends requests that validate against vsaa-ep.xsd and that xmlsec1 verifies; the answers validate too', async () => {
    exchanges.length = 0;
    const code = sim.data.samples.full;
    await Promise.all([client.ep50(code, q()), client.ep51(code, q()), client.ep52(code, q())]);
    assert.equal(exchanges.length, 3);
    for (const e of exchanges) {
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(scratch, XSD('vsaa-ep.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      const v = xmlsecVerify(scratch, e.requestXml, hub.certPem);
      assert.ok(v.ok, v.out);
    }
  });

  it('maps PERSON_NOT_FOUND to a final 404', async () => {
    const e = await failure(client.ep51(sim.data.samples.unknown, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
  });

  it('maps ACCESS_DENIED for a requester VSAA does not serve to a final 502', async () => {
    const e = await failure(client.ep50(sim.data.samples.full, q('9999999')));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
  });

  it('faults INVALID_REQUEST for a period over 24 months and for a RequestId reused with other content', async () => {
    const payload = `<GetDeductionsRequest xmlns="urn:lv:vsaa:ep:1"><RequestId>raw-1</RequestId><RequesterId>0001000</RequesterId><Purpose>p</Purpose><PersonCode>${sim.data.samples.full}</PersonCode><PeriodFrom>2024-01</PeriodFrom><PeriodTo>2026-02</PeriodTo></GetDeductionsRequest>`;
    const res = await postSoap(sim.url, signEnvelope(soapEnvelope(payload), hub), { timeoutMs: 3000, partner: 'vsaa' });
    assert.equal(res.status, 500);
    const v = verifyEnvelope(res.body, sim.certPem);
    assert.ok(v.ok, 'faults are signed too');
    assert.deepEqual(readSoapFault(v.body), { faultcode: 'Client', faultstring: 'PeriodFrom and PeriodTo are 25 months apart; VSAA allows at most 24', errorCode: 'INVALID_REQUEST' });

    const first = await client.ep50(sim.data.samples.full, { ...q(), requestId: 'case-17-a' });
    assert.deepEqual(await client.ep50(sim.data.samples.full, { ...q(), requestId: 'case-17-a' }), first, 'a retry gets the same answer');
    const e = await failure(client.ep51(sim.data.samples.full, { ...q(), requestId: 'case-17-a' }));
    assert.deepEqual([e.code, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
  });

  it('maps SIGNATURE_INVALID (the hub signed with a key VSAA does not know) to a final 502', async () => {
    const e = await failure(open({ identity: stranger }).ep50(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
  });

  it('refuses an answer not signed by VSAA\'s registered certificate (502)', async () => {
    const e = await failure(open({ vsaaCertPem: stranger.certPem }).ep50(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
  });

  it('maps UNAVAILABLE to a retryable 503', async () => {
    sim.switches.outage = 'unavailable';
    const e = await failure(client.ep52(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
  });

  it('answers UNAVAILABLE above 20 requests a second from one requester, and serves the others', async () => {
    const code = sim.data.samples.full;
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => client.ep51(code, q('0005000'))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ConnectorError);
    assert.equal(results.length - refused.length, 20);
    assert.equal(refused.length, 5);
    for (const e of refused) {
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
      assert.match(e.message, /more than 20 requests a second/);
    }
    assert.equal(sim.stats.faults.UNAVAILABLE, 5);
    await client.ep51(code, q('0006000'));
    await new Promise((r) => setTimeout(r, 1000));
    await client.ep51(code, q('0005000'));
  });

  it('takes as long as the latency switch says, and times out (504) past the client\'s deadline', async () => {
    sim.switches.latencyMs = 300;
    const t0 = Date.now();
    await client.ep50(sim.data.samples.full, q());
    assert.ok(Date.now() - t0 >= 300);
    const e = await failure(open({ timeoutMs: 100 }).ep50(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
  });

  it('times out (504) when the simulator never answers', async () => {
    sim.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(open({ timeoutMs: 250 }).ep51(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('maps an HTTP 503 from VSAA\'s front end to a retryable 503', async () => {
    sim.switches.outage = 'http503';
    const e = await failure(client.ep50(sim.data.samples.full, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
  });

  it('maps refused connections to a retryable 503, and recovers when VSAA is back', async () => {
    await client.ep50(sim.data.samples.full, q());
    await sim.refuseConnections(true);
    try {
      const e = await failure(client.ep50(sim.data.samples.full, q()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
    } finally {
      await sim.refuseConnections(false);
    }
    assert.ok((await client.ep50(sim.data.samples.full, q())).deductions.length > 0);
  });

  it('checks the question before sending it (400): personal code, purpose, period', async () => {
    for (const [p, field] of [
      [client.ep50('16117519998', q()), 'personCode'],
      [client.ep50(sim.data.samples.full, { ...q(), purpose: ' ' }), 'purpose'],
      [client.ep50(sim.data.samples.full, { ...q(), period: { from: '2024-01', to: '2026-12' } }), 'period'],
    ] as const) {
      const e = await failure(p);
      assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field]);
    }
  });

  it('serves its WSDL at ?wsdl with its own address', async () => {
    const res = await fetch(`${sim.url}?wsdl`);
    const wsdl = await res.text();
    assert.equal(res.status, 200);
    assert.ok(wsdl.includes(`<soap:address location="${sim.url}"/>`));
    assert.equal((await fetch(new URL('/xsd/vsaa-ep.xsd', sim.url))).status, 200);
  });
});
