import assert from 'node:assert/strict';
import { KEYS } from '../helpers/hub.ts';
import { ask } from '../query/fixture.ts';
import { startWorld, type AgencyWorld } from './fixture.ts';

const PURPOSE = 'Lēmums par asistenta pakalpojumu, lieta 2026/117';

describe('queries to VDEĀVK (vdeavk-opinions) and BURVIS (burvis-profile) through the hub', function () {
  this.timeout(60_000);
  let w: AgencyWorld;
  before(async () => { w = await startWorld(); });
  after(async () => { await w?.stop(); });
  afterEach(() => { w.vdeavk.reset(); w.burvis.reset(); });

  it('answers a municipality with the person\'s opinions, as VDEĀVK has them', async () => {
    const person = w.vdeavk.data.personWithOpinions;
    const r = await ask(w.hub.url, 'vdeavk-opinions', { personCode: person, purpose: PURPOSE }, { key: KEYS['lietis-daugavpils'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.personCode, person);
    assert.deepEqual(r.body.opinions.map((o: { opinionId: string }) => o.opinionId).sort(), w.vdeavk.data.ofPerson(person).map((o) => o.opinionId).sort());
  });

  it('lets the Ministry ask VDEĀVK (requester LM), and not BURVIS', async () => {
    const child = w.vdeavk.data.childWithOpinion;
    const ok = await ask(w.hub.url, 'vdeavk-opinions', { personCode: child, purpose: 'Asistenta stundu pārbaude 2026-10' }, { key: KEYS['lm-analytics'] });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.body.opinions.some((o: { kind: string; maxHoursPerMonth?: number }) => o.kind === 'CHILD_SPECIAL_CARE' && o.maxHoursPerMonth));
    const denied = await ask(w.hub.url, 'burvis-profile', { personCode: w.burvis.data.samples.riga, purpose: PURPOSE }, { key: KEYS['lm-analytics'] });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'HUB_ERR_ACCESS_DENIED');
  });

  it('answers a profile from BURVIS, 404 for a person NVA does not know, 400 without a purpose', async () => {
    const riga = w.burvis.data.samples.riga;
    const r = await ask(w.hub.url, 'burvis-profile', { personCode: riga, purpose: PURPOSE });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.profile.personCode, riga);
    assert.equal(r.body.profile.municipality, '0001000');
    const none = await ask(w.hub.url, 'burvis-profile', { personCode: w.burvis.data.samples.unknown, purpose: PURPOSE });
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'HUB_ERR_PARTNER_NOT_FOUND');
    const noPurpose = await ask(w.hub.url, 'vdeavk-opinions', { personCode: riga });
    assert.equal(noPurpose.status, 400);
    assert.equal(noPurpose.body.error.field, 'purpose');
  });

  it('maps outages and timeouts: 503 UNAVAILABLE, 504 when VDEĀVK does not answer in time', async () => {
    w.vdeavk.switches.outage = 'unavailable';
    const down = await ask(w.hub.url, 'vdeavk-opinions', { personCode: w.vdeavk.data.personWithOpinions, purpose: PURPOSE });
    assert.equal(down.status, 503, down.text);
    w.vdeavk.switches.outage = 'none';
    w.vdeavk.switches.timeout = true;
    const slow = await ask(w.hub.url, 'vdeavk-opinions', { personCode: w.vdeavk.data.personWithOpinions, purpose: PURPOSE });
    assert.equal(slow.status, 504, slow.text);
    assert.equal(slow.body.error.code, 'HUB_ERR_PARTNER_TIMEOUT');
  });

  it('writes an audit row for each of these queries, for the person asked about', async () => {
    const rows = (await w.hub.hub.store.db.query<{ service: string; subject: string; actor: string }>(
      `SELECT service, subject, actor FROM audit_log WHERE service IN ('vdeavk-opinions', 'burvis-profile') ORDER BY seq`)).rows;
    assert.ok(rows.length >= 7, `audit rows: ${rows.length}`);
    assert.ok(rows.some((r) => r.actor === 'lm-analytics' && r.subject === w.vdeavk.data.childWithOpinion));
  });
});
