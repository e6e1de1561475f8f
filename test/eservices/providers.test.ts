/**
 * The social service providers register (issue 13, e-service 1; docs/partners/portal-providers.md):
 * end to end through the portal simulator (apply, the Ministry's decision, the public lookup,
 * amendments, withdrawals, refusals), the e-address notice of each decision, the access matrix,
 * and cross-check 10 against hand-counted fixtures on both store backends.
 */
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { KEYS, ESERVICE_KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { BACKENDS, openTestStore, type TestStore } from '../helpers/store.ts';
import { applyRecords, R, J } from '../ministry/fixture.ts';
import type { PortalSimulator } from '../../connectors/portal/sandbox.ts';
import type { EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { listDeliveries, monthlyChecks, type Db } from '../../store/index.ts';
import { PROVIDERS_NOT_LOADED } from '../../store/checks.ts';
import { uncoveredDays } from '../../store/check-provider-rules.ts';
import {
  applyForRegistration, amendApplication, decideApplication, registeredOn, withdrawRegistration, type Decision, type ProviderApplicationInput,
} from '../../store/providers.ts';
import { todayInRiga } from '../../eservices/providers/input.ts';
import type { ServiceDecision } from '../../schemas/canonical/model.ts';
import { startEServiceBed, type EServiceBed } from '../helpers/eservices.ts';

const PATH = '/api/v1/providers';
const ROUTE = 'portal-providers';
/** Representatives (valid person codes: one old-style, one new-style). */
const REP = { A: '16117519997', B: '32579461005' } as const;

const today = todayInRiga();
const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const tomorrow = addDays(today, 1);

let serial = 1000;
/** A registration code of a legal person no other test uses. */
const freshRegNo = (): string => `4000${String(serial++).padStart(7, '0')}`;

const application = (regNo: string, more: Record<string, unknown> = {}) => ({
  regNo, name: `SIA Aprūpe ${regNo.slice(-4)}`, requestedStart: tomorrow,
  services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'Brīvības iela 1, Rīga', atvk: R }, { address: 'Lielā iela 2, Jelgava', atvk: J }] }],
  contact: { email: `info${regNo.slice(-4)}@aprupe.lv`, phone: '+371 67000000' },
  ...more,
});

describe('e-service: social service providers register (portal-providers)', function () {
  this.timeout(180_000);
  let h: TestHub;
  let portal: PortalSimulator;
  let eaddress: EAddressSimulator;

  let bed: EServiceBed | undefined;

  before(async () => {
    bed = await startEServiceBed();
    ({ hub: h, portal, eaddress: eaddress } = bed);
  });
  after(async () => { await bed?.stop(); });

  const db = (): Db => h.hub.store.db;
  const as = (regNo: string, rep: string = REP.A) => ({ personCode: rep, org: regNo });
  const apply = (regNo: string, body: unknown = application(regNo), rep: string = REP.A, jti?: string) =>
    portal.call<any>(h.url, ESERVICE_KEYS.portal, as(regNo, rep), 'POST', `${PATH}/applications`, body, jti ? { jti } : undefined);
  const amend = (regNo: string, body: unknown) => portal.call<any>(h.url, ESERVICE_KEYS.portal, as(regNo), 'PUT', `${PATH}/${regNo}/application`, body);
  const withdraw = (regNo: string, body: unknown = {}) => portal.call<any>(h.url, ESERVICE_KEYS.portal, as(regNo), 'POST', `${PATH}/${regNo}/withdrawal`, body);
  const mine = (regNo: string) => portal.call<any>(h.url, ESERVICE_KEYS.portal, as(regNo), 'GET', `${PATH}/applications`);
  const ministry = (method: string, path: string, json?: unknown) => call(h.url, method, path, { key: KEYS['lm-analytics'], ...(json !== undefined ? { json } : {}) });
  const decide = (id: string, json: unknown) => ministry('POST', `${PATH}/applications/${id}/decision`, json);
  const lookup = (query: string) => call(h.url, 'GET', `${PATH}?${query}`);
  const regNosIn = (r: { body: { items: { regNo: string }[] } }) => r.body.items.map((i) => i.regNo);
  const readAudits = async (subject: string) => Number((await db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_log WHERE service = 'eservice:providers' AND subject = $1 AND outcome = 'read'`, [subject])).rows[0].n);
  /** Until the e-address holds `n` messages for this provider. */
  const inboxOf = async (regNo: string, n: number) => {
    const until = Date.now() + 30_000;
    while (eaddress.byRecipient(regNo).length < n) {
      if (Date.now() > until) assert.fail(`the e-address holds ${eaddress.byRecipient(regNo).length} messages for ${regNo}, expected ${n}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return eaddress.byRecipient(regNo);
  };
  /** Applies and has the Ministry approve from `from`: the provider is registered. */
  const registered = async (regNo: string, body: unknown = application(regNo), from = addDays(today, -30)) => {
    const a = await apply(regNo, body);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const d = await decide(a.body.id, { decision: 'approve', validFrom: from });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    return a.body.id as string;
  };

  it('takes an application, the Ministry approves it with a term, and the public lookup finds it without a key', async () => {
    const regNo = freshRegNo();
    const a = await apply(regNo, application(regNo), REP.A, 'jti-apply-0001');
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.match(a.body.id, /^\d+$/);
    assert.deepEqual([a.body.status, a.body.kind, a.body.regNo, a.body.version, a.body.representative], ['applied', 'registration', regNo, 1, undefined]);
    const again = await apply(regNo, application(regNo), REP.A, 'jti-apply-0001');
    assert.deepEqual([again.status, again.body.id], [200, a.body.id], 'the same jti is the same submission');

    // The provider sees its application; nothing is public before the Ministry decides.
    const own = await mine(regNo);
    assert.deepEqual(own.body.items.map((x: any) => [x.id, x.status]), [[a.body.id, 'applied']]);
    assert.deepEqual(regNosIn(await lookup('service=HOME_CARE&municipality=0001000')).filter((x) => x === regNo), []);

    // The Ministry sees who applied: the representative's person code, one audit row per read.
    const before = await readAudits(REP.A);
    const pending = await ministry('GET', `${PATH}/applications?status=applied&regNo=${regNo}`);
    assert.equal(pending.status, 200, JSON.stringify(pending.body));
    assert.deepEqual(pending.body.items.map((x: any) => [x.id, x.representative]), [[a.body.id, REP.A]]);
    assert.equal(await readAudits(REP.A), before + 1);

    const from = addDays(today, -10);
    const d = await decide(a.body.id, { decision: 'approve', validFrom: from, validTo: addDays(today, 365 * 5) });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual([d.body.status, d.body.decision.validFrom, d.body.decision.validTo], ['approved', from, addDays(today, 365 * 5)]);

    const found = await lookup('service=HOME_CARE&municipality=0001000');
    assert.equal(found.status, 200, JSON.stringify(found.body));
    const item = found.body.items.find((i: any) => i.regNo === regNo);
    assert.deepEqual(item, {
      regNo, name: `SIA Aprūpe ${regNo.slice(-4)}`, contact: { email: `info${regNo.slice(-4)}@aprupe.lv`, phone: '+371 67000000' },
      services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'Brīvības iela 1, Rīga', atvk: R, validFrom: from, validTo: addDays(today, 365 * 5) }] }],
    });
    assert.ok(regNosIn(await lookup('service=HOME_CARE&municipality=0003000')).includes(regNo), 'Jelgava too');
    assert.ok(!regNosIn(await lookup('service=HOME_CARE&municipality=0002000')).includes(regNo), 'not Daugavpils');
    assert.ok(!regNosIn(await lookup('service=DAY_CENTRE&municipality=0001000')).includes(regNo), 'not another service');
    assert.ok(!regNosIn(await lookup(`service=HOME_CARE&municipality=0001000&date=${addDays(from, -1)}`)).includes(regNo), 'not before its term');
    assert.equal(await registeredOn(db(), regNo, 'HOME_CARE', today), true);
    assert.equal(await registeredOn(db(), regNo, 'HOME_CARE', addDays(from, -1)), false);

    const entry = await call(h.url, 'GET', `${PATH}/${regNo}`);
    assert.equal(entry.status, 200, JSON.stringify(entry.body));
    assert.equal(entry.body.registered, true);
    assert.deepEqual(entry.body.terms.map((t: any) => [t.serviceType, t.atvk, t.validFrom]), [['HOME_CARE', R, from], ['HOME_CARE', J, from]]);

    const [notice] = await inboxOf(regNo, 1);
    assert.equal(notice.kind, 'decision-notice');
    assert.match(notice.subject, new RegExp(`Nr\\. ${a.body.id} apstiprināts`));
    assert.match(notice.text, new RegExp(`reģistrēts no ${from} līdz ${addDays(today, 365 * 5)}`));
    assert.ok(!h.logs.join('').includes(REP.A), 'no person code in the logs');
  });

  it('refuses with a reason (required), notifies it, and lets the provider apply again', async () => {
    const regNo = freshRegNo();
    const a = await apply(regNo);
    const noReason = await decide(a.body.id, { decision: 'refuse' });
    assert.deepEqual([noReason.status, noReason.body.error.code, noReason.body.error.field], [400, 'HUB_ERR_PROVIDER_INVALID', 'reason']);
    const blank = await decide(a.body.id, { decision: 'refuse', reason: '   ' });
    assert.deepEqual([blank.status, blank.body.error.field], [400, 'reason']);

    const reason = 'Nav iesniegti dokumenti par telpu atbilstību higiēnas prasībām.';
    const r = await decide(a.body.id, { decision: 'refuse', reason });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.status, r.body.decision.reason], ['refused', reason]);
    assert.equal((await decide(a.body.id, { decision: 'refuse', reason })).status, 200, 'the same decision again changes nothing');
    const other = await decide(a.body.id, { decision: 'approve', validFrom: today });
    assert.deepEqual([other.status, other.body.error.code], [409, 'HUB_ERR_PROVIDER_CONFLICT']);
    assert.equal((await mine(regNo)).body.items[0].decision.reason, reason, 'the provider sees the reason');
    assert.ok(!regNosIn(await lookup('service=HOME_CARE')).includes(regNo));

    const [notice] = await inboxOf(regNo, 1);
    assert.match(notice.subject, /noraidīts$/);
    assert.ok(notice.text.includes(`Pamatojums: ${reason}`));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(eaddress.byRecipient(regNo).length, 1, 'one notice per decision, whatever the repeats');
    const decided = async () => (await listDeliveries(db(), { routeId: ROUTE })).filter((x) => (x.payload as { cause: string }).cause === `provider-decision:${a.body.id}`);
    for (const until = Date.now() + 30_000; (await decided()).some((x) => x.status === 'pending') && Date.now() < until;) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual((await decided()).map((x) => x.status), ['delivered']);

    const again = await apply(regNo);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.notEqual(again.body.id, a.body.id);
  });

  it('amends: a pending application is replaced; an approved one gets a pending amendment the Ministry decides', async () => {
    const regNo = freshRegNo();
    const a = await apply(regNo);
    const replaced = await amend(regNo, application(regNo, { name: 'SIA Jaunais nosaukums' }));
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.deepEqual([replaced.body.id, replaced.body.version, replaced.body.name, replaced.body.status], [a.body.id, 2, 'SIA Jaunais nosaukums', 'applied']);
    assert.equal((await mine(regNo)).body.total, 1, 'still one application');
    await decide(a.body.id, { decision: 'approve', validFrom: addDays(today, -100) });

    // While registered: an amendment adds DAY_CENTRE in Rīga and drops Jelgava's home care.
    const changed = application(regNo, {
      name: 'SIA Jaunais nosaukums',
      services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'Brīvības iela 1, Rīga', atvk: R }] },
        { serviceType: 'DAY_CENTRE', addresses: [{ address: 'Tērbatas iela 5, Rīga', atvk: R }] }],
    });
    const m = await amend(regNo, changed);
    assert.equal(m.status, 201, JSON.stringify(m.body));
    assert.deepEqual([m.body.kind, m.body.status], ['amendment', 'applied']);
    // Until the Ministry decides, the approved services stay in force as they were.
    assert.ok(regNosIn(await lookup('service=HOME_CARE&municipality=0003000')).includes(regNo));
    assert.ok(!regNosIn(await lookup('service=DAY_CENTRE&municipality=0001000')).includes(regNo));
    const m2 = await amend(regNo, changed);
    assert.deepEqual([m2.status, m2.body.id, m2.body.version], [200, m.body.id, 2], 'a pending amendment is replaced too');

    const back = await decide(m.body.id, { decision: 'approve', validFrom: addDays(today, -1) });
    assert.deepEqual([back.status, back.body.error.code, back.body.error.field], [409, 'HUB_ERR_PROVIDER_CONFLICT', 'validFrom'], 'the register\'s past is not rewritten');
    const d = await decide(m.body.id, { decision: 'approve', validFrom: tomorrow });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    // Today the old services; from tomorrow the amended ones.
    assert.ok(regNosIn(await lookup('service=HOME_CARE&municipality=0003000')).includes(regNo));
    assert.ok(!regNosIn(await lookup(`service=HOME_CARE&municipality=0003000&date=${tomorrow}`)).includes(regNo));
    assert.ok(regNosIn(await lookup(`service=DAY_CENTRE&municipality=0001000&date=${tomorrow}`)).includes(regNo));
    assert.ok(regNosIn(await lookup(`service=HOME_CARE&municipality=0001000&date=${tomorrow}`)).includes(regNo));

    const entry = (await call(h.url, 'GET', `${PATH}/${regNo}`)).body;
    assert.deepEqual(entry.terms.map((t: any) => [t.serviceType, t.atvk, t.validFrom, t.validTo ?? null, t.endedBy ?? null]), [
      ['DAY_CENTRE', R, tomorrow, null, null],
      ['HOME_CARE', R, addDays(today, -100), today, 'amendment'],
      ['HOME_CARE', J, addDays(today, -100), today, 'amendment'],
      ['HOME_CARE', R, tomorrow, null, null],
    ]);
    assert.deepEqual((await mine(regNo)).body.items.map((x: any) => [x.kind, x.status]), [['registration', 'superseded'], ['amendment', 'approved']]);

    // A refused amendment leaves the registration as it is.
    const m3 = await amend(regNo, application(regNo, { services: [{ serviceType: 'SHELTER', addresses: [{ address: 'Maskavas iela 9, Rīga', atvk: R }] }] }));
    assert.equal(m3.status, 201);
    assert.equal((await decide(m3.body.id, { decision: 'refuse', reason: 'Patversmei nav atļaujas.' })).status, 200);
    assert.ok(regNosIn(await lookup(`service=DAY_CENTRE&municipality=0001000&date=${tomorrow}`)).includes(regNo));
    const [, , refusal] = await inboxOf(regNo, 3);
    assert.match(refusal.text, /Iepriekš reģistrētie pakalpojumi paliek spēkā/);
  });

  it('withdraws: every service\'s term ends on the withdrawal date, and the provider may apply again', async () => {
    const regNo = freshRegNo();
    const id = await registered(regNo);
    const inAWeek = addDays(today, 7);
    const past = await withdraw(regNo, { date: addDays(today, -1) });
    assert.deepEqual([past.status, past.body.error.field], [400, 'date']);
    const w = await withdraw(regNo, { date: inAWeek });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    assert.deepEqual(w.body, { regNo, status: 'withdrawn', withdrawnOn: inAWeek, applications: [id], termsEnded: 2 });
    assert.ok(regNosIn(await lookup(`service=HOME_CARE&date=${inAWeek}`)).includes(regNo), 'registered through the withdrawal date');
    assert.ok(!regNosIn(await lookup(`service=HOME_CARE&date=${addDays(inAWeek, 1)}`)).includes(regNo));
    const entry = (await call(h.url, 'GET', `${PATH}/${regNo}`)).body;
    assert.deepEqual(entry.terms.map((t: any) => [t.validTo, t.endedBy]), [[inAWeek, 'withdrawal'], [inAWeek, 'withdrawal']]);
    assert.deepEqual((await mine(regNo)).body.items.map((x: any) => [x.status, x.withdrawnOn]), [['withdrawn', inAWeek]]);

    assert.deepEqual([(await withdraw(regNo, { date: addDays(inAWeek, 1) })).status], [409], 'a withdrawal is not put off');
    // Withdrawn from next week, registered until then: an amendment, approved, would quietly undo
    // the withdrawal, so it is refused; to stay on after that day, the provider applies again.
    const amended = await amend(regNo, application(regNo));
    assert.equal(amended.status, 409, JSON.stringify(amended.body));
    assert.match(amended.body.error.message, new RegExp(`withdrew: it is registered through ${inAWeek} .*apply again`));
    const again = await apply(regNo);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const from = addDays(today, 3);
    assert.equal((await decide(again.body.id, { decision: 'approve', validFrom: from })).status, 200);
    assert.ok(regNosIn(await lookup(`service=HOME_CARE&date=${addDays(inAWeek, 1)}`)).includes(regNo), 'registered after the withdrawal date, by the new application');
    const after = (await call(h.url, 'GET', `${PATH}/${regNo}`)).body;
    const ends = after.terms.map((t: any) => [t.validTo ?? 'open', t.endedBy ?? '-']).sort();
    assert.deepEqual(ends, [[addDays(from, -1), 'amendment'], [addDays(from, -1), 'amendment'], ['open', '-'], ['open', '-']],
      'the withdrawn terms end the day before the new ones, which run on');

    // A pending application is withdrawn as it is; then the provider applies anew.
    const other = freshRegNo();
    const p = await apply(other);
    const w2 = await withdraw(other);
    assert.deepEqual([w2.status, w2.body.applications, w2.body.termsEnded, w2.body.withdrawnOn], [200, [p.body.id], 0, today]);
    assert.equal((await decide(p.body.id, { decision: 'approve', validFrom: today })).status, 409, 'a withdrawn application is not decided');
    assert.equal((await apply(other)).status, 201);
  });

  it('brings a withdrawal forward, never puts it off', async () => {
    const regNo = freshRegNo();
    const id = await registered(regNo);
    const inAWeek = addDays(today, 7);
    assert.equal((await withdraw(regNo, { date: inAWeek })).status, 200);
    const later = await withdraw(regNo, { date: addDays(inAWeek, 3) });
    assert.deepEqual([later.status, later.body.error.field], [409, 'date']);
    assert.match(later.body.error.message, new RegExp(`registered through ${inAWeek}: a withdrawal can be brought forward, not put off`));
    const sooner = await withdraw(regNo, { date: addDays(today, 2) });
    assert.equal(sooner.status, 200, JSON.stringify(sooner.body));
    assert.deepEqual(sooner.body, { regNo, status: 'withdrawn', withdrawnOn: addDays(today, 2), applications: [id], termsEnded: 2 });
    const entry = (await call(h.url, 'GET', `${PATH}/${regNo}`)).body;
    assert.deepEqual(entry.terms.map((t: any) => [t.validTo, t.endedBy]), [[addDays(today, 2), 'withdrawal'], [addDays(today, 2), 'withdrawal']]);
    assert.deepEqual((await mine(regNo)).body.items.map((x: any) => [x.status, x.withdrawnOn]), [['withdrawn', addDays(today, 2)]]);
    assert.ok(!regNosIn(await lookup(`service=HOME_CARE&date=${addDays(today, 3)}`)).includes(regNo));
  });

  it('answers conflicts with 409 and names the field of every invalid input, storing nothing', async () => {
    const regNo = freshRegNo();
    const count = async () => Number((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM provider_application WHERE reg_no = $1', [regNo])).rows[0].n);
    const svc = (s: unknown) => application(regNo, { services: [s] });
    const cases: [unknown, number, string][] = [
      [{ ...application(regNo), name: undefined }, 400, 'name'],
      [{ ...application(regNo), regNo: undefined }, 400, 'regNo'],
      [{ ...application(regNo), regNo: '40003' }, 400, 'regNo'],
      [{ ...application(regNo), regNo: '50003000001' }, 400, 'regNo'],
      [application(freshRegNo()), 403, 'regNo'],
      [application(regNo, { requestedStart: '2026-02-30' }), 400, 'requestedStart'],
      [application(regNo, { requestedStart: addDays(today, -1) }), 400, 'requestedStart'],
      [application(regNo, { contact: {} }), 400, 'contact'],
      [application(regNo, { contact: { email: 'not-an-address' } }), 400, 'contact.email'],
      [application(regNo, { contact: { phone: 'call me' } }), 400, 'contact.phone'],
      [application(regNo, { services: [] }), 400, 'services'],
      [svc({ serviceType: 'MASSAGE', addresses: [{ address: 'X 1', atvk: R }] }), 400, 'services[0].serviceType'],
      [svc({ serviceType: 'HOME_CARE', addresses: [] }), 400, 'services[0].addresses'],
      [svc({ serviceType: 'HOME_CARE', addresses: [{ address: 'X 1', atvk: '0010000' }] }), 400, 'services[0].addresses[0].atvk'],
      [svc({ serviceType: 'HOME_CARE', addresses: [{ address: ' ', atvk: R }] }), 400, 'services[0].addresses[0].address'],
      [svc({ serviceType: 'HOME_CARE', addresses: [{ address: 'X 1', atvk: R, floor: 2 }] }), 400, 'services[0].addresses[0].floor'],
      [application(regNo, { services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'X 1', atvk: R }] }, { serviceType: 'HOME_CARE', addresses: [{ address: 'X 2', atvk: R }] }] }), 400, 'services[1].serviceType'],
      [application(regNo, { licence: 'L-1' }), 400, 'licence'],
    ];
    for (const [body, status, field] of cases) {
      const r = await apply(regNo, body);
      assert.deepEqual([r.status, r.body.error?.field], [status, field], JSON.stringify(body));
      if (status === 400) assert.equal(r.body.error.code, 'HUB_ERR_PROVIDER_INVALID');
    }
    assert.equal(await count(), 0, 'nothing stored');

    // Two representatives applying at the same moment: one application, the other told why not.
    const both = await Promise.all([apply(regNo, application(regNo), REP.A), apply(regNo, application(regNo), REP.B)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
    assert.equal(await count(), 1);
    const a = both.find((r) => r.status === 201)!;
    const dup = await apply(regNo);
    assert.deepEqual([dup.status, dup.body.error.code], [409, 'HUB_ERR_PROVIDER_CONFLICT']);
    assert.match(dup.body.error.message, /PUT \/api\/v1\/providers\/\d+\/application/);
    assert.equal((await amend(freshRegNo(), application(regNo))).status, 403, 'another provider\'s path');
    const nothing = freshRegNo();
    assert.deepEqual([(await amend(nothing, application(nothing))).status, (await withdraw(nothing)).status], [409, 409]);

    for (const [json, field] of [[{ decision: 'maybe' }, 'decision'], [{ decision: 'approve' }, 'validFrom'], [{ decision: 'approve', validFrom: today, validTo: addDays(today, -1) }, 'validTo'],
      [{ decision: 'refuse', reason: 'x', validFrom: today }, 'validFrom'], [{ decision: 'approve', validFrom: today, reason: 'x' }, 'reason']] as const) {
      const r = await decide(a.body.id, json);
      assert.deepEqual([r.status, r.body.error.field], [400, field], JSON.stringify(json));
    }
    assert.deepEqual([(await decide('999999999', { decision: 'approve', validFrom: today })).status, (await decide('x1', { decision: 'approve', validFrom: today })).status], [404, 404]);
    assert.equal((await mine(regNo)).body.items[0].status, 'applied', 'the bad decisions changed nothing');

    for (const [query, field] of [['service=MASSAGE', 'service'], ['municipality=0010000', 'municipality'], ['limit=201', 'limit'], ['limit=0', 'limit'],
      ['offset=-1', 'offset'], ['date=2026-13-01', 'date'], ['sort=name', 'sort'], ['service=HOME_CARE&service=SHELTER', 'service']]) {
      const r = await lookup(query);
      assert.deepEqual([r.status, r.body.error?.code, r.body.error?.field], [400, 'HUB_ERR_PROVIDER_INVALID', field], query);
    }
    const none = await call(h.url, 'GET', `${PATH}/${freshRegNo()}`);
    assert.deepEqual([none.status, none.body.error.code], [404, 'HUB_ERR_PROVIDER_NOT_FOUND']);
  });

  it('pages the public lookup in the order of names, at most 200 a page', async () => {
    const regNos = [freshRegNo(), freshRegNo(), freshRegNo()];
    for (const [i, regNo] of regNos.entries()) {
      await registered(regNo, application(regNo, { name: `Paging ${i}`, services: [{ serviceType: 'SPECIALISED_WORKSHOP', addresses: [{ address: `Darbnīcu iela ${i}`, atvk: '0052000' }] }] }));
    }
    const q = 'service=SPECIALISED_WORKSHOP&municipality=0052000';
    const p1 = await lookup(`${q}&limit=2`);
    assert.deepEqual([p1.body.total, p1.body.limit, p1.body.offset, regNosIn(p1)], [3, 2, 0, regNos.slice(0, 2)]);
    const p2 = await lookup(`${q}&limit=2&offset=2`);
    assert.deepEqual([p2.body.total, regNosIn(p2)], [3, regNos.slice(2)]);
    assert.equal((await lookup(`${q}&limit=200`)).body.items.length, 3);
    const own = await portal.call<any>(h.url, ESERVICE_KEYS.portal, as(regNos[0]), 'GET', `${PATH}/applications?limit=1`);
    assert.deepEqual([own.body.total, own.body.items.length, own.body.limit], [1, 1, 1]);
  });

  it('lets each kind of caller do exactly its operations (access matrix)', async () => {
    const regNo = freshRegNo();
    const id = await registered(regNo);
    const other = freshRegNo();
    type Who = 'person' | 'provider' | 'other provider' | 'municipality' | 'institution' | 'ministry' | 'no key' | 'portal key, no assertion';
    const send = async (who: Who, method: string, path: string, body?: unknown): Promise<number> => {
      if (who === 'person') return (await portal.call(h.url, ESERVICE_KEYS.portal, { personCode: REP.B }, method, path, body)).status;
      if (who === 'provider') return (await portal.call(h.url, ESERVICE_KEYS.portal, as(regNo, REP.B), method, path, body)).status;
      if (who === 'other provider') return (await portal.call(h.url, ESERVICE_KEYS.portal, as(other, REP.B), method, path, body)).status;
      const key = { municipality: KEYS['sopa-riga'], institution: ESERVICE_KEYS.vsac, ministry: KEYS['lm-analytics'], 'no key': undefined, 'portal key, no assertion': ESERVICE_KEYS.portal }[who];
      return (await call(h.url, method, path, { ...(key ? { key } : {}), ...(body !== undefined ? { json: body } : {}) })).status;
    };
    const WHO: Who[] = ['person', 'provider', 'other provider', 'municipality', 'institution', 'ministry', 'no key', 'portal key, no assertion'];
    // Allowed: the status of doing it; 403 denied; 401 no key or no assertion. The other
    // provider is denied its neighbour's operations (403), or does not see them (404).
    const ops: [string, string, string, () => unknown, Record<Who, number>][] = [
      ['apply', 'POST', `${PATH}/applications`, () => application(regNo),
        { person: 403, provider: 409, 'other provider': 403, municipality: 403, institution: 403, ministry: 403, 'no key': 401, 'portal key, no assertion': 401 }],
      ['amend', 'PUT', `${PATH}/${regNo}/application`, () => application(regNo),
        { person: 403, provider: 201, 'other provider': 403, municipality: 403, institution: 403, ministry: 403, 'no key': 401, 'portal key, no assertion': 401 }],
      ['list applications', 'GET', `${PATH}/applications?regNo=${regNo}`, () => undefined,
        { person: 403, provider: 200, 'other provider': 403, municipality: 403, institution: 403, ministry: 200, 'no key': 401, 'portal key, no assertion': 401 }],
      ['read an application', 'GET', `${PATH}/applications/${id}`, () => undefined,
        { person: 403, provider: 200, 'other provider': 404, municipality: 403, institution: 403, ministry: 200, 'no key': 401, 'portal key, no assertion': 401 }],
      ['decide', 'POST', `${PATH}/applications/${id}/decision`, () => ({ decision: 'approve', validFrom: addDays(today, -30) }),
        { person: 403, provider: 403, 'other provider': 403, municipality: 403, institution: 403, ministry: 200, 'no key': 401, 'portal key, no assertion': 401 }],
      ['public lookup', 'GET', `${PATH}?service=HOME_CARE&municipality=0001000`, () => undefined,
        { person: 200, provider: 200, 'other provider': 200, municipality: 200, institution: 200, ministry: 200, 'no key': 200, 'portal key, no assertion': 200 }],
      ['public entry', 'GET', `${PATH}/${regNo}`, () => undefined,
        { person: 200, provider: 200, 'other provider': 200, municipality: 200, institution: 200, ministry: 200, 'no key': 200, 'portal key, no assertion': 200 }],
      ['withdraw', 'POST', `${PATH}/${regNo}/withdrawal`, () => ({}),
        { person: 403, provider: 200, 'other provider': 403, municipality: 403, institution: 403, ministry: 403, 'no key': 401, 'portal key, no assertion': 401 }],
    ];
    const got: Record<string, Record<string, number>> = {};
    const want: Record<string, Record<string, number>> = {};
    for (const [name, method, path, body, expected] of ops) {
      // The allowed caller goes last, so the denied ones meet the state the operation expects.
      const order = [...WHO].sort((a, b) => Number(expected[a] < 400) - Number(expected[b] < 400));
      got[name] = {};
      for (const who of order) got[name][who] = await send(who, method, path, body());
      want[name] = Object.fromEntries(order.map((w) => [w, expected[w]]));
    }
    assert.deepEqual(got, want);
  });

  it('reports check 10 in the Ministry\'s checks, as JSON, CSV and XLSX', async () => {
    const regNo = freshRegNo();
    await registered(regNo, application(regNo, { services: [{ serviceType: 'DAY_CENTRE', addresses: [{ address: 'Tērbatas iela 5, Rīga', atvk: R }] }] }), '2026-01-01');
    await applyRecords(h.hub.store, [{
      kind: 'service-decision', municipality: R, source: 'sopa', decisionId: `R-PRV-${regNo}`, decisionDate: '2026-10-02', personCode: REP.A,
      outcome: 'GRANTED', serviceType: 'HOME_CARE', providerRegNo: regNo, from: '2026-10-02',
    }]);
    const c = await ministry('GET', '/api/v1/spolis/checks?period=2026-10');
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const rule = c.body.rules.find((r: any) => r.rule === 10);
    assert.equal(rule.status, 'ran');
    assert.match(rule.title, /assistant months name no provider/);
    const mineFound = c.body.findings.filter((f: any) => f.rule === 10 && f.records[0].key === `${R}/sopa/R-PRV-${regNo}`);
    assert.equal(mineFound.length, 1);
    assert.match(mineFound[0].reason, new RegExp(`provider ${regNo}, which is not registered for HOME_CARE \\(it is registered for DAY_CENTRE\\)`));

    const csv = await fetch(`${h.url}/api/v1/spolis/checks?period=2026-10&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.ok((await csv.text()).split('\r\n').some((l) => l.startsWith('2026-10,10,finding,0001000,') && l.includes(`R-PRV-${regNo}`)));
    const xlsx = await fetch(`${h.url}/api/v1/spolis/checks?period=2026-10&format=xlsx`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    const rows: unknown[][] = [];
    wb.worksheets[0].eachRow((row) => { rows.push((row.values as unknown[]).slice(1)); });
    assert.ok(rows.some((r) => r[1] === 10 && String(r[4]).includes(`R-PRV-${regNo}`)));
  });
});

/** A service decision of Rīga (SOPA) for the check-10 fixtures. */
const decision = (id: string, serviceType: string, provider: string | undefined, from: string, to?: string, outcome: ServiceDecision['outcome'] = 'GRANTED'): ServiceDecision => ({
  kind: 'service-decision', municipality: R, source: 'sopa', decisionId: id, decisionDate: from, personCode: REP.A, outcome, serviceType, from,
  ...(to ? { to } : {}), ...(provider ? { providerRegNo: provider } : {}),
});

/** Providers of the fixtures, with their registrations counted by hand below. */
const PV = {
  A: '40001000001', // HOME_CARE 2026-01-01…
  B: '40001000002', // DAY_CENTRE 2026-01-01…
  C: '40001000003', // HOME_CARE 2025-01-01…2026-09-30 (ended before October)
  D: '40001000004', // HOME_CARE 2026-10-15… (starts mid-month)
  E: '40001000005', // HOME_CARE 2026-01-01…2026-10-10, amended: HOME_CARE 2026-10-11… (adjacent terms)
  F: '40001000006', // HOME_CARE 2026-01-01…, withdrawn on 2026-10-20
  X: '40001000009', // not in the register
} as const;

const DECISIONS: ServiceDecision[] = [
  decision('S1', 'HOME_CARE', PV.A, '2026-09-01'), // registered all along: nothing
  decision('S2', 'HOME_CARE', PV.X, '2026-10-05'), // not registered at all
  decision('S3', 'HOME_CARE', PV.B, '2026-10-01'), // registered, but for DAY_CENTRE
  decision('S4', 'HOME_CARE', PV.C, '2026-09-15', '2026-12-31'), // term ended 30 Sep: 31 of 31 October days
  decision('S5', 'HOME_CARE', PV.D, '2026-10-01'), // term starts 15 Oct: 1–14 Oct uncovered
  decision('S6', 'HOME_CARE', PV.D, '2026-10-20'), // starts after the term began: nothing
  decision('S7', 'HOME_CARE', PV.E, '2026-01-01'), // two adjacent terms cover October: nothing
  decision('S8', 'HOME_CARE', PV.C, '2026-09-01', '2026-09-30'), // not in force in October; covered in September
  decision('S9', 'HOME_CARE', PV.X, '2026-10-01', undefined, 'REFUSED'), // not granted: nothing
  decision('S10', 'HOME_CARE', undefined, '2026-10-01'), // names no provider: nothing
  decision('S11', 'DAY_CENTRE', PV.B, '2026-10-01'), // registered for it: nothing
  decision('S12', 'DAY_CENTRE', PV.A, '2026-10-01'), // A is registered for HOME_CARE only
  decision('S13', 'HOME_CARE', PV.F, '2026-10-01'), // withdrawn 20 Oct: 21–31 Oct uncovered
];

const input = (regNo: string, serviceType: string, requestedStart = '2025-01-01'): ProviderApplicationInput => ({
  regNo, name: `Sniedzējs ${regNo.slice(-1)}`, requestedStart, contact: { email: `s${regNo.slice(-1)}@example.lv` },
  services: [{ serviceType, addresses: [{ address: `Iela ${regNo.slice(-1)}`, atvk: R }] }],
});

/** Applies and decides through the store, as the e-service would, on the day `today`. */
async function register(db: Db, a: ProviderApplicationInput, d: Decision, kind: 'apply' | 'amend' = 'apply', today = '2026-10-01'): Promise<string> {
  return db.transaction(async (tx) => {
    const by = { personCode: REP.B, requestId: `fixture-${a.regNo}-${kind}` };
    const r = kind === 'apply' ? await applyForRegistration(tx, a, by, today) : await amendApplication(tx, a, by, today);
    assert.ok(r.kind === 'created', JSON.stringify(r));
    const out = await decideApplication(tx, r.application.id, d, 'lm-analytics', today);
    assert.equal(out.kind, 'decided');
    return r.application.id;
  });
}

for (const backend of BACKENDS) {
  describe(`check 10 (provider not registered for the service) on ${backend}`, function () {
    this.timeout(60_000);
    let t: TestStore;
    before(async () => {
      t = await openTestStore(backend);
      await applyRecords(t.store, DECISIONS);
    });
    after(() => t?.close());

    const rule10 = async (period: string) => {
      const c = await monthlyChecks(t.store.db, { period });
      return { rule: c.rules.find((r) => r.rule === 10)!, findings: c.findings.filter((f) => f.rule === 10) };
    };

    it('is unavailable, with no findings, while the register holds no registration', async () => {
      const { rule, findings } = await rule10('2026-10');
      assert.deepEqual([rule.status, rule.findings, findings.length], [PROVIDERS_NOT_LOADED, 0, 0]);
      // A pending application is not a registration.
      await t.store.db.transaction((tx) => applyForRegistration(tx, input(PV.A, 'HOME_CARE'), { personCode: REP.B, requestId: 'pending-only' }, '2026-10-01'));
      assert.equal((await rule10('2026-10')).rule.status, PROVIDERS_NOT_LOADED);
    });

    it('finds exactly the decisions counted by hand once providers are registered', async () => {
      const db = t.store.db;
      await db.transaction(async (tx) => {
        const pending = await tx.query<{ id: string }>(`SELECT id::text AS id FROM provider_application WHERE reg_no = $1`, [PV.A]);
        assert.equal((await decideApplication(tx, pending.rows[0].id, { decision: 'approve', validFrom: '2026-01-01' }, 'lm-analytics', '2026-01-01')).kind, 'decided');
      });
      await register(db, input(PV.B, 'DAY_CENTRE'), { decision: 'approve', validFrom: '2026-01-01' });
      await register(db, input(PV.C, 'HOME_CARE'), { decision: 'approve', validFrom: '2025-01-01', validTo: '2026-09-30' }, 'apply', '2025-01-01');
      await register(db, input(PV.D, 'HOME_CARE'), { decision: 'approve', validFrom: '2026-10-15' });
      await register(db, input(PV.E, 'HOME_CARE'), { decision: 'approve', validFrom: '2026-01-01' });
      await register(db, input(PV.E, 'HOME_CARE'), { decision: 'approve', validFrom: '2026-10-11' }, 'amend');
      await register(db, input(PV.F, 'HOME_CARE'), { decision: 'approve', validFrom: '2026-01-01' });
      const w = await db.transaction((tx) => withdrawRegistration(tx, PV.F, '2026-10-20', '2026-10-20'));
      assert.equal(w.kind, 'withdrawn');

      const oct = await rule10('2026-10');
      assert.equal(oct.rule.status, 'ran');
      assert.deepEqual(oct.findings.map((f) => f.records.map((r) => [r.kind, r.key])), [
        [['service-decision', `${R}/sopa/S12`]], [['service-decision', `${R}/sopa/S13`]], [['service-decision', `${R}/sopa/S2`]],
        [['service-decision', `${R}/sopa/S3`]], [['service-decision', `${R}/sopa/S4`]], [['service-decision', `${R}/sopa/S5`]],
      ]);
      const reason = (id: string) => oct.findings.find((f) => f.records[0].key === `${R}/sopa/${id}`)!.reason;
      assert.equal(reason('S2'), `Service HOME_CARE of person 161175-***** from Rīga (0001000), in force 2026-10-05…2026-10-31, is given by provider ${PV.X}, `
        + 'which the social service providers register does not hold. A provider gives a social service only while registered for it.');
      assert.match(reason('S3'), new RegExp(`provider ${PV.B}, which is not registered for HOME_CARE \\(it is registered for DAY_CENTRE\\)\\.`));
      assert.match(reason('S12'), new RegExp(`Service DAY_CENTRE .* provider ${PV.A}, which is not registered for DAY_CENTRE \\(it is registered for HOME_CARE\\)`));
      assert.match(reason('S4'), /registration for HOME_CARE \(2025-01-01…2026-09-30\) does not cover 2026-10-01…2026-10-31 \(31 of the service's 31 days in 2026-10\)/);
      assert.match(reason('S5'), /registration for HOME_CARE \(2026-10-15…\) does not cover 2026-10-01…2026-10-14 \(14 of the service's 31 days in 2026-10\)/);
      assert.match(reason('S13'), /registration for HOME_CARE \(2026-01-01…2026-10-20\) does not cover 2026-10-21…2026-10-31 \(11 of the service's 31 days in 2026-10\)/);
      for (const f of oct.findings) assert.ok(!f.reason.includes(REP.A), 'person codes masked');

      assert.deepEqual((await rule10('2026-09')).findings, [], 'September: C covered S4 and S8 until 30 Sep');
      assert.deepEqual((await rule10('2026-11')).findings.map((f) => f.records[0].key), ['S12', 'S13', 'S2', 'S3', 'S4'].map((k) => `${R}/sopa/${k}`));
    });

    it('answers "registered for S on D" from the history, one query', async () => {
      const on = (regNo: string, s: string, d: string) => registeredOn(t.store.db, regNo, s, d);
      assert.deepEqual(await Promise.all([on(PV.C, 'HOME_CARE', '2026-09-30'), on(PV.C, 'HOME_CARE', '2026-10-01'), on(PV.D, 'HOME_CARE', '2026-10-14'),
        on(PV.D, 'HOME_CARE', '2026-10-15'), on(PV.E, 'HOME_CARE', '2026-10-10'), on(PV.E, 'HOME_CARE', '2026-10-11'), on(PV.F, 'HOME_CARE', '2026-10-20'),
        on(PV.F, 'HOME_CARE', '2026-10-21'), on(PV.B, 'HOME_CARE', '2026-10-01'), on(PV.X, 'HOME_CARE', '2026-10-01')]),
      [true, false, false, true, true, true, true, false, false, false]);
    });
  });
}

describe('check 10: the days of a service no term covers', () => {
  it('counts runs between, before and after terms, and none when adjacent terms cover them', () => {
    const T = (validFrom: string, validTo?: string) => ({ validFrom, ...(validTo ? { validTo } : {}) });
    assert.deepEqual(uncoveredDays('2026-10-01', '2026-10-31', []), [['2026-10-01', '2026-10-31']]);
    assert.deepEqual(uncoveredDays('2026-10-01', '2026-10-31', [T('2026-01-01')]), []);
    assert.deepEqual(uncoveredDays('2026-10-01', '2026-10-31', [T('2026-10-11'), T('2026-01-01', '2026-10-10')]), []);
    assert.deepEqual(uncoveredDays('2026-10-01', '2026-10-31', [T('2026-10-05', '2026-10-09'), T('2026-10-20', '2026-10-25')]),
      [['2026-10-01', '2026-10-04'], ['2026-10-10', '2026-10-19'], ['2026-10-26', '2026-10-31']]);
    assert.deepEqual(uncoveredDays('2026-10-01', '2026-10-31', [T('2026-11-01', '2026-10-31')]), [['2026-10-01', '2026-10-31']], 'an empty term covers nothing');
    assert.deepEqual(uncoveredDays('2026-10-31', '2026-10-31', [T('2026-10-31', '2026-10-31')]), []);
  });
});
