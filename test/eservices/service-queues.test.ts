/**
 * Queue status (issue 13, e-service 3; docs/partners/portal-service-queues.md), end to end: a
 * municipality or VSAC reports a queue, a person reads their positions through the portal
 * simulator, and the changes that are news reach the e-address simulator once each.
 */
import assert from 'node:assert/strict';
import { KEYS, ESERVICE_KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import type { PortalSimulator } from '../../connectors/portal/sandbox.ts';
import type { EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { makePersonCode } from '../../engine/validation/person-code.ts';
import { listDeliveries } from '../../store/index.ts';
import { noticeReason, diffSnapshot, type Told } from '../../eservices/service-queues/notice-rule.ts';
import type { SnapshotEntry } from '../../eservices/service-queues/snapshot.ts';
import { personHistory, type EntryRow } from '../../store/service-queues.ts';
import { startEServiceBed, type EServiceBed } from '../helpers/eservices.ts';

const ROUTE = 'portal-service-queues';
const PATH = '/api/v1/service-queues';
const POSITIONS = '/api/v1/persons/me/queue-positions';

let serial = 100;
/** Persons no other test uses: each test reads its own inbox by recipient. */
const persons = (n: number): string[] => Array.from({ length: n }, () => makePersonCode({ year: 1950 + (serial % 50), month: 1 + (serial % 12), day: 1 + (serial % 28) }, serial++));

interface Entry { personCode: string; position?: number; joinedOn: string; expectedStart?: string; status?: 'WAITING' | 'GRANTED' | 'REMOVED' }
const waiting = (codes: string[], extra: (i: number) => Partial<Entry> = () => ({})): Entry[] =>
  codes.map((personCode, i) => ({ personCode, position: i + 1, joinedOn: `2025-${String(1 + (i % 12)).padStart(2, '0')}-15`, ...extra(i) }));

const at = (day: number): string => `2026-11-${String(day).padStart(2, '0')}T06:00:00+02:00`;

describe('e-service: service queues (portal-service-queues)', function () {
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

  const db = () => h.hub.store.db;
  const report = (key: string, queueId: string, body: unknown) => call(h.url, 'PUT', `${PATH}/${queueId}`, { key, json: body });
  const queue = (queueId: string, asOf: string, entries: Entry[], more: Record<string, unknown> = {}) =>
    ({ asOf, serviceType: 'HOME_CARE', name: `Aprūpe mājās (${queueId})`, entries, ...more });
  const positionsOf = (personCode: string) => portal.call<any>(h.url, ESERVICE_KEYS.portal, { personCode }, 'GET', POSITIONS);
  const noticesTo = (codes: string[]) => codes.flatMap((c) => eaddress.byRecipient(c));
  /** The route's deliveries for these persons, as planned in the snapshots' transactions. */
  const plannedFor = async (codes: string[]) => (await listDeliveries(db(), { routeId: ROUTE })).filter((d) => codes.includes(d.subject ?? ''));
  /** Until every planned notice of these persons has reached the e-address. */
  const settle = async (codes: string[]) => {
    const until = Date.now() + 60_000;
    for (;;) {
      const rows = await plannedFor(codes);
      if (rows.every((d) => d.status !== 'pending')) return rows;
      if (Date.now() > until) assert.fail(`deliveries still pending: ${rows.filter((d) => d.status === 'pending').length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('stores a reported queue, and a person sees their position there, audited, with no notice for joining', async () => {
    const p = persons(4);
    const r = await report(KEYS['sopa-riga'], 'riga-home-1', queue('riga-home-1', at(1), waiting(p, (i) => (i === 2 ? { expectedStart: '2027-03-01' } : {})), { providerRegNo: '40003123456' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual({ ...r.body }, { queueId: 'riga-home-1', status: 'created', version: 1, asOf: '2026-11-01T04:00:00.000Z', waiting: 4, granted: 0, removed: 0, changedEntries: 4, notices: 0 });

    const mine = await positionsOf(p[2]);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(mine.body.positions, [{
      reporter: { kind: 'municipality', id: '0001000', name: 'Rīga' }, municipality: '0001000', queueId: 'riga-home-1', queueName: 'Aprūpe mājās (riga-home-1)',
      serviceType: 'HOME_CARE', providerRegNo: '40003123456', status: 'WAITING', position: 3, queueLength: 4, joinedOn: '2025-03-15', expectedStart: '2027-03-01',
      lastChange: { at: '2026-11-01T04:00:00.000Z' }, asOf: '2026-11-01T04:00:00.000Z',
    }]);
    const none = await positionsOf(persons(1)[0]);
    assert.deepEqual([none.status, none.body.positions], [200, []]);

    const audit = (await db().query<{ subject: string; actor: string; outcome: string }>(
      `SELECT subject, actor, outcome FROM audit_log WHERE service = 'eservice:service-queues' AND subject = $1`, [p[2]])).rows;
    assert.deepEqual(audit, [{ subject: p[2], actor: 'portal:person', outcome: 'answered 1 positions' }]);
    assert.deepEqual(await plannedFor(p), [], 'joining a queue is no notice');
  });

  it('tells exactly the persons whose change is news: a place granted, a move up by a tenth, an expected start moved a month', async () => {
    const p = persons(25);
    const first = waiting(p, (i) => ({ expectedStart: '2027-06-01' }));
    assert.equal((await report(KEYS['lietis-daugavpils'], 'dgp-day-1', queue('dgp-day-1', at(2), first, { serviceType: 'DAY_CENTRE' }))).status, 201);
    // The first is granted a place, everyone else moves up one; two expected starts move, one by 5 days, one by 2 months.
    const second: Entry[] = [
      { personCode: p[0], status: 'GRANTED', joinedOn: first[0].joinedOn, expectedStart: '2026-12-01' },
      ...first.slice(1).map((e, i) => ({ ...e, position: i + 1, ...(i + 1 === 21 ? { expectedStart: '2027-06-06' } : i + 1 === 24 ? { expectedStart: '2027-08-01' } : {}) })),
    ];
    const r = await report(KEYS['lietis-daugavpils'], 'dgp-day-1', queue('dgp-day-1', at(3), second, { serviceType: 'DAY_CENTRE' }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.status, r.body.version, r.body.waiting, r.body.granted, r.body.changedEntries], ['changed', 2, 24, 1, 25]);

    // Positions 2…19 moved up one: from below 20 that is a tenth. From 20 on it is not yet.
    const told = [p[0], ...p.slice(1, 19), p[24]];
    assert.equal(r.body.notices, told.length);
    await settle(p);
    const inbox = noticesTo(p);
    assert.deepEqual(inbox.map((m) => m.recipient), inbox.map((m) => ({ personCode: (m.recipient as { personCode: string }).personCode })));
    assert.deepEqual(inbox.map((m) => (m.recipient as { personCode: string }).personCode).sort(), [...told].sort(), 'one notice to each changed person, and no other');
    assert.ok(inbox.every((m) => m.kind === 'queue-notice'));
    const granted = eaddress.byRecipient(p[0]);
    assert.equal(granted.length, 1);
    assert.match(granted[0].subject, /^Piešķirta vieta: /);
    assert.match(granted[0].text, /Daugavpils/);
    assert.match(eaddress.byRecipient(p[5]).at(0)!.text, /Jūsu vieta rindā: 5\. Rindā kopā: 24\./);
    assert.match(eaddress.byRecipient(p[24]).at(0)!.text, /Paredzamais pakalpojuma sākums: 2027-08-01/);

    const seen = await positionsOf(p[5]);
    assert.deepEqual([seen.body.positions[0].position, seen.body.positions[0].lastChange], [5, { at: '2026-11-03T04:00:00.000Z', previousPosition: 6 }]);
    const history = async (c: string) => (await personHistory(db(), { reporter: '0002000', queueId: 'dgp-day-1' }, c)).map((x) => [x.version, x.status, x.position]);
    assert.deepEqual(await history(p[5]), [[1, 'WAITING', 6], [2, 'WAITING', 5]]);
    const got = await positionsOf(p[0]);
    assert.deepEqual([got.body.positions[0].status, got.body.positions[0].position], ['GRANTED', undefined]);

    // The moves add up: one more place each, and 20 → 18 is a tenth of 20.
    const third: Entry[] = second.slice(1).map((e) => ({ ...e, position: e.position! - 1 })).slice(1);
    third.unshift({ ...second[1], status: 'GRANTED', position: undefined });
    const r3 = await report(KEYS['lietis-daugavpils'], 'dgp-day-1', queue('dgp-day-1', at(4), third, { serviceType: 'DAY_CENTRE' }));
    assert.equal(r3.status, 200, JSON.stringify(r3.body));
    await settle(p);
    const newly = p.filter((c) => eaddress.byRecipient(c).length === 2 || (!told.includes(c) && eaddress.byRecipient(c).length === 1));
    // p1 granted; p2…p19 were told and moved one from a place below 20; p20…p24 reached two places; p25 was told at 24 and is now 23.
    assert.deepEqual(newly.sort(), [...p.slice(1, 24)].sort());
    assert.deepEqual(await history(p[5]), [[1, 'WAITING', 6], [2, 'WAITING', 5], [3, 'WAITING', 4]], 'every position kept');
    assert.deepEqual(await history(p[0]), [[1, 'WAITING', 1], [2, 'GRANTED', null], [3, 'ABSENT', null]]);
    assert.deepEqual((await positionsOf(p[0])).body.positions, [], 'no longer listed');
  });

  it('makes no second notice for the same snapshot sent again, nor for the same queue under a newer asOf', async () => {
    const p = persons(3);
    const s1 = waiting(p);
    await report(KEYS['sopa-jelgava'], 'jlg-1', queue('jlg-1', at(5), s1));
    const s2 = [{ ...s1[0], status: 'GRANTED' as const, position: undefined }, { ...s1[1], position: 1 }, { ...s1[2], position: 2 }];
    const first = await report(KEYS['sopa-jelgava'], 'jlg-1', queue('jlg-1', at(6), s2));
    assert.deepEqual([first.status, first.body.notices], [200, 3]);
    const again = await report(KEYS['sopa-jelgava'], 'jlg-1', queue('jlg-1', at(6), s2));
    assert.deepEqual([again.status, again.body.status, again.body.version, again.body.notices], [200, 'unchanged', 2, 0]);
    // In another order, with a hyphen in a code, it is still the same queue.
    const reordered = [...s2].reverse().map((e, i) => (i === 0 ? { ...e, personCode: `${e.personCode.slice(0, 6)}-${e.personCode.slice(6)}` } : e));
    const later = await report(KEYS['sopa-jelgava'], 'jlg-1', queue('jlg-1', at(7), reordered));
    assert.deepEqual([later.status, later.body.status, later.body.version, later.body.asOf, later.body.notices], [200, 'unchanged', 2, '2026-11-07T04:00:00.000Z', 0]);
    await settle(p);
    assert.equal(noticesTo(p).length, 3);
    assert.equal(eaddress.stats.conflicts, 0);
    // The newer asOf was kept: the snapshot of the 6th is now a late retry.
    const late = await report(KEYS['sopa-jelgava'], 'jlg-1', queue('jlg-1', at(6), s2));
    assert.equal(late.status, 409);
  });

  it('refuses an older snapshot (409) so a delayed retry cannot roll positions back, and another queue under the same asOf', async () => {
    const p = persons(2);
    await report(KEYS['sopa-riga'], 'riga-stale', queue('riga-stale', at(10), waiting(p)));
    const swapped = waiting([p[1], p[0]]);
    const old = await report(KEYS['sopa-riga'], 'riga-stale', queue('riga-stale', at(9), swapped));
    assert.equal(old.status, 409, JSON.stringify(old.body));
    assert.deepEqual([old.body.error.code, old.body.error.field], ['HUB_ERR_QUEUE_STALE', 'asOf']);
    const same = await report(KEYS['sopa-riga'], 'riga-stale', queue('riga-stale', at(10), swapped));
    assert.equal(same.status, 409);
    assert.equal(same.body.error.code, 'HUB_ERR_QUEUE_CONFLICT');
    assert.equal((await positionsOf(p[0])).body.positions[0].position, 1, 'positions as reported on the 10th');
    assert.deepEqual(await plannedFor(p), []);
  });

  it('keeps the newest of snapshots of one queue sent at once, whatever order they are applied in', async () => {
    const p = persons(6);
    const sends = [16, 17, 18, 19, 20].map((day, i) => report(KEYS['sopa-riga'], 'riga-race', queue('riga-race', at(day), waiting([...p.slice(i), ...p.slice(0, i)]))));
    const statuses = (await Promise.all(sends)).map((r) => r.status);
    assert.ok(statuses.every((s) => [200, 201, 409].includes(s)), statuses.join());
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join());
    const own = await call(h.url, 'GET', `${PATH}/riga-race`, { key: KEYS['sopa-riga'] });
    assert.equal(own.body.asOf, '2026-11-20T04:00:00.000Z');
    assert.deepEqual(own.body.entries.map((e: any) => e.personCode), [...p.slice(4), ...p.slice(0, 4)]);
  });

  it('answers 400 naming the entry and field of each bad entry, and stores nothing of that snapshot', async () => {
    const p = persons(3);
    await report(KEYS['sopa-riga'], 'riga-bad', queue('riga-bad', at(11), waiting(p)));
    const good = waiting([p[1], p[0], p[2]]);
    const cases: [Entry[] | unknown, string, RegExp][] = [
      [[good[0], { ...good[1], personCode: '161175-19990' }, good[2]], 'entries[1].personCode', /check digit/],
      [[good[0], good[1], { ...good[2], position: 2 }], 'entries[2].position', /also entries\[1\]'s/],
      [[good[0], good[1], { ...good[2], position: 4 }], 'entries[2].position', /positions are 1…3/],
      [[good[0], good[1], { ...good[2], personCode: good[0].personCode }], 'entries[2].personCode', /same person is entries\[0\]/],
      [[{ ...good[0], status: 'GRANTED' }, { ...good[1], position: 1 }, { ...good[2], position: 2 }], 'entries[0].position', /has no position/],
      [[good[0], { ...good[1], joinedOn: '2025-02-30' }, good[2]], 'entries[1].joinedOn', /real date/],
      [[good[0], good[1], { ...good[2], joinedOn: '2026-12-01' }], 'entries[2].joinedOn', /after the snapshot's asOf/],
      [[good[0], good[1], { ...good[2], expectedStart: '2024-01-01' }], 'entries[2].expectedStart', /before joinedOn/],
      [[good[0], { ...good[1], place: 2 }, good[2]], 'entries[1].place', /not a field/],
      [[good[0], good[1], { ...good[2], status: 'PAUSED' }], 'entries[2].status', /WAITING, GRANTED, REMOVED/],
      ['all of them', 'entries', /the whole queue is required/],
    ];
    for (const [entries, field, message] of cases) {
      const r = await report(KEYS['sopa-riga'], 'riga-bad', queue('riga-bad', at(12), entries as Entry[]));
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.deepEqual([r.body.error.code, r.body.error.field], ['HUB_ERR_QUEUE_INVALID', field]);
      assert.match(r.body.error.message, message);
    }
    const noAsOf = await report(KEYS['sopa-riga'], 'riga-bad', { ...queue('riga-bad', at(12), good), asOf: '2026-11-12' });
    assert.deepEqual([noAsOf.status, noAsOf.body.error.field], [400, 'asOf']);
    const future = await report(KEYS['sopa-riga'], 'riga-bad', queue('riga-bad', '2099-01-01T00:00:00Z', good));
    assert.deepEqual([future.status, future.body.error.field], [400, 'asOf']);
    const type = await report(KEYS['sopa-riga'], 'riga-bad', { ...queue('riga-bad', at(12), good), serviceType: 'HOME_HELP' });
    assert.deepEqual([type.status, type.body.error.field], [400, 'serviceType']);
    const badId = await report(KEYS['sopa-riga'], 'riga%20bad', queue('riga bad', at(12), good));
    assert.deepEqual([badId.status, badId.body.error.field], [400, 'queueId']);
    // Several problems are named together.
    const many = await report(KEYS['sopa-riga'], 'riga-bad', queue('riga-bad', at(12), [{ ...good[0], personCode: '1' }, { ...good[1], joinedOn: 'x' }, good[2]]));
    assert.match(many.body.error.message, /entries\[0\]\.personCode: .*; also entries\[1\]\.joinedOn/);

    const own = await call(h.url, 'GET', `${PATH}/riga-bad`, { key: KEYS['sopa-riga'] });
    assert.deepEqual([own.body.version, own.body.asOf, own.body.entries.map((e: any) => e.personCode)], [1, '2026-11-11T04:00:00.000Z', p]);
    const never = await report(KEYS['sopa-riga'], 'riga-never', queue('riga-never', at(12), [{ ...good[0], position: 2 }]));
    assert.equal(never.status, 400);
    assert.equal((await call(h.url, 'GET', `${PATH}/riga-never`, { key: KEYS['sopa-riga'] })).status, 404);
  });

  it('takes VSAC\'s queues for state-funded long-term care and rehabilitation, and only those', async () => {
    const p = persons(2);
    const body = queue('vsac-rz-ltc', at(13), waiting(p), { serviceType: 'LONG_TERM_CARE', name: 'VSAC filiāle "Rēzekne": ilgstoša sociālā aprūpe', providerRegNo: '90009113532', municipality: '0006000' });
    const r = await call(h.url, 'PUT', `${PATH}/vsac-rz-ltc`, { key: ESERVICE_KEYS.vsac, json: body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const seen = await positionsOf(p[1]);
    assert.deepEqual(seen.body.positions.map((x: any) => [x.reporter, x.municipality, x.serviceType, x.position]),
      [[{ kind: 'institution', id: 'vsac', name: 'Valsts sociālās aprūpes centrs' }, '0006000', 'LONG_TERM_CARE', 2]]);
    const home = await call(h.url, 'PUT', `${PATH}/vsac-home`, { key: ESERVICE_KEYS.vsac, json: { ...body, serviceType: 'HOME_CARE' } });
    assert.deepEqual([home.status, home.body.error.code, home.body.error.field], [403, 'HUB_ERR_ACCESS_DENIED', 'serviceType']);
    // A municipality reports only its own queues.
    const other = await report(KEYS['sopa-riga'], 'riga-x', { ...queue('riga-x', at(13), []), municipality: '0003000' });
    assert.deepEqual([other.status, other.body.error.field], [403, 'municipality']);
    // Queue ids are each reporter's own: Jelgava has no queue riga-home-1, and Rīga's stays Rīga's.
    assert.equal((await call(h.url, 'GET', `${PATH}/riga-home-1`, { key: KEYS['sopa-jelgava'] })).status, 404);
  });

  it('gives the Ministry counts per service type and municipality, and no person', async () => {
    const r = await call(h.url, 'GET', `${PATH}?summary`, { key: KEYS['lm-analytics'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const text = JSON.stringify(r.body);
    assert.doesNotMatch(text, /\d{11}/, 'no person code');
    const riga = r.body.summary.find((x: any) => x.serviceType === 'HOME_CARE' && x.municipality === '0001000');
    assert.equal(riga.municipalityName, 'Rīga');
    assert.equal(riga.reporterKind, 'municipality');
    assert.ok(riga.queues >= 3 && riga.waiting >= 9, text);
    assert.match(riga.oldestJoinedOn, /^2025-01-15$/);
    const vsac = r.body.summary.find((x: any) => x.reporterKind === 'institution');
    assert.deepEqual([vsac.serviceType, vsac.municipality, vsac.queues, vsac.waiting], ['LONG_TERM_CARE', '0006000', 1, 2]);
    const list = await call(h.url, 'GET', PATH, { key: KEYS['sopa-riga'] });
    assert.ok(list.body.queues.some((q: any) => q.queueId === 'riga-home-1' && q.waiting === 4 && !('entries' in q)));
  });

  it('takes a queue of 60 000 in one snapshot, over the hub\'s 4 MB batch limit', async () => {
    const p = Array.from({ length: 60_000 }, (_, i) => makePersonCode({ year: 1930 + (i % 60), month: 1 + (i % 12), day: 1 + (i % 28) }, 500 + Math.floor(i / 60)));
    assert.equal(new Set(p).size, p.length);
    const body = queue('riga-big', at(14), waiting(p, () => ({ expectedStart: '2028-01-01' })), { serviceType: 'GROUP_HOME' });
    assert.ok(JSON.stringify(body).length > 5_000_000);
    const t = Date.now();
    const r = await report(KEYS['sopa-riga'], 'riga-big', body);
    assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 500));
    assert.ok(Date.now() - t < 30_000, `${Date.now() - t} ms`);
    const mine = await positionsOf(p[12_345]);
    assert.deepEqual([mine.body.positions.find((x: any) => x.queueId === 'riga-big').position, mine.body.positions.find((x: any) => x.queueId === 'riga-big').queueLength], [12_346, 60_000]);
  });

  it('admits each operation only to its callers (access matrix)', async () => {
    const person = persons(1)[0];
    const asPortal = (actor: { personCode: string; org?: string }) => (method: string, path: string, body?: unknown) => portal.call<any>(h.url, ESERVICE_KEYS.portal, actor, method, path, body);
    const asKey = (key?: string) => (method: string, path: string, body?: unknown) => call(h.url, method, path, { ...(key ? { key } : {}), ...(body !== undefined ? { json: body } : {}) });
    const callers: Record<string, (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>> = {
      person: asPortal({ personCode: person }),
      provider: asPortal({ personCode: person, org: '40003123456' }),
      municipality: asKey(KEYS['gvs-tukums']),
      institution: asKey(ESERVICE_KEYS.vsac),
      ministry: asKey(KEYS['lm-analytics']),
      'no key': asKey(),
      'portal key without assertion': asKey(ESERVICE_KEYS.portal),
    };
    const snapshot = (id: string) => queue(id, at(15), waiting(persons(1)), { serviceType: 'REHABILITATION' });
    await call(h.url, 'PUT', `${PATH}/matrix`, { key: KEYS['gvs-tukums'], json: snapshot('matrix') });
    await call(h.url, 'PUT', `${PATH}/matrix`, { key: ESERVICE_KEYS.vsac, json: snapshot('matrix') });
    const operations: [string, string, string, (c: string) => unknown][] = [
      ['report a queue', 'PUT', `${PATH}/matrix-new`, () => snapshot('matrix-new')],
      ['read own queue', 'GET', `${PATH}/matrix`, () => undefined],
      ['list own queues', 'GET', PATH, () => undefined],
      ['read the summary', 'GET', `${PATH}?summary`, () => undefined],
      ['read own positions', 'GET', POSITIONS, () => undefined],
    ];
    const allowed: Record<string, string[]> = {
      'report a queue': ['municipality', 'institution'], 'read own queue': ['municipality', 'institution'], 'list own queues': ['municipality', 'institution'],
      'read the summary': ['ministry'], 'read own positions': ['person'],
    };
    const got: string[] = [], want: string[] = [];
    for (const [op, method, path, body] of operations) {
      for (const [who, send] of Object.entries(callers)) {
        const r = await send(method, path, body(who));
        const expected = who === 'no key' || who === 'portal key without assertion' ? 401 : allowed[op].includes(who) ? (method === 'PUT' ? 201 : 200) : 403;
        got.push(`${op} × ${who}: ${r.status}${r.status >= 400 ? ` ${r.body?.error?.code}` : ''}`);
        want.push(`${op} × ${who}: ${expected}${expected >= 400 ? ` ${expected === 403 ? 'HUB_ERR_ACCESS_DENIED' : who === 'no key' ? 'HUB_ERR_AUTH_MISSING' : 'HUB_ERR_ASSERTION_MISSING'}` : ''}`);
      }
    }
    assert.deepEqual(got, want);
  });

  it('writes no person code to the log', () => {
    const leaked = h.logs.filter((l) => /\b\d{6}-?\d{5}\b/.test(l));
    assert.deepEqual(leaked, []);
  });
});

describe('service queues: the notice rule', () => {
  const entry = (position: number | null, more: Partial<SnapshotEntry> = {}): SnapshotEntry =>
    ({ personCode: '32000000000', status: 'WAITING', position, joinedOn: '2025-01-01', expectedStart: null, ...more });
  const told = (position: number | null, more: Partial<Told> = {}): Told => ({ status: 'WAITING', position, expectedStart: null, ...more });

  it('tells of a place granted, a removal, a worse position and a move up by a tenth; not of joining or of no change', () => {
    assert.equal(noticeReason(undefined, entry(7)), null);
    assert.equal(noticeReason(undefined, entry(null, { status: 'GRANTED' })), 'granted');
    assert.equal(noticeReason(told(7), entry(7)), null);
    assert.equal(noticeReason(told(7), entry(null, { status: 'GRANTED' })), 'granted');
    assert.equal(noticeReason(told(7), entry(null, { status: 'REMOVED' })), 'removed');
    assert.equal(noticeReason(told(null, { status: 'GRANTED' }), entry(3)), 'waiting-again');
    assert.equal(noticeReason(told(7), entry(8)), 'moved-back');
    assert.equal(noticeReason(told(7), entry(6)), 'moved-up');
    assert.equal(noticeReason(told(100), entry(91)), null);
    assert.equal(noticeReason(told(100), entry(90)), 'moved-up');
    assert.equal(noticeReason(told(7), entry(7, { expectedStart: '2027-01-01' })), 'expected-start');
    assert.equal(noticeReason(told(7, { expectedStart: '2027-01-01' }), entry(7, { expectedStart: '2027-01-30' })), null);
    assert.equal(noticeReason(told(7, { expectedStart: '2027-01-01' }), entry(7, { expectedStart: '2026-12-01' })), 'expected-start');
  });

  it('adds small daily moves up: one place a day from 100 is three notices in 30 days, not thirty or none', () => {
    let current = new Map<string, EntryRow>();
    let notices = 0;
    for (let day = 0; day <= 30; day++) {
      const d = diffSnapshot(current, [entry(100 - day)], `2026-11-01T00:00:00.000Z`);
      notices += d.notices.length;
      current = new Map(d.entries.map((e) => [e.personCode, e]));
    }
    assert.equal(notices, 3);
    assert.equal(current.get('32000000000')!.toldPosition, 73);
  });
});
