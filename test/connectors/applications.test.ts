/**
 * The municipal systems' open-applications services (docs/partners/sopa-applications.md,
 * lietis-applications.md): each client against its simulator, as the documents say. Answers in
 * canonical form; every outage, refusal and answer the document does not allow a ConnectorError
 * whose code and retryability the e-service acts on; LIETIS's messages valid against
 * lietis-applications.xsd (xmllint) and signed both ways.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { createLogger, type OpenApplication } from '../../engine/index.ts';
import { createSopaApplicationsClient, sopaOpenApplications, type SopaApplicationsClient } from '../../connectors/sopa/index.ts';
import { startSopaApplicationsSimulator, type SopaApplicationsSimulator } from '../../connectors/sopa/sandbox.ts';
import {
  LIETIS_APPLICATIONS_NS, createLietisApplicationsClient, lietisOpenApplications, type LietisApplicationsClientOptions, type LietisApplicationsExchange,
} from '../../connectors/lietis/index.ts';
import { startLietisApplicationsSimulator } from '../../connectors/lietis/sandbox.ts';
import { XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';
import { agencyBed } from '../soap/agency-bed.ts';

const PERSON = '16117519997';
const OTHER = '05091515731';
const PURPOSE = 'the person\'s own application status (portal request t-1)';
const APPS: OpenApplication[] = [
  { applicationId: 'A-2', receivedOn: '2026-11-20', appliedFor: { kind: 'benefit', benefitType: 'HOUSING' }, state: 'IN_REVIEW', expectedDecisionBy: '2026-12-18' },
  { applicationId: 'A-1', receivedOn: '2026-11-02', appliedFor: { kind: 'household-status', status: 'NEEDY' }, state: 'REGISTERED' },
  { applicationId: 'A-3', receivedOn: '2026-11-25', appliedFor: { kind: 'service', serviceType: 'ASSISTANT' }, state: 'WAITING_FOR_DOCUMENTS' },
];
const oldestFirst = [APPS[1], APPS[0], APPS[2]];
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

describe('SOPA open applications (JSON, bearer token)', function () {
  this.timeout(30_000);
  let sim: SopaApplicationsSimulator;
  let client: SopaApplicationsClient;
  const post = (body: unknown, headers: Record<string, string> = {}) => fetch(sim.url, {
    method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json', ...headers },
  }).then(async (r) => ({ status: r.status, body: await r.json() as { error?: { code: string; field?: string; message: string } } }));

  before(async () => {
    sim = await startSopaApplicationsSimulator({ municipality: '0001000', applications: { [PERSON]: APPS } });
    client = createSopaApplicationsClient({ partnerId: 'sopa-riga', endpoint: sim.url, token: sim.token, timeoutMs: 1000 });
  });
  afterEach(() => sim.reset());
  after(async () => {
    client.close();
    await sim.close();
  });

  it('answers a person\'s open applications oldest first, in canonical form, and an empty list for a person without any', async () => {
    const a = await client.openApplications(`${PERSON.slice(0, 6)}-${PERSON.slice(6)}`, { purpose: PURPOSE, requestId: 'r-1' });
    assert.deepEqual(a, { requestId: 'r-1', municipality: '0001000', applications: oldestFirst });
    assert.deepEqual(sim.asked, [PERSON], 'the code goes as 11 digits');
    assert.deepEqual((await client.openApplications(OTHER, { purpose: PURPOSE })).applications, []);
  });

  it('is the call: component sopa/open-applications, its endpoint and token from the target', async () => {
    assert.deepEqual([sopaOpenApplications.name, sopaOpenApplications.partner], ['sopa/open-applications', 'sopa']);
    const c = sopaOpenApplications.create({}, { target: { partnerId: 'sopa-riga', endpoint: sim.url, certPem: '', token: sim.token }, identity: undefined as never, logger: createLogger({ level: 'silent' }) });
    try {
      assert.deepEqual(await c.call({ personCode: PERSON, purpose: PURPOSE, requestId: 'r-2', requesterId: 'SPOLIS' }, { timeoutMs: 1000 }), { municipality: '0001000', applications: oldestFirst });
    } finally {
      await c.close();
    }
  });

  it('refuses a request without the token (401), with fields SOPA does not take (400 naming the field), and a reused requestId (409)', async () => {
    const ok = { requestId: 'x-1', personCode: PERSON, purpose: PURPOSE };
    assert.equal((await post(ok, { authorization: 'Bearer wrong' })).status, 401);
    for (const [body, field] of [
      [{ ...ok, personCode: `${PERSON.slice(0, 6)}-${PERSON.slice(6)}` }, 'personCode'],
      [{ ...ok, personCode: PERSON.slice(0, 10) + '8' }, 'personCode'],
      [{ ...ok, requestId: 'a b' }, 'requestId'],
      [{ ...ok, purpose: ' ' }, 'purpose'],
      [{ ...ok, purpose: 'x'.repeat(501) }, 'purpose'],
    ] as const) {
      const r = await post(body);
      assert.deepEqual([r.status, r.body.error?.code, r.body.error?.field], [400, 'INVALID_REQUEST', field], JSON.stringify(body).slice(0, 80));
      assert.ok(!r.body.error!.message.includes(PERSON.slice(0, 10)), 'SOPA\'s message does not repeat the code');
    }
    assert.equal((await post(ok)).status, 200);
    assert.equal((await post(ok)).status, 200, 'the same request again is a retry');
    assert.deepEqual([(await post({ ...ok, personCode: OTHER })).status], [409]);
  });

  it('maps a wrong token to a final fault that says which setting to fix', async () => {
    const c = createSopaApplicationsClient({ partnerId: 'sopa-riga', endpoint: sim.url, token: 'not-the-token' });
    try {
      const e = await failure(c.openApplications(PERSON, { purpose: PURPOSE }));
      assert.deepEqual([e.code, e.retryable, e.httpStatus, e.details.status], ['HUB_ERR_PARTNER_FAULT', false, 502, 401]);
      assert.match(e.message, /UNAUTHORIZED.*notify\.token/);
    } finally {
      c.close();
    }
  });

  it('maps 503, refused connections and silence to retryable errors, and no token to a configuration error', async () => {
    sim.switches.status5xx = true;
    const busy = await failure(client.openApplications(PERSON, { purpose: PURPOSE }));
    assert.deepEqual([busy.code, busy.retryable, busy.details.retryAfterSeconds], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 5]);
    sim.switches.status5xx = false;
    sim.switches.timeout = true;
    const t0 = Date.now();
    const slow = await failure(client.openApplications(PERSON, { purpose: PURPOSE, timeoutMs: 300 }));
    assert.deepEqual([slow.code, slow.retryable, slow.httpStatus], ['HUB_ERR_PARTNER_TIMEOUT', true, 504]);
    assert.ok(Date.now() - t0 < 1000);
    sim.switches.timeout = false;
    await sim.refuseConnections(true);
    try {
      const down = await failure(client.openApplications(PERSON, { purpose: PURPOSE }));
      assert.deepEqual([down.code, down.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', true]);
    } finally {
      await sim.refuseConnections(false);
    }
    const c = createSopaApplicationsClient({ partnerId: 'sopa-x', endpoint: sim.url, token: undefined });
    const none = await failure(c.openApplications(PERSON, { purpose: PURPOSE }));
    c.close();
    assert.deepEqual([none.code, none.retryable, none.details.field], ['HUB_ERR_PARTNER_NOT_CONFIGURED', false, 'notify.token']);
    assert.equal(sim.requests, 2, 'nothing is sent without a token (the refused connection reached nothing either)');
  });

  it('refuses an answer the document does not allow, naming the field, and never passes on fields it does not know', async () => {
    const bad: OpenApplication = { ...APPS[0], state: 'DECIDED' as never };
    sim.applications.set(OTHER, [bad]);
    const e = await failure(client.openApplications(OTHER, { purpose: PURPOSE }));
    assert.deepEqual([e.code, e.retryable, e.details.field], ['HUB_ERR_PARTNER_RESPONSE', false, 'applications[0].state']);
    sim.applications.set(OTHER, [{ ...APPS[1], receivedOn: '2026-02-30' }]);
    assert.equal((await failure(client.openApplications(OTHER, { purpose: PURPOSE }))).details.field, 'applications[0].receivedOn');
    sim.applications.set(OTHER, [{ ...APPS[0], expectedDecisionBy: '2026-11-01' }]);
    assert.match((await failure(client.openApplications(OTHER, { purpose: PURPOSE }))).message, /expectedDecisionBy is before/);
    sim.applications.set(OTHER, [{ ...APPS[1], caseWorker: 'Ilze', appliedFor: { ...APPS[1].appliedFor, note: 'x' } } as never]);
    assert.deepEqual((await client.openApplications(OTHER, { purpose: PURPOSE })).applications, [APPS[1]]);
    sim.applications.delete(OTHER);
  });

  it('refuses an answer for another request or not in JSON', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requestId: 'other', municipality: '0001000', applications: [] }));
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [path, field] of [['/json', 'requestId'], ['/html', undefined]] as const) {
        const c = createSopaApplicationsClient({ partnerId: 'sopa-riga', endpoint: base + path, token: 't' });
        const e = await failure(c.openApplications(PERSON, { purpose: PURPOSE }));
        c.close();
        assert.deepEqual([e.code, e.details.field], ['HUB_ERR_PARTNER_RESPONSE', field]);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('LIETIS open applications (signed SOAP GetOpenApplications)', function () {
  this.timeout(30_000);
  const bed = agencyBed({
    partner: 'lietis',
    start: (hubCertPem) => startLietisApplicationsSimulator({ hubCertPem, applications: { [PERSON]: APPS } }),
    client: (sim, identity, opts: Partial<LietisApplicationsClientOptions>) =>
      createLietisApplicationsClient({ partnerId: 'lietis-daugavpils', endpoint: sim.url, identity, lietisCertPem: sim.certPem, timeoutMs: 2000, ...opts }),
  });
  const request = (fields: string) => `<GetOpenApplicationsRequest xmlns="${LIETIS_APPLICATIONS_NS}">${fields}</GetOpenApplicationsRequest>`;

  it('answers a person\'s open applications oldest first, in canonical form, and an empty list for a person without any', async () => {
    assert.deepEqual(await bed.client.openApplications(PERSON, { purpose: PURPOSE }), { municipality: '0002000', applications: oldestFirst });
    assert.deepEqual(await bed.client.openApplications(OTHER, { purpose: PURPOSE }), { municipality: '0002000', applications: [] });
  });

  it('is the call: component lietis/open-applications, signing with the hub\'s identity and trusting the target\'s certificate', async () => {
    assert.deepEqual([lietisOpenApplications.name, lietisOpenApplications.partner], ['lietis/open-applications', 'lietis']);
    const c = lietisOpenApplications.create({}, { target: { partnerId: 'lietis-daugavpils', endpoint: bed.sim.url, certPem: bed.sim.certPem }, identity: bed.hub, logger: createLogger({ level: 'silent' }) });
    try {
      assert.deepEqual(await c.call({ personCode: PERSON, purpose: PURPOSE, requestId: 'r-9', requesterId: 'SPOLIS' }, { timeoutMs: 2000 }), { municipality: '0002000', applications: oldestFirst });
    } finally {
      await c.close();
    }
  });

  it('sends requests and gets answers that validate against lietis-applications.xsd and that xmlsec1 verifies', async function () {
    if (!hasXmllint) this.skip();
    bed.exchanges.length = 0;
    await bed.client.openApplications(PERSON, { purpose: PURPOSE });
    await bed.client.openApplications(OTHER, { purpose: PURPOSE });
    assert.equal(bed.exchanges.length, 2);
    for (const e of bed.exchanges as LietisApplicationsExchange[]) {
      assert.equal(e.operation, 'GetOpenApplications');
      for (const xml of [e.requestXml, e.responseXml!]) {
        const r = xmllint(bed.scratch, XSD('lietis-applications.xsd'), soapPayloadOf(xml));
        assert.ok(r.ok, r.out);
      }
      assert.ok(xmlsecVerify(bed.scratch, e.requestXml, bed.hub.certPem).ok);
      assert.ok(xmlsecVerify(bed.scratch, e.responseXml!, bed.sim.certPem).ok);
    }
  });

  it('faults INVALID_REQUEST naming the element for what the XSD refuses, as xmllint does', async () => {
    const ok = ['<RequestId>q-1</RequestId>', `<Purpose>${PURPOSE}</Purpose>`, `<PersonCode>${PERSON}</PersonCode>`];
    // [fields, the fault's message, whether the XSD refuses it too (a check digit is beyond it)]
    for (const [fields, message, xsdRefuses] of [
      [[ok[0], ok[1], `<PersonCode>${PERSON.slice(0, 6)}-${PERSON.slice(6)}</PersonCode>`], /^PersonCode: must be 11 digits/, true],
      [[ok[0], ok[1], `<PersonCode>${PERSON.slice(0, 10)}8</PersonCode>`], /^PersonCode: is not a valid personal code/, false],
      [[ok[0], '<Purpose> </Purpose>', ok[2]], /^Purpose: is empty/, true],
      [[ok[1], ok[0], ok[2]], /^RequestId: is missing/, true],
      [[...ok, '<Extra>1</Extra>'], /^Extra: Extra is not expected here/, true],
    ] as const) {
      const r = await bed.signedPost(request(fields.join('')));
      assert.deepEqual([r.status, r.fault?.errorCode, r.fault?.faultcode], [500, 'INVALID_REQUEST', 'Client'], fields.join(''));
      assert.match(r.fault!.faultstring, message);
      assert.ok(!r.fault!.faultstring.includes(PERSON.slice(0, 10)), 'the fault does not repeat the code');
      if (hasXmllint) assert.equal(xmllint(bed.scratch, XSD('lietis-applications.xsd'), request(fields.join(''))).ok, !xsdRefuses, fields.join(''));
    }
  });

  it('refuses a request signed with another key (SIGNATURE_INVALID) and a RequestId reused for another person', async () => {
    const stranger = bed.open({ identity: bed.stranger });
    const e = await failure(stranger.openApplications(PERSON, { purpose: PURPOSE }));
    assert.deepEqual([e.code, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', false, 'SIGNATURE_INVALID']);
    await bed.client.openApplications(PERSON, { purpose: PURPOSE, requestId: 'same-1' });
    await bed.client.openApplications(PERSON, { purpose: PURPOSE, requestId: 'same-1' });
    const reused = await failure(bed.client.openApplications(OTHER, { purpose: PURPOSE, requestId: 'same-1' }));
    assert.deepEqual([reused.code, reused.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', 'INVALID_REQUEST']);
  });

  it('refuses an answer not signed by the registered LIETIS certificate', async () => {
    const c = bed.open({ lietisCertPem: bed.stranger.certPem });
    const e = await failure(c.openApplications(PERSON, { purpose: PURPOSE }));
    assert.deepEqual([e.code, e.retryable, e.httpStatus], ['HUB_ERR_PARTNER_SIGNATURE', false, 502]);
  });

  it('maps UNAVAILABLE, HTTP 503, refused connections and silence to retryable errors', async () => {
    bed.sim.switches.outage = 'unavailable';
    assert.deepEqual((await failure(bed.client.openApplications(PERSON, { purpose: PURPOSE }))).code, 'HUB_ERR_PARTNER_UNAVAILABLE');
    bed.sim.switches.outage = 'http503';
    const front = await failure(bed.client.openApplications(PERSON, { purpose: PURPOSE }));
    assert.deepEqual([front.code, front.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', true]);
    bed.sim.switches.outage = 'none';
    bed.sim.switches.timeout = true;
    const slow = await failure(bed.client.openApplications(PERSON, { purpose: PURPOSE, timeoutMs: 300 }));
    assert.deepEqual([slow.code, slow.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
    bed.sim.switches.timeout = false;
    await bed.sim.refuseConnections(true);
    try {
      assert.equal((await failure(bed.client.openApplications(PERSON, { purpose: PURPOSE }))).code, 'HUB_ERR_PARTNER_UNAVAILABLE');
    } finally {
      await bed.sim.refuseConnections(false);
    }
  });

  it('refuses an answer the XSD does not allow, naming the element', async () => {
    bed.sim.applications.set(OTHER, [{ ...APPS[0], appliedFor: { kind: 'benefit', benefitType: 'PENSION' as never } }]);
    const e = await failure(bed.client.openApplications(OTHER, { purpose: PURPOSE }));
    assert.deepEqual([e.code, e.retryable, e.details.field], ['HUB_ERR_PARTNER_RESPONSE', false, 'Applications/Application[1]/AppliedFor/Benefit']);
    bed.sim.applications.set(OTHER, [{ ...APPS[0], expectedDecisionBy: '2026-01-01' }]);
    assert.equal((await failure(bed.client.openApplications(OTHER, { purpose: PURPOSE }))).details.field, 'Applications/Application[1]/ExpectedDecisionBy');
    bed.sim.applications.delete(OTHER);
  });

  it('serves its WSDL with its real address, and the XSD it imports', async () => {
    const wsdl = await (await fetch(`${bed.sim.url}?wsdl`)).text();
    assert.match(wsdl, new RegExp(`<soap:address location="${bed.sim.url}"`));
    const xsd = await fetch(bed.sim.url.replace(/\/applications\/.*$/, '/xsd/lietis-applications.xsd'));
    assert.equal(xsd.status, 200);
    assert.match(await xsd.text(), /GetOpenApplicationsRequest/);
  });
});
