/**
 * A foreign SOAP client calls every SOAP operation the hub serves: the `soap` package (the design
 * card's SOAP library), built from nothing but the WSDL each endpoint serves at `?wsdl` (and the
 * XSDs it imports from the hub), signing the way the agencies sign (shared/partners/README.md:
 * WS-Security 1.1, an X.509 BinarySecurityToken, a wsu:Timestamp, RSA-SHA256 over soap:Body and the
 * Timestamp with exclusive c14n). It asserts what an agency's developer would see: the answer as
 * the client parses it, the hub's signature on it, the data in the hub's store afterwards, and the
 * SOAP Fault the client raises for a message the hub must refuse. An operation a served WSDL
 * declares without a case here fails the coverage test.
 *
 * Nothing of the hub's own XML or signing code is used on the client's side: the client is the
 * package, its signature is xml-crypto's (inside the package), and the hub's answers are checked
 * with xml-crypto against the certificate the hub publishes.
 */
import assert from 'node:assert/strict';
import * as soap from 'soap';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { createSigningIdentity, type SigningIdentity } from '../../engine/index.ts';
import { storedOpinions } from '../../store/index.ts';
import type { AssistantOpinion, BurvisProfile } from '../../schemas/canonical/model.ts';
import { startWorld, type AgencyWorld } from '../agencies/fixture.ts';

// The signature profile of the partners' documents, spelled as an agency's developer would.
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/**
 * The package's WS-Security configured as the agencies sign. `signatureTransformations` is the
 * one setting that matters: the package's default gives every reference the transforms
 * enveloped-signature + exc-c14n, and the hub accepts exactly one transform, exclusive c14n.
 */
function agencySecurity(key: SigningIdentity, transforms: string[] = [EXC_C14N]): soap.WSSecurityCert {
  return new soap.WSSecurityCert(key.keyPem, key.certPem, '', {
    signatureAlgorithm: RSA_SHA256, digestAlgorithm: SHA256, signatureTransformations: transforms,
    signerOptions: { prefix: 'ds', idMode: 'wssecurity' },
  });
}

/** `inner`'s signed envelope with `alter` applied afterwards: a message changed on its way. */
const tampered = (inner: soap.ISecurity, alter: (xml: string) => string): soap.ISecurity => ({
  postProcess: (xml: string, envelopeKey: string) => alter(inner.postProcess!(xml, envelopeKey)),
  toXML: () => '',
});

type Args = Record<string, unknown>;
interface Fault { status: number; faultcode: string; faultstring: string; errorCode: string; body: string }

interface OperationCase {
  /** The partners.yaml system registered to sign this endpoint's requests (a key of AgencyWorld.keys). */
  agency: keyof AgencyWorld['keys'];
  /** A request of three records (or the first `count`) from the agency simulator's data, in the WSDL's shape and field order. */
  request(w: AgencyWorld, requestId: string, count?: number): Args;
  /** The answer's fields as the client parses them, for `request`. */
  answer(args: Args): Args;
  /** Asserts that the store holds what `args` carried, and returns a snapshot for "no second effect". */
  stored(w: AgencyWorld, args: Args): Promise<unknown>;
  /** `args` with one field the XSD refuses, and the path the fault must name. */
  invalid(args: Args): { args: Args; field: string };
}

// Element order is the XSD's sequence: the package writes an object's keys in their order.
const opinionArgs = (o: AssistantOpinion): Args => ({
  OpinionId: o.opinionId, PersonCode: o.personCode, DisabilityGroup: o.disabilityGroup, Kind: o.kind,
  IssuedOn: o.issuedOn, ValidFrom: o.validFrom, ValidTo: o.validTo,
  ...(o.maxHoursPerMonth === undefined ? {} : { MaxHoursPerMonth: o.maxHoursPerMonth }),
  Revoked: o.revoked, ChangedAt: o.changedAt,
});
const profileArgs = (p: BurvisProfile): Args => ({
  PersonCode: p.personCode, Status: p.status, RegisteredOn: p.registeredOn,
  ...(p.deregisteredOn === undefined ? {} : { DeregisteredOn: p.deregisteredOn }),
  ProfilingGroup: String(p.profilingGroup), Municipality: p.municipality, UpdatedAt: p.updatedAt,
});

const opinionsOf = (args: Args): Args[] => (args.Opinions as { Opinion: Args[] }).Opinion;
const profilesOf = (args: Args): Args[] => (args.Profiles as { Profile: Args[] }).Profile;

/** One case per `service/operation` the hub serves; the keys are checked against the served WSDLs. */
const CASES: Record<string, OperationCase> = {
  'vdeavk/SubmitAssistantOpinions': {
    agency: 'vdeavk',
    request(w, requestId, count = 3) {
      const all = [...w.vdeavk.data.opinions.values()];
      // Both shapes of an opinion: a child's, with the optional MaxHoursPerMonth, and adults' without.
      const chosen = [...all.filter((o) => o.maxHoursPerMonth !== undefined).slice(0, 1), ...all.filter((o) => o.maxHoursPerMonth === undefined).slice(0, 2)];
      assert.equal(chosen.length, 3, 'the simulator holds opinions with and without MaxHoursPerMonth');
      return { RequestId: requestId, Opinions: { Opinion: chosen.slice(0, count).map(opinionArgs) } };
    },
    // hub-vdeavk.xsd: Accepted xs:boolean, which the package converts; Stored xs:nonNegativeInteger,
    // which it leaves as text (it converts only int, integer, short and long).
    answer: (args) => ({ RequestId: args.RequestId, Accepted: true, Stored: String(opinionsOf(args).length) }),
    async stored(w, args) {
      const sent = opinionsOf(args);
      for (const o of sent) {
        const kept = (await storedOpinions(w.hub.hub.store.db, o.PersonCode as string)).find((s) => s.opinionId === o.OpinionId);
        assert.ok(kept, `opinion ${String(o.OpinionId)} is stored`);
        assert.deepEqual(opinionArgs(kept), o);
      }
      return (await w.hub.hub.store.db.query(
        `SELECT opinion_id, stored_at::text FROM assistant_opinion WHERE opinion_id = ANY($1) ORDER BY opinion_id`, [sent.map((o) => o.OpinionId)])).rows;
    },
    invalid(args) {
      const [first, ...rest] = opinionsOf(args);
      return { args: { ...args, Opinions: { Opinion: [{ ...first, ValidTo: '2026-02-30' }, ...rest] } }, field: 'Opinions/Opinion[1]/ValidTo' };
    },
  },
  'burvis/SubmitProfilingChanges': {
    agency: 'burvis',
    request(w, requestId, count = 3) {
      // Profiles for municipalities on SOPA (Rīga, Jelgava) and on LIETIS (Daugavpils).
      const s = w.burvis.data.samples;
      return { RequestId: requestId, Profiles: { Profile: [s.riga, s.jelgava, s.daugavpils].slice(0, count).map((c) => profileArgs(w.burvis.data.get(c)!)) } };
    },
    answer: (args) => ({ RequestId: args.RequestId, Accepted: true, Queued: String(profilesOf(args).length) }),
    async stored(w, args) {
      const sent = profilesOf(args);
      const rows = (await w.hub.hub.store.db.query<{ id: string; municipality: string; subject: string; payload: BurvisProfile }>(
        `SELECT id, municipality, subject, payload FROM deliveries WHERE route_id = 'burvis-profiles-push' AND subject = ANY($1) ORDER BY id`,
        [sent.map((p) => p.PersonCode)])).rows;
      assert.equal(rows.length, sent.length, 'one delivery queued per profile');
      for (const p of sent) {
        const row = rows.find((r) => r.subject === p.PersonCode);
        assert.ok(row, `a delivery of ${String(p.PersonCode)}'s profile is queued`);
        assert.equal(row.municipality, p.Municipality, 'to the municipality of the profile');
        assert.deepEqual(profileArgs(row.payload), p);
      }
      return rows.map((r) => r.id);
    },
    invalid(args) {
      const [first, ...rest] = profilesOf(args);
      return { args: { ...args, Profiles: { Profile: [{ ...first, ProfilingGroup: '4' }, ...rest] } }, field: 'Profiles/Profile[1]/ProfilingGroup' };
    },
  },
};

describe('a foreign SOAP client (the soap package) built from the hub\'s served WSDLs', function () {
  this.timeout(60_000);
  let w: AgencyWorld;
  let hubCertPem: string;
  let stranger: SigningIdentity;
  /** `service/operation` of every operation the served WSDLs declare, read with the package's describe(). */
  const declared: string[] = [];
  let calls = 0;

  const wsdlUrl = (service: string): string => `${w.hub.url}/soap/${service}?wsdl`;
  /** A client of the WSDL `service` serves, signing with `security` (none: unsigned). */
  async function clientFor(service: string, security?: soap.ISecurity): Promise<soap.Client> {
    const client = await soap.createClientAsync(wsdlUrl(service));
    if (security) client.setSecurity(security);
    client.on('request', () => { calls++; });
    return client;
  }
  const invoke = async (client: soap.Client, operation: string, args: Args): Promise<Args> => {
    const [result] = await (client[`${operation}Async`] as (a: Args) => Promise<[Args]>)(args);
    return result;
  };
  /** The fault the client raises (and the hub signed), or a failure when the call succeeds. */
  async function faultOf(call: Promise<unknown>): Promise<Fault> {
    type SoapError = { root?: { Envelope?: { Body?: { Fault?: { faultcode: string; faultstring: string; detail?: { ErrorCode?: unknown } } } } }; response?: { status: number }; body?: string };
    const err = await call.then(() => undefined, (e: unknown) => e as SoapError);
    assert.ok(err, 'the client returned an answer; a SOAP Fault was expected');
    const f = err.root?.Envelope?.Body?.Fault;
    assert.ok(f, `the client surfaces a SOAP Fault (got ${String(err)})`);
    return { status: err.response!.status, faultcode: f.faultcode, faultstring: f.faultstring, errorCode: String(f.detail?.ErrorCode), body: err.body! };
  }
  /** The references of the hub's signature on `xml`, checked by xml-crypto with the hub's published certificate. */
  function hubSignature(xml: string): string[] {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const sig = new SignedXml({ publicCert: hubCertPem, idMode: 'wssecurity' });
    sig.loadSignature(doc.getElementsByTagNameNS(DS, 'Signature')[0] as unknown as Node);
    assert.ok(sig.checkSignature(xml), 'the hub\'s answer verifies with its published certificate');
    return sig.getSignedReferences();
  }
  const soapRequestCount = async (requestId: string): Promise<number> =>
    Number((await w.hub.hub.store.db.query(`SELECT count(*)::int AS n FROM soap_requests WHERE request_id = $1`, [requestId])).rows[0].n);

  before(async () => {
    w = await startWorld();
    stranger = await createSigningIdentity('not registered');
    const cert = await fetch(`${w.hub.url}/api/v1/certificate`);
    assert.equal(cert.status, 200);
    hubCertPem = await cert.text();
    // The served endpoints are the routes triggered by `soap`; each serves its WSDL at ?wsdl.
    const services = [...new Set(w.hub.hub.config.routes.flatMap((r) => ('soap' in r.from ? [r.from.soap.service] : [])))];
    assert.ok(services.length > 0, 'the hub serves SOAP endpoints');
    for (const service of services) {
      const client = await soap.createClientAsync(wsdlUrl(service));
      for (const ports of Object.values(client.describe() as Record<string, Record<string, Record<string, unknown>>>)) {
        for (const operations of Object.values(ports)) declared.push(...Object.keys(operations).map((op) => `${service}/${op}`));
      }
    }
  });
  after(async () => {
    // A figure for the report, not an assertion.
    if (process.env.FOREIGN_CLIENT_FIGURES) console.log(`foreign SOAP client: ${calls} calls, ${declared.length} operations: ${declared.join(', ')}`);
    await w?.stop();
  });

  it('has a case for every operation the served WSDLs declare, and no case for one they do not', () => {
    assert.deepEqual([...new Set(declared)].sort(), Object.keys(CASES).sort());
  });

  for (const [key, c] of Object.entries(CASES)) {
    const [service, operation] = key.split('/');
    const other = (): SigningIdentity => w.keys[c.agency === 'vdeavk' ? 'burvis' : 'vdeavk'];

    describe(key, () => {
      let client: soap.Client;
      before(async () => { client = await clientFor(service, agencySecurity(w.keys[c.agency])); });

      it('is answered with the WSDL\'s fields, signed by the hub, and the data is in the store', async () => {
        const args = c.request(w, `fc-${service}-1`);
        const answer = await invoke(client, operation, args);
        assert.deepEqual(answer, c.answer(args));
        const [ports] = Object.values(client.describe() as Record<string, Record<string, Record<string, { output: Args }>>>);
        const [operations] = Object.values(ports);
        assert.deepEqual(Object.keys(answer), Object.keys(operations[operation].output), 'the answer has the fields the WSDL declares, in order');
        const signed = hubSignature(client.lastResponse as string);
        assert.equal(signed.length, 2);
        assert.ok(signed.some((r) => r.startsWith('<soap:Body')) && signed.some((r) => r.startsWith('<wsu:Timestamp')), 'the hub signs its Body and Timestamp');
        await c.stored(w, args);
      });

      it('answers a repeated RequestId as the first time without a second effect; other content under it is a fault', async () => {
        const args = c.request(w, `fc-${service}-2`);
        const first = await invoke(client, operation, args);
        const before = await c.stored(w, args);
        assert.deepEqual(await invoke(client, operation, args), first);
        assert.deepEqual(await c.stored(w, args), before, 'nothing is stored or queued a second time');
        assert.equal(await soapRequestCount(args.RequestId as string), 1);

        const f = await faultOf(invoke(client, operation, c.request(w, args.RequestId as string, 1)));
        assert.equal(f.errorCode, 'INVALID_REQUEST');
        assert.match(f.faultstring, /already used for another request/);
        assert.deepEqual(await c.stored(w, args), before);
      });

      it('refuses unsigned, wrongly signed and altered messages with a SOAP Fault SIGNATURE_INVALID, storing nothing', async () => {
        const variants: [string, soap.ISecurity | undefined, RegExp][] = [
          ['unsigned', undefined, /unsigned/],
          ['signed with a key the hub does not know', agencySecurity(stranger), /certificate other than the one registered/],
          ['signed with the other agency\'s registered key', agencySecurity(other()), /certificate other than the one registered/],
          ['altered after signing', tampered(agencySecurity(w.keys[c.agency]), (xml) => xml.replace(/(<RequestId>[^<]*)(<\/RequestId>)/, '$1-altered$2')), /digest of soap:Body does not match/],
          // WSSecurityCert's defaults: RSA-SHA256 and SHA-256, but each reference transformed by enveloped-signature + exc-c14n.
          ['signed with the package\'s defaults', new soap.WSSecurityCert(w.keys[c.agency].keyPem, w.keys[c.agency].certPem, ''), /exactly the exclusive c14n transform/],
        ];
        let n = 0;
        for (const [what, security, reason] of variants) {
          const requestId = `fc-${service}-bad-${++n}`;
          const f = await faultOf(invoke(await clientFor(service, security), operation, c.request(w, requestId)));
          assert.equal(f.status, 500, what);
          assert.equal(f.errorCode, 'SIGNATURE_INVALID', what);
          assert.match(f.faultcode, /(^|:)Client$/, what);
          assert.match(f.faultstring, reason, what);
          assert.equal(hubSignature(f.body).length, 2, `${what}: the fault is signed by the hub`);
          assert.equal(await soapRequestCount(requestId), 0, `${what}: nothing is stored`);
          assert.equal(await soapRequestCount(`${requestId}-altered`), 0, `${what}: nothing is stored`);
        }
      });

      it('refuses a field its XSD refuses with INVALID_REQUEST naming the field', async () => {
        const { args, field } = c.invalid(c.request(w, `fc-${service}-3`));
        const f = await faultOf(invoke(client, operation, args));
        assert.equal(f.errorCode, 'INVALID_REQUEST');
        assert.match(f.faultcode, /(^|:)Client$/);
        assert.ok(f.faultstring.includes(field), `the fault names ${field}: ${f.faultstring}`);
        assert.equal(await soapRequestCount(args.RequestId as string), 0);
      });
    });
  }
});
