import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SoapRequestError, createLogger, createSigningIdentity, parseXmlTree, readSoapFault, signEnvelope, signSoapBody, soapEnvelope, verifyEnvelope, type BurvisProfile, type CallContext, type CoParticipation, type XElement,
} from '../../engine/index.ts';
import { BURVIS_NS, HUB_BURVIS_NS, burvisGetProfile, burvisProfilingChanges, burvisSubmitCoParticipation, burvisSubmitProfilingChanges, createBurvisClient, type BurvisClientOptions } from '../../connectors/burvis/index.ts';
import { burvisDataSet, profilingChangesRequest, startBurvisSimulator } from '../../connectors/burvis/sandbox.ts';
import { Scratch, XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';
import { agencyBed } from '../soap/agency-bed.ts';


const hyphenated = (code: string): string => `${code.slice(0, 6)}-${code.slice(6)}`;
/** The fault of a SOAP message (signed or not), read without verifying. */
const faultIn = (xml: string) => {
  const body = parseXmlTree(xml).children.find((c): c is XElement => typeof c === 'object' && 'local' in c && c.local === 'Body')!;
  return readSoapFault(body)!;
};
const key = (p: BurvisProfile): string => `${p.personCode}@${p.updatedAt}`;

describe('burvis: data set', () => {
  it('is deterministic: ~200 profiles, distinct codes, UpdatedAt strictly increasing in feed order', () => {
    const a = burvisDataSet();
    assert.deepEqual(burvisDataSet().all(), a.all());
    const all = a.all();
    assert.equal(all.length, 200);
    assert.equal(new Set(all.map((p) => p.personCode)).size, 200);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].updatedAt < all[i].updatedAt, `profile ${i} is not later than ${i - 1}`);
    for (const p of all) assert.match(p.updatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(new Set(all.map((p) => p.municipality)).size > 20, 'spread over the country');
  });

  it('has well-known profiles in municipalities of SOPA, LIETIS and GVS, and a valid code with no record', () => {
    const d = burvisDataSet();
    assert.equal(d.get(d.samples.riga)?.municipality, '0001000');
    assert.equal(d.get(d.samples.jelgava)?.municipality, '0003000');
    assert.equal(d.get(d.samples.daugavpils)?.municipality, '0002000');
    assert.equal(d.get(d.samples.tukums)?.municipality, '0052000');
    const dereg = d.get(d.samples.deregistered)!;
    assert.equal(dereg.status, 'DEREGISTERED');
    assert.ok(dereg.deregisteredOn && dereg.deregisteredOn >= dereg.registeredOn);
    assert.match(d.samples.newStyle, /^3[2-9]\d{9}$/);
    assert.equal(d.get(d.samples.unknown), undefined);
  });

  it('upsert stamps an UpdatedAt later than every other, even with a clock behind the data', () => {
    const d = burvisDataSet({ now: () => Date.parse('2020-01-01T00:00:00Z') });
    const newest = d.all().at(-1)!.updatedAt;
    const p = d.upsert({ ...d.get(d.samples.riga)!, profilingGroup: 3 });
    assert.ok(p.updatedAt > newest);
    assert.equal(d.all().at(-1)!.personCode, d.samples.riga);
    assert.equal(d.size, 200);
    d.reset();
    assert.deepEqual(d.all(), burvisDataSet().all());
  });
});

describe('burvis: simulator and client', function () {
  this.timeout(30_000);
  const bed = agencyBed({ partner: 'burvis', start: (hubCertPem) => startBurvisSimulator({ hubCertPem, requesters: ['0001000', '0002000', '0003000', '0052000', 'LM'] }), client: (sim, identity, opts: Partial<BurvisClientOptions>) => createBurvisClient({ baseUrl: sim.url, identity, burvisCertPem: sim.certPem, timeoutMs: 3000, ...opts }) });
  const ask = (requesterId = '0001000') => ({ requesterId, purpose: 'Sociālās palīdzības lieta Nr. 2026/17' });
  const cp = (over: Partial<CoParticipation> = {}): CoParticipation => ({
    id: 'RIGA-LP-2026-0042', personCode: bed.sim.data.samples.riga, municipality: '0001000', agreedOn: '2026-11-02',
    duties: ['REGISTER_WITH_NVA', 'ACTIVE_JOB_SEARCH'], services: ['Psihologa konsultācijas', 'Dienas centrs "Ābele"'], validTo: '2027-05-01', ...over,
  });
  /** A raw signed request, for what the client would never send; resolves with the verified fault. */
  const rawFault = async (payload: string, identity = bed.hub) => {
    const res = await bed.signedPost(payload, identity);
    assert.equal(res.status, 500, res.text);
    return res.fault!;
  };

  describe('GetProfile', () => {
    it('answers one profile in canonical form; a hyphenated code is sent and answered without the hyphen', async () => {
      const code = bed.sim.data.samples.daugavpils;
      const a = await bed.client.profileOf(hyphenated(code), ask('0002000'));
      assert.deepEqual(a, { personCode: code, profile: bed.sim.data.get(code) });
      assert.equal(typeof a.profile.profilingGroup, 'number');
      const dereg = await bed.client.profileOf(bed.sim.data.samples.deregistered, ask('LM'));
      assert.equal(dereg.profile.status, 'DEREGISTERED');
      assert.ok(dereg.profile.deregisteredOn);
    });

    it('maps PERSON_NOT_FOUND to a final 404', async () => {
      const e = await failure(bed.client.profileOf(bed.sim.data.samples.unknown, ask()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
    });

    it('checks the question before sending it (400 naming the field)', async () => {
      for (const [p, field] of [
        [bed.client.profileOf('16117519998', ask()), 'personCode'],
        [bed.client.profileOf(bed.sim.data.samples.riga, { ...ask(), purpose: '  ' }), 'purpose'],
        [bed.client.profileOf(bed.sim.data.samples.riga, ask('Riga')), 'requesterId'],
      ] as const) {
        const e = await failure(p);
        assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field]);
      }
      assert.equal(bed.sim.stats.requests, 0);
    });
  });

  describe('GetProfilingChanges', () => {
    it('answers every profile after Since in UpdatedAt order, in one default page of up to 500', async () => {
      const all = bed.sim.data.all();
      const page = await bed.client.profilingChanges({ since: '2000-01-01T00:00:00+02:00', requesterId: 'LM' });
      assert.deepEqual(page, { profiles: all });
      const tail = await bed.client.profilingChanges({ since: all[149].updatedAt, requesterId: 'LM' });
      assert.deepEqual(tail.profiles, all.slice(150));
      assert.deepEqual(await bed.client.profilingChanges({ since: all.at(-1)!.updatedAt, requesterId: 'LM' }), { profiles: [] });
    });

    it('pages with a small PageSize over the whole feed: every profile exactly once, NextCursor absent on the last page', async () => {
      const seen: BurvisProfile[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await bed.client.profilingChanges({ since: '2000-01-01T00:00:00Z', cursor, pageSize: 7, requesterId: 'LM' });
        assert.ok(page.profiles.length <= 7);
        seen.push(...page.profiles);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, Math.ceil(200 / 7));
      assert.deepEqual(seen, bed.sim.data.all());
    });

    it('never skips nor repeats a version when profiles change between pages', async () => {
      const before = bed.sim.data.all();
      const seen: BurvisProfile[] = [];
      let cursor: string | undefined;
      let page = 0;
      do {
        const p = await bed.client.profilingChanges({ since: '2000-01-01T00:00:00Z', cursor, pageSize: 10, requesterId: 'LM' });
        seen.push(...p.profiles);
        cursor = p.nextCursor;
        if (++page === 2) {
          bed.sim.data.upsert({ ...before[0], status: 'DEREGISTERED', deregisteredOn: '2026-11-20' }); // already read: comes again, as a new version
          bed.sim.data.upsert({ ...before[60], profilingGroup: before[60].profilingGroup === 3 ? 1 : 3 }); // not reached yet: moves to the end
          bed.sim.data.upsert({ ...before[1], personCode: bed.sim.data.samples.unknown, municipality: '0052000' }); // a new client
        }
      } while (cursor);
      assert.equal(new Set(seen.map(key)).size, seen.length, 'no version twice');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].updatedAt < seen[i].updatedAt);
      assert.equal(seen.length, 202);
      const latest = new Map(seen.map((p) => [p.personCode, p]));
      assert.deepEqual([...latest.values()].sort((a, b) => a.personCode.localeCompare(b.personCode)), bed.sim.data.all().sort((a, b) => a.personCode.localeCompare(b.personCode)));
      assert.equal(seen.filter((p) => p.personCode === before[60].personCode).length, 1);
      assert.equal(seen.filter((p) => p.personCode === before[0].personCode).length, 2);
    });

    it('refuses a malformed cursor, and a PageSize over 1000, with INVALID_REQUEST naming the field', async () => {
      const e = await failure(bed.client.profilingChanges({ since: '2026-01-01T00:00:00Z', cursor: 'c1.bm90LWEtY3Vyc29y', requesterId: 'LM' }));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'INVALID_REQUEST']);
      assert.match(e.message, /Cursor: is not a cursor this service issued/);
      const f = await rawFault(`<GetProfilingChangesRequest xmlns="${BURVIS_NS}"><RequestId>r-1</RequestId><RequesterId>LM</RequesterId><Since>2026-01-01T00:00:00Z</Since><PageSize>1001</PageSize></GetProfilingChangesRequest>`);
      assert.deepEqual([f.errorCode, f.faultcode], ['INVALID_REQUEST', 'Client']);
      assert.match(f.faultstring, /^PageSize: "1001" is not a whole number from 1 to 1000/);
      const g = await rawFault(`<GetProfilingChangesRequest xmlns="${BURVIS_NS}"><RequestId>r-2</RequestId><RequesterId>LM</RequesterId><Since>2026-01-01T00:00:00</Since></GetProfilingChangesRequest>`);
      assert.match(g.faultstring, /^Since: .* is not a date-time with an offset/);
      const h = await rawFault(`<GetProfilingChangesRequest xmlns="${BURVIS_NS}"><RequesterId>LM</RequesterId><RequestId>r-3</RequestId><Since>2026-01-01T00:00:00Z</Since></GetProfilingChangesRequest>`);
      assert.match(h.faultstring, /^RequestId: is missing \(expected before RequesterId\)/);
    });
  });

  describe('SubmitCoParticipation', () => {
    it('accepts with a Ref; the same Id and content again gets the same Ref and is applied once', async () => {
      const { ref } = await bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-1' });
      assert.match(ref, /^NVA-LP-\d{8}$/);
      assert.deepEqual(await bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-1' }), { ref }, 'a retry');
      // Another RequestId for the same content, duties in another order: still the same co-participation.
      assert.deepEqual(await bed.client.submitCoParticipation(cp({ duties: ['ACTIVE_JOB_SEARCH', 'REGISTER_WITH_NVA'] }), { requesterId: '0001000', requestId: 'd-2' }), { ref });
      const rec = bed.sim.coParticipations.get('0001000/RIGA-LP-2026-0042')!;
      assert.deepEqual([rec.ref, rec.received, rec.applied], [ref, 3, 1]);
      assert.deepEqual(rec.content, cp());
    });

    it('makes a new version with a new Ref when the same Id comes with other content', async () => {
      const first = await bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-1' });
      const second = await bed.client.submitCoParticipation(cp({ duties: ['ATTEND_MEASURES'], services: undefined }), { requesterId: '0001000', requestId: 'd-2' });
      assert.notEqual(second.ref, first.ref);
      const rec = bed.sim.coParticipations.get('0001000/RIGA-LP-2026-0042')!;
      assert.deepEqual([rec.ref, rec.received, rec.applied, rec.content.duties, rec.content.services], [second.ref, 2, 2, ['ATTEND_MEASURES'], undefined]);
    });

    it('refuses a RequestId reused with other content (INVALID_REQUEST)', async () => {
      await bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-7' });
      const e = await failure(bed.client.submitCoParticipation(cp({ id: 'other' }), { requesterId: '0001000', requestId: 'd-7' }));
      assert.deepEqual([e.code, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
      assert.match(e.message, /RequestId d-7 was already used for another request/);
    });

    it('checks the co-participation before sending it (400 naming the element)', async () => {
      for (const [bad, field] of [
        [cp({ services: ['x'.repeat(201)] }), 'CoParticipation/Services/Service[1]'],
        [cp({ duties: [] }), 'CoParticipation/Duties/Duty'],
        [cp({ validTo: '2026-01-01' }), 'CoParticipation/ValidTo'],
        [cp({ personCode: '16117519998' }), 'CoParticipation/PersonCode'],
      ] as const) {
        const e = await failure(bed.client.submitCoParticipation(bad, { requesterId: '0001000', requestId: 'd-x' }));
        assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, field]);
      }
      assert.equal(bed.sim.stats.requests, 0);
    });

    it('faults INVALID_REQUEST naming the field for what the XSD or NVA refuses', async () => {
      const req = (inner: string, requester = '0001000') =>
        `<SubmitCoParticipationRequest xmlns="${BURVIS_NS}"><RequestId>raw-${Math.random()}</RequestId><RequesterId>${requester}</RequesterId><CoParticipation>${inner}</CoParticipation></SubmitCoParticipationRequest>`;
      const head = `<Id>X-1</Id><PersonCode>${bed.sim.data.samples.riga}</PersonCode><Municipality>0001000</Municipality><AgreedOn>2026-11-02</AgreedOn>`;
      // [content, message, whether burvis-municipal.xsd itself refuses it (else it is NVA's own rule)]
      const cases: [string, RegExp, boolean][] = [
        [`${head}<Duties><Duty>OTHER</Duty></Duties><Services><Service>${'š'.repeat(201)}</Service></Services>`, /^CoParticipation\/Services\/Service\[1\]: has 201 characters; NVA accepts at most 200/, true],
        [`${head}<Duties/>`, /^CoParticipation\/Duties\/Duty: is missing/, true],
        [`${head}<Duties><Duty>OTHER</Duty><Duty>WORK</Duty></Duties>`, /^CoParticipation\/Duties\/Duty\[2\]: "WORK" is not one of REGISTER_WITH_NVA/, true],
        [`<Id>X-1</Id><Municipality>0001000</Municipality><PersonCode>${bed.sim.data.samples.riga}</PersonCode><AgreedOn>2026-11-02</AgreedOn><Duties><Duty>OTHER</Duty></Duties>`, /^CoParticipation\/PersonCode: is missing \(expected before Municipality\)/, true],
        [`${head.replace('2026-11-02', '2026-02-30')}<Duties><Duty>OTHER</Duty></Duties>`, /^CoParticipation\/AgreedOn: "2026-02-30" is not a date/, true],
        [`${head}<Duties><Duty>OTHER</Duty></Duties><ValidTo>2026-10-01</ValidTo>`, /^CoParticipation\/ValidTo: 2026-10-01 is before AgreedOn 2026-11-02/, false],
        [`${head.replace(bed.sim.data.samples.riga, '16117519998')}<Duties><Duty>OTHER</Duty></Duties>`, /^CoParticipation\/PersonCode: 16117519998 is not a valid personal code: check digit/, false],
      ];
      for (const [inner, message, byXsd] of cases) {
        const payload = req(inner);
        const f = await rawFault(payload);
        assert.equal(f.errorCode, 'INVALID_REQUEST');
        assert.match(f.faultstring, message);
        assert.equal(xmllint(bed.scratch, XSD('burvis-municipal.xsd'), payload).ok, !byXsd, `xmllint on ${message}`);
      }
      const other = await rawFault(req(`${head}<Duties><Duty>OTHER</Duty></Duties>`, '0002000'));
      assert.match(other.faultstring, /^CoParticipation\/Municipality: 0001000 is not the requester 0002000/);
    });
  });

  describe('faults and transport', () => {
    it('maps ACCESS_DENIED for a requester NVA does not serve to a final 502', async () => {
      const e = await failure(bed.client.profileOf(bed.sim.data.samples.riga, ask('0005000')));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
      assert.equal(bed.sim.stats.faults.ACCESS_DENIED, 1);
    });

    it('maps SIGNATURE_INVALID (the hub signed with a key NVA does not know) to a final 502', async () => {
      const e = await failure(bed.open({ identity: bed.stranger }).profileOf(bed.sim.data.samples.riga, ask()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
    });

    it('refuses an answer not signed by NVA\'s registered certificate (502)', async () => {
      const e = await failure(bed.open({ burvisCertPem: bed.stranger.certPem }).profilingChanges({ since: '2026-01-01T00:00:00Z', requesterId: 'LM' }));
      assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
    });

    it('maps UNAVAILABLE to a retryable 503', async () => {
      bed.sim.switches.outage = 'unavailable';
      const e = await failure(bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-u' }));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
      assert.equal(bed.sim.coParticipations.size, 0);
    });

    it('maps an HTTP 503 from NVA\'s front end to a retryable 503', async () => {
      bed.sim.switches.outage = 'http503';
      const e = await failure(bed.client.profileOf(bed.sim.data.samples.riga, ask()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
    });

    it('takes as long as the latency switch says, and times out (504) past the client\'s deadline or when NVA never answers', async () => {
      bed.sim.switches.latencyMs = 200;
      const t0 = Date.now();
      await bed.client.profileOf(bed.sim.data.samples.riga, ask());
      assert.ok(Date.now() - t0 >= 200);
      const e = await failure(bed.open({ timeoutMs: 80 }).profileOf(bed.sim.data.samples.riga, ask()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
      bed.sim.switches.latencyMs = 0;
      bed.sim.switches.timeout = true;
      const t1 = Date.now();
      const t = await failure(bed.open({ timeoutMs: 250 }).profilingChanges({ since: '2026-01-01T00:00:00Z', requesterId: 'LM' }));
      assert.deepEqual([t.code, t.httpStatus, t.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
      assert.ok(Date.now() - t1 < 2000);
    });

    it('maps refused connections to a retryable 503, and recovers when NVA is back', async () => {
      await bed.sim.refuseConnections(true);
      try {
        const e = await failure(bed.client.profileOf(bed.sim.data.samples.riga, ask()));
        assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
      } finally {
        await bed.sim.refuseConnections(false);
      }
      assert.equal((await bed.client.profileOf(bed.sim.data.samples.riga, ask())).personCode, bed.sim.data.samples.riga);
    });

    it('refuses an answer that breaks the XSD, naming the field (HUB_ERR_PARTNER_RESPONSE)', async () => {
      const nva = await createSigningIdentity('fake nva');
      const fake = http.createServer((_req, res) => {
        const bad = `<GetProfileResponse xmlns="${BURVIS_NS}"><Profile><PersonCode>${bed.sim.data.samples.riga}</PersonCode><Status>EMPLOYED</Status><RegisteredOn>2025-01-01</RegisteredOn><ProfilingGroup>2</ProfilingGroup><Municipality>0001000</Municipality><UpdatedAt>2026-01-01T00:00:00Z</UpdatedAt></Profile></GetProfileResponse>`;
        res.writeHead(200, { 'content-type': 'text/xml' }).end(signEnvelope(soapEnvelope(bad), nva));
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      try {
        const c = bed.open({ baseUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}/x`, burvisCertPem: nva.certPem });
        const e = await failure(c.profileOf(bed.sim.data.samples.riga, ask()));
        assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.field], ['HUB_ERR_PARTNER_RESPONSE', 502, false, 'Profile/Status']);
        assert.match(e.message, /"EMPLOYED" is not one of UNEMPLOYED, JOBSEEKER, DEREGISTERED/);
      } finally {
        await new Promise((r) => fake.close(r));
      }
    });
  });

  describe('contract', () => {
    it('sends requests that validate against burvis-municipal.xsd and that xmlsec1 verifies; the answers validate too', async () => {
      bed.exchanges.length = 0;
      await bed.client.profileOf(bed.sim.data.samples.tukums, ask('0052000'));
      await bed.client.profilingChanges({ since: '2026-01-01T00:00:00+02:00', pageSize: 3, requesterId: 'LM', requestId: 'pull-1' });
      const page = await bed.client.profilingChanges({ since: '2026-01-01T00:00:00Z', pageSize: 3, requesterId: 'LM' });
      await bed.client.profilingChanges({ since: '2026-01-01T00:00:00Z', cursor: page.nextCursor, pageSize: 3, requesterId: 'LM' });
      await bed.client.submitCoParticipation(cp(), { requesterId: '0001000', requestId: 'd-1' });
      await bed.client.submitCoParticipation(cp({ services: undefined, validTo: undefined, duties: ['OTHER'] }), { requesterId: '0001000', requestId: 'd-2' });
      await failure(bed.client.profileOf(bed.sim.data.samples.unknown, ask()));
      assert.equal(bed.exchanges.length, 7);
      for (const e of bed.exchanges) {
        const r = xmllint(bed.scratch, XSD('burvis-municipal.xsd'), soapPayloadOf(e.requestXml));
        assert.ok(r.ok, r.out);
        if (e.status === 200) {
          const a = xmllint(bed.scratch, XSD('burvis-municipal.xsd'), soapPayloadOf(e.responseXml!));
          assert.ok(a.ok, a.out);
        }
        const v = xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem);
        assert.ok(v.ok, v.out);
      }
      const fault = faultIn(bed.exchanges.at(-1)!.responseXml!);
      assert.equal(fault.errorCode, 'PERSON_NOT_FOUND');
      const detail = xmllint(bed.scratch, XSD('burvis-municipal.xsd'), `<ErrorCode xmlns="${BURVIS_NS}">${fault.errorCode}</ErrorCode>`);
      assert.ok(detail.ok, detail.out);
    });

    it('serves its WSDL at ?wsdl with its own address, and the XSD it imports', async () => {
      const res = await fetch(`${bed.sim.url}?wsdl`);
      const wsdl = await res.text();
      assert.equal(res.status, 200);
      assert.ok(wsdl.includes(`<soap:address location="${bed.sim.url}"/>`));
      const xsd = await fetch(new URL('../xsd/burvis-municipal.xsd', bed.sim.url));
      assert.equal(xsd.status, 200);
      assert.match(await xsd.text(), /targetNamespace="urn:lv:nva:burvis:municipal:1"/);
    });
  });

  describe('push to the hub (SubmitProfilingChanges)', () => {
    it('signs as NVA a request that validates against hub-burvis.xsd, which the hub endpoint reads back whole', async () => {
      const profiles = bed.sim.data.all().slice(0, 5);
      let received: { payloadXml: string; items: BurvisProfile[] } | undefined;
      const fakeHub = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const v = verifyEnvelope(body, bed.sim.certPem);
          assert.ok(v.ok, 'the push is signed with NVA\'s certificate');
          assert.equal(req.headers.soapaction, `"${HUB_BURVIS_NS}#SubmitProfilingChanges"`);
          const { requestId, items } = burvisSubmitProfilingChanges.read(v.payload!);
          received = { payloadXml: soapPayloadOf(body), items };
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(signSoapBody(burvisSubmitProfilingChanges.respond(requestId, items.length), bed.hub));
        });
      });
      await new Promise<void>((r) => fakeHub.listen(0, '127.0.0.1', r));
      try {
        const out = await bed.sim.push(`http://127.0.0.1:${(fakeHub.address() as AddressInfo).port}/soap/burvis`, profiles, 'push-1');
        assert.equal(out.status, 200);
        assert.equal(out.requestId, 'push-1');
        assert.deepEqual(received!.items, profiles);
        const r = xmllint(bed.scratch, XSD('hub-burvis.xsd'), received!.payloadXml);
        assert.ok(r.ok, r.out);
        assert.ok(xmlsecVerify(bed.scratch, signEnvelope(soapEnvelope(profilingChangesRequest('x', profiles)), bed.hub), bed.hub.certPem).ok);
        const v = verifyEnvelope(out.body, bed.hub.certPem);
        assert.ok(v.ok);
        const answer = xmllint(bed.scratch, XSD('hub-burvis.xsd'), soapPayloadOf(out.body));
        assert.ok(answer.ok, answer.out);
        assert.match(soapPayloadOf(out.body), /<RequestId>push-1<\/RequestId><Accepted>true<\/Accepted><Queued>5<\/Queued>/);
        assert.equal(bed.sim.stats.pushes, 1);
      } finally {
        await new Promise((r) => fakeHub.close(r));
      }
    });
  });

  describe('components', () => {
    const ctx = (): CallContext => ({ target: { partnerId: 'burvis', endpoint: bed.sim.url, certPem: bed.sim.certPem }, identity: bed.hub, logger: createLogger({ level: 'silent' }) });
    const request = { personCode: '', purpose: 'Lieta 2026/17', requesterId: '0003000', requestId: 'q-1' };

    it('burvis/get-profile answers {personCode, profile}, and refuses a period', async () => {
      const call = burvisGetProfile.create({}, ctx());
      try {
        const code = bed.sim.data.samples.jelgava;
        assert.deepEqual(await call.call({ ...request, personCode: code }, { timeoutMs: 3000 }), { personCode: code, profile: bed.sim.data.get(code) });
        const e = await failure(call.call({ ...request, personCode: code, periodFrom: '2026-01' }, { timeoutMs: 3000 }));
        assert.deepEqual([e.code, e.httpStatus, e.details.field], ['HUB_ERR_QUERY_INVALID', 400, 'periodFrom']);
        const n = await failure(call.call({ ...request, personCode: bed.sim.data.samples.unknown, requestId: 'q-2' }, { timeoutMs: 3000 }));
        assert.equal(n.httpStatus, 404);
      } finally {
        await call.close();
      }
    });

    it('burvis/profiling-changes pages through the feed as LM, clamping the page size to NVA\'s 1000', async () => {
      const pull = burvisProfilingChanges.create({}, ctx());
      try {
        const items: BurvisProfile[] = [];
        let cursor: string | undefined;
        let n = 0;
        do {
          const page = await pull.page({ since: '2026-01-01T00:00:00.000Z', pageSize: 64, requestId: `pull-${++n}`, ...(cursor ? { cursor } : {}) }, { timeoutMs: 3000 });
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(items, bed.sim.data.all());
        assert.equal(burvisProfilingChanges.changedAtField, 'updatedAt');
        const big = await pull.page({ since: '2026-01-01T00:00:00.000Z', pageSize: 5000, requestId: 'pull-big' }, { timeoutMs: 3000 });
        assert.equal(big.items.length, 200);
      } finally {
        await pull.close();
      }
    });

    it('burvis/submit-coparticipation delivers with RequestId = deliveryId: ok, then duplicate with the same Ref', async () => {
      const delivery = burvisSubmitCoParticipation.create({}, { identity: bed.hub, logger: createLogger({ level: 'silent' }) });
      const target = { partnerId: 'burvis', endpoint: bed.sim.url, certPem: bed.sim.certPem };
      try {
        const first = await delivery.deliver({ deliveryId: 'dlv-1', municipality: '0001000', item: cp() }, target, { timeoutMs: 3000 });
        assert.equal(first.duplicate, false);
        assert.ok(first.ref);
        const again = await delivery.deliver({ deliveryId: 'dlv-1', municipality: '0001000', item: cp() }, target, { timeoutMs: 3000 });
        assert.deepEqual(again, { duplicate: true, ref: first.ref });
        const rec = bed.sim.coParticipations.get('0001000/RIGA-LP-2026-0042')!;
        assert.deepEqual([rec.received, rec.applied], [2, 1]);
        const changed = await delivery.deliver({ deliveryId: 'dlv-2', municipality: '0001000', item: cp({ duties: ['OTHER'] }) }, target, { timeoutMs: 3000 });
        assert.equal(changed.duplicate, false);
        assert.notEqual(changed.ref, first.ref);
      } finally {
        await delivery.close();
      }
    });

    it('burvis/submit-coparticipation: outages are retryable errors, refusals are not', async () => {
      const delivery = burvisSubmitCoParticipation.create({}, { identity: bed.hub, logger: createLogger({ level: 'silent' }) });
      const target = { partnerId: 'burvis', endpoint: bed.sim.url, certPem: bed.sim.certPem };
      const send = (municipality = '0001000', t: typeof target & { certPem?: string } = target, timeoutMs = 3000) =>
        failure(delivery.deliver({ deliveryId: `dlv-${Math.random()}`, municipality, item: cp({ municipality }) }, t, { timeoutMs }));
      try {
        for (const outage of ['unavailable', 'http503'] as const) {
          bed.sim.switches.outage = outage;
          const e = await send();
          assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', true], outage);
        }
        bed.sim.switches.outage = 'none';
        bed.sim.switches.timeout = true;
        const t = await send('0001000', target, 150);
        assert.deepEqual([t.code, t.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
        bed.sim.switches.timeout = false;
        const denied = await send('0005000');
        assert.deepEqual([denied.code, denied.retryable, denied.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', false, 'ACCESS_DENIED']);
        const noCert = await failure(delivery.deliver({ deliveryId: 'dlv-x', municipality: '0001000', item: cp() }, { partnerId: 'burvis', endpoint: bed.sim.url }, { timeoutMs: 3000 }));
        assert.deepEqual([noCert.code, noCert.retryable], ['HUB_ERR_PARTNER_NOT_CONFIGURED', false]);
        const invalid = await failure(delivery.deliver({ deliveryId: 'dlv-y', municipality: '0001000', item: cp({ services: ['x'.repeat(300)] }) }, target, { timeoutMs: 3000 }));
        assert.equal(invalid.retryable, false);
      } finally {
        await delivery.close();
      }
    });
  });
});

describe('burvis: the hub\'s push endpoint (burvis/submit-profiling-changes)', () => {
  let scratch: Scratch;
  before(() => { scratch = new Scratch(); });
  after(() => scratch.dispose());
  const data = burvisDataSet();
  const payloadOf = (xml: string) => parseXmlTree(xml);
  const readFails = (xml: string): SoapRequestError => {
    let err: SoapRequestError | undefined;
    assert.throws(() => burvisSubmitProfilingChanges.read(payloadOf(xml)), (e: unknown) => { err = e as SoapRequestError; return e instanceof SoapRequestError; });
    assert.equal(err!.errorCode, 'INVALID_REQUEST');
    return err!;
  };

  it('reads a valid request into canonical profiles, hyphenated codes and offsets normalized', () => {
    const profiles = data.all().slice(10, 13);
    const xml = profilingChangesRequest('nva-push-1', profiles)
      .replace(`<PersonCode>${profiles[0].personCode}</PersonCode>`, `<PersonCode>${hyphenated(profiles[0].personCode)}</PersonCode>`);
    const shifted = new Date(Date.parse(profiles[1].updatedAt) + 2 * 3600_000).toISOString().slice(0, 19) + profiles[1].updatedAt.slice(19, 23) + '+02:00';
    const read = burvisSubmitProfilingChanges.read(payloadOf(xml.replace(profiles[1].updatedAt, shifted)));
    assert.deepEqual(read, { requestId: 'nva-push-1', items: profiles });
    assert.ok(xmllint(scratch, XSD('hub-burvis.xsd'), xml).ok);
  });

  it('refuses a bad request with INVALID_REQUEST naming the field', () => {
    const profiles = data.all().slice(0, 4);
    const xml = profilingChangesRequest('nva-push-2', profiles);
    const cases: [string, RegExp][] = [
      [xml.replace(`<Municipality>${profiles[2].municipality}</Municipality>`, '<Municipality>0099000</Municipality>'), /^Profiles\/Profile\[3\]\/Municipality: 0099000 is not the ATVK code of a Latvian municipality/],
      [xml.replace(`<Municipality>${profiles[1].municipality}</Municipality>`, '<Municipality>1000</Municipality>'), /^Profiles\/Profile\[2\]\/Municipality: "1000" is not an ATVK code/],
      [xml.replace(profiles[0].updatedAt, profiles[0].updatedAt.slice(0, 19)), /^Profiles\/Profile\[1\]\/UpdatedAt: .* is not a date-time with an offset/],
      [xml.replace(`<PersonCode>${profiles[3].personCode}</PersonCode>`, '<PersonCode>16117519998</PersonCode>'), /^Profiles\/Profile\[4\]\/PersonCode: 16117519998 is not a valid personal code: check digit/],
      [xml.replace(`<ProfilingGroup>${profiles[0].profilingGroup}</ProfilingGroup>`, '<ProfilingGroup>4</ProfilingGroup>'), /^Profiles\/Profile\[1\]\/ProfilingGroup: "4" is not one of 1, 2, 3/],
      [xml.replace(/<Status>[A-Z]+<\/Status>(<RegisteredOn>[^<]*<\/RegisteredOn>)/, '$1<Status>UNEMPLOYED</Status>'), /^Profiles\/Profile\[1\]\/Status: is missing \(expected before RegisteredOn\)/],
      [xml.replace(/<Profiles>.*<\/Profiles>/, '<Profiles></Profiles>'), /^Profiles\/Profile: is missing/],
      [xml.replace(`<Profile xmlns="${BURVIS_NS}">`, '<Profile>'), /^Profiles\/Profile: element in namespace .* is not expected/],
      [xml.replace('<RequestId>nva-push-2</RequestId>', ''), /^RequestId: is missing/],
      [profilingChangesRequest('too-many', Array.from({ length: 1001 }, () => profiles[0])), /^Profiles\/Profile: appears more often than allowed/],
    ];
    for (const [bad, message] of cases) assert.match(readFails(bad).message, message);
    assert.match(readFails(`<SubmitOpinionsRequest xmlns="${HUB_BURVIS_NS}"/>`).message, /expected SubmitProfilingChangesRequest/);
  });

  it('answers with a response and faults that validate against hub-burvis.xsd', () => {
    const ok = xmllint(scratch, XSD('hub-burvis.xsd'), burvisSubmitProfilingChanges.respond('nva-push-3', 17));
    assert.ok(ok.ok, ok.out);
    const fault = burvisSubmitProfilingChanges.fault(new SoapRequestError('INVALID_REQUEST', 'Profiles/Profile[3]/Municipality: 0099000 is not…'));
    const parsed = faultIn(soapEnvelope(fault));
    assert.deepEqual(parsed, { faultcode: 'Client', faultstring: 'Profiles/Profile[3]/Municipality: 0099000 is not…', errorCode: 'INVALID_REQUEST' });
    const detail = xmllint(scratch, XSD('hub-burvis.xsd'), `<ErrorCode xmlns="${HUB_BURVIS_NS}">${parsed.errorCode}</ErrorCode>`);
    assert.ok(detail.ok, detail.out);
    assert.match(fault, new RegExp(`<ErrorCode xmlns="${HUB_BURVIS_NS}">INVALID_REQUEST</ErrorCode>`));
    assert.equal(faultIn(soapEnvelope(burvisSubmitProfilingChanges.fault(new SoapRequestError('UNAVAILABLE', 'later')))).faultcode, 'Server');
  });
});
