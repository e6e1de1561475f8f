import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger, createSigningIdentity, personCodeProblem, signSoapBody, soapPayload, type CallContext, type ConnectorError, type RegisterChange,
  type RegisterPerson, type SigningIdentity, type XmlFields,
} from '../../engine/index.ts';
import {
  PMLP_NS, changeFields, createPmlpClient, personFields, pmlpGetPerson, pmlpPersonChanges, type PmlpClient, type PmlpClientOptions, type PmlpExchange,
} from '../../connectors/pmlp/index.ts';
import { activeMunicipalities, pmlpDataSet, startPmlpSimulator, type PmlpDataSet } from '../../connectors/pmlp/sandbox.ts';
import { XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';
import { agencyBed } from '../soap/agency-bed.ts';

const EPOCH = '2000-01-01T00:00:00Z';
const PURPOSE = 'Sociālās palīdzības lieta Nr. 2026/88';
const q = (requesterId = '0001000') => ({ requesterId, purpose: PURPOSE });
const hyphenated = (code: string): string => `${code.slice(0, 6)}-${code.slice(6)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const DAY = 86_400_000;
const daysBetween = (from: string, to: string): number => (Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY;
const dayBefore = (iso: string): string => new Date(Date.parse(`${iso}T00:00:00Z`) - DAY).toISOString().slice(0, 10);

/**
 * Every page of the feed after `since`, calling `between(pageNumber)` after each page. Paced below
 * PMLP's 50 requests a second per requester, as a pull of a long feed must be.
 */
async function readFeed(client: PmlpClient, since: string, pageSize: number, between: (page: number) => void = () => {}): Promise<RegisterChange[]> {
  const out: RegisterChange[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const p = await client.changedSince({ ...q('LM'), since, cursor, pageSize });
    assert.ok(p.changes.length <= pageSize);
    out.push(...p.changes);
    if (!p.nextCursor) return out;
    assert.equal(p.changes.length, pageSize, 'only the last page is short');
    cursor = p.nextCursor;
    between(page);
    await sleep(25);
  }
}

/** Alive persons with a declared residence who are none of the samples: free for tests that record changes. */
const bystanders = (data: PmlpDataSet): string[] => [...data.persons.values()]
  .filter((p) => !p.deathDate && p.residences.length > 0 && !Object.values(data.samples).includes(p.personCode)).map((p) => p.personCode);

describe('PMLP simulator data set', () => {
  const data = pmlpDataSet();
  const changes = data.changes();

  it('is deterministic: the same seed gives the same register and feed, another seed another', () => {
    const again = pmlpDataSet();
    assert.deepEqual(again.samples, data.samples);
    assert.deepEqual(again.changes(), changes);
    assert.deepEqual([...again.persons.values()], [...data.persons.values()]);
    assert.notDeepEqual(pmlpDataSet({ seed: 8 }).samples, data.samples);
    assert.equal(data.persons.size, 250);
    assert.equal(pmlpDataSet({ persons: 40 }).persons.size, 40);
  });

  it('spreads the persons over every municipality of today, and only over those', () => {
    const active = activeMunicipalities().map((m) => m.atvk).sort();
    const initial = new Set([...data.persons.values()].filter((p) => p.residences.length).map((p) => p.residences[0].municipality));
    assert.deepEqual([...initial].sort(), active);
    for (const c of changes) if (c.kind === 'RESIDENCE') assert.ok(active.includes(c.municipality!), c.changeId);
  });

  it('holds a feed with stable, unique ChangeIds in strictly increasing RecordedAt, an initial declaration for every resident', () => {
    assert.equal(new Set(changes.map((c) => c.changeId)).size, changes.length);
    for (let i = 1; i < changes.length; i++) assert.ok(changes[i - 1].recordedAt < changes[i].recordedAt, changes[i].changeId);
    for (const c of changes) assert.match(c.recordedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    for (const p of data.persons.values()) {
      const own = changes.filter((c) => c.personCode === p.personCode || c.personCode === p.formerPersonCode);
      const declarations = own.filter((c) => c.kind === 'RESIDENCE').map((c) => c.effectiveOn);
      assert.deepEqual(declarations, p.residences.map((r) => r.validFrom), p.personCode);
      if (p.residences.length) assert.ok(p.residences[0].validFrom < '2026-01-01', 'the initial declaration lies in the past');
      assert.equal(own.filter((c) => c.kind === 'DEATH').length, p.deathDate ? 1 : 0);
    }
  });

  it('has deaths in 2026, each recorded 1 to 10 days after it', () => {
    const deaths = changes.filter((c) => c.kind === 'DEATH');
    assert.ok(deaths.length >= 10, `${deaths.length} deaths`);
    for (const d of deaths) {
      assert.match(d.effectiveOn, /^2026-/);
      const days = daysBetween(d.effectiveOn, d.recordedAt);
      assert.ok(days >= 1 && days <= 10, `${d.changeId}: recorded ${days} days after the death`);
      assert.equal(data.deathOf(d.personCode), d.effectiveOn);
      assert.equal(d.municipality, undefined);
    }
    assert.equal(data.personOf(data.samples.deceased)!.status, 'DECEASED');
  });

  it('has moves between municipalities from the middle of a month of 2026: that month has two residences', () => {
    const p = data.persons.get(data.samples.moved)!;
    assert.equal(p.residences.length, 2);
    const [before, after] = p.residences;
    assert.match(after.validFrom, /^2026-\d{2}-(1\d|20)$/);
    assert.notEqual(before.municipality, after.municipality);
    assert.deepEqual(data.residenceOn(p.personCode, dayBefore(after.validFrom)), before);
    assert.deepEqual(data.residenceOn(p.personCode, after.validFrom), after);
    assert.equal(data.residenceOn(p.personCode, dayBefore(before.validFrom)), undefined);
    const movers = [...data.persons.values()].filter((x) => x.residences.length > 1);
    assert.ok(movers.length >= 10);
    for (const m of movers) for (const r of m.residences.slice(1)) assert.match(r.validFrom, /^2026-/);
  });

  it('has code changes from an old-style code to a new-style 32… code, the feed carrying the code of its time', () => {
    const p = data.persons.get(data.samples.renamed)!;
    assert.match(p.personCode, /^32\d{9}$/);
    assert.equal(personCodeProblem(p.formerPersonCode!), null);
    assert.doesNotMatch(p.formerPersonCode!, /^3[2-9]/);
    assert.deepEqual(data.personOf(p.formerPersonCode!), data.personOf(p.personCode));
    const own = changes.filter((c) => c.personCode === p.personCode || c.personCode === p.formerPersonCode);
    assert.ok(own.length >= 2);
    for (const c of own) assert.equal(c.personCode, c.recordedAt.slice(0, 10) < p.codeChangedOn! ? p.formerPersonCode : p.personCode);
    assert.deepEqual(new Set(own.map((c) => c.personCode)), new Set([p.formerPersonCode, p.personCode]));
  });

  it('has persons without a declared residence, and a valid code it does not hold', () => {
    assert.equal(data.personOf(data.samples.noResidence)!.declaredResidence, undefined);
    assert.equal(changes.filter((c) => c.personCode === data.samples.noResidence).length, 0);
    assert.equal(personCodeProblem(data.samples.unknown), null);
    assert.equal(data.personOf(data.samples.unknown), undefined);
    assert.equal(data.personOf(data.samples.alive)!.status, 'ALIVE');
  });

  it('records a change at the end of the feed and applies it; refuses one PMLP would not record', () => {
    const d = pmlpDataSet({ persons: 30 });
    const [a, b] = bystanders(d);
    const last = d.changes()[d.changes().length - 1];
    const moved = d.addChange({ personCode: hyphenated(b), kind: 'RESIDENCE', effectiveOn: '2026-11-16', municipality: '0002000' });
    assert.ok(moved.recordedAt > last.recordedAt);
    assert.deepEqual(d.changeById(moved.changeId), moved);
    assert.deepEqual([moved.personCode, moved.municipality, d.personOf(b)!.declaredResidence!.addressCode], [b, '0002000', moved.addressCode]);
    const died = d.addChange({ personCode: a, kind: 'DEATH', effectiveOn: '2026-11-20' });
    assert.ok(died.recordedAt > moved.recordedAt);
    assert.deepEqual([d.personOf(a)!.status, d.deathOf(a)], ['DECEASED', '2026-11-20']);
    assert.throws(() => d.addChange({ personCode: a, kind: 'DEATH', effectiveOn: '2026-11-21' }), RangeError);
    assert.throws(() => d.addChange({ personCode: d.samples.unknown, kind: 'DEATH', effectiveOn: '2026-11-21' }), RangeError);
    assert.throws(() => d.addChange({ personCode: b, kind: 'RESIDENCE', effectiveOn: '2026-11-21', municipality: '0099000' }), RangeError);
    assert.throws(() => d.addChange({ personCode: b, kind: 'RESIDENCE', effectiveOn: '2026-02-30', municipality: '0001000' }), RangeError);
  });
});

describe('PMLP simulator and client (GetPerson, GetPersonChanges)', function () {
  this.timeout(60_000);
  const bed = agencyBed({
    partner: 'pmlp', start: (hubCertPem) => startPmlpSimulator({ hubCertPem }),
    client: (sim, identity, opts: Partial<PmlpClientOptions>) => createPmlpClient({ baseUrl: sim.url, identity, pmlpCertPem: sim.certPem, timeoutMs: 3000, ...opts }),
  });
  const samples = () => bed.sim.data.samples;
  const head = (id: string, requester = '0001000') => `<RequestId>${id}</RequestId><RequesterId>${requester}</RequesterId><Purpose>p</Purpose>`;
  /** A hand-written request, signed by the hub: PMLP's fault code and text. */
  async function raw(operation: 'GetPerson' | 'GetPersonChanges', fields: string): Promise<{ status: number; errorCode: string; faultstring: string }> {
    const { status, fault } = await bed.signedPost(`<${operation}Request xmlns="${PMLP_NS}">${fields}</${operation}Request>`);
    return { status, errorCode: fault?.errorCode ?? '', faultstring: fault?.faultstring ?? '' };
  }

  it('answers a living person with the declared residence in canonical form', async () => {
    const code = samples().alive;
    const p = await bed.client.personOf(code, q());
    assert.deepEqual(p, bed.sim.data.personOf(code));
    assert.equal(p.status, 'ALIVE');
    assert.equal('deathDate' in p, false);
    assert.deepEqual(p.declaredResidence, bed.sim.data.residenceOn(code, '2026-12-31'));
    assert.match(p.declaredResidence!.addressCode, /^\d{9}$/);
  });

  it('answers a deceased person with status DECEASED and the date of death', async () => {
    const p = await bed.client.personOf(samples().deceased, q());
    assert.deepEqual([p.status, p.deathDate], ['DECEASED', bed.sim.data.deathOf(samples().deceased)]);
    assert.match(p.deathDate!, /^2026-\d{2}-\d{2}$/);
  });

  it('answers the same person asked by the former code and by the new one: the current code, the former as formerPersonCode', async () => {
    const current = samples().renamed;
    const former = bed.sim.data.persons.get(current)!.formerPersonCode!;
    const byOld = await bed.client.personOf(former, q());
    const byNew = await bed.client.personOf(current, q());
    assert.deepEqual(byOld, byNew);
    assert.deepEqual([byOld.personCode, byOld.formerPersonCode], [current, former]);
  });

  it('answers a person without a declared residence without one', async () => {
    const p = await bed.client.personOf(samples().noResidence, q());
    assert.equal('declaredResidence' in p, false);
    assert.equal(p.status, 'ALIVE');
  });

  it('sends a hyphenated code as 11 digits and answers it in canonical form', async () => {
    bed.exchanges.length = 0;
    const code = samples().alive;
    assert.equal((await bed.client.personOf(hyphenated(code), q())).personCode, code);
    assert.ok(bed.exchanges[0].requestXml.includes(`<PersonCode>${code}</PersonCode>`));
  });

  it('answers a person who moved in the middle of a month with the new residence; that month had two', async () => {
    const code = samples().moved;
    const p = await bed.client.personOf(code, q());
    const from = p.declaredResidence!.validFrom;
    assert.notEqual(bed.sim.data.residenceOn(code, dayBefore(from))!.municipality, p.declaredResidence!.municipality);
    assert.equal(dayBefore(from).slice(0, 7), from.slice(0, 7), 'the day before the move is in the same month');
  });

  it('maps PERSON_NOT_FOUND (a valid code PMLP does not hold) to a final 404', async () => {
    const e = await failure(bed.client.personOf(samples().unknown, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_NOT_FOUND', 404, false, 'PERSON_NOT_FOUND']);
  });

  it('faults INVALID_REQUEST naming PersonCode for a malformed code, as xmllint refuses what breaks the XSD', async () => {
    const alive = samples().alive;
    const cases: [string, RegExp, boolean][] = [
      ['16117519998', /^PersonCode: is not a valid personal code: check digit is 8, expected 7$/, true],
      [hyphenated(alive), /^PersonCode: ".*" is not valid: it must be 11 digits without a hyphen$/, false],
      [alive.slice(1), /^PersonCode: ".*" is not valid: it must be 11 digits without a hyphen$/, false],
    ];
    for (const [code, message, xsdValid] of cases) {
      const fields = `${head(`bad-${code}`)}<PersonCode>${code}</PersonCode>`;
      const r = await raw('GetPerson', fields);
      assert.deepEqual([r.status, r.errorCode], [500, 'INVALID_REQUEST'], code);
      assert.match(r.faultstring, message);
      assert.equal(xmllint(bed.scratch, XSD('pmlp-fpr.xsd'), `<GetPersonRequest xmlns="${PMLP_NS}">${fields}</GetPersonRequest>`).ok, xsdValid, code);
    }
    const missing = await raw('GetPerson', `<RequestId>m-1</RequestId><Purpose>p</Purpose><PersonCode>${alive}</PersonCode>`);
    assert.equal(missing.errorCode, 'INVALID_REQUEST');
    assert.match(missing.faultstring, /^RequesterId: is missing: found element Purpose/);
  });

  it('maps ACCESS_DENIED for a requester PMLP does not serve to a final 502', async () => {
    const e = await failure(bed.client.personOf(samples().alive, q('9999999')));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'ACCESS_DENIED']);
    assert.equal(bed.sim.stats.faults.ACCESS_DENIED, 1);
  });

  it('maps SIGNATURE_INVALID (the hub signed with a key PMLP does not know) to a final 502', async () => {
    const e = await failure(bed.open({ identity: bed.stranger }).personOf(samples().alive, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', 502, false, 'SIGNATURE_INVALID']);
  });

  it('refuses an answer not signed with PMLP\'s registered certificate (502)', async () => {
    const e = await failure(bed.open({ pmlpCertPem: bed.stranger.certPem }).personOf(samples().alive, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', 502, false]);
  });

  it('maps UNAVAILABLE to a retryable 503', async () => {
    bed.sim.switches.outage = 'unavailable';
    const e = await failure(bed.client.changedSince({ ...q('LM'), since: EPOCH }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
  });

  it('answers UNAVAILABLE above 50 requests a second from one requester, and serves the others', async () => {
    const code = samples().alive;
    const results = await Promise.allSettled(Array.from({ length: 55 }, () => bed.client.personOf(code, q('0005000'))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ConnectorError);
    assert.equal(refused.length, 5);
    for (const e of refused) {
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'UNAVAILABLE']);
      assert.match(e.message, /more than 50 requests a second from 0005000/);
    }
    await bed.client.personOf(code, q('0006000'));
    await sleep(1000);
    await bed.client.personOf(code, q('0005000'));
  });

  it('takes as long as the latency switch says, and times out (504) past the deadline', async () => {
    bed.sim.switches.latencyMs = 300;
    const t0 = Date.now();
    await bed.client.personOf(samples().alive, q());
    assert.ok(Date.now() - t0 >= 300);
    const e = await failure(bed.open({ timeoutMs: 100 }).personOf(samples().alive, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    const own = await failure(bed.client.changedSince({ ...q('LM'), since: EPOCH, timeoutMs: 100 }));
    assert.deepEqual([own.code, own.httpStatus], ['HUB_ERR_PARTNER_TIMEOUT', 504], 'a call\'s own deadline wins over the client\'s');
  });

  it('times out (504) when PMLP never answers', async () => {
    bed.sim.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(bed.open({ timeoutMs: 250 }).personOf(samples().alive, q()));
    assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', 504, true]);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('maps an HTTP 503 from PMLP\'s front end and refused connections to a retryable 503, and recovers', async () => {
    bed.sim.switches.outage = 'http503';
    const front = await failure(bed.client.personOf(samples().alive, q()));
    assert.deepEqual([front.code, front.httpStatus, front.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true]);
    bed.sim.switches.outage = 'none';
    await bed.sim.refuseConnections(true);
    try {
      const e = await failure(bed.client.personOf(samples().alive, q()));
      assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', 503, true, 'ECONNREFUSED']);
    } finally {
      await bed.sim.refuseConnections(false);
    }
    assert.equal((await bed.client.personOf(samples().alive, q())).personCode, samples().alive);
  });

  it('pages the whole feed with PageSize 9: every change exactly once, in RecordedAt order, no NextCursor on the last page', async () => {
    const all = await readFeed(bed.client, EPOCH, 9);
    assert.deepEqual(all, bed.sim.data.changes());
    assert.equal(new Set(all.map((c) => c.changeId)).size, all.length);
  });

  it('answers the changes recorded after ChangedSince, whatever offset it is written with', async () => {
    const feed = bed.sim.data.changes();
    const since = feed[feed.length - 8].recordedAt; // seven changes follow it
    const first = await bed.client.changedSince({ ...q('LM'), since, pageSize: 4 });
    assert.deepEqual(first.changes, feed.slice(-7, -3));
    assert.ok(first.nextCursor);
    const last = await bed.client.changedSince({ ...q('LM'), since, cursor: first.nextCursor, pageSize: 4 });
    assert.deepEqual(last, { changes: feed.slice(-3) }, 'no NextCursor on the last page');
    const riga = new Date(Date.parse(since) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual((await bed.client.changedSince({ ...q('LM'), since: riga })).changes, feed.slice(-7));
    assert.deepEqual(await bed.client.changedSince({ ...q('LM'), since: feed[feed.length - 1].recordedAt }), { changes: [] });
  });

  it('neither skips nor repeats a change recorded between pages', async () => {
    const before = [...bed.sim.data.changes()];
    const [dies, moves] = bystanders(bed.sim.data);
    const added: RegisterChange[] = [];
    const all = await readFeed(bed.client, EPOCH, 9, (page) => {
      if (page === 3) added.push(bed.sim.data.addChange({ personCode: dies, kind: 'DEATH', effectiveOn: '2026-11-25' }));
      if (page === 12) {
        const to = activeMunicipalities().find((m) => m.atvk !== bed.sim.data.personOf(moves)!.declaredResidence!.municipality)!;
        added.push(bed.sim.data.addChange({ personCode: moves, kind: 'RESIDENCE', effectiveOn: '2026-12-15', municipality: to.atvk }));
      }
    });
    assert.equal(all.length, before.length + 2);
    assert.deepEqual(all, [...before, ...added]);
    assert.deepEqual(all, bed.sim.data.changes());
    assert.equal((await bed.client.personOf(dies, q())).status, 'DECEASED', 'the register answers the recorded death');
  });

  it('maps INVALID_REQUEST for a cursor PMLP did not issue to a final 502 naming Cursor, and faults a PageSize over 1000', async () => {
    const e = await failure(bed.client.changedSince({ ...q('LM'), since: EPOCH, cursor: 'p1.zz.FPR-99999999' }));
    assert.deepEqual([e.code, e.httpStatus, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 502, false, 'INVALID_REQUEST']);
    assert.match(e.message, /Cursor: is not a cursor this service issued/);
    const cases: [string, RegExp][] = [
      [`${head('x1', 'LM')}<ChangedSince>${EPOCH}</ChangedSince><PageSize>1001</PageSize>`, /^PageSize: "1001" is not valid: it must be a whole number from 1 to 1000$/],
      [`${head('x2', 'LM')}<ChangedSince>${EPOCH}</ChangedSince><PageSize>0</PageSize>`, /^PageSize: "0" is not valid/],
      [`${head('x3', 'LM')}<ChangedSince>2026-01-05T10:00:00</ChangedSince>`, /^ChangedSince: "2026-01-05T10:00:00" is not valid: it must be a date and time with an offset/],
      [`${head('x4', 'LM')}<ChangedSince>${EPOCH}</ChangedSince><PageSize>7</PageSize><Cursor>c</Cursor>`, /^Cursor: element Cursor is not expected here/],
      [`${head('x5', 'RĪGA')}<ChangedSince>${EPOCH}</ChangedSince>`, /^RequesterId: "RĪGA" is not valid: it must be a municipality's ATVK code \(7 digits\) or LM$/],
      [`${head('x 6', 'LM')}<ChangedSince>${EPOCH}</ChangedSince>`, /^RequestId: "x 6" is not valid/],
    ];
    for (const [fields, message] of cases) {
      const r = await raw('GetPersonChanges', fields);
      assert.deepEqual([r.status, r.errorCode], [500, 'INVALID_REQUEST'], fields);
      assert.match(r.faultstring, message);
      assert.equal(xmllint(bed.scratch, XSD('pmlp-fpr.xsd'), `<GetPersonChangesRequest xmlns="${PMLP_NS}">${fields}</GetPersonChangesRequest>`).ok, false, fields);
    }
  });

  it('sends requests that validate against pmlp-fpr.xsd and that xmlsec1 verifies; the answers validate and verify too', async () => {
    bed.exchanges.length = 0;
    const s = samples();
    await Promise.all([s.alive, s.deceased, s.renamed, s.noResidence].map((code) => bed.client.personOf(code, q())));
    const feed = bed.sim.data.changes();
    const first = await bed.client.changedSince({ ...q('LM'), since: feed[feed.length - 5].recordedAt, pageSize: 2 });
    await bed.client.changedSince({ ...q('LM'), since: feed[feed.length - 5].recordedAt, pageSize: 2, cursor: first.nextCursor, requestId: 'pull-2026-12-04:2' });
    await bed.client.changedSince({ ...q('LM'), since: '2026-01-05T10:00:00.123+02:00', pageSize: 30 });
    assert.equal(bed.exchanges.length, 7);
    for (const e of bed.exchanges as PmlpExchange[]) {
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(bed.scratch, XSD('pmlp-fpr.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      const v = xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem);
      assert.ok(v.ok, v.out);
      assert.ok(xmlsecVerify(bed.scratch, e.responseXml!, bed.sim.certPem).ok);
    }
    // PMLP writes RecordedAt in Riga time; the client gives it in UTC.
    const page = bed.exchanges[bed.exchanges.length - 1].responseXml!;
    assert.match(page, /<RecordedAt>2026-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0[23]:00<\/RecordedAt>/);
  });

  it('answers a repeated RequestId with the first answer, and faults INVALID_REQUEST for other content', async () => {
    const code = samples().alive;
    const first = await bed.client.personOf(code, { ...q(), requestId: 'case-88-a' });
    assert.deepEqual(await bed.client.personOf(code, { ...q(), requestId: 'case-88-a' }), first, 'a retry gets the same answer');
    const feed = bed.sim.data.changes();
    const since = feed[feed.length - 2].recordedAt;
    const page = await bed.client.changedSince({ ...q('LM'), since, requestId: 'pull-88' });
    bed.sim.data.addChange({ personCode: bystanders(bed.sim.data)[5], kind: 'DEATH', effectiveOn: '2026-11-30' });
    assert.deepEqual(await bed.client.changedSince({ ...q('LM'), since, requestId: 'pull-88' }), page, 'a retried page is the page first answered');
    assert.equal((await bed.client.changedSince({ ...q('LM'), since })).changes.length, page.changes.length + 1);
    const e = await failure(bed.client.personOf(samples().deceased, { ...q(), requestId: 'case-88-a' }));
    assert.deepEqual([e.code, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
    assert.match(e.message, /RequestId case-88-a was already used for another request/);
  });

  it('checks the question before sending it (400 naming the field)', async () => {
    const requests = bed.sim.stats.requests;
    const code = samples().alive;
    for (const [p, field] of [
      [bed.client.personOf('16117519998', q()), 'personCode'],
      [bed.client.personOf(code, { ...q(), purpose: ' ' }), 'purpose'],
      [bed.client.personOf(code, { ...q(), purpose: 'x'.repeat(501) }), 'purpose'],
      [bed.client.personOf(code, q('Rīga')), 'requesterId'],
      [bed.client.personOf(code, { ...q(), requestId: 'case 17' }), 'requestId'],
      [bed.client.personOf(code, { ...q(), requestId: 'x'.repeat(65) }), 'requestId'],
      [bed.client.changedSince({ ...q('LM'), since: '2026-01-05' }), 'since'],
      [bed.client.changedSince({ ...q('LM'), since: '2026-01-05T10:00:00' }), 'since'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, pageSize: 1001 }), 'pageSize'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, pageSize: 0 }), 'pageSize'],
      [bed.client.changedSince({ ...q('LM'), since: EPOCH, cursor: ' p1' }), 'cursor'],
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
    assert.equal((await fetch(new URL('../xsd/pmlp-fpr.xsd', `${bed.sim.url}?wsdl`))).status, 200, 'the WSDL\'s relative schemaLocation resolves');
  });

  describe('as components (pmlp/get-person, pmlp/person-changes)', () => {
    const ctx = (): CallContext => ({ target: { partnerId: 'pmlp', endpoint: bed.sim.url, certPem: bed.sim.certPem }, identity: bed.hub, logger: createLogger({ level: 'silent' }) });

    it('pmlp/get-person answers the RegisterPerson and ignores a period', async () => {
      const call = pmlpGetPerson.create({ maxSockets: 4 }, ctx());
      try {
        const code = samples().renamed;
        const former = bed.sim.data.persons.get(code)!.formerPersonCode!;
        const a = await call.call({ personCode: former, purpose: PURPOSE, requesterId: '0001000', requestId: 'q-1', periodFrom: '2026-01' }, { timeoutMs: 3000 });
        assert.deepEqual(a, bed.sim.data.personOf(code));
        const e = await failure(call.call({ personCode: samples().unknown, purpose: PURPOSE, requesterId: '0001000', requestId: 'q-2' }, { timeoutMs: 3000 }));
        assert.equal(e.httpStatus, 404);
      } finally {
        await call.close();
      }
    });

    it('pmlp/person-changes reads the feed page by page, caps the page at 1000, and honours the deadline', async () => {
      const pull = pmlpPersonChanges.create({}, ctx());
      try {
        const items: RegisterChange[] = [];
        let cursor: string | undefined;
        do {
          const page = await pull.page({ since: EPOCH, cursor, pageSize: 100, requestId: `pull-${items.length}` }, { timeoutMs: 3000 });
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(items, bed.sim.data.changes());
        assert.equal(pmlpPersonChanges.changedAtField, 'recordedAt');
        const big = await pull.page({ since: EPOCH, pageSize: 5000, requestId: 'pull-big' }, { timeoutMs: 3000 });
        assert.equal(big.items.length, Math.min(1000, bed.sim.data.changes().length));
        bed.sim.switches.timeout = true;
        const e = await failure(pull.page({ since: EPOCH, pageSize: 10, requestId: 'pull-late' }, { timeoutMs: 200 }));
        assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
      } finally {
        await pull.close();
      }
    });

    it('pmlp/person-changes asks as LM: a PMLP that serves only Rīga refuses it', async () => {
      const only = await startPmlpSimulator({ hubCertPem: bed.hub.certPem, requesters: ['0001000'], data: { persons: 20 } });
      const pull = pmlpPersonChanges.create({}, { ...ctx(), target: { partnerId: 'pmlp', endpoint: only.url, certPem: only.certPem } });
      try {
        const e = await failure(pull.page({ since: EPOCH, pageSize: 10, requestId: 'pull-lm' }, { timeoutMs: 3000 }));
        assert.equal(e.details.partnerCode, 'ACCESS_DENIED');
        assert.match(e.message, /requester LM may not use PersonRegister/);
      } finally {
        await pull.close();
        await only.close();
      }
    });
  });
});

describe('PMLP client reading answers PMLP should not give', function () {
  this.timeout(30_000);
  let hub: SigningIdentity;
  let partner: SigningIdentity;
  let server: http.Server;
  let next: string;
  let client: PmlpClient;
  const ASKED = '16117519997';
  const P: RegisterPerson = {
    personCode: ASKED, givenName: 'Līga', surname: 'Bērziņa', status: 'ALIVE',
    declaredResidence: { municipality: '0001000', addressCode: '101234567', address: 'Brīvības iela 1-2, Rīga, LV-1010', validFrom: '2025-03-14' },
  };
  const C: RegisterChange = { changeId: 'FPR-1', personCode: ASKED, kind: 'RESIDENCE', effectiveOn: '2026-03-14', municipality: '0001000', addressCode: '101234567', recordedAt: '2026-03-14T08:00:00.000Z' };
  const person = (fields: XmlFields): void => { next = signSoapBody(soapPayload(PMLP_NS, 'GetPersonResponse', [['Person', fields]]), partner); };
  const changes = (items: XmlFields[], nextCursor?: string): void => {
    next = signSoapBody(soapPayload(PMLP_NS, 'GetPersonChangesResponse', [['Changes', items.map((f) => ['Change', f] as const)], ['NextCursor', nextCursor]]), partner);
  };
  const edit = (fields: XmlFields, name: string, value: string | undefined): XmlFields => fields.map(([n, v]) => [n, n === name ? value : v] as const);

  before(async () => {
    [hub, partner] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('PMLP')]);
    server = http.createServer((req, res) => { req.resume().on('end', () => res.writeHead(200, { 'content-type': 'text/xml' }).end(next)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = createPmlpClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fpr/PersonRegister`, identity: hub, pmlpCertPem: partner.certPem, timeoutMs: 3000 });
  });
  after(async () => {
    client.close();
    await new Promise((r) => server.close(r));
  });

  it('reads what the XSD allows into canonical form: Riga offsets to UTC, collapsed names', async () => {
    person(edit(personFields(P), 'GivenName', '  Līga \n'));
    assert.deepEqual(await client.personOf(ASKED, q()), P);
    changes([changeFields({ ...C, recordedAt: '2026-03-14T10:00:00.0009+02:00' })]);
    assert.deepEqual(await client.changedSince({ ...q('LM'), since: '2026-03-01T00:00:00Z' }), { changes: [C] });
  });

  it('refuses, as HUB_ERR_PARTNER_RESPONSE (502) naming the field, what the XSD or pmlp.md does not allow', async () => {
    const other = '27095114553';
    const cases: [() => void, 'person' | 'changes', RegExp][] = [
      [() => person(edit(personFields(P), 'PersonCode', other)), 'person', /Person\/PersonCode: the answer is about another person than the one asked about/],
      [() => person(edit(edit(personFields(P), 'PersonCode', other), 'FormerPersonCode', '04069216415')), 'person', /Person\/PersonCode: the answer is about another person/],
      [() => person(edit(personFields(P), 'Status', 'DECEASED')), 'person', /Person\/DeathDate: is missing: a DECEASED person has a date of death/],
      [() => person(edit(personFields(P), 'DeathDate', '2026-02-01')), 'person', /Person\/DeathDate: is given for a person whose Status is ALIVE/],
      [() => person(edit(personFields(P), 'FormerPersonCode', ASKED)), 'person', /Person\/FormerPersonCode: is the same as PersonCode/],
      [() => person(personFields({ ...P, declaredResidence: { ...P.declaredResidence!, addressCode: '10123456' } })), 'person', /Person\/DeclaredResidence\/AddressCode: "10123456" is not valid: it must be an address code of 9 digits/],
      [() => person(personFields({ ...P, declaredResidence: { ...P.declaredResidence!, validFrom: '2025-02-29' } })), 'person', /Person\/DeclaredResidence\/ValidFrom: "2025-02-29" is not valid/],
      [() => person(edit(personFields(P), 'Status', 'MISSING')), 'person', /Person\/Status: "MISSING" is not valid: it must be one of ALIVE, DECEASED/],
      [() => changes([changeFields({ ...C, municipality: undefined, addressCode: undefined })]), 'changes', /Changes\/Change\[1\]\/Atvk: is missing: a RESIDENCE change gives the new declared residence/],
      [() => changes([changeFields({ ...C, kind: 'DEATH' })]), 'changes', /Changes\/Change\[1\]\/Atvk: is given for a DEATH change/],
      [() => changes([changeFields(C), changeFields({ ...C, changeId: 'FPR-2', recordedAt: '2026-03-14T07:59:59.999Z' })]), 'changes', /Changes\/Change\[2\]\/RecordedAt: 2026-03-14T07:59:59.999Z is earlier than the change before it/],
      [() => changes([changeFields({ ...C, recordedAt: '2026-02-01T00:00:00Z' })]), 'changes', /Changes\/Change\[1\]\/RecordedAt: 2026-02-01T00:00:00.000Z is before ChangedSince/],
      [() => changes([changeFields(C), changeFields(C)]), 'changes', /Changes\/Change\[2\]\/ChangeId: FPR-1 appears twice in one page/],
      [() => changes([changeFields({ ...C, recordedAt: '2026-03-14T08:00:00' })]), 'changes', /Changes\/Change\[1\]\/RecordedAt: "2026-03-14T08:00:00" is not valid: it must be a date and time with an offset/],
      [() => changes([], 'p1.same'), 'changes', /NextCursor: is the Cursor of the request/],
      [() => changes(Array.from({ length: 501 }, (_, i) => changeFields({ ...C, changeId: `FPR-${i}` }))), 'changes', /Changes: holds 501 changes; the request asked for at most 500/],
    ];
    for (const [set, mode, message] of cases) {
      set();
      const e = await failure(mode === 'person' ? client.personOf(ASKED, q()) : client.changedSince({ ...q('LM'), since: '2026-03-01T00:00:00Z', cursor: 'p1.same' }));
      assert.deepEqual([e.code, e.httpStatus, e.retryable], ['HUB_ERR_PARTNER_RESPONSE', 502, false], e.message);
      assert.match(e.message, message);
      assert.ok(e.details.field, 'the field at fault is named');
    }
  });
});
