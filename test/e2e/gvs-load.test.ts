import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { pushAndMatchTruth } from '../helpers/truth.ts';
import { call, pushLoad, allRejections } from '../helpers/api.ts';
import { gvsSimulator } from '../../connectors/gvs/simulator.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/gvs-batch.ndjson', import.meta.url));
const NDJSON = 'application/x-ndjson';
const TUKUMS = { source: 'gvs', municipality: '0052000', period: '2026-10' };
const key = KEYS['gvs-tukums'];

async function count(t: TestHub, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await t.hub.store.db.query<{ n: number }>(sql, params)).rows[0].n);
}

describe('GVS monthly load, end to end on PostgreSQL and Redis', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  it('accepts all 3 records of the partner example and stores the amount in euro', async () => {
    const load = await pushLoad(t.url, key, TUKUMS, [EXAMPLE], NDJSON);
    assert.equal(load.status, 'done');
    assert.deepEqual(load.records, { received: 3, accepted: 3, rejected: 0 });
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM household_status WHERE load_id = $1`, [load.id]), 1);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM household_member WHERE decision_id = 'GVS-TUK-2026-17'`), 1);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM assistant_month WHERE load_id = $1`, [load.id]), 1);
    const housing = (await t.hub.store.db.query<{ amount: string; person_code: string; source: string }>(
      `SELECT amount::text AS amount, person_code, source FROM benefit_month WHERE decision_id = 'GVS-TUK-2026-18'`)).rows;
    assert.deepEqual(housing, [{ amount: '75.50', person_code: '02092710885', source: 'gvs' }]);
    assert.deepEqual(await allRejections(t.url, key, load.id), []);
  });

  it('rejects exactly the planted records of a 3-batch generated load, each with its code, field and place', async () => {
    const gen = gvsSimulator.generate({ municipality: '0052000', period: '2026-09', records: 600, batches: 3, everyCode: true, seed: 7 });
    await pushAndMatchTruth(t, key, { ...TUKUMS, period: '2026-09' }, gen,
      ['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE', 'FORMAT']);
  });

  it('rejects a batch whose header count does not match its record lines, whole, with 422', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: TUKUMS });
    const cut = EXAMPLE.toString().replace('"count":3', '"count":4');
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: cut, contentType: NDJSON });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'HUB_ERR_BATCH_COUNT_MISMATCH');
    assert.equal(r.body.error.field, 'header.count');
  });

  it('refuses a GVS batch sent as XML with 415', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: TUKUMS });
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: EXAMPLE, contentType: 'application/xml' });
    assert.equal(r.status, 415);
    assert.equal(r.body.error.code, 'HUB_ERR_BATCH_CONTENT_TYPE');
  });

  it('does not let a GVS key create a load for Rīga (403), nor read a SOPA partner\'s load', async () => {
    const foreign = await call(t.url, 'POST', '/api/v1/loads', { key, json: { ...TUKUMS, municipality: '0001000' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'HUB_ERR_ACCESS_DENIED');
    const asSopa = await call(t.url, 'POST', '/api/v1/loads', { key, json: { ...TUKUMS, source: 'sopa', municipality: '0001000' } });
    assert.equal(asSopa.status, 403);
    const riga = await call(t.url, 'POST', '/api/v1/loads', { key: KEYS['sopa-riga'], json: { source: 'sopa', municipality: '0001000', period: '2026-10' } });
    assert.equal((await call(t.url, 'GET', `/api/v1/loads/${riga.body.id}`, { key })).status, 403);
  });
});
