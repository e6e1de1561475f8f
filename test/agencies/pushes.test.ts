import assert from 'node:assert/strict';
import { createSigningIdentity, leafValues, postSoap, readSoapFault, signEnvelope, soapEnvelope, verifyEnvelope } from '../../engine/index.ts';
import { opinionElement, HUB_VDEAVK_NS } from '../../connectors/vdeavk/index.ts';
import { profilingChangesRequest } from '../../connectors/burvis/sandbox.ts';
import { verifyAudit, storedOpinions } from '../../store/index.ts';
import { testSigningIdentity } from '../helpers/hub.ts';
import { Scratch, XSD, soapPayloadOf, xmllint } from '../soap/tools.ts';
import { eventually, startWorld, type AgencyWorld } from './fixture.ts';
import type { AssistantOpinion } from '../../schemas/canonical/model.ts';

/** The payload of a hub answer, verified with the hub's certificate, as leaf values (or the fault). */
async function answer(xml: string): Promise<{ fields?: Record<string, string>; fault?: string }> {
  const v = verifyEnvelope(xml, (await testSigningIdentity()).certPem);
  assert.ok(v.ok, `the hub's answer verifies: ${v.ok ? '' : v.reason}`);
  const f = readSoapFault(v.body);
  if (f) return { fault: f.errorCode };
  return { fields: leafValues(v.payload!) };
}

const opinionsRequest = (requestId: string, opinions: AssistantOpinion[]): string =>
  `<SubmitAssistantOpinionsRequest xmlns="${HUB_VDEAVK_NS}"><RequestId>${requestId}</RequestId><Opinions>${opinions.map(opinionElement).join('')}</Opinions></SubmitAssistantOpinionsRequest>`;

describe('the hub\'s SOAP endpoints: VDEĀVK pushes opinions, NVA pushes profiling changes', function () {
  this.timeout(60_000);
  let w: AgencyWorld;
  let scratch: Scratch;
  let soap: (service: string) => string;
  before(async () => {
    w = await startWorld();
    scratch = new Scratch();
    soap = (service) => `${w.hub.url}/soap/${service}`;
  });
  after(async () => { scratch?.dispose(); await w?.stop(); });

  it('stores pushed opinions and answers Stored; a repeat gets the same answer and no second effect', async () => {
    const opinions = [...w.vdeavk.data.opinions.values()].slice(0, 5);
    const first = await w.vdeavk.push(soap('vdeavk'), opinions, 'push-1');
    assert.equal(first.status, 200, first.body);
    assert.deepEqual((await answer(first.body)).fields, { RequestId: 'push-1', Accepted: 'true', Stored: '5' });
    assert.equal(xmllint(scratch, XSD('hub-vdeavk.xsd'), soapPayloadOf(first.body)).ok, true, 'the answer validates against hub-vdeavk.xsd');
    for (const o of opinions) assert.deepEqual((await storedOpinions(w.hub.hub.store.db, o.personCode)).find((s) => s.opinionId === o.opinionId), o);

    const audit = async () => (await w.hub.hub.store.db.query(`SELECT outcome FROM audit_log WHERE service = 'soap:vdeavk/SubmitAssistantOpinions'`)).rows.map((r) => r.outcome);
    const rowsBefore = (await audit()).length;
    const again = await w.vdeavk.push(soap('vdeavk'), opinions, 'push-1');
    assert.deepEqual((await answer(again.body)).fields, { RequestId: 'push-1', Accepted: 'true', Stored: '5' });
    const outcomes = await audit();
    assert.ok(outcomes.slice(rowsBefore).every((o) => o === 'repeat') && outcomes.length > rowsBefore, 'the repeat is audited as a repeat');
    const stored = (await w.hub.hub.store.db.query(`SELECT count(*)::int AS n FROM soap_requests WHERE request_id = 'push-1'`)).rows[0].n;
    assert.equal(Number(stored), 1);

    const other = await w.vdeavk.push(soap('vdeavk'), opinions.slice(0, 2), 'push-1');
    assert.equal(other.status, 500);
    assert.equal((await answer(other.body)).fault, 'INVALID_REQUEST');
  });

  it('keeps the newest change of an opinion whatever order pull and push bring them in', async () => {
    const o = [...w.vdeavk.data.opinions.values()][7];
    const newer = { ...o, revoked: true, changedAt: new Date(Date.parse(o.changedAt) + 60_000).toISOString() };
    assert.equal((await w.vdeavk.push(soap('vdeavk'), [newer], 'push-newer')).status, 200);
    assert.equal((await w.vdeavk.push(soap('vdeavk'), [o], 'push-older')).status, 200);
    const kept = (await storedOpinions(w.hub.hub.store.db, o.personCode)).find((s) => s.opinionId === o.opinionId)!;
    assert.equal(kept.revoked, true);
    assert.equal(kept.changedAt, newer.changedAt);
  });

  it('refuses unsigned, altered, wrongly signed and stale pushes with SIGNATURE_INVALID, and names a bad field', async () => {
    const [o] = [...w.vdeavk.data.opinions.values()];
    const payload = opinionsRequest('bad-1', [o]);
    const post = (xml: string) => postSoap(soap('vdeavk'), xml, { timeoutMs: 5000, soapAction: 'x', partner: 'test' });
    const signed = signEnvelope(soapEnvelope(payload), w.keys.vdeavk);
    const cases: [string, string][] = [
      ['unsigned', soapEnvelope(payload)],
      ['altered', signed.replace('<Revoked>false</Revoked>', '<Revoked>true</Revoked>').replace('<Revoked>true</Revoked>', o.revoked ? '<Revoked>false</Revoked>' : '<Revoked>true</Revoked>')],
      ['wrong key', signEnvelope(soapEnvelope(payload), await createSigningIdentity('impostor'))],
      ['stale', signEnvelope(soapEnvelope(payload), w.keys.vdeavk, { now: new Date(Date.now() - 10 * 60_000) })],
    ];
    for (const [what, xml] of cases) {
      const r = await post(xml);
      assert.equal(r.status, 500, what);
      assert.equal((await answer(r.body)).fault, 'SIGNATURE_INVALID', what);
    }
    assert.ok(w.hub.logs.some((l) => l.includes('signature not valid')), 'refusals are logged');
    const bad = opinionsRequest('bad-2', [o]).replace(/<ValidTo>[^<]*<\/ValidTo>/, '<ValidTo>2026-02-30</ValidTo>');
    const r = await post(signEnvelope(soapEnvelope(bad), w.keys.vdeavk));
    assert.equal((await answer(r.body)).fault, 'INVALID_REQUEST');
    assert.match(r.body, /ValidTo/);
  });

  it('refuses a push from VDEĀVK\'s key on NVA\'s endpoint (each endpoint trusts its own agency)', async () => {
    const p = w.burvis.data.get(w.burvis.data.samples.riga)!;
    const xml = signEnvelope(soapEnvelope(profilingChangesRequest('cross-1', [p])), w.keys.vdeavk);
    const r = await postSoap(soap('burvis'), xml, { timeoutMs: 5000, soapAction: 'x', partner: 'test' });
    assert.equal((await answer(r.body)).fault, 'SIGNATURE_INVALID');
  });

  it('queues pushed profiles for their municipalities\' systems and answers Queued; each arrives once', async () => {
    const s = w.burvis.data.samples;
    const profiles = [s.riga, s.jelgava, s.daugavpils, s.tukums].map((c) => w.burvis.data.get(c)!);
    const r = await w.burvis.push(soap('burvis'), profiles, 'nva-1');
    assert.equal(r.status, 200, r.body);
    // Tukums uses GVS, which has no notification interface: recorded as undeliverable, not queued.
    assert.deepEqual((await answer(r.body)).fields, { RequestId: 'nva-1', Accepted: 'true', Queued: '3' });
    assert.equal(xmllint(scratch, XSD('hub-burvis.xsd'), soapPayloadOf(r.body)).ok, true);
    await eventually(() => w.sopa.received.size === 2 && w.lietis.received.size === 1, 20_000, 'two SOPA and one LIETIS notification');
    const toRiga = [...w.sopa.received.values()].find((n) => n.municipality === '0001000')!;
    assert.deepEqual(toRiga.profile, profiles[0]);
    assert.equal(toRiga.type, 'burvis.profile');
    const again = await w.burvis.push(soap('burvis'), profiles, 'nva-1');
    assert.deepEqual((await answer(again.body)).fields, { RequestId: 'nva-1', Accepted: 'true', Queued: '3' });
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(w.sopa.requests, 2, 'no second delivery');
    assert.equal(w.lietis.requests, 1);
    const undeliverable = (await w.hub.hub.store.db.query(`SELECT error FROM deliveries WHERE status = 'undeliverable'`)).rows;
    assert.equal(undeliverable.length, 1);
    assert.match(undeliverable[0].error as string, /GVS/);
  });

  it('serves its WSDLs and their schemas, with this hub\'s address', async () => {
    for (const service of ['vdeavk', 'burvis']) {
      const wsdl = await (await fetch(`${soap(service)}?wsdl`)).text();
      assert.match(wsdl, new RegExp(`location="${w.hub.url}/soap/${service}"`));
      const loc = /schemaLocation="\.\.\/xsd\/([^"]+)"/.exec(wsdl)![1];
      const xsd = await fetch(`${w.hub.url}/xsd/${loc}`);
      assert.equal(xsd.status, 200);
      assert.match(await xsd.text(), /xs:schema/);
    }
    assert.equal((await fetch(`${w.hub.url}/xsd/..%2Fpackage.json`)).status, 404);
  });

  it('keeps the audit chain whole', async () => {
    const v = await verifyAudit(w.hub.hub.store.db);
    assert.ok(v.ok, JSON.stringify(v));
  });
});
