/**
 * The state registers through the hub (issue 12): PMLP's population register (per-person query,
 * the change feed pulled into the store) and VZD's cadastre (per-person query), with their access,
 * their faults, and the Ministry's checks over what was pulled.
 */
import assert from 'node:assert/strict';
import { KEYS } from '../helpers/hub.ts';
import { ask } from '../query/fixture.ts';
import { call } from '../helpers/api.ts';
import { readCheckpoint, writeCheckpoint, registerFacts, registerChangeCount } from '../../store/index.ts';
import { applyRecords, benefit, status } from '../ministry/fixture.ts';
import { startWorld, type AgencyWorld } from './fixture.ts';

const SINCE = '2000-01-01T00:00:00Z';
const PURPOSE = 'Sociālās palīdzības lieta Nr. 2026/17';
const MUNICIPALITIES = ['sopa-riga', 'sopa-jelgava', 'lietis-daugavpils', 'gvs-tukums'] as const;

describe('the state registers through the hub: PMLP population register and VZD property', function () {
  this.timeout(120_000);
  let w: AgencyWorld;
  before(async () => {
    w = await startWorld({ patch: { 'pmlp-changes-pull': [[/pageSize: \d+, since: "[^"]*"/, `pageSize: 40, since: "${SINCE}"`]] } });
  });
  after(async () => { await w?.stop(); });
  afterEach(() => { w.pmlp.reset(); w.vzd.reset(); });
  const db = () => w.hub.hub.store.db;
  const pull = () => w.hub.hub.scheduler!.trigger(w.route('pmlp-changes-pull'));

  it('answers a municipality whether a person is alive and where the person has declared residence', async () => {
    const { alive, deceased, renamed } = w.pmlp.data.samples;
    const a = await ask(w.hub.url, 'pmlp-person', { personCode: alive, purpose: PURPOSE });
    assert.equal(a.status, 200, a.text);
    const held = w.pmlp.data.personOf(alive)!;
    assert.equal(a.body.personCode, alive);
    assert.equal(a.body.status, 'ALIVE');
    assert.deepEqual(a.body.declaredResidence, held.declaredResidence);

    const d = await ask(w.hub.url, 'pmlp-person', { personCode: deceased, purpose: PURPOSE }, { key: KEYS['lietis-daugavpils'] });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual([d.body.status, d.body.deathDate], ['DECEASED', w.pmlp.data.deathOf(deceased)]);

    // Asked by the old code, the answer is the person under the new one.
    const former = w.pmlp.data.persons.get(renamed)!.formerPersonCode!;
    const r = await ask(w.hub.url, 'pmlp-person', { personCode: `${former.slice(0, 6)}-${former.slice(6)}`, purpose: PURPOSE });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.personCode, r.body.formerPersonCode], [renamed, former]);
  });

  it('answers 404 for a person the register does not hold and 400 for a malformed code, never a 500', async () => {
    const none = await ask(w.hub.url, 'pmlp-person', { personCode: w.pmlp.data.samples.unknown, purpose: PURPOSE });
    assert.equal(none.status, 404, none.text);
    assert.equal(none.body.error.code, 'HUB_ERR_PARTNER_NOT_FOUND');
    const bad = await ask(w.hub.url, 'pmlp-person', { personCode: '161175-1999', purpose: PURPOSE });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.field, 'personCode');
    const noProperty = await ask(w.hub.url, 'vzd-property', { personCode: w.vzd.data.samples.unknown, purpose: PURPOSE });
    assert.equal(noProperty.status, 404, noProperty.text);
  });

  it('answers 503 with Retry-After and no part of an answer while a register is down', async () => {
    for (const [service, sim, person] of [['pmlp-person', w.pmlp, w.pmlp.data.samples.alive], ['vzd-property', w.vzd, w.vzd.data.samples.owner]] as const) {
      for (const outage of ['unavailable', 'http503'] as const) {
        sim.switches.outage = outage;
        const r = await ask(w.hub.url, service, { personCode: person, purpose: PURPOSE });
        assert.equal(r.status, 503, `${service} ${outage}: ${r.text}`);
        assert.equal(r.body.error.code, 'HUB_ERR_PARTNER_UNAVAILABLE');
        assert.deepEqual(Object.keys(r.body), ['error'], 'nothing but the error');
        assert.ok(Number(r.headers.get('retry-after')) >= 1, `${service} ${outage}: Retry-After ${r.headers.get('retry-after')}`);
      }
      sim.switches.outage = 'none';
    }
  });

  it('answers the real property a person owns, with shares and cadastral values, and an empty list for none', async () => {
    const { several, none } = w.vzd.data.samples;
    const r = await ask(w.hub.url, 'vzd-property', { personCode: several, purpose: PURPOSE }, { key: KEYS['gvs-tukums'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.personCode, several);
    assert.ok(r.body.properties.length > 1);
    for (const p of r.body.properties) {
      assert.match(p.cadastreNumber, /^\d{11}$/);
      assert.ok(p.share.numerator <= p.share.denominator);
      assert.match(p.cadastralValue, /^\d+\.\d{2}$/);
    }
    const empty = await ask(w.hub.url, 'vzd-property', { personCode: none, purpose: PURPOSE });
    assert.deepEqual([empty.status, empty.body.properties], [200, []]);
  });

  it('lets every municipality ask both registers and nobody else (deny by default)', async () => {
    for (const [service, person] of [['pmlp-person', w.pmlp.data.samples.alive], ['vzd-property', w.vzd.data.samples.owner]] as const) {
      for (const id of MUNICIPALITIES) {
        const r = await ask(w.hub.url, service, { personCode: person, purpose: PURPOSE }, { key: KEYS[id] });
        assert.equal(r.status, 200, `${id} ${service}: ${r.text}`);
      }
      const lm = await ask(w.hub.url, service, { personCode: person, purpose: PURPOSE }, { key: KEYS['lm-analytics'] });
      assert.deepEqual([lm.status, lm.body.error.code], [403, 'HUB_ERR_ACCESS_DENIED'], `the Ministry on ${service}`);
      assert.equal((await ask(w.hub.url, service, { personCode: person, purpose: PURPOSE }, { key: null })).status, 401);
      assert.equal((await ask(w.hub.url, service, { personCode: person, purpose: PURPOSE }, { key: 'not-a-key-0000000000000000000000' })).status, 401);
    }
  });

  it('writes an audit row for every question to a register, answered or refused, for the person asked about', async () => {
    const rows = (await db().query<{ service: string; subject: string; outcome: string }>(
      `SELECT service, subject, outcome FROM audit_log WHERE service IN ('pmlp-person', 'vzd-property') ORDER BY seq`)).rows;
    assert.ok(rows.length >= 20, `audit rows: ${rows.length}`);
    assert.ok(rows.some((r) => r.service === 'pmlp-person' && r.subject === w.pmlp.data.samples.deceased && r.outcome === 'answered'));
    assert.ok(rows.some((r) => r.service === 'vzd-property' && r.outcome === 'HUB_ERR_ACCESS_DENIED'));
    assert.ok(rows.some((r) => r.service === 'pmlp-person' && r.outcome === 'HUB_ERR_PARTNER_UNAVAILABLE'));
  });

  it('pulls the register\'s changes into the store with their history; a page pulled again adds no row', async () => {
    await pull();
    const feed = w.pmlp.data.changes();
    assert.equal(await registerChangeCount(db()), feed.length);
    const { moved, deceased } = w.pmlp.data.samples;
    const facts = await registerFacts(db(), moved);
    const declarations = feed.filter((c) => c.personCode === moved && c.kind === 'RESIDENCE');
    assert.ok(declarations.length >= 2, 'the mover has two residences');
    assert.deepEqual(facts.residences.map((r) => [r.municipality, r.validFrom]), declarations.map((c) => [c.municipality, c.effectiveOn]));
    assert.equal((await registerFacts(db(), deceased)).deathDate, w.pmlp.data.deathOf(deceased));

    // The checkpoint set back to the start: every page comes again, and nothing is stored twice.
    const cp = await readCheckpoint(db(), 'pmlp-changes-pull', SINCE);
    await writeCheckpoint(db(), { ...cp, since: SINCE, cursor: undefined });
    await pull();
    assert.equal(await registerChangeCount(db()), feed.length);
  });

  it('resumes a pull interrupted mid-page at the first page not stored: no gaps, no repeats', async () => {
    const before = await registerChangeCount(db());
    const people = [...w.pmlp.data.persons.keys()].filter((c) => !w.pmlp.data.deathOf(c)).slice(0, 50);
    for (const [i, personCode] of people.entries()) {
      w.pmlp.data.addChange({ personCode, kind: 'RESIDENCE', effectiveOn: '2026-11-16', municipality: i % 2 ? '0001000' : '0003000' });
    }
    const first = await w.hub.hub.pulls!.run(w.route('pmlp-changes-pull'), { maxPages: 1 });
    assert.equal(first.items, 40);
    w.pmlp.switches.timeout = true;
    await assert.rejects(w.hub.hub.pulls!.run(w.route('pmlp-changes-pull')), /HUB_ERR_PARTNER_TIMEOUT|timeout|did not answer/i);
    w.pmlp.switches.timeout = false;
    assert.equal(await registerChangeCount(db()), before + 40, 'the stored page stays stored');
    await pull();
    assert.equal(await registerChangeCount(db()), before + 50, 'each of the 50 changes exactly once');
  });

  it('shows the Ministry what the pulled register says about loaded records (checks 7 and 8)', async () => {
    const { deceased } = w.pmlp.data.samples;
    const died = w.pmlp.data.deathOf(deceased)!;
    const next = new Date(Date.UTC(Number(died.slice(0, 4)), Number(died.slice(5, 7)), 1)).toISOString().slice(0, 7);
    // A person of the register who lives outside Rīga all year, paid GMI by Rīga under Rīga's own status.
    const elsewhere = [...w.pmlp.data.persons.keys()].find((c) => {
      const r = w.pmlp.data.residenceOn(c, `${next}-01`);
      return !w.pmlp.data.deathOf(c) && r && r.municipality !== '0001000' && w.pmlp.data.residenceOn(c, `${next}-28`)?.municipality === r.municipality;
    })!;
    await applyRecords(w.hub.hub.store, [
      benefit('0001000', 'REG-B1', 'OTHER', deceased, '15.00', next),
      status('0001000', 'REG-S1', 'NEEDY', `${next}-01`, `${next}-28`, 'REG-H1', [elsewhere]),
      benefit('0001000', 'REG-B2', 'GMI', elsewhere, '90.00', next),
    ]);
    const r = await call(w.hub.url, 'GET', `/api/v1/spolis/checks?period=${next}`, { key: KEYS['lm-analytics'] });
    assert.equal(r.status, 200);
    const found = (rule: number) => r.body.findings.filter((f: { rule: number }) => f.rule === rule).map((f: { records: { key: string }[] }) => f.records[0].key);
    assert.ok(found(7).includes(`0001000/sopa/REG-B1/${next}`), JSON.stringify(r.body.findings));
    assert.ok(found(8).includes(`0001000/sopa/REG-B2/${next}`), JSON.stringify(r.body.findings));
    assert.ok(found(9).includes('0001000/sopa/REG-S1'));
    assert.deepEqual(r.body.rules.slice(6, 9).map((x: { status: string }) => x.status), ['ran', 'ran', 'ran']);
  });
});
