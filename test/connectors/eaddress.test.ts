/**
 * The official e-address connector (docs/partners/eaddress.md): the delivery component against the
 * e-address simulator over real sockets, then through a hub's outbox, where a recipient without an
 * e-address ends `undeliverable` (audited, neither retried nor dead-lettered) and an outage is retried.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, makePersonCode, type Delivery, type DeliveryTarget, type EAddressMessage } from '../../engine/index.ts';
import { eaddressSendMessage } from '../../connectors/eaddress/index.ts';
import { startEAddressSimulator, type EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { getDelivery, listDeliveries } from '../../store/index.ts';
import { startTestHub, testSigningIdentity, TEST_PARTNERS, type TestHub } from '../helpers/hub.ts';
import { eventually } from '../agencies/fixture.ts';
import { failure } from '../soap/tools.ts';

const logger = createLogger({ level: 'silent' });
const PERSON = makePersonCode({ year: 1981, month: 4, day: 9 }, 311);
const NO_EADDRESS = makePersonCode({ year: 1950, month: 1, day: 2 }, 107);
const OPTS = { timeoutMs: 3000 };
let seq = 0;
const nextId = (): string => `eaddress-send-message-${process.pid}-${++seq}`;

const message = (personCode = PERSON, over: Partial<EAddressMessage> = {}): EAddressMessage => ({
  kind: 'decision-notice', recipient: { personCode }, personCode, municipality: '0001000', cause: `decision:0001000/sopa/T-${++seq}`,
  subject: 'Pieņemts lēmums', text: 'Rīgas valstspilsētas pašvaldība pieņēma lēmumu. Statusu skatiet Latvija.lv.', ...over,
});

describe('the e-address connector: eaddress/send-message and its simulator', function () {
  this.timeout(30_000);
  let ea: EAddressSimulator;
  let delivery: Delivery<EAddressMessage>;
  let target: DeliveryTarget;
  const req = (deliveryId = nextId(), item = message()) => ({ deliveryId, municipality: '0001000', item });

  before(async () => {
    ea = await startEAddressSimulator({ withoutEAddress: [NO_EADDRESS] });
    delivery = eaddressSendMessage.create({}, { identity: await testSigningIdentity(), logger });
    target = { partnerId: 'eaddress', endpoint: ea.url, token: ea.token };
  });
  afterEach(() => { ea.reset(); });
  after(async () => {
    await delivery.close();
    await ea.close();
  });

  it('declares itself a delivery of eaddress.message to one agency, the e-address', () => {
    assert.deepEqual([eaddressSendMessage.name, eaddressSendMessage.system, eaddressSendMessage.receiver, eaddressSendMessage.accepts],
      ['eaddress/send-message', 'eaddress', 'agency', 'eaddress.message']);
  });

  it('sends the body eaddress.md defines (messageId = the delivery id), 201 with a ref; a repeat is 200 with the same ref', async () => {
    const id = nextId();
    const item = message();
    const first = await delivery.deliver(req(id, item), target, OPTS);
    assert.equal(first.duplicate, false);
    assert.match(first.ref ?? '', /^EA-\d{8}$/);
    const [got] = ea.inbox();
    assert.deepEqual({ ...got, ref: undefined, receivedAt: undefined },
      { messageId: id, recipient: { personCode: PERSON }, kind: 'decision-notice', subject: item.subject, text: item.text, ref: undefined, receivedAt: undefined });
    assert.ok(!('cause' in got) && !('personCode' in got), 'the hub\'s bookkeeping does not travel');
    assert.deepEqual(await delivery.deliver(req(id, item), target, OPTS), { duplicate: true, ref: first.ref });
    assert.deepEqual([ea.inbox().length, ea.stats.received, ea.stats.duplicates, ea.stats.conflicts], [1, 1, 1, 0]);
    assert.deepEqual(ea.byRecipient(PERSON).map((m) => m.messageId), [id]);
  });

  it('a recipient without an e-address is an answer, not a fault: undeliverable with the reason', async () => {
    const out = await delivery.deliver(req(nextId(), message(NO_EADDRESS)), target, OPTS);
    assert.equal(out.duplicate, false);
    assert.match(out.undeliverable ?? '', /NO_EADDRESS/);
    assert.deepEqual([ea.inbox().length, ea.stats.noEAddress], [0, 1]);
  });

  it('sends attachments, and the e-address refuses more than 10 MB of them with a final fault naming the field', async () => {
    const small = { name: 'lemums.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 test').toString('base64') };
    assert.equal((await delivery.deliver(req(nextId(), message(PERSON, { attachments: [small] })), target, OPTS)).duplicate, false);
    assert.deepEqual(ea.inbox()[0].attachments, [small]);
    const big = { name: 'liels.bin', contentType: 'application/octet-stream', data: Buffer.alloc(10 * 1024 * 1024 + 1).toString('base64') };
    const e = await failure(delivery.deliver(req(nextId(), message(PERSON, { attachments: [big] })), target, { timeoutMs: 10_000 }));
    assert.deepEqual([e.code, e.retryable, e.details.status, e.details.field], ['HUB_ERR_PARTNER_FAULT', false, 400, 'attachments']);
    assert.equal(ea.inbox().length, 1);
  });

  it('refuses a wrong token (401) with a final error naming the setting, and does not send without one', async () => {
    let e = await failure(delivery.deliver(req(), { ...target, token: 'wrong' }, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status], ['HUB_ERR_PARTNER_FAULT', false, 401]);
    assert.match(e.message, /notify\.token of eaddress/);
    e = await failure(delivery.deliver(req(), { ...target, token: undefined }, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.field], ['HUB_ERR_PARTNER_NOT_CONFIGURED', false, 'notify.token']);
    assert.equal(ea.stats.requests, 1);
  });

  it('an invalid message (400) is final and names the field', async () => {
    const e = await failure(delivery.deliver(req(nextId(), message(PERSON, { subject: '' })), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.field, e.details.partnerCode], ['HUB_ERR_PARTNER_FAULT', false, 'subject', 'INVALID_MESSAGE']);
  });

  it('an outage (503) and an unreachable e-address are retryable; the message then arrives once', async () => {
    const id = nextId();
    ea.switches.outage = true;
    let e = await failure(delivery.deliver(req(id), target, OPTS));
    assert.deepEqual([e.code, e.retryable, e.details.status, e.details.retryAfterSeconds], ['HUB_ERR_PARTNER_UNAVAILABLE', true, 503, 5]);
    ea.switches.outage = false;
    await ea.refuseConnections(true);
    try {
      e = await failure(delivery.deliver(req(id), target, OPTS));
      assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_UNAVAILABLE', true]);
    } finally {
      await ea.refuseConnections(false);
    }
    assert.equal((await delivery.deliver(req(id), target, OPTS)).duplicate, false);
    assert.equal(ea.inbox().length, 1);
  });

  it('a caller that gives up during the latency finds its message kept: the retry is a duplicate', async () => {
    const id = nextId();
    ea.switches.latencyMs = 600;
    const e = await failure(delivery.deliver(req(id), target, { timeoutMs: 200 }));
    assert.deepEqual([e.code, e.retryable], ['HUB_ERR_PARTNER_TIMEOUT', true]);
    ea.switches.latencyMs = 0;
    assert.equal((await delivery.deliver(req(id), target, OPTS)).duplicate, true);
    assert.deepEqual([ea.inbox().length, ea.stats.duplicates], [1, 1]);
  });

  it('simulator: malformed requests get a JSON error naming the field', async () => {
    const post = (body: unknown) => fetch(ea.url, {
      method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${ea.token}`, 'content-type': 'application/json' },
    });
    const base = { messageId: 'm-1', recipient: { personCode: PERSON }, kind: 'decision-notice', subject: 's', text: 't' };
    const fieldOf = async (body: unknown): Promise<[number, string]> => { const r = await post(body); return [r.status, ((await r.json()) as { error: { field: string } }).error.field]; };
    assert.deepEqual(await fieldOf({ ...base, recipient: { personCode: PERSON, regNo: '40003000000' } }), [400, 'recipient']);
    assert.deepEqual(await fieldOf({ ...base, recipient: { personCode: '12345' } }), [400, 'recipient.personCode']);
    assert.deepEqual(await fieldOf({ ...base, kind: 'letter' }), [400, 'kind']);
    assert.deepEqual(await fieldOf({ ...base, messageId: 'a b' }), [400, 'messageId']);
    assert.deepEqual(await fieldOf({ ...base, attachments: [{ name: 'x', contentType: 'text/plain', data: 'not base64!' }] }), [400, 'attachments[0].data']);
    const r = await post({ ...base, recipient: { regNo: '40003000000' } });
    assert.equal(r.status, 201);
    assert.equal(ea.byRecipient('40003000000').length, 1);
  });
});

describe('the e-address through the hub\'s outbox', function () {
  this.timeout(60_000);
  let ea: EAddressSimulator;
  let hub: TestHub;
  const db = () => hub.hub.store.db;
  const route = () => hub.hub.config.routes.find((r) => r.id === 'portal-decision-notices')!;
  const send = (items: EAddressMessage[]) => hub.hub.flows.apply(route(), 'eaddress.message', items, { routeId: route().id, actor: 'hub', origin: 'push' });

  before(async () => {
    ea = await startEAddressSimulator({ withoutEAddress: [NO_EADDRESS] });
    const dir = mkdtempSync(join(tmpdir(), 'spolis-eaddress-'));
    writeFileSync(join(dir, 'partners.yaml'), readFileSync('routes/partners.yaml'));
    writeFileSync(join(dir, 'portal-decision-notices.yaml'), readFileSync('routes/portal-decision-notices.yaml', 'utf8')
      .replace(/^onError:.*$/m, 'onError: { retry: { attempts: 6, backoff: exponential, delay: 200ms, maxDelay: 1s }, deadLetter: true }'));
    hub = await startTestHub({
      configDir: dir,
      partners: [...TEST_PARTNERS, { id: 'eaddress', system: 'eaddress', keyHashes: [], endpoint: ea.url, notify: { endpoint: ea.url, token: ea.token } }],
    });
  });
  after(async () => {
    await hub?.stop();
    await ea?.close();
  });

  it('delivers a message once, and records the e-address\'s ref', async () => {
    const m = message();
    await send([m]);
    await eventually(() => ea.inbox().length === 1, 10_000, 'the message at the e-address');
    const [row] = await listDeliveries(db(), { routeId: 'portal-decision-notices' });
    await eventually(async () => (await getDelivery(db(), row.id))?.status === 'delivered', 5_000, 'marked delivered');
    const done = (await getDelivery(db(), row.id))!;
    assert.deepEqual([done.ref, done.attempts, done.partnerId, done.subject], [ea.inbox()[0].ref, 1, 'eaddress', PERSON]);
    assert.equal(ea.inbox()[0].messageId, row.id);
    await send([m]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ea.stats.requests, 1, 'the same item again is the same delivery: nothing is sent');
  });

  it('a recipient without an e-address ends undeliverable after one attempt: no retry, no dead letter, an audit row', async () => {
    await send([message(NO_EADDRESS)]);
    const find = async () => (await listDeliveries(db(), { routeId: 'portal-decision-notices' })).find((d) => d.subject === NO_EADDRESS);
    await eventually(async () => (await find())?.status === 'undeliverable', 10_000, 'the delivery undeliverable');
    await new Promise((r) => setTimeout(r, 1500));
    const row = (await find())!;
    assert.deepEqual([row.status, row.attempts], ['undeliverable', 1]);
    assert.match(row.error ?? '', /NO_EADDRESS/);
    assert.equal(ea.stats.noEAddress, 1, 'asked once, never again');
    const dead = await db().query(`SELECT count(*)::int AS n FROM dead_letters WHERE job_id = $1`, [row.id]);
    assert.equal(Number(dead.rows[0].n), 0);
    const audit = await db().query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE details->>'deliveryId' = $1 ORDER BY seq`, [row.id]);
    assert.deepEqual(audit.rows.map((a) => a.outcome), ['attempt 1', 'undeliverable']);
  });

  it('an outage is retried and the message arrives once the e-address is back', async () => {
    ea.switches.outage = true;
    const before = ea.inbox().length;
    await send([message()]);
    await eventually(async () => (await listDeliveries(db(), { routeId: 'portal-decision-notices', status: 'pending' })).some((d) => d.attempts >= 2), 10_000, 'two failed attempts');
    ea.switches.outage = false;
    await eventually(() => ea.inbox().length === before + 1, 15_000, 'the message after the outage');
    assert.equal(ea.stats.duplicates, 0);
  });
});
