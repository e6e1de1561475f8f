import assert from 'node:assert/strict';
import { readCheckpoint, listDeliveries, verifyAudit, opinionCount } from '../../store/index.ts';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { eventually, operatorCli, startWorld, type AgencyWorld } from './fixture.ts';

const SINCE = '2000-01-01T00:00:00Z';
const pullPatch = (pageSize: number): [RegExp, string][] => [[/pageSize: \d+/, `pageSize: ${pageSize}, since: "${SINCE}"`]];

describe('scheduled pulls, deliveries to municipal systems, and co-participation to BURVIS', function () {
  this.timeout(120_000);
  let w: AgencyWorld;
  before(async () => {
    w = await startWorld({ patch: { 'vdeavk-opinions-pull': pullPatch(7), 'burvis-profiles-pull': pullPatch(25) } });
  });
  after(async () => { await w?.stop(); });
  const db = () => w.hub.hub.store.db;
  const trigger = (id: string) => w.hub.hub.scheduler!.trigger(w.route(id));

  it('pulls every VDEĀVK opinion page by page into the store, each page once', async () => {
    assert.equal(await trigger('vdeavk-opinions-pull'), true, 'the only hub process leads');
    const n = w.vdeavk.data.opinions.size;
    assert.equal(await opinionCount(db()), n);
    const cp = await readCheckpoint(db(), 'vdeavk-opinions-pull', SINCE);
    assert.equal(cp.items, n, 'no item applied twice, none skipped');
    assert.equal(cp.pages, Math.ceil(n / 7) + (n % 7 === 0 ? 1 : 0));
    assert.equal(cp.cursor, undefined);
    assert.equal(cp.since, w.vdeavk.data.latestChangedAt());
  });

  it('resumes a pull interrupted mid-page at the first page not stored: no gaps, no repeats', async () => {
    const before = await readCheckpoint(db(), 'vdeavk-opinions-pull', SINCE);
    const ids = [...w.vdeavk.data.opinions.keys()].slice(0, 20);
    for (const id of ids) w.vdeavk.data.revoke(id);
    // One page stored, then VDEĀVK stops answering in the middle of the next.
    const first = await w.hub.hub.pulls!.run(w.route('vdeavk-opinions-pull'), { maxPages: 1 });
    assert.equal(first.items, 7);
    w.vdeavk.switches.timeout = true;
    await assert.rejects(w.hub.hub.pulls!.run(w.route('vdeavk-opinions-pull')), /HUB_ERR_PARTNER_TIMEOUT|timeout|did not answer/i);
    const mid = await readCheckpoint(db(), 'vdeavk-opinions-pull', SINCE);
    assert.equal(mid.items, before.items + 7, 'the checkpoint stayed after the stored page');
    assert.ok(mid.cursor, 'and remembers the cursor of the next page');
    w.vdeavk.switches.timeout = false;
    await trigger('vdeavk-opinions-pull');
    const after = await readCheckpoint(db(), 'vdeavk-opinions-pull', SINCE);
    assert.equal(after.items - before.items, 20, 'each of the 20 changes stored exactly once');
    const revoked = (await db().query(`SELECT count(*)::int AS n FROM assistant_opinion WHERE revoked AND opinion_id = ANY($1)`, [ids])).rows[0].n;
    assert.equal(Number(revoked), 20);
  });

  it('pulls BURVIS profiling changes and delivers each profile once to SOPA or LIETIS', async () => {
    await trigger('burvis-profiles-pull');
    const all = w.burvis.data.all();
    const toSopa = all.filter((p) => p.municipality === '0001000' || p.municipality === '0003000');
    const toLietis = all.filter((p) => p.municipality === '0002000');
    assert.ok(toSopa.length > 0 && toLietis.length > 0);
    await eventually(() => w.sopa.received.size === toSopa.length && w.lietis.received.size === toLietis.length, 30_000, 'every profile delivered');
    assert.equal(w.sopa.duplicates + w.lietis.duplicates, 0);
    assert.equal(w.sopa.conflicts, 0);
    // The partner has the profile before the hub has its answer: the row turns delivered a moment later.
    const delivered = async () => (await listDeliveries(db(), { routeId: 'burvis-profiles-pull' })).filter((r) => r.status === 'delivered').length;
    await eventually(async () => (await delivered()) === toSopa.length + toLietis.length, 10_000, 'every delivery row marked delivered');
    const rows = await listDeliveries(db(), { routeId: 'burvis-profiles-pull' });
    assert.equal(rows.filter((r) => r.status === 'undeliverable').length, all.length - toSopa.length - toLietis.length);
    // A second run finds nothing new and sends nothing.
    const requests = w.sopa.requests;
    await trigger('burvis-profiles-pull');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(w.sopa.requests, requests);
  });

  it('retries a delivery while SOPA is down, and it arrives once when SOPA is back', async () => {
    const riga = w.burvis.data.get(w.burvis.data.samples.riga)!;
    w.burvis.data.upsert({ ...riga, profilingGroup: riga.profilingGroup === 3 ? 1 : ((riga.profilingGroup + 1) as 2 | 3) });
    await w.sopa.refuseConnections(true);
    const received = w.sopa.received.size;
    await trigger('burvis-profiles-pull');
    await new Promise((r) => setTimeout(r, 700));
    const row = (await listDeliveries(db(), { routeId: 'burvis-profiles-pull', status: 'pending' }))[0];
    assert.ok(row && row.attempts >= 1, 'the delivery failed at least once and waits for its next attempt');
    await w.sopa.refuseConnections(false);
    await eventually(() => w.sopa.received.size === received + 1, 20_000, 'the delivery after SOPA returned');
    assert.equal(w.sopa.duplicates, 0);
  });

  it('dead-letters deliveries after the retry budget; dlq replay delivers each exactly once', async () => {
    const profiles = [w.burvis.data.samples.riga, w.burvis.data.samples.jelgava].map((c) => w.burvis.data.get(c)!);
    await w.sopa.refuseConnections(true);
    const received = w.sopa.received.size;
    for (const p of profiles) w.burvis.data.upsert({ ...p, status: p.status === 'UNEMPLOYED' ? 'JOBSEEKER' : 'UNEMPLOYED' });
    await trigger('burvis-profiles-pull');
    await eventually(async () => (await listDeliveries(db(), { routeId: 'burvis-profiles-pull', status: 'dead' })).length === 2, 30_000, 'two dead deliveries');
    const list = operatorCli(w, ['dlq', 'list', '--route', 'burvis-profiles-pull']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /2 dead letter\(s\)/);
    assert.match(list.stdout, /delivery sopa-notify-profile-/);
    await w.sopa.refuseConnections(false);
    const replay = operatorCli(w, ['dlq', 'replay', '--route', 'burvis-profiles-pull']);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /2 dead letter\(s\) replayed/);
    await eventually(() => w.sopa.received.size === received + 2, 20_000, 'both replayed deliveries');
    const again = operatorCli(w, ['dlq', 'replay', '--route', 'burvis-profiles-pull']);
    assert.match(again.stdout, /0 dead letter\(s\) replayed/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(w.sopa.received.size, received + 2);
    assert.equal(w.sopa.duplicates, 0, 'each exactly once');
    const audited = (await db().query(`SELECT count(*)::int AS n FROM audit_log WHERE service = 'dlq.replay'`)).rows[0].n;
    assert.equal(Number(audited), 2, 'replays are audited');
  });

  it('queues a co-participation for BURVIS: 202, then delivered with NVA\'s Ref; the same again changes nothing', async () => {
    const person = w.burvis.data.samples.daugavpils;
    const body = { id: 'LIETIS-LP-17', personCode: person, agreedOn: '2026-11-02', duties: ['REGISTER_WITH_NVA', 'ACTIVE_JOB_SEARCH'], services: ['Psihologa konsultācijas'] };
    const post = (b: unknown, key: string = KEYS['lietis-daugavpils']) => fetch(`${w.hub.url}/api/v1/coparticipation`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    const r = await post(body);
    assert.equal(r.status, 202);
    const first = await r.json() as { id: string; deliveryId: string };
    const status = async () => (await fetch(`${w.hub.url}/api/v1/coparticipation/LIETIS-LP-17`, { headers: { authorization: `Bearer ${KEYS['lietis-daugavpils']}` } })).json() as Promise<{ status: string; ref?: string }>;
    await eventually(async () => (await status()).status === 'delivered', 20_000, 'the co-participation delivered');
    const delivered = await status();
    assert.match(delivered.ref!, /./);
    const again = await post(body);
    assert.equal(again.status, 202);
    assert.equal((await again.json() as { deliveryId: string }).deliveryId, first.deliveryId);
    await new Promise((res) => setTimeout(res, 300));
    const rec = [...w.burvis.coParticipations.values()].find((c) => c.content.id === 'LIETIS-LP-17')!;
    assert.equal(rec.received, 1, 'sent once');
    assert.equal(rec.ref, delivered.ref);

    const bad = await post({ ...body, duties: ['SLEEP'] });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json() as { error: { field: string } }).error.field, 'duties.0');
    const other = await post({ ...body, municipality: '0001000' });
    assert.equal(other.status, 403);
    const ministry = await post(body, KEYS['lm-analytics']);
    assert.equal(ministry.status, 403);
  });

  it('elects one scheduler leader among hub processes on the same Redis', async () => {
    let second: TestHub | undefined;
    try {
      second = await startTestHub({ shareWith: w.hub, configDir: w.dir, partners: w.hub.hub.config.partners as never });
      assert.equal(w.hub.hub.scheduler!.lock.isLeader, true);
      assert.equal(second.hub.scheduler!.lock.isLeader, false);
      assert.equal(await second.hub.scheduler!.trigger(w.route('vdeavk-opinions-pull')), false, 'a follower does not run pulls');
    } finally {
      await second?.stop();
    }
  });

  it('keeps the audit chain whole, with a row for every delivery attempt', async () => {
    assert.ok((await verifyAudit(db())).ok);
    const attempts = (await db().query(`SELECT count(*)::int AS n FROM audit_log WHERE service LIKE 'deliver:%' AND outcome LIKE 'attempt%'`)).rows[0].n;
    const delivered = (await db().query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`)).rows[0].n;
    assert.ok(Number(attempts) >= Number(delivered));
  });
});
