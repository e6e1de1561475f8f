import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger, createSigningIdentity, makePersonCode, postSoap, readSoapFault, signEnvelope, signSoapBody, soapEnvelope, soapFault, verifyEnvelope, type BurvisProfile, type Delivery, type DeliveryTarget, type SigningIdentity, type SoapFault,
} from '../../engine/index.ts';
import { sopaNotifyProfile } from '../../connectors/sopa/index.ts';
import { startSopaNotificationReceiver, type SopaNotificationReceiver } from '../../connectors/sopa/sandbox.ts';
import { LIETIS_INBOUND_NS, createLietisNotifier, lietisNotifyProfile, type LietisExchange } from '../../connectors/lietis/index.ts';
import { startLietisNotificationReceiver, type LietisNotificationReceiver } from '../../connectors/lietis/sandbox.ts';
import { Scratch, XSD, failure, soapPayloadOf, xmllint, xmlsecVerify } from '../soap/tools.ts';


const logger = createLogger({ level: 'silent' });
const PROFILE: BurvisProfile = {
  personCode: makePersonCode({ year: 1975, month: 11, day: 16 }, 199),
  status: 'JOBSEEKER', registeredOn: '2026-03-02', profilingGroup: 2, municipality: '0001000', updatedAt: '2026-11-20T08:15:00.000Z',
};
let seq = 0;
const nextId = (): string => `burvis-profile-${process.pid}-${++seq}`;
const OPTS = { timeoutMs: 3000 };

describe('notifications of BURVIS profiles to SOPA (JSON webhook)', function () {
  this.timeout(30_000);
  let sopa: SopaNotificationReceiver;
  let delivery: Delivery<BurvisProfile>;
  let target: DeliveryTarget;
  const req = (deliveryId = nextId(), item: BurvisProfile = PROFILE) => ({ deliveryId, municipality: '0001000', item });

  before(async () => {
    sopa = await startSopaNotificationReceiver();
    delivery = sopaNotifyProfile.create({}, { identity: await createSigningIdentity('hub'), logger });
    target = { partnerId: 'sopa-riga', endpoint: sopa.url, token: sopa.token };
  });
  afterEach(() => sopa.reset());
  after(async () => {
    await delivery.close();
    await sopa.close();
  });

  it('declares itself a delivery of burvis.profile to the municipality\'s SOPA', () => {
    assert.deepEqual([sopaNotifyProfile.name, sopaNotifyProfile.system, sopaNotifyProfile.receiver, sopaNotifyProfile.accepts],
      ['sopa/notify-profile', 'sopa', 'municipality', 'burvis.profile']);
  });

  it('delivers the body sopa.md defines, answered 202, and a repeat of the id is recognised (200, duplicate)', async () => {
    const id = nextId();
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
    assert.deepEqual(sopa.received.get(id), { notificationId: id, type: 'burvis.profile', municipality: '0001000', profile: PROFILE });
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: true });
    assert.deepEqual([sopa.received.size, sopa.requests, sopa.duplicates, sopa.conflicts], [1, 2, 1, 0]);
  });

  it('refuses a wrong bearer token (401) with a final error that says which token to fix', async () => {
    const e = await failure(delivery.deliver(req(), { ...target, token: 'not-the-token' }, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status, e.details.partnerId], ['HUB_ERR_PARTNER_FAULT', false, 401, 'sopa-riga']);
    assert.match(e.message, /sopa-riga .*HTTP 401.*notify\.token of sopa-riga/);
    assert.equal(sopa.received.size, 0);
  });

  it('refuses a profile SOPA cannot take (400) with a final error naming the field', async () => {
    const e = await failure(delivery.deliver(req(nextId(), { ...PROFILE, profilingGroup: 4 as never }), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status, e.details.field], ['HUB_ERR_PARTNER_FAULT', false, 400, 'profile.profilingGroup']);
    assert.match(e.message, /profile\.profilingGroup must be the number 1, 2 or 3/);
  });

  it('does not send without a token in partners.yaml (final, names the setting)', async () => {
    const e = await failure(delivery.deliver(req(), { ...target, token: undefined }, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.field], ['HUB_ERR_PARTNER_NOT_CONFIGURED', false, 'notify.token']);
    assert.equal(sopa.requests, 0);
  });

  it('retries while SOPA refuses connections, and delivers once it is back', async () => {
    const id = nextId();
    await delivery.deliver(req(), target, OPTS); // a kept-alive socket, which the outage must break too
    await sopa.refuseConnections(true);
    try {
      const e = await failure(delivery.deliver(req(id), target, OPTS));
      assert.deepEqual([e.code, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 'ECONNREFUSED']);
      assert.match(e.message, /sopa-riga cannot be reached/);
    } finally {
      await sopa.refuseConnections(false);
    }
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
  });

  it('retries a 503, and delivers once SOPA answers again', async () => {
    const id = nextId();
    sopa.switches.status5xx = true;
    const e = await failure(delivery.deliver(req(id), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 503]);
    sopa.switches.status5xx = false;
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
    assert.equal(sopa.received.size, 1);
  });

  it('retries when SOPA does not answer within the deadline, and delivers once it does', async () => {
    const id = nextId();
    sopa.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(delivery.deliver(req(id), target, { timeoutMs: 250 }));
    assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
    assert.ok(Date.now() - t0 < 2000);
    sopa.switches.timeout = false;
    sopa.switches.latencyMs = 100;
    assert.deepEqual(await delivery.deliver(req(id), target, { timeoutMs: 2000 }), { duplicate: false });
  });

  it('retries a 429 and passes SOPA\'s Retry-After on', async () => {
    const busy = http.createServer((_, res) => res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}'));
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const e = await failure(delivery.deliver(req(), { ...target, endpoint: `http://127.0.0.1:${(busy.address() as AddressInfo).port}/api/notifications` }, OPTS));
      assert.deepEqual([e.code, e.retryable, e.details.retryAfterSeconds], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 7]);
    } finally {
      busy.closeAllConnections();
      await new Promise((r) => busy.close(r));
    }
  });

  it('simulator: answers malformed requests with a JSON error naming the field', async () => {
    const post = (body: string, headers: Record<string, string> = {}) => fetch(sopa.url, {
      method: 'POST', body, headers: { authorization: `Bearer ${sopa.token}`, 'content-type': 'application/json', ...headers },
    });
    let res = await post('{"notificationId": "x"', {});
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'INVALID_JSON');
    res = await post(JSON.stringify({ notificationId: 'n-1', type: 'burvis.profile', municipality: '1000', profile: PROFILE }));
    assert.deepEqual([res.status, ((await res.json()) as { error: { field: string } }).error.field], [400, 'municipality']);
    res = await post(JSON.stringify({ notificationId: 'n-1', type: 'burvis.profile', municipality: '0001000', profile: { ...PROFILE, updatedAt: '2026-11-20 08:15' } }));
    assert.deepEqual([res.status, ((await res.json()) as { error: { field: string } }).error.field], [400, 'profile.updatedAt']);
    res = await post('{}', { authorization: '' });
    assert.deepEqual([res.status, res.headers.get('www-authenticate')], [401, 'Bearer']);
    await res.arrayBuffer();
    assert.equal(sopa.received.size, 0);
  });

  it('simulator: counts a repeat that carries another body as a conflict, keeping the first', async () => {
    const id = nextId();
    await delivery.deliver(req(id), target, OPTS);
    assert.deepEqual(await delivery.deliver(req(id, { ...PROFILE, profilingGroup: 3 }), target, OPTS), { duplicate: true });
    assert.deepEqual([sopa.conflicts, sopa.received.get(id)!.profile.profilingGroup], [1, 2]);
  });
});

describe('notifications of BURVIS profiles to LIETIS (signed SOAP)', function () {
  this.timeout(30_000);
  let hub: SigningIdentity;
  let stranger: SigningIdentity;
  let lietis: LietisNotificationReceiver;
  let delivery: Delivery<BurvisProfile>;
  let target: DeliveryTarget;
  let scratch: Scratch;
  const exchanges: LietisExchange[] = [];
  const others: Delivery<BurvisProfile>[] = [];
  const DAUGAVPILS = { ...PROFILE, municipality: '0002000' };
  const req = (deliveryId = nextId(), item: BurvisProfile = DAUGAVPILS) => ({ deliveryId, municipality: '0002000', item });
  const expected = (id: string, p: BurvisProfile = DAUGAVPILS) => ({
    notificationId: id, type: 'burvis.profile', municipality: '0002000',
    profile: { personCode: p.personCode, status: p.status, registeredOn: p.registeredOn, profilingGroup: p.profilingGroup, updatedAt: p.updatedAt },
  });
  /** A Profile's elements, written by hand (not by the hub's code); an undefined field is left out. */
  const profile = (f: Partial<Record<string, string>> = {}) => {
    const v = { PersonCode: PROFILE.personCode, Status: 'UNEMPLOYED', RegisteredOn: '2026-03-02', ProfilingGroup: '1', UpdatedAt: '2026-11-20T08:15:00Z', ...f };
    return Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `<${k}>${x}</${k}>`).join('');
  };
  const doc = (o: { id?: string; type?: string; municipality?: string; profile?: string; profileAttr?: string } = {}) =>
    `<ReceiveNotification xmlns="${LIETIS_INBOUND_NS}"><NotificationId>${o.id ?? nextId()}</NotificationId><Type>${o.type ?? 'burvis.profile'}</Type>`
    + `<Municipality>${o.municipality ?? '0002000'}</Municipality><Profile${o.profileAttr ?? ''}>${o.profile ?? profile()}</Profile></ReceiveNotification>`;
  /** Posts a payload as the hub would (signed with its identity), bypassing the delivery's own message building. */
  const raw = async (payload: string, identity: SigningIdentity | null = hub) => {
    const xml = identity ? signEnvelope(soapEnvelope(payload), identity) : soapEnvelope(payload);
    const res = await postSoap(lietis.url, xml, { timeoutMs: 3000, partner: 'lietis-daugavpils' });
    const v = verifyEnvelope(res.body, lietis.certPem);
    assert.ok(v.ok, `LIETIS signs every answer and fault: ${v.ok ? '' : v.reason}`);
    return { status: res.status, fault: readSoapFault(v.body), body: res.body };
  };

  before(async () => {
    [hub, stranger] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('stranger')]);
    lietis = await startLietisNotificationReceiver({ hubCertPem: hub.certPem });
    // The delivery as the engine makes it, watched: every message the hub sends is kept for xmllint and xmlsec1.
    delivery = createLietisNotifier({ identity: hub, onExchange: (e) => exchanges.push(e) });
    target = { partnerId: 'lietis-daugavpils', endpoint: lietis.url, certPem: lietis.certPem };
    scratch = new Scratch();
  });
  afterEach(() => lietis.reset());
  after(async () => {
    await delivery.close();
    for (const d of others) await d.close();
    await lietis.close();
    scratch.dispose();
  });

  it('declares itself a delivery of burvis.profile to the municipality\'s LIETIS, made with the hub\'s identity', async () => {
    assert.deepEqual([lietisNotifyProfile.name, lietisNotifyProfile.system, lietisNotifyProfile.receiver, lietisNotifyProfile.accepts],
      ['lietis/notify-profile', 'lietis', 'municipality', 'burvis.profile']);
    const d = lietisNotifyProfile.create({ maxSockets: 2 }, { identity: hub, logger });
    others.push(d);
    const id = nextId();
    assert.deepEqual(await d.deliver(req(id), target, OPTS), { duplicate: false });
    assert.deepEqual(lietis.received.get(id), expected(id));
  });

  it('delivers once (Accepted), and a repeat of the NotificationId is accepted again without a second effect', async () => {
    const id = nextId();
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false }, 'LIETIS cannot tell the hub it had it');
    assert.deepEqual([lietis.received.size, lietis.requests, lietis.duplicates, lietis.conflicts], [1, 2, 1, 0]);
    assert.deepEqual(lietis.received.get(id), expected(id));
  });

  it('sends only messages that validate against lietis-inbound.xsd and that xmlsec1 verifies; the answers too', async () => {
    exchanges.length = 0;
    const deregistered: BurvisProfile = { ...DAUGAVPILS, status: 'DEREGISTERED', deregisteredOn: '2026-11-19', profilingGroup: 3 };
    const id = nextId();
    await delivery.deliver(req(id), target, OPTS);
    await delivery.deliver(req(id), target, OPTS);
    await delivery.deliver(req(nextId(), deregistered), target, OPTS);
    assert.equal(exchanges.length, 3);
    for (const e of exchanges) {
      for (const [xml, cert] of [[e.requestXml, hub.certPem], [e.responseXml!, lietis.certPem]] as const) {
        const valid = xmllint(scratch, XSD('lietis-inbound.xsd'), soapPayloadOf(xml));
        assert.ok(valid.ok, valid.out);
        const signed = xmlsecVerify(scratch, xml, cert);
        assert.ok(signed.ok, signed.out);
      }
    }
    assert.match(exchanges[2].requestXml, /<Profile><PersonCode>\d{11}<\/PersonCode><Status>DEREGISTERED<\/Status><RegisteredOn>2026-03-02<\/RegisteredOn><ProfilingGroup>3<\/ProfilingGroup><UpdatedAt>[^<]+<\/UpdatedAt><\/Profile>/);
  });

  it('is refused for good when signed with a key LIETIS has not registered (SIGNATURE_INVALID)', async () => {
    const d = createLietisNotifier({ identity: stranger });
    others.push(d);
    const e = await failure(d.deliver(req(), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.partnerCode, e.details.partnerId], ['HUB_ERR_PARTNER_REJECTED_SIGNATURE', false, 'SIGNATURE_INVALID', 'lietis-daugavpils']);
    assert.match(e.message, /lietis-daugavpils \(LIETIS\) refused .*registered the hub's current certificate/);
    assert.deepEqual([lietis.received.size, lietis.faults.SIGNATURE_INVALID], [0, 1]);
  });

  it('simulator: answers an unsigned request with a signed SIGNATURE_INVALID fault', async () => {
    const r = await raw(doc(), null);
    assert.equal(r.status, 500);
    assert.deepEqual([r.fault?.faultcode, r.fault?.errorCode], ['Client', 'SIGNATURE_INVALID']);
    assert.match(r.fault!.faultstring, /unsigned/);
    assert.equal(lietis.received.size, 0);
  });

  it('refuses an answer not signed with LIETIS\'s registered certificate, for good', async () => {
    const e = await failure(delivery.deliver(req(), { ...target, certPem: stranger.certPem }, OPTS));
    assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_SIGNATURE', false]);
    assert.match(e.message, /certificate of lietis-daugavpils in partners\.yaml/);
  });

  it('is refused for good (INVALID_REQUEST naming the element) for a profile the XSD does not allow, as xmllint refuses it', async () => {
    exchanges.length = 0;
    const e = await failure(delivery.deliver(req(nextId(), { ...DAUGAVPILS, profilingGroup: 4 as never }), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', false, 'INVALID_REQUEST']);
    assert.match(e.message, /Profile\/ProfilingGroup: "4" is not one of 1, 2, 3/);
    assert.equal(xmllint(scratch, XSD('lietis-inbound.xsd'), soapPayloadOf(exchanges[0].requestXml)).ok, false);
  });

  it('maps LIETIS\'s other faults: ACCESS_DENIED final even as soap:Server, UNAVAILABLE and unknown soap:Server codes retried', async () => {
    // lietis.md documents no fault codes and the simulator sends none of these, so a stand-in LIETIS answers them.
    const lietisId = await createSigningIdentity('LIETIS stand-in');
    let next: SoapFault = { faultcode: 'Server', faultstring: '', errorCode: '' };
    const standIn = http.createServer((req, res) => {
      req.resume().on('end', () => res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(signSoapBody(soapFault(LIETIS_INBOUND_NS, next), lietisId)));
    });
    await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
    const at = { ...target, endpoint: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/inbound/LietisInbound`, certPem: lietisId.certPem };
    try {
      for (const [fault, code, retryable] of [
        [{ faultcode: 'Server', faultstring: 'municipality 0002000 is not yours', errorCode: 'ACCESS_DENIED' }, 'HUB_ERR_PARTNER_FAULT', false],
        [{ faultcode: 'Client', faultstring: 'maintenance', errorCode: 'UNAVAILABLE' }, 'HUB_ERR_PARTNER_UNAVAILABLE', true],
        [{ faultcode: 'Server', faultstring: 'database locked', errorCode: 'DB_LOCK' }, 'HUB_ERR_PARTNER_FAULT', true],
        [{ faultcode: 'Client', faultstring: 'unknown client', errorCode: 'NO_SUCH_CLIENT' }, 'HUB_ERR_PARTNER_FAULT', false],
      ] as const) {
        next = fault;
        const e = await failure(delivery.deliver(req(), at, OPTS));
        assert.deepEqual([e.code, e.retryable, e.details.partnerCode], [code, retryable, fault.errorCode]);
        assert.ok(e.message.includes(`lietis-daugavpils (LIETIS) refused notification`) && e.message.includes(fault.faultstring), e.message);
      }
    } finally {
      standIn.closeAllConnections();
      await new Promise((r) => standIn.close(r));
    }
  });

  it('does not send without LIETIS\'s certificate in partners.yaml (final, names the setting)', async () => {
    const e = await failure(delivery.deliver(req(), { ...target, certPem: undefined }, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.field], ['HUB_ERR_PARTNER_NOT_CONFIGURED', false, 'certificate']);
    assert.equal(lietis.requests, 0);
  });

  it('retries while LIETIS refuses connections, and delivers once it is back', async () => {
    const id = nextId();
    await delivery.deliver(req(), target, OPTS);
    await lietis.refuseConnections(true);
    try {
      const e = await failure(delivery.deliver(req(id), target, OPTS));
      assert.deepEqual([e.code, e.retryable, e.details.errno], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 'ECONNREFUSED']);
      assert.match(e.message, /lietis-daugavpils cannot be reached.*notify\.endpoint/);
    } finally {
      await lietis.refuseConnections(false);
    }
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
    assert.deepEqual(lietis.received.get(id), expected(id));
  });

  it('retries an HTTP 503 without SOAP, and delivers once LIETIS answers again', async () => {
    const id = nextId();
    lietis.switches.status5xx = true;
    const e = await failure(delivery.deliver(req(id), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 503]);
    lietis.switches.status5xx = false;
    assert.deepEqual(await delivery.deliver(req(id), target, OPTS), { duplicate: false });
    assert.equal(lietis.received.size, 1);
  });

  it('retries when LIETIS does not answer within the deadline, and delivers once it does', async () => {
    const id = nextId();
    lietis.switches.timeout = true;
    const t0 = Date.now();
    const e = await failure(delivery.deliver(req(id), target, { timeoutMs: 250 }));
    assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
    assert.ok(Date.now() - t0 < 2000);
    lietis.switches.timeout = false;
    lietis.switches.latencyMs = 100;
    assert.deepEqual(await delivery.deliver(req(id), target, { timeoutMs: 2000 }), { duplicate: false });
  });

  it('simulator: accepts and refuses exactly what xmllint does with lietis-inbound.xsd', async () => {
    const cases: [name: string, payload: string, fault?: RegExp][] = [
      ['valid', doc()],
      ['an offset on UpdatedAt and a zone on RegisteredOn', doc({ profile: profile({ UpdatedAt: '2026-11-20T10:15:00.5+02:00', RegisteredOn: '2026-03-02Z' }) })],
      ['a NotificationId with surrounding whitespace (xs:token)', doc({ id: `  ${nextId()}\n` })],
      ['a NotificationId over 100 characters', doc({ id: 'x'.repeat(101) }), /^NotificationId: /],
      ['another Type', doc({ type: 'burvis.coparticipation' }), /^Type: /],
      ['a Type with whitespace (xs:string keeps it)', doc({ type: ' burvis.profile' }), /^Type: /],
      ['a six-digit Municipality', doc({ municipality: '202000' }), /^Municipality: /],
      ['a hyphenated PersonCode', doc({ profile: profile({ PersonCode: `${PROFILE.personCode.slice(0, 6)}-${PROFILE.personCode.slice(6)}` }) }), /^Profile\/PersonCode: /],
      ['an unknown Status', doc({ profile: profile({ Status: 'EMPLOYED' }) }), /^Profile\/Status: /],
      ['30 February', doc({ profile: profile({ RegisteredOn: '2026-02-30' }) }), /^Profile\/RegisteredOn: /],
      ['ProfilingGroup 0', doc({ profile: profile({ ProfilingGroup: '0' }) }), /^Profile\/ProfilingGroup: /],
      ['UpdatedAt without seconds', doc({ profile: profile({ UpdatedAt: '2026-11-20T08:15Z' }) }), /^Profile\/UpdatedAt: /],
      ['a missing Status', doc({ profile: profile({ Status: undefined }) }), /^Profile\/Status: expected here .* found RegisteredOn$/],
      ['an extra element', doc({ profile: `${profile()}<Note>x</Note>` }), /^Profile\/Note: is not allowed/],
      ['an attribute', doc({ profileAttr: ' version="2"' }), /^Profile: attribute version/],
      ['elements out of order', doc().replace(/<Type>.*?<\/Type>(<Municipality>.*?<\/Municipality>)/, '$1<Type>burvis.profile</Type>'), /^Type: expected here/],
      ['another namespace', doc().replace(LIETIS_INBOUND_NS, 'urn:lv:daugavpils:lietis:inbound:2'), /^Body: /],
    ];
    for (const [name, payload, fault] of cases) {
      const lint = xmllint(scratch, XSD('lietis-inbound.xsd'), payload);
      const r = await raw(payload);
      assert.equal(lint.ok, !fault, `xmllint on ${name}: ${lint.out}`);
      if (fault) {
        assert.deepEqual([r.status, r.fault?.faultcode, r.fault?.errorCode], [500, 'Client', 'INVALID_REQUEST'], name);
        assert.match(r.fault!.faultstring, fault, name);
      } else {
        assert.deepEqual([r.status, r.fault], [200, undefined], `${name}: ${r.fault?.faultstring}`);
      }
    }
    assert.equal(lietis.received.size, 3);
  });

  it('simulator: serves its WSDL at ?wsdl with its own address, and the XSD it imports', async () => {
    const wsdl = await (await fetch(`${lietis.url}?wsdl`)).text();
    assert.match(wsdl, /<wsdl:definitions name="LietisInbound"/);
    assert.ok(wsdl.includes(`<soap:address location="${lietis.url}"/>`));
    const xsd = await fetch(new URL('../xsd/lietis-inbound.xsd', lietis.url));
    assert.equal(xsd.status, 200);
    assert.match(await xsd.text(), /targetNamespace="urn:lv:daugavpils:lietis:inbound:1"/);
  });
});
