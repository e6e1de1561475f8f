import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { pushAndMatchTruth } from '../helpers/truth.ts';
import { call, pushLoad, allRejections } from '../helpers/api.ts';
import { lietisSimulator } from '../../connectors/lietis/simulator.ts';

/** The partner's example, byte for byte as LIETIS sends it: windows-1257. */
const EXAMPLE = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url));
const CT = 'application/xml; charset=windows-1257';
const DAUGAVPILS = { source: 'lietis', municipality: '0002000', period: '2026-10' };
const key = KEYS['lietis-daugavpils'];

async function query<T>(t: TestHub, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.hub.store.db.query<T & Record<string, unknown>>(sql, params)).rows;
}
const count = async (t: TestHub, sql: string, params: unknown[] = []) => Number((await query<{ n: number }>(t, sql, params))[0].n);

describe('LIETIS monthly load, end to end on PostgreSQL and Redis', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  it('accepts all 4 records of the windows-1257 example and stores the member as Ļubova Šuškova', async () => {
    const load = await pushLoad(t.url, key, DAUGAVPILS, [EXAMPLE], CT);
    assert.equal(load.status, 'done');
    assert.deepEqual(load.records, { received: 4, accepted: 4, rejected: 0 });
    assert.deepEqual(await allRejections(t.url, key, load.id), []);
    const [member] = await query<{ given_name: string; surname: string; person_code: string; role: string }>(t,
      `SELECT given_name, surname, person_code, role FROM household_member WHERE source = 'lietis' AND decision_id = 'DSP/2026/101'`);
    assert.deepEqual(member, { given_name: 'Ļubova', surname: 'Šuškova', person_code: '11035010748', role: 'FIRST' });
    const [gmi] = await query<{ amount: string; month: string }>(t,
      `SELECT amount::text AS amount, to_char(month, 'YYYY-MM') AS month FROM benefit_month WHERE load_id = $1`, [load.id]);
    assert.deepEqual(gmi, { amount: '68.00', month: '2026-10' });
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM service_decision WHERE load_id = $1`, [load.id]), 1);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM assistant_month WHERE load_id = $1`, [load.id]), 1);
  });

  it('stores the same names from a UTF-8 document whose Content-Type still says windows-1257', async () => {
    const utf8 = Buffer.from(iconv.decode(EXAMPLE, 'windows-1257').replace('encoding="windows-1257"', 'encoding="UTF-8"')
      .replaceAll('10.2026', '08.2026').replace('DSP/2026/101', 'DSP/2026/101-U'), 'utf8');
    const load = await pushLoad(t.url, key, { ...DAUGAVPILS, period: '2026-08' }, [utf8], CT);
    assert.equal(load.records.accepted, 4);
    const [member] = await query<{ surname: string }>(t, `SELECT surname FROM household_member WHERE decision_id = 'DSP/2026/101-U'`);
    assert.equal(member.surname, 'Šuškova');
  });

  it('rejects exactly the planted records of a 3-batch generated load, each with its code, field and place', async () => {
    const gen = lietisSimulator.generate({ municipality: '0002000', period: '2026-09', records: 600, batches: 3, everyCode: true, seed: 7 });
    await pushAndMatchTruth(t, key, { ...DAUGAVPILS, period: '2026-09' }, gen, ['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE']);
  });

  it('rejects a batch whose count does not match its records, whole, with 422', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: DAUGAVPILS });
    const cut = iconv.encode(iconv.decode(EXAMPLE, 'windows-1257').replace('count="4"', 'count="3"'), 'windows-1257');
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: cut, contentType: CT });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'HUB_ERR_BATCH_COUNT_MISMATCH');
  });

  it('does not let a LIETIS key create a load for Rīga (403), nor send through SOPA', async () => {
    const foreign = await call(t.url, 'POST', '/api/v1/loads', { key, json: { ...DAUGAVPILS, municipality: '0001000' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'HUB_ERR_ACCESS_DENIED');
    const asSopa = await call(t.url, 'POST', '/api/v1/loads', { key, json: { ...DAUGAVPILS, source: 'sopa', municipality: '0001000' } });
    assert.equal(asSopa.status, 403);
  });
});
