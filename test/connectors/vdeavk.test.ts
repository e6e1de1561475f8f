import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SoapRequestError, createLogger, createSigningIdentity, leafValues, makePersonCode, parseXmlTree, readSoapFault, signSoapBody, soapPayload, verifyEnvelope, type AssistantOpinion, type CallContext, type CanonicalXml, type SigningIdentity, type XmlFields,
} from '../../engine/index.ts';
import { HUB_VDEAVK_NS, VDEAVK_NS, createVdeavkClient, opinionElement, opinionFields, vdeavkGetOpinions, vdeavkOpinionsChanged, vdeavkSubmitOpinions, type VdeavkClient, type VdeavkClientOptions, type VdeavkExchange } from '../../connectors/vdeavk/index.ts';
import { startVdeavkSimulator, type VdeavkSimulator } from '../../connectors/vdeavk/sandbox.ts';
import { Scratch, XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';
import { agencyBed } from '../soap/agency-bed.ts';


const EPOCH = '2000-01-01T00:00:00Z';
const PURPOSE = 'Asistenta pakalpojuma lieta Nr. 2026/41';
const q = (requesterId = '0001000') => ({ requesterId, purpose: PURPOSE });
const key = (o: AssistantOpinion): string => `${o.opinionId}@${o.changedAt}`;

/** Every page of the feed after `since`, calling `between(pageNumber)` after each page. */
async function readFeed(client: VdeavkClient, since: string, pageSize: number, between: (page: number) => void = () => {}): Promise<AssistantOpinion[]> {
  const out: AssistantOpinion[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const p = await client.changedSince({ ...q('LM'), since, cursor, pageSize });
    assert.ok(p.opinions.length <= pageSize);
    out.push(...p.opinions);
    if (!p.nextCursor) return out;
    assert.equal(p.opinions.length, pageSize, 'only the last page is short');
    cursor = p.nextCursor;
    between(page);
  }
}

describe('VDEĀVK simulator and client (GetUniversalServiceDataIS)', function () {
  this.timeout(60_000);
  const bed = agencyBed({ partner: 'vdeavk', start: (hubCertPem) => startVdeavkSimulator({ hubCertPem }), client: (sim, identity, opts: Partial<VdeavkClientOptions>) => createVdeavkClient({ baseUrl: sim.url, identity, vdeavkCertPem: sim.certPem, timeoutMs: 3000, ...opts }) });

  /** A hand-written request, signed by the hub, and the fault or answer VDEĀVK gives it. */
  async function raw(fields: string): Promise<{ status: number; errorCode: string; faultstring: string }> {
    const payload = `<GetUniversalServiceDataISRequest xmlns="${VDEAVK_NS}">${fields}</GetUniversalServiceDataISRequest>`;
    const { status, fault } = await bed.signedPost(payload);
    return { status, errorCode: fault?.errorCode ?? '', faultstring: fault?.faultstring ?? '' };
  }
  const head = (id: string) => `<RequestId>${id}</RequestId><RequesterId>0001000</RequesterId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet>`;

  it('answers one person\'s opinions in canonical form, for a code with or without hyphen', async () => {
    const code = bed.sim.data.personWithOpinions;
    const a = await bed.client.opinionsOf(`${code.slice(0, 6)}-${code.slice(6)}`, q());
    assert.deepEqual(a, { personCode: code, opinions: bed.sim.data.ofPerson(code) });
    assert.ok(a.opinions.length >= 2);
    for (const o of a.opinions) {
      assert.match(o.changedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(o.maxHoursPerMonth, undefined, 'an adult\'s opinion gives no maximum');
    }
  });

  it('gives a child\'s CHILD_SPECIAL_CARE opinion with MaxHoursPerMonth 80 or 100, and the Ministry (LM) may ask', async () => {
    const [o] = (await bed.client.opinionsOf(bed.sim.data.childWithOpinion, q('LM'))).opinions;
    assert.deepEqual([o.disabilityGroup, o.kind, o.revoked], ['CHILD', 'CHILD_SPECIAL_CARE', false]);
    assert.ok(o.maxHoursPerMonth === 80 || o.maxHoursPerMonth === 100);
    assert.equal(typeof o.revoked, 'boolean');
  });

  it('answers the changes after ChangedSince in ChangedAt order, with a NextCursor until the last page', async () => {
    const feed = bed.sim.data.feed();
    const since = feed[feed.length - 11].changedAt; // the last ten changes follow it
    const first = await bed.client.changedSince({ ...q('LM'), since, pageSize: 6 });
    assert.deepEqual(first.opinions, feed.slice(-10, -4));
    assert.ok(first.nextCursor);
    const last = await bed.client.changedSince({ ...q('LM'), since, cursor: first.nextCursor, pageSize: 6 });
    assert.deepEqual(last, { opinions: feed.slice(-4) }, 'no NextCursor on the last page');
    // The same instant written with another offset is the same ChangedSince.
    const riga = new Date(Date.parse(since) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual((await bed.client.changedSince({ ...q('LM'), since: riga })).opinions, feed.slice(-10));
    assert.deepEqual(await bed.client.changedSince({ ...q('LM'), since: bed.sim.data.latestChangedAt() }), { opinions: [] });
  });

  it('pages with pageSize 7 over the whole feed and returns every opinion exactly once', async () => {
    const all = await readFeed(bed.client, EPOCH, 7);
    assert.deepEqual(all, bed.sim.data.feed());
    assert.equal(new Set(all.map((o) => o.opinionId)).size, bed.sim.data.opinions.size);
  });

  it('never skips or repeats an opinion when opinions are changed, revoked and added between pages', async () => {
    const before = [...bed.sim.data.feed()];
    const ahead = before[150];
    const ahead2 = before[250];
    let stale: AssistantOpinion[] = [];
    const all = await readFeed(bed.client, EPOCH, 7, (page) => {
      if (page === 3) {
        stale = [ahead, ahead2];
        bed.sim.data.change(ahead.opinionId, { validTo: '2030-12-31' }); // not delivered yet: moves to the end
        bed.sim.data.revoke(before[5].opinionId); // delivered: its revocation is a new change
        bed.sim.data.add({
          personCode: bed.sim.data.personWithOpinions, disabilityGroup: 'I', kind: 'ADULT_VISUAL',
          issuedOn: '2026-11-02', validFrom: '2026-11-02', validTo: '2027-11-01', revoked: false,
        });
      }
      if (page === 20) bed.sim.data.change(ahead2.opinionId, { maxHoursPerMonth: 100 });
    });
    const keys = all.map(key);
    assert.equal(new Set(keys).size, keys.length, 'no version is delivered twice');
    for (const s of stale) assert.ok(!keys.includes(key(s)), `the replaced version of ${s.opinionId} is not delivered`);
    const latest = new Map(all.map((o) => [o.opinionId, o]));
    assert.deepEqual(latest, new Map(bed.sim.data.feed().map((o) => [o.opinionId, o])), 'every opinion arrives in its current version');
    assert.equal(all.length, before.length + 2, 'one revocation of a delivered opinion and one new opinion added');
  });

  it('sends requests that validate against vdeavk-universal.xsd and that xmlsec1 verifies; the answers validate too', async () => {
    bed.exchanges.length = 0;
    const feed = bed.sim.data.feed();
    await bed.client.opinionsOf(bed.sim.data.childWithOpinion, q());
    const first = await bed.client.changedSince({ ...q('LM'), since: feed[feed.length - 5].changedAt, pageSize: 2 });
    await bed.client.changedSince({ ...q('LM'), since: feed[feed.length - 5].changedAt, pageSize: 2, cursor: first.nextCursor, requestId: 'pull-2026-11-27-2' });
    await bed.client.changedSince({ ...q('LM'), since: '2026-01-05T10:00:00.123+02:00' });
    assert.equal(bed.exchanges.length, 4);
    for (const e of bed.exchanges) {
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(bed.scratch, XSD('vdeavk-universal.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      const v = xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem);
      assert.ok(v.ok, v.out);
      assert.ok(xmlsecVerify(bed.scratch, e.responseXml!, bed.sim.certPem).ok);
    }
  });

  it('maps PERSON_NOT_FOUND to a final 404', async () => {
    const e = await failure(bed.client.opinionsOf(bed.sim.data.unknownPerson, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
  });

  it('maps ACCESS_DENIED for a requester VDEĀVK does not serve to a final 502', async () => {
    const e = await failure(bed.client.opinionsOf(bed.sim.data.personWithOpinions, q('9999999')));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
    assert.equal(bed.sim.stats.faults.ACCESS_DENIED, 1);
  });

  it('maps INVALID_REQUEST (a cursor it did not issue) to a final 502 that names the field', async () => {
    const e = await failure(bed.client.changedSince({ ...q('LM'), since: EPOCH, cursor: 'c1.zz.not-a-position!' }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'INVALID_REQUEST']);
    assert.match(e.message, /Cursor: is not a cursor this service issued/);
  });

  it('faults INVALID_REQUEST naming the field for requests that break the XSD', async () => {
    const code = bed.sim.data.personWithOpinions;
    const cases: [string, RegExp][] = [
      [`${head('x1')}<ChangedSince>${EPOCH}</ChangedSince><PageSize>1001</PageSize>`, /^PageSize: "1001" is not valid: it must be a whole number from 1 to 1000$/],
      [`${head('x2')}<ChangedSince>${EPOCH}</ChangedSince><PageSize>7</PageSize><Cursor>c</Cursor>`, /^PageSize: is repeated or out of order|^Cursor/],
      [`${head('x3').replace('ASSISTANT_OPINIONS', 'DISABILITY')}<PersonCode>${code}</PersonCode>`, /^DataSet: "DISABILITY" is not valid: it must be one of ASSISTANT_OPINIONS/],
      [`${head('x4')}`, /^PersonCode: after DataSet comes either PersonCode .* or ChangedSince/],
      [`${head('x5')}<PersonCode>${code}</PersonCode><ChangedSince>${EPOCH}</ChangedSince>`, /^ChangedSince: element ChangedSince is not expected here/],
      [`${head('x6')}<ChangedSince>2026-01-05T10:00:00</ChangedSince>`, /^ChangedSince: must be a date and time with an offset/],
      [`${head('x7')}<PersonCode>16117519998</PersonCode>`, /^PersonCode: is not a valid personal code: check digit is 8, expected 7$/],
      [`<RequesterId>0001000</RequesterId><RequestId>x8</RequestId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet><PersonCode>${code}</PersonCode>`, /^RequestId: is missing: found element RequesterId/],
      [head('x9').replace('0001000', 'RIGA') + `<PersonCode>${code}</PersonCode>`, /^RequesterId: must be a municipality's ATVK code \(7 digits\) or LM$/],
      [head('x10').replace('<Purpose>p</Purpose>', '<Purpose> </Purpose>') + `<PersonCode>${code}</PersonCode>`, /^Purpose: is empty$/],
    ];
    for (const [fields, message] of cases) {
      const r = await raw(fields);
      assert.equal(r.status, 500);
      assert.equal(r.errorCode, 'INVALID_REQUEST', fields);
      assert.match(r.faultstring, message);
      // The simulator refuses what xmllint refuses (the personal code and the offset are partners/README.md's rules).
      if (!/x6|x7/.test(fields)) {
        const lint = xmllint(bed.scratch, XSD('vdeavk-universal.xsd'), `<GetUniversalServiceDataISRequest xmlns="${VDEAVK_NS}">${fields}</GetUniversalServiceDataISRequest>`);
        assert.equal(lint.ok, false, fields);
      }
    }
  });

  it('answers a repeated RequestId with the same request again, and faults INVALID_REQUEST for other content', async () => {
    const code = bed.sim.data.personWithOpinions;
    const first = await bed.client.opinionsOf(code, { ...q(), requestId: 'case-41-a' });
    assert.deepEqual(await bed.client.opinionsOf(code, { ...q(), requestId: 'case-41-a' }), first, 'a retry gets the same answer');
    const e = await failure(bed.client.opinionsOf(bed.sim.data.childWithOpinion, { ...q(), requestId: 'case-41-a' }));
    assert.deepEqual([e.code, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
    assert.match(e.message, /RequestId case-41-a was already used for another request/);
  });

  it('maps SIGNATURE_INVALID (the hub signed with a key VDEĀVK does not know) to a final 502', async () => {
    const e = await failure(bed.open({ identity: bed.stranger }).opinionsOf(bed.sim.data.personWithOpinions, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
  });

  it('refuses an answer not signed with VDEĀVK\'s registered certificate (502)', async () => {
    const e = await failure(bed.open({ vdeavkCertPem: bed.stranger.certPem }).changedSince({ ...q('LM'), since: EPOCH, pageSize: 1 }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
  });

  it('maps UNAVAILABLE to a retryable 503', async () => {
    bed.sim.switches.outage = 'unavailable';
    const e = await failure(bed.client.changedSince({ ...q('LM'), since: EPOCH }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
  });

  it('maps an HTTP 503 from VDEĀVK\'s front end to a retryable 503', async () => {
    bed.sim.switches.outage = 'http503';
    const e = await failure(bed.client.opinionsOf(bed.sim.data.personWithOpinions, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
  });

  it('takes as long as the latency switch says, and times out (504) past the client\'s deadline', async () => {
    bed.sim.switches.latencyMs = 300;
    const t0 = Date.now();
    await bed.client.opinionsOf(bed.sim.data.personWithOpinions, q());
    assert.ok(Date.now() - t0 >= 300);
    const e = await failure(bed.open({ timeoutMs: 100 }).opinionsOf(bed.sim.data.personWithOpinions, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    // A call's own deadline wins over the client's (3 s here): components pass the route's per call.
    const own = await failure(bed.client.opinionsOf(bed.sim.data.personWithOpinions, { ...q(), timeoutMs: 100 }));
    assert.deepEqual([own.code, own.httpStatus], ['HUB_ERR_PARTNER_TIMEOUT', 504]);
  });

  it('times out (504) when the simulator never answers', async () => {
    bed.sim.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(bed.open({ timeoutMs: 250 }).changedSince({ ...q('LM'), since: EPOCH }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('maps refused connections to a retryable 503, and recovers when VDEĀVK is back', async () => {
    await bed.sim.refuseConnections(true);
    try {
      const e = await failure(bed.client.opinionsOf(bed.sim.data.personWithOpinions, q()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
    } finally {
      await bed.sim.refuseConnections(false);
    }
    assert.ok((await bed.client.opinionsOf(bed.sim.data.personWithOpinions, q())).opinions.length > 0);
  });

  it('checks the question before sending it (400 naming the field)', async () => {
    const requests = bed.sim.stats.requests;
    for (const [p, field] of [
      [bed.client.opinionsOf('16117519998', q()), 'personCode'],
      [bed.client.opinionsOf(bed.sim.data.personWithOpinions, { ...q(), purpose: ' ' }), 'purpose'],
      [bed.client.opinionsOf(bed.sim.data.personWithOpinions, { ...q(), purpose: 'x'.repeat(501) }), 'purpose'],
      [bed.client.opinionsOf(bed.sim.data.personWithOpinions, q('Rīga')), 'requesterId'],
      [bed.client.opinionsOf(bed.sim.data.personWithOpinions, { ...q(), requestId: ' a' }), 'requestId'],
      [bed.client.changedSince({ ...q('LM'), since: '2026-01-05' }), 'since'],
      [bed.client.changedSince({ ...q('LM'), since: '2026-01-05T10:00:00' }), 'since'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, pageSize: 1001 }), 'pageSize'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, pageSize: 0 }), 'pageSize'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, cursor: '' }), 'cursor'],
    ] as const) {
      const e = await failure(p);
      assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field]);
    }
    assert.equal(bed.sim.stats.requests, requests, 'nothing was sent');
  });

  it('serves its WSDL at ?wsdl with its own address, and the XSD it imports', async () => {
    const res = await fetch(`${bed.sim.url}?wsdl`);
    const wsdl = await res.text();
    assert.equal(res.status, 200);
    assert.ok(wsdl.includes(`<soap:address location="${bed.sim.url}"/>`));
    const xsd = await fetch(new URL('../xsd/vdeavk-universal.xsd', `${bed.sim.url}?wsdl`));
    assert.equal(xsd.status, 200, 'the WSDL\'s relative schemaLocation resolves');
  });

  describe('as components (vdeavk/get-opinions, vdeavk/opinions-changed)', () => {
    const ctx = (): CallContext => ({ target: { partnerId: 'vdeavk', endpoint: bed.sim.url, certPem: bed.sim.certPem }, identity: bed.hub, logger: createLogger({ level: 'silent' }) });

    it('vdeavk/get-opinions answers {personCode, opinions} and ignores a period', async () => {
      const call = vdeavkGetOpinions.create({ maxSockets: 4 }, ctx());
      try {
        const code = bed.sim.data.personWithOpinions;
        const a = await call.call({ personCode: code, purpose: PURPOSE, requesterId: '0001000', requestId: 'q-1', periodFrom: '2026-01' }, { timeoutMs: 3000 });
        assert.deepEqual(a, { personCode: code, opinions: bed.sim.data.ofPerson(code) });
      } finally {
        await call.close();
      }
    });

    it('vdeavk/opinions-changed reads the feed page by page and honours the deadline', async () => {
      const pull = vdeavkOpinionsChanged.create({}, ctx());
      try {
        const items: AssistantOpinion[] = [];
        let cursor: string | undefined;
        do {
          const page = await pull.page({ since: EPOCH, cursor, pageSize: 100, requestId: `pull-${items.length}` }, { timeoutMs: 3000 });
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(items, bed.sim.data.feed());
        const big = await pull.page({ since: EPOCH, pageSize: 5000, requestId: 'pull-big' }, { timeoutMs: 3000 });
        assert.equal(big.items.length, Math.min(1000, bed.sim.data.opinions.size), 'a page size above VDEĀVK\'s maximum asks for 1000');
        bed.sim.switches.timeout = true;
        const t0 = Date.now();
        const e = await failure(pull.page({ since: EPOCH, pageSize: 10, requestId: 'pull-late' }, { timeoutMs: 200 }));
        assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
        assert.ok(Date.now() - t0 < 2000);
      } finally {
        await pull.close();
      }
    });

    it('vdeavk/opinions-changed asks as LM: a VDEĀVK that serves only Rīga refuses it', async () => {
      const only = await startVdeavkSimulator({ hubCertPem: bed.hub.certPem, requesters: ['0001000'] });
      const pull = vdeavkOpinionsChanged.create({}, { ...ctx(), target: { partnerId: 'vdeavk', endpoint: only.url, certPem: only.certPem } });
      try {
        const e = await failure(pull.page({ since: EPOCH, pageSize: 10, requestId: 'pull-lm' }, { timeoutMs: 3000 }));
        assert.equal(e.details.partnerCode, 'ACCESS_DENIED');
        assert.match(e.message, /requester LM may not read/);
      } finally {
        await pull.close();
        await only.close();
      }
    });
  });
});

describe('VDEĀVK client reading malformed answers', function () {
  this.timeout(30_000);
  let hub: SigningIdentity;
  let partner: SigningIdentity;
  let server: http.Server;
  let url: string;
  let next: { status: number; type: string; body: string };
  let client: VdeavkClient;
  let last: VdeavkExchange | undefined;
  const O: AssistantOpinion = {
    opinionId: 'ATZ-2026-000001', personCode: '16117519997', disabilityGroup: 'CHILD', kind: 'CHILD_SPECIAL_CARE',
    issuedOn: '2026-01-05', validFrom: '2026-02-01', validTo: '2027-01-31', maxHoursPerMonth: 80, revoked: false, changedAt: '2026-01-05T08:00:00.000Z',
  };
  const answer = (fields: XmlFields, ns = VDEAVK_NS): void => {
    next = { status: 200, type: 'text/xml', body: signSoapBody(soapPayload(ns, 'GetUniversalServiceDataISResponse', fields), partner) };
  };
  const opinions = (...os: XmlFields[]): XmlFields => [['Opinions', os.map((f) => ['Opinion', f] as const)]];
  const withField = (name: string, value: string): XmlFields => opinionFields(O).map(([n, v]) => [n, n === name ? value : v] as const);

  before(async () => {
    [hub, partner] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('VDEAVK')]);
    server = http.createServer((req, res) => {
      req.resume().on('end', () => res.writeHead(next.status, { 'content-type': next.type }).end(next.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/iis/UniversalService`;
    client = createVdeavkClient({ baseUrl: url, identity: hub, vdeavkCertPem: partner.certPem, timeoutMs: 3000, onExchange: (e) => { last = e; } });
  });
  after(async () => {
    client.close();
    await new Promise((r) => server.close(r));
  });

  it('reads what the XSD allows into canonical form: hyphen, offsets, 1/0, zones on dates, padded tokens', async () => {
    answer(opinions([
      ['OpinionId', '  ATZ-2026-000001 '], ['PersonCode', '161175-19997'], ['DisabilityGroup', 'CHILD'], ['Kind', 'CHILD_SPECIAL_CARE'],
      ['IssuedOn', '2026-01-05+02:00'], ['ValidFrom', '2026-02-01Z'], ['ValidTo', '2027-01-31'], ['MaxHoursPerMonth', '+080'], ['Revoked', '0'],
      ['ChangedAt', '2026-01-05T10:00:00.0009+02:00'],
    ]));
    assert.deepEqual(await client.opinionsOf('16117519997', q()), { personCode: '16117519997', opinions: [O] });
  });

  it('refuses, as HUB_ERR_PARTNER_RESPONSE (502) naming the element, what the XSD or the contract does not allow', async () => {
    const cases: [() => void, 'person' | 'changes', RegExp][] = [
      [() => answer(opinions(withField('ValidTo', '2027-02-30'))), 'person', /Opinions\/Opinion\[1\]\/ValidTo: "2027-02-30" is not valid/],
      [() => answer(opinions(opinionFields(O), withField('Kind', 'ADULT_HEARING'))), 'person', /Opinions\/Opinion\[2\]\/Kind: "ADULT_HEARING" is not valid: it must be one of/],
      [() => answer(opinions(withField('MaxHoursPerMonth', '745'))), 'person', /Opinions\/Opinion\[1\]\/MaxHoursPerMonth: "745" is not valid/],
      [() => answer(opinions(withField('Revoked', 'yes'))), 'person', /Opinions\/Opinion\[1\]\/Revoked: "yes" is not valid: it must be true or false/],
      [() => answer(opinions(withField('PersonCode', '16117519997 '))), 'person', /Opinions\/Opinion\[1\]\/PersonCode: is not a valid personal code/],
      [() => answer(opinions(opinionFields(O).filter(([n]) => n !== 'ChangedAt'))), 'person', /Opinions\/Opinion\[1\]\/ChangedAt: is missing/],
      [() => answer(opinions(withField('PersonCode', makePersonCode({ year: 1965, month: 8, day: 27 }, 135)))), 'person', /Opinion\[1\]\/PersonCode: an opinion on another person than the one asked about/],
      [() => answer([...opinions(opinionFields(O)), ['NextCursor', 'c2']]), 'person', /NextCursor in the answer to a PersonCode request/],
      [() => answer([...opinions(withField('ChangedAt', '2026-01-05T10:00:00Z'), opinionFields(O))]), 'changes', /Opinion\[2\]\/ChangedAt: 2026-01-05T08:00:00.000Z is earlier than the opinion before it/],
      [() => answer([...opinions(), ['NextCursor', 'c1']]), 'changes', /NextCursor is the Cursor of the request/],
      [() => answer([['Opinions', [['Opinion', opinionFields(O)], ['Note', 'x']]]]), 'person', /Opinions\/Opinion\[2\]: is element Note; Opinions holds only Opinion elements/],
      [() => answer(opinions(opinionFields(O)), 'urn:lv:vdeavk:iis:universal:2'), 'person', /no GetUniversalServiceDataISResponse in the Body/],
      [() => { next = { status: 200, type: 'text/html', body: '<html>maintenance</html>' }; }, 'person', /HTTP 200 text\/html/],
    ];
    for (const [set, mode, message] of cases) {
      set();
      const e = await failure(mode === 'person' ? client.opinionsOf('16117519997', q()) : client.changedSince({ ...q('LM'), since: EPOCH, cursor: 'c1' }));
      assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_RESPONSE', 502, false], e.message);
      assert.match(e.message, message);
      assert.equal(last?.error, e, 'the exchange the audit sees carries the error');
    }
  });
});

describe('VDEĀVK push (SubmitAssistantOpinions) and the hub\'s endpoint', function () {
  this.timeout(30_000);
  let hub: SigningIdentity;
  let sim: VdeavkSimulator;
  let scratch: Scratch;
  let hubServer: http.Server;
  let hubUrl: string;
  const received: string[] = [];

  /** What the engine does around the endpoint (engine/http/soap-api.ts), cut down: verify, read, answer signed. */
  const endpoint = (body: string): { status: number; xml: string } => {
    const v = verifyEnvelope(body, sim.certPem);
    const sign = (c: CanonicalXml): string => signSoapBody(c, hub);
    if (!v.ok) return { status: 500, xml: sign(vdeavkSubmitOpinions.fault(new SoapRequestError('SIGNATURE_INVALID', v.reason))) };
    try {
      const r = vdeavkSubmitOpinions.read(v.payload!);
      return { status: 200, xml: sign(vdeavkSubmitOpinions.respond(r.requestId, r.items.length)) };
    } catch (e) {
      if (e instanceof SoapRequestError) return { status: 500, xml: sign(vdeavkSubmitOpinions.fault(e)) };
      throw e;
    }
  };

  const submission = (opinionXml: string[], requestId = 'push-1'): string =>
    `<SubmitAssistantOpinionsRequest xmlns="${HUB_VDEAVK_NS}"><RequestId>${requestId}</RequestId><Opinions>${opinionXml.join('')}</Opinions></SubmitAssistantOpinionsRequest>`;
  const read = (xml: string) => vdeavkSubmitOpinions.read(parseXmlTree(xml));
  const refusal = (xml: string): SoapRequestError => {
    try {
      read(xml);
    } catch (e) {
      assert.ok(e instanceof SoapRequestError, String(e));
      return e;
    }
    assert.fail('expected INVALID_REQUEST');
  };

  before(async () => {
    hub = await createSigningIdentity('hub');
    sim = await startVdeavkSimulator({ hubCertPem: hub.certPem });
    scratch = new Scratch();
    hubServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push(body);
        const out = endpoint(body);
        res.writeHead(out.status, { 'content-type': 'text/xml; charset=utf-8' }).end(out.xml);
      });
    });
    await new Promise<void>((r) => hubServer.listen(0, '127.0.0.1', r));
    hubUrl = `http://127.0.0.1:${(hubServer.address() as AddressInfo).port}/soap/vdeavk`;
  });
  after(async () => {
    await sim.close();
    await new Promise((r) => hubServer.close(r));
    scratch.dispose();
  });

  it('push() sends a signed request that validates against hub-vdeavk.xsd and that read() returns as the same opinions', async () => {
    const opinions = [...sim.data.ofPerson(sim.data.personWithOpinions), ...sim.data.ofPerson(sim.data.childWithOpinion)];
    received.length = 0;
    const r = await sim.push(hubUrl, opinions, 'vdeavk-2026-11-27-001');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.requestId, 'vdeavk-2026-11-27-001');
    const lint = xmllint(scratch, XSD('hub-vdeavk.xsd'), soapPayloadOf(received[0]));
    assert.ok(lint.ok, lint.out);
    const sig = xmlsecVerify(scratch, received[0], sim.certPem);
    assert.ok(sig.ok, sig.out);
    assert.deepEqual(read(soapPayloadOf(received[0])), { requestId: 'vdeavk-2026-11-27-001', items: opinions });

    const v = verifyEnvelope(r.body, hub.certPem);
    assert.ok(v.ok);
    assert.deepEqual(leafValues(v.payload!), { RequestId: 'vdeavk-2026-11-27-001', Accepted: 'true', Stored: String(opinions.length) });
    const answer = xmllint(scratch, XSD('hub-vdeavk.xsd'), soapPayloadOf(r.body));
    assert.ok(answer.ok, answer.out);
  });

  it('push() makes a RequestId when none is given, and sends only what the XSD allows', async () => {
    const [o] = sim.data.feed();
    const r = await sim.push(hubUrl, [o]);
    assert.equal(r.status, 200);
    assert.match(r.requestId, /^vdeavk-[0-9a-f-]{36}$/);
    await assert.rejects(sim.push(hubUrl, []), RangeError);
    await assert.rejects(sim.push(hubUrl, Array(1001).fill(o)), RangeError);
    await assert.rejects(sim.push(hubUrl, [{ ...o, validTo: '2026-02-30' }]), /ValidTo/);
    await assert.rejects(sim.push(hubUrl, [o], ' padded '), RangeError);
  });

  it('read() accepts the XSD\'s spellings and gives canonical opinions', () => {
    const xml = submission([
      `<Opinion xmlns="${VDEAVK_NS}"><OpinionId>O-1</OpinionId><PersonCode>161175-19997</PersonCode><DisabilityGroup>CHILD</DisabilityGroup><Kind>CHILD_SPECIAL_CARE</Kind><IssuedOn>2026-01-05</IssuedOn><ValidFrom>2026-02-01</ValidFrom><ValidTo>2027-01-31</ValidTo><MaxHoursPerMonth>100</MaxHoursPerMonth><Revoked>true</Revoked><ChangedAt>2026-01-05T10:00:00+02:00</ChangedAt></Opinion>`,
    ], ' push-2 ');
    assert.ok(xmllint(scratch, XSD('hub-vdeavk.xsd'), xml).ok);
    assert.deepEqual(read(xml), {
      requestId: 'push-2',
      items: [{
        opinionId: 'O-1', personCode: '16117519997', disabilityGroup: 'CHILD', kind: 'CHILD_SPECIAL_CARE', issuedOn: '2026-01-05',
        validFrom: '2026-02-01', validTo: '2027-01-31', maxHoursPerMonth: 100, revoked: true, changedAt: '2026-01-05T08:00:00.000Z',
      }],
    });
  });

  it('read() refuses a bad request with INVALID_REQUEST naming the element and the opinion\'s position', () => {
    const three = sim.data.feed().slice(0, 3).map(opinionElement);
    const child = opinionElement(sim.data.ofPerson(sim.data.childWithOpinion)[0]);
    const third = (edit: (x: string) => string): string => submission([three[0], three[1], edit(three[2])]);
    const cases: { xml: string; message: RegExp; xsd: boolean }[] = [
      { xml: third((x) => x.replace(/<ValidTo>[^<]*/, '<ValidTo>2026-02-30')), message: /^Opinions\/Opinion\[3\]\/ValidTo: "2026-02-30" is not valid: it must be a date YYYY-MM-DD$/, xsd: true },
      { xml: third((x) => x.replace(/<Revoked>[^<]*<\/Revoked>/, '')), message: /^Opinions\/Opinion\[3\]\/Revoked: is missing/, xsd: true },
      { xml: third((x) => x.replace(/<Kind>[^<]*/, '<Kind>ADULT_HEARING')), message: /^Opinions\/Opinion\[3\]\/Kind: "ADULT_HEARING" is not valid/, xsd: true },
      { xml: third((x) => x.replace(/(<ValidFrom>[^<]*<\/ValidFrom>)(<ValidTo>[^<]*<\/ValidTo>)/, '$2$1')), message: /^Opinions\/Opinion\[3\]\/ValidFrom: is missing: found element ValidTo/, xsd: true },
      { xml: third((x) => x.replace(`xmlns="${VDEAVK_NS}"`, '')), message: /^Opinions\/Opinion\[3\]: is in namespace urn:lv:lm:spolis:hub:vdeavk:1; it must be in namespace urn:lv:vdeavk:iis:universal:1$/, xsd: true },
      { xml: third((x) => x.replace(/<ChangedAt>[^<]*/, '<ChangedAt>2026-01-05T10:00:00')), message: /^Opinions\/Opinion\[3\]\/ChangedAt: .* must be a date and time with an offset/, xsd: false },
      { xml: third((x) => x.replace(/<PersonCode>[^<]*/, '<PersonCode>16117519998')), message: /^Opinions\/Opinion\[3\]\/PersonCode: is not a valid personal code/, xsd: false },
      { xml: third((x) => x.replace(/<ValidTo>[^<]*/, '<ValidTo>2000-01-01')), message: /^Opinions\/Opinion\[3\]\/ValidTo: 2000-01-01 is before ValidFrom/, xsd: false },
      { xml: submission([three[0], three[1], child.replace(/<MaxHoursPerMonth>[^<]*/, '<MaxHoursPerMonth>0')]), message: /^Opinions\/Opinion\[3\]\/MaxHoursPerMonth: "0" is not valid/, xsd: true },
      { xml: submission([three[0], three[1], three[1].replace(/<ValidTo>[^<]*/, '<ValidTo>2099-12-31')]), message: /^Opinions\/Opinion\[3\]: OpinionId .* is also Opinion\[2\], with other content/, xsd: false },
      { xml: submission([]), message: /^Opinions: holds no Opinion/, xsd: true },
      { xml: submission(three, ' '), message: /^RequestId: is empty$/, xsd: true },
      { xml: submission(Array(1001).fill(three[0])), message: /^Opinions: holds 1001 opinions; send at most 1000 per request$/, xsd: true },
      { xml: submission(three).replace('<RequestId>', '<Note>x</Note><RequestId>'), message: /^Note: element Note is not expected here|^RequestId: is missing: found element Note/, xsd: true },
    ];
    for (const c of cases) {
      const e = refusal(c.xml);
      assert.equal(e.errorCode, 'INVALID_REQUEST');
      assert.match(e.message, c.message);
      if (c.xsd) assert.equal(xmllint(scratch, XSD('hub-vdeavk.xsd'), c.xml).ok, false, `xmllint refuses it too: ${e.message}`);
    }
  });

  it('the same opinion twice with different ChangedAt is two versions, both read', () => {
    const [o] = sim.data.feed();
    const later = { ...o, revoked: true, changedAt: '2026-11-01T09:00:00.000Z' };
    assert.deepEqual(read(submission([opinionElement(o), opinionElement(later)])).items, [o, later]);
  });

  it('respond() and fault() write messages of hub-vdeavk.xsd; faults say Client or Server', () => {
    const ok = xmllint(scratch, XSD('hub-vdeavk.xsd'), vdeavkSubmitOpinions.respond('push-9', 0));
    assert.ok(ok.ok, ok.out);
    for (const [code, faultcode] of [['INVALID_REQUEST', 'Client'], ['ACCESS_DENIED', 'Client'], ['SIGNATURE_INVALID', 'Client'], ['UNAVAILABLE', 'Server']] as const) {
      const signed = signSoapBody(vdeavkSubmitOpinions.fault(new SoapRequestError(code, 'why & how')), hub);
      const v = verifyEnvelope(signed, hub.certPem);
      assert.ok(v.ok);
      assert.deepEqual(readSoapFault(v.body), { faultcode, faultstring: 'why & how', errorCode: code });
      const detail = /<ErrorCode [^>]*>[^<]*<\/ErrorCode>/.exec(signed)![0];
      assert.ok(xmllint(scratch, XSD('hub-vdeavk.xsd'), detail).ok, detail);
    }
  });

  it('a push signed with another key is refused by the endpoint', async () => {
    const other = await startVdeavkSimulator({ hubCertPem: hub.certPem });
    try {
      const r = await other.push(hubUrl, [sim.data.feed()[0]]);
      assert.equal(r.status, 500);
      const v = verifyEnvelope(r.body, hub.certPem);
      assert.ok(v.ok);
      assert.equal(readSoapFault(v.body)?.errorCode, 'SIGNATURE_INVALID');
    } finally {
      await other.close();
    }
  });
});
