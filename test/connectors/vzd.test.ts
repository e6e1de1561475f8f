import assert from 'node:assert/strict';
import { createLogger, personCodeProblem, type CallContext, type ConnectorError } from '../../engine/index.ts';
import { createVzdClient, vzdGetProperty, type VzdClientOptions, type VzdProperty } from '../../connectors/vzd/index.ts';
import { startVzdSimulator, vzdDataSet } from '../../connectors/vzd/sandbox.ts';
import { XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';
import { agencyBed } from '../soap/agency-bed.ts';

const NS = 'urn:lv:vzd:kadastrs:1';
const RIGA = '0001000';
const request = (personCode: string, { requesterId = RIGA, requestId = 'raw-1', purpose = 'Sociālās palīdzības lieta Nr. 2026/17' } = {}): string =>
  `<GetPersonPropertyRequest xmlns="${NS}"><RequestId>${requestId}</RequestId><RequesterId>${requesterId}</RequesterId><Purpose>${purpose}</Purpose><PersonCode>${personCode}</PersonCode></GetPersonPropertyRequest>`;
const hyphenated = (code: string): string => `${code.slice(0, 6)}-${code.slice(6)}`;

describe('VZD simulator and client (GetPersonProperty)', function () {
  this.timeout(30_000);
  const bed = agencyBed({ partner: 'vzd', start: (hubCertPem) => startVzdSimulator({ hubCertPem }), client: (sim, identity, opts: Partial<VzdClientOptions>) => createVzdClient({ baseUrl: sim.url, identity, vzdCertPem: sim.certPem, timeoutMs: 3000, ...opts }) });
  const q = (requesterId = RIGA) => ({ requesterId, purpose: 'Sociālās palīdzības lieta Nr. 2026/17' });
  const held = (code: string): VzdProperty[] => bed.sim.data.persons.get(code)!.properties;

  it('answers the one property of an owner in canonical form, for a code with or without hyphen', async () => {
    const code = bed.sim.data.samples.owner;
    const plain = await bed.client.propertyOf(code, q());
    assert.deepEqual(plain, { personCode: code, properties: held(code) });
    assert.equal(plain.properties.length, 1);
    const [p] = plain.properties;
    assert.deepEqual(p.share, { numerator: 1, denominator: 1 });
    assert.match(p.cadastreNumber, /^\d{11}$/);
    assert.match(p.cadastralValue, /^\d+\.\d{2}$/);
    assert.match(p.valueDate, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(p.municipality, /^\d{7}$/);
    assert.ok(p.address, 'the owner\'s apartment has an address');
    assert.deepEqual(await bed.client.propertyOf(hyphenated(code), q()), plain, 'a hyphenated code is sent as 11 digits and answered in canonical form');
  });

  it('answers several properties in CadastreNumber order: all three kinds, shares 1/2 and 1/3', async () => {
    const code = bed.sim.data.samples.several;
    const a = await bed.client.propertyOf(code, q());
    assert.deepEqual(a, { personCode: code, properties: held(code) });
    const numbers = a.properties.map((p) => p.cadastreNumber);
    assert.deepEqual(numbers, [...numbers].sort());
    assert.deepEqual(new Set(a.properties.map((p) => p.kind)), new Set(['LAND', 'BUILDING', 'APARTMENT']));
    const shares = a.properties.map((p) => `${p.share.numerator}/${p.share.denominator}`);
    for (const s of ['1/1', '1/2', '1/3']) assert.ok(shares.includes(s), `${s} among ${shares.join(', ')}`);
    assert.ok(a.properties.some((p) => p.address === undefined), 'a property without an address has no address key');
  });

  it('answers an empty list for a person the register holds who owns nothing', async () => {
    assert.deepEqual(await bed.client.propertyOf(bed.sim.data.samples.none, q()), { personCode: bed.sim.data.samples.none, properties: [] });
  });

  it('sends requests that validate against vzd-property.xsd and that xmlsec1 verifies; the answers validate and verify too', async () => {
    bed.exchanges.length = 0;
    const { owner, several, none } = bed.sim.data.samples;
    await Promise.all([owner, several, none].map((c) => bed.client.propertyOf(c, q())));
    assert.equal(bed.exchanges.length, 3);
    for (const e of bed.exchanges) {
      assert.equal(e.operation, 'GetPersonProperty');
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(bed.scratch, XSD('vzd-property.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      const v = xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem);
      assert.ok(v.ok, v.out);
      const w = xmlsecVerify(bed.scratch, e.responseXml!, bed.sim.certPem);
      assert.ok(w.ok, w.out);
    }
  });

  it('maps PERSON_NOT_FOUND (a valid code the register does not hold) to a final 404', async () => {
    const unknown = bed.sim.data.samples.unknown;
    assert.equal(personCodeProblem(unknown), null, 'the unknown sample is a valid personal code');
    const e = await failure(bed.client.propertyOf(unknown, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
  });

  it('faults INVALID_REQUEST naming the field for a malformed personal code and other requests the XSD refuses', async () => {
    const code = bed.sim.data.samples.owner;
    const badCheck = code.slice(0, 10) + ((Number(code[10]) + 1) % 10);
    for (const [payload, message] of [
      [request(badCheck), /^PersonCode: is not a valid personal code: check digit/],
      [request(hyphenated(code)), /^PersonCode: must be 11 digits without a hyphen/],
      [request(code, { requestId: 'case 17' }), /^RequestId: "case 17" must be 1 to 64 characters/],
      [request(code, { requestId: 'x'.repeat(65) }), /^RequestId: .* must be 1 to 64 characters/],
      [request(code, { purpose: '   ' }), /^Purpose: is empty/],
      [request(code, { purpose: 'p'.repeat(501) }), /^Purpose: has 501 characters; at most 500 are allowed/],
      [request(code).replace(/<Purpose>.*<\/Purpose>/, ''), /^Purpose: is missing: found PersonCode where it must come/],
      [request(code).replace('<RequestId>raw-1</RequestId>', '').replace('</GetPersonPropertyRequest>', '<RequestId>raw-1</RequestId></GetPersonPropertyRequest>'), /^RequestId: is missing: found RequesterId/],
      [`<GetPersonPropertyRequest xmlns="urn:lv:vzd:kadastrs:2"><RequestId>r</RequestId></GetPersonPropertyRequest>`, /must hold GetPersonPropertyRequest in urn:lv:vzd:kadastrs:1/],
    ] as const) {
      const res = await bed.signedPost(payload);
      assert.equal(res.status, 500, payload);
      assert.equal(res.fault?.errorCode, 'INVALID_REQUEST', payload);
      assert.equal(res.fault?.faultcode, 'Client');
      assert.match(res.fault!.faultstring, message);
      assert.ok(!res.fault!.faultstring.includes(code.slice(0, 6)), 'the faultstring does not repeat the personal code');
    }
    assert.equal(bed.sim.stats.faults.INVALID_REQUEST, 9);
  });

  it('faults ACCESS_DENIED for LM (only municipalities may ask) and maps it to a final 502', async () => {
    const res = await bed.signedPost(request(bed.sim.data.samples.owner, { requesterId: 'LM' }));
    assert.equal(res.status, 500);
    assert.deepEqual([res.fault?.faultcode, res.fault?.errorCode], ['Client', 'ACCESS_DENIED']);
    assert.match(res.fault!.faultstring, /requester LM may not use PropertyInfo: only municipalities may ask/);
    // The client refuses LM before sending; a seven-digit code that is no municipality reaches VZD.
    const e = await failure(bed.client.propertyOf(bed.sim.data.samples.owner, q('9999999')));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
  });

  it('answers a repeated RequestId with the same answer, and faults INVALID_REQUEST when it comes with other content', async () => {
    const { several, owner } = bed.sim.data.samples;
    const first = await bed.client.propertyOf(several, { ...q(), requestId: 'case-17:a' });
    assert.deepEqual(await bed.client.propertyOf(several, { ...q(), requestId: 'case-17:a' }), first, 'a retry gets the same answer');
    const e = await failure(bed.client.propertyOf(owner, { ...q(), requestId: 'case-17:a' }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'INVALID_REQUEST']);
    assert.match(e.message, /RequestId case-17:a was already used for another request/);
    await bed.client.propertyOf(owner, { ...q('0002000'), requestId: 'case-17:a' });
  });

  it('maps SIGNATURE_INVALID (the hub signed with a key VZD does not know) to a final 502', async () => {
    const e = await failure(bed.open({ identity: bed.stranger }).propertyOf(bed.sim.data.samples.owner, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
  });

  it('refuses an answer not signed by VZD\'s registered certificate (502)', async () => {
    const e = await failure(bed.open({ vzdCertPem: bed.stranger.certPem }).propertyOf(bed.sim.data.samples.owner, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
  });

  it('maps UNAVAILABLE to a retryable 503', async () => {
    bed.sim.switches.outage = 'unavailable';
    const e = await failure(bed.client.propertyOf(bed.sim.data.samples.owner, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
  });

  it('answers UNAVAILABLE above 10 requests a second from one requester, and serves the others', async () => {
    const code = bed.sim.data.samples.owner;
    const results = await Promise.allSettled(Array.from({ length: 14 }, () => bed.client.propertyOf(code, q('0005000'))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ConnectorError);
    assert.equal(results.length - refused.length, 10);
    assert.equal(refused.length, 4);
    for (const e of refused) {
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
      assert.match(e.message, /more than 10 requests a second from 0005000/);
    }
    assert.equal(bed.sim.stats.faults.UNAVAILABLE, 4);
    await bed.client.propertyOf(code, q('0006000'));
    await new Promise((r) => setTimeout(r, 1000));
    await bed.client.propertyOf(code, q('0005000'));
  });

  it('takes as long as the latency switch says, and times out (504) past the client\'s deadline', async () => {
    bed.sim.switches.latencyMs = 300;
    const t0 = Date.now();
    await bed.client.propertyOf(bed.sim.data.samples.owner, q());
    assert.ok(Date.now() - t0 >= 300);
    const e = await failure(bed.open({ timeoutMs: 100 }).propertyOf(bed.sim.data.samples.owner, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
  });

  it('times out (504) when the simulator never answers, at the deadline of the call', async () => {
    bed.sim.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(bed.client.propertyOf(bed.sim.data.samples.owner, { ...q(), timeoutMs: 250 }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('maps an HTTP 503 from VZD\'s front end to a retryable 503', async () => {
    bed.sim.switches.outage = 'http503';
    const e = await failure(bed.client.propertyOf(bed.sim.data.samples.owner, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
  });

  it('maps refused connections to a retryable 503, and recovers when VZD is back', async () => {
    await bed.client.propertyOf(bed.sim.data.samples.owner, q());
    await bed.sim.refuseConnections(true);
    try {
      const e = await failure(bed.client.propertyOf(bed.sim.data.samples.owner, q()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
    } finally {
      await bed.sim.refuseConnections(false);
    }
    assert.equal((await bed.client.propertyOf(bed.sim.data.samples.owner, q())).properties.length, 1);
  });

  it('checks the question before sending it (400 naming the field), and sends nothing', async () => {
    const code = bed.sim.data.samples.owner;
    for (const [p, field] of [
      [bed.client.propertyOf('16117519998', q()), 'personCode'],
      [bed.client.propertyOf(code, { ...q(), purpose: ' \n ' }), 'purpose'],
      [bed.client.propertyOf(code, { ...q(), purpose: 'ā'.repeat(501) }), 'purpose'],
      [bed.client.propertyOf(code, q('LM')), 'requesterId'],
      [bed.client.propertyOf(code, { ...q(), requestId: 'lieta 17/2026' }), 'requestId'],
    ] as const) {
      const e = await failure(p);
      assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field], e.message);
    }
    assert.equal(bed.sim.stats.requests, 0);
  });

  it('sends a purpose of up to 500 characters, whitespace collapsed as xs:token reads it', async () => {
    bed.exchanges.length = 0;
    await bed.client.propertyOf(bed.sim.data.samples.owner, { ...q(), purpose: `  Lieta\n\n${'ā'.repeat(494)}  ` });
    assert.match(bed.exchanges[0].requestXml, new RegExp(`<Purpose>Lieta ${'ā'.repeat(494)}</Purpose>`));
  });

  it('refuses, as HUB_ERR_PARTNER_RESPONSE (502) naming the element, an answer the document does not allow', async () => {
    const code = bed.sim.data.samples.several;
    const list = bed.sim.data.persons.get(code)!.properties;
    const kept = list.map((p) => ({ ...p }));
    const cases: [(ps: VzdProperty[]) => void, RegExp, string][] = [
      [(ps) => { ps[1].share = { numerator: 3, denominator: 2 }; }, /3\/2 is more than the whole property/, 'Properties/Property[2]/Share'],
      [(ps) => { ps[0].share = { numerator: 1, denominator: 1_000_001 }; }, /not a share n\/d/, 'Properties/Property[1]/Share'],
      [(ps) => { ps[2].cadastralValue = '12.5'; }, /not an amount in euro with two decimals/, 'Properties/Property[3]/CadastralValue'],
      [(ps) => { ps[0].kind = 'HOUSE' as VzdProperty['kind']; }, /"HOUSE" is not one of LAND, BUILDING, APARTMENT/, 'Properties/Property[1]/Kind'],
      [(ps) => { ps[3].valueDate = '2026-02-30'; }, /is not a date/, 'Properties/Property[4]/ValueDate'],
      [(ps) => { ps[0].municipality = 'RIGA'; }, /not an ATVK code/, 'Properties/Property[1]/Atvk'],
      [(ps) => { ps[1].cadastreNumber = '1234'; }, /not a cadastre number/, 'Properties/Property[2]/CadastreNumber'],
      [(ps) => { ps.reverse(); }, /must come in CadastreNumber order/, 'Properties/Property[2]/CadastreNumber'],
    ];
    try {
      for (const [edit, message, field] of cases) {
        list.splice(0, list.length, ...kept.map((p) => ({ ...p })));
        edit(list);
        const e = await failure(bed.client.propertyOf(code, q()));
        assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.field], ['HUB_ERR_PARTNER_RESPONSE', 502, false, field], e.message);
        assert.match(e.message, message);
        assert.equal(bed.exchanges.at(-1)?.error, e, 'the exchange the audit sees carries the error');
      }
      // What the XSD allows is read into canonical form.
      list.splice(0, list.length, ...kept.map((p) => ({ ...p })));
      list[0].cadastralValue = '0012.50';
      list[1].address = '  Dārza iela 5,\n Tukums ';
      const a = await bed.client.propertyOf(code, q());
      assert.equal(a.properties[0].cadastralValue, '12.50');
      assert.equal(a.properties[1].address, 'Dārza iela 5, Tukums');
    } finally {
      list.splice(0, list.length, ...kept);
    }
  });

  it('serves its WSDL at ?wsdl with its own address, and the XSD it imports', async () => {
    const res = await fetch(`${bed.sim.url}?wsdl`);
    const wsdl = await res.text();
    assert.equal(res.status, 200);
    assert.ok(wsdl.includes(`<soap:address location="${bed.sim.url}"/>`));
    assert.ok(wsdl.includes('soapAction="urn:lv:vzd:kadastrs:1#GetPersonProperty"'));
    assert.equal((await fetch(new URL('/xsd/vzd-property.xsd', bed.sim.url))).status, 200);
  });

  describe('as the component vzd/get-property', () => {
    const ctx = (): CallContext => ({ target: { partnerId: 'vzd', endpoint: bed.sim.url, certPem: bed.sim.certPem }, identity: bed.hub, logger: createLogger({ level: 'silent' }) });
    const req = (personCode: string) => ({ personCode, purpose: 'Lieta 2026/17', requesterId: RIGA, requestId: 'query-1' });

    it('answers {personCode, properties} through VZD, and a person VZD does not know is a 404', async () => {
      assert.equal(vzdGetProperty.name, 'vzd/get-property');
      assert.equal(vzdGetProperty.partner, 'vzd');
      const call = vzdGetProperty.create({}, ctx());
      try {
        const code = bed.sim.data.samples.several;
        assert.deepEqual(await call.call(req(code), { timeoutMs: 3000 }), { personCode: code, properties: held(code) });
        const e = await failure(call.call({ ...req(bed.sim.data.samples.unknown), requestId: 'query-2' }, { timeoutMs: 3000 }));
        assert.deepEqual([e.code, e.httpStatus], ['HUB_ERR_PARTNER_NOT_FOUND', 404]);
      } finally {
        await call.close();
      }
    });

    it('refuses a period (400 naming the field): VZD answers what the person owns today', async () => {
      const call = vzdGetProperty.create({ maxSockets: 2 }, ctx());
      try {
        const e = await failure(call.call({ ...req(bed.sim.data.samples.owner), periodFrom: '2026-01' }, { timeoutMs: 3000 }));
        assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, 'periodFrom']);
        assert.equal(bed.sim.stats.requests, 0);
      } finally {
        await call.close();
      }
    });

    it('honours the deadline of the call (504)', async () => {
      bed.sim.switches.timeout = true;
      const call = vzdGetProperty.create({}, ctx());
      try {
        const e = await failure(call.call(req(bed.sim.data.samples.owner), { timeoutMs: 200 }));
        assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
      } finally {
        await call.close();
      }
    });
  });
});

describe('VZD simulator data set', () => {
  const data = vzdDataSet();
  const persons = [...data.persons.values()];

  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(vzdDataSet(), data);
    assert.notDeepEqual(vzdDataSet({ seed: 7 }).samples, data.samples);
  });

  it('holds about 150 persons with valid codes: some own nothing, some one property, some several', () => {
    assert.equal(persons.length, 150);
    for (const p of persons) assert.equal(personCodeProblem(p.personCode), null, p.personCode);
    assert.ok(persons.filter((p) => p.properties.length === 0).length >= 10);
    assert.ok(persons.filter((p) => p.properties.length === 1).length >= 10);
    assert.ok(persons.filter((p) => p.properties.length > 1).length >= 10);
  });

  it('keeps its samples\' promises', () => {
    const { owner, several, none, unknown } = data.samples;
    assert.deepEqual(data.persons.get(none)!.properties, []);
    assert.equal(data.persons.get(owner)!.properties.length, 1);
    assert.equal(data.persons.get(several)!.properties.length, 4);
    assert.equal(data.persons.has(unknown), false);
    assert.equal(personCodeProblem(unknown), null);
  });

  it('records a property shared by co-owners under one number with the same facts, and the shares add up to the whole', () => {
    const byNumber = new Map<string, VzdProperty[]>();
    for (const p of persons) for (const x of p.properties) byNumber.set(x.cadastreNumber, [...(byNumber.get(x.cadastreNumber) ?? []), x]);
    const shared = [...byNumber.values()].filter((xs) => xs.length > 1);
    assert.ok(shared.length >= 10);
    for (const [, xs] of byNumber) {
      const facts = xs.map(({ share: _, ...rest }) => rest);
      for (const f of facts) assert.deepEqual(f, facts[0]);
      // Every denominator divides 12.
      assert.equal(xs.reduce((sum, x) => sum + (x.share.numerator * 12) / x.share.denominator, 0), 12, xs[0].cadastreNumber);
    }
    const kinds = new Set([...byNumber.values()].map((xs) => xs[0].kind));
    assert.deepEqual(kinds, new Set(['LAND', 'BUILDING', 'APARTMENT']));
  });
});
