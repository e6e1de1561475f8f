import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { pushAndMatchTruth } from '../helpers/truth.ts';
import { call, pushLoad, allRejections, waitForLoad } from '../helpers/api.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
const key = KEYS['sopa-riga'];

async function count(t: TestHub, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await t.hub.store.db.query<{ n: number }>(sql, params)).rows[0].n);
}

describe('SOPA monthly load, end to end on PostgreSQL and Redis', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  it('accepts all 5 records of the partner example and stores them', async () => {
    const load = await pushLoad(t.url, key, RIGA, [EXAMPLE]);
    assert.equal(load.status, 'done');
    assert.deepEqual(load.records, { received: 5, accepted: 5, rejected: 0 });
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM household_status WHERE load_id = $1`, [load.id]), 1);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM household_member WHERE decision_id = 'RIX-S-2026-004711'`), 2);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM benefit_month WHERE load_id = $1`, [load.id]), 2);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM service_decision WHERE load_id = $1`, [load.id]), 1);
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM assistant_month WHERE load_id = $1`, [load.id]), 1);
    const gmi = (await t.hub.store.db.query<{ amount: string; person_code: string }>(
      `SELECT amount::text AS amount, person_code FROM benefit_month WHERE decision_id = 'RIX-P-2026-120044'`)).rows[0];
    assert.deepEqual(gmi, { amount: '89.40', person_code: '16117519997' });
    assert.deepEqual(await allRejections(t.url, key, load.id), []);
    assert.deepEqual([load.quality.consistency.checked, load.quality.consistency.failed], [2, 0]);
  });

  it('reports a benefit of an unknown household, and one outside its status validity, as inconsistent', async () => {
    // July: the status is in force only from 1 August, and the housing benefit names another household.
    const doc = EXAMPLE.toString().replaceAll('2026-10', '2026-07')
      .replace('<SpekaNo>2026-07-01</SpekaNo>', '<SpekaNo>2026-08-01</SpekaNo>')
      .replace(/(RIX-P-2026-120045">[\s\S]*?<MajsaimniecibaId>)RIX-H-88120/, '$1RIX-H-00000');
    assert.match(doc, /RIX-H-00000/);
    const load = await pushLoad(t.url, key, { ...RIGA, period: '2026-07' }, [doc]);
    assert.equal(load.records.accepted, 5);
    const c = load.quality.consistency;
    assert.deepEqual([c.checked, c.unknownHousehold, c.outsideValidity, c.failed], [2, 1, 1, 2]);
  });

  it('rejects exactly the planted records of a 3-batch generated load, each with its code, field and place', async () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-09', records: 600, batches: 3, everyCode: true, seed: 7 });
    const { load, total } = await pushAndMatchTruth(t, key, { ...RIGA, period: '2026-09' }, gen,
      ['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE']);

    // The quality report agrees with the truth, dimension by dimension.
    const q = load.quality;
    const planted = (codes: string[]): number => gen.truth.filter((p) => codes.includes(p.code)).length;
    assert.equal(q.records.received, total);
    assert.equal(q.accuracy.failed, planted(['PERSON_CODE', 'MUNICIPALITY', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'FORMAT']));
    assert.equal(q.completeness.failed, planted(['REQUIRED']));
    assert.equal(q.admissibility.failed, planted(['CLASSIFIER']));
    assert.equal(q.uniqueness.failed, planted(['DUPLICATE']));
    const byCode: Record<string, number> = {};
    for (const p of gen.truth) byCode[p.code] = (byCode[p.code] ?? 0) + 1;
    assert.deepEqual(q.rejectionsByCode, byCode);
    const kinds = Object.values(q.records.byKind) as { received: number; accepted: number; rejected: number }[];
    assert.equal(kinds.reduce((a, k) => a + k.accepted, 0), total - gen.truth.length);
    assert.equal(q.accuracy.rate, Math.round((q.accuracy.failed / total) * 10_000) / 10_000);
    // Generated decisions lie in 2026-09 and arrive now (after 2026-10-15): every one is late.
    assert.equal(q.timeliness.late, q.timeliness.checked);
    assert.ok(q.consistency.checked > 0);
  });

  it('answers 200 and changes nothing for the same batch again, and 409 for another body under that seq', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const id = created.body.id;
    assert.equal((await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: EXAMPLE })).status, 202);
    const again = await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: EXAMPLE });
    assert.equal(again.status, 200);
    const other = Buffer.from(EXAMPLE.toString().replace('89.40', '89.41'));
    const conflict = await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: other });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'HUB_ERR_BATCH_CONFLICT');
    const status = await call(t.url, 'GET', `/api/v1/loads/${id}`, { key });
    assert.equal(status.body.records.received, 5);
    assert.equal(await count(t, 'SELECT count(*)::int AS n FROM batches WHERE load_id = $1', [id]), 1);
  });

  it('replaces the current value on a correction and keeps the earlier version in history', async () => {
    const first = await pushLoad(t.url, key, { ...RIGA, period: '2026-08' }, [EXAMPLE.toString().replaceAll('2026-10', '2026-08')]);
    assert.equal(first.records.accepted, 5);
    const corrected = EXAMPLE.toString().replaceAll('2026-10', '2026-08').replace('<Summa>89.40</Summa>', '<Summa>95.10</Summa>');
    const second = await pushLoad(t.url, key, { ...RIGA, period: '2026-08' }, [corrected]);
    assert.equal(second.records.accepted, 5);
    const cur = (await t.hub.store.db.query<{ amount: string; version: number; load_id: string }>(
      `SELECT amount::text AS amount, version, load_id FROM benefit_month WHERE decision_id = 'RIX-P-2026-120044' AND month = '2026-08-01'`)).rows;
    assert.deepEqual(cur, [{ amount: '95.10', version: 2, load_id: second.id }]);
    const hist = (await t.hub.store.db.query<{ amount: string; version: number }>(
      `SELECT record->>'amount' AS amount, version FROM decision_history WHERE kind = 'benefit' AND natural_key = '0001000/sopa/RIX-P-2026-120044/2026-08'`)).rows;
    assert.deepEqual(hist, [{ amount: '89.40', version: 1 }]);
    // The unchanged records of the second load made no history.
    assert.equal(await count(t, `SELECT count(*)::int AS n FROM decision_history WHERE replaced_by = $1`, [second.id]), 1);
  });

  it('rejects a batch whose header count does not match its records, whole, with 422', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const cut = EXAMPLE.toString().replace('<IerakstuSkaits>5</IerakstuSkaits>', '<IerakstuSkaits>6</IerakstuSkaits>');
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: cut });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'HUB_ERR_BATCH_COUNT_MISMATCH');
    assert.match(r.body.error.message, /says 6 records but the document holds 5/);
  });

  it('refuses XML with a DOCTYPE or entity declaration with 400', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const evil = EXAMPLE.toString().replace('<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>');
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: evil });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'HUB_ERR_XML_DOCTYPE');
  });

  it('reports on the load a batch whose record cannot be read when processed (the PUT checks structure, not every character)', async () => {
    // An undefined entity inside the second benefit: at PUT the full reader sees only the first
    // record of each name (engine/xml/outline.ts), so this one is found when the batch is processed.
    const bad = EXAMPLE.toString().replace('<Summa>112.00</Summa>', '<Summa>112.00&nbsp;</Summa>');
    const load = await pushLoad(t.url, key, RIGA, [EXAMPLE, bad]);
    assert.equal(load.status, 'failed');
    assert.equal(load.failedBatches.length, 1);
    assert.equal(load.failedBatches[0].seq, 2);
    assert.match(load.failedBatches[0].error, /HUB_ERR_XML_MALFORMED: the document is not well-formed XML/);
    // The readable batch is applied and counted; nothing of the failed one is.
    assert.deepEqual(load.records, { received: 10, accepted: 5, rejected: 0 });
  });

  it('refuses a batch over 4 MB with 413 and a wrong content type with 415', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const big = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: Buffer.alloc(4 * 1024 * 1024 + 1, 32) });
    assert.equal(big.status, 413);
    const wrong = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: EXAMPLE, contentType: 'text/csv' });
    assert.equal(wrong.status, 415);
    assert.equal(wrong.body.error.code, 'HUB_ERR_BATCH_CONTENT_TYPE');
  });

  it('reports missing batches at commit instead of guessing', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: EXAMPLE });
    const r = await call(t.url, 'POST', `/api/v1/loads/${created.body.id}/commit`, { key, json: { batches: 3 } });
    assert.equal(r.status, 422);
    assert.match(r.body.error.message, /missing batch\(es\) 2, 3/);
  });

  it('authenticates partners: no key 401, another partner 403, another municipality 403', async () => {
    assert.equal((await call(t.url, 'POST', '/api/v1/loads', { json: RIGA })).status, 401);
    assert.equal((await call(t.url, 'POST', '/api/v1/loads', { key: 'not-a-key', json: RIGA })).status, 401);
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const other = await call(t.url, 'GET', `/api/v1/loads/${created.body.id}`, { key: KEYS['sopa-jelgava'] });
    assert.equal(other.status, 403);
    const put = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key: KEYS['sopa-jelgava'], body: EXAMPLE });
    assert.equal(put.status, 403);
    const foreign = await call(t.url, 'POST', '/api/v1/loads', { key, json: { ...RIGA, municipality: '0003000' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'HUB_ERR_ACCESS_DENIED');
  });

  it('rejects a batch for another municipality than its load with 422', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const r = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: EXAMPLE.toString().replace('<PasvaldibasATVK>0001000', '<PasvaldibasATVK>0003000') });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'HUB_ERR_BATCH_MUNICIPALITY');
  });

  it('masks personal codes in its logs', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: EXAMPLE });
    await call(t.url, 'POST', `/api/v1/loads/${created.body.id}/commit`, { key, json: { batches: 1 } });
    await waitForLoad(t.url, key, created.body.id);
    const all = t.logs.join('');
    assert.ok(all.includes(created.body.id), 'the load id (correlation id) is logged');
    assert.ok(!/16117519997|161175-19997/.test(all));
  });

  it('serves /health, /ready and Prometheus /metrics', async () => {
    assert.equal((await call(t.url, 'GET', '/health')).status, 200);
    const ready = await call(t.url, 'GET', '/ready');
    assert.equal(ready.status, 200);
    // `routes` names the route set this process runs (a content hash): after a reload, the new one.
    assert.deepEqual(ready.body.checks, { store: 'ok', redis: 'ok', redisTopology: 'standalone', routes: t.hub.generation });
    const m = await call(t.url, 'GET', '/metrics');
    assert.match(m.body as string, /spolis_records_total\{route="sopa-monthly-load",outcome="accepted"\} \d+/);
  });
});
