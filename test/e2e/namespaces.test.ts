/**
 * Issue 15, third finding: elements below the root were matched by local name only, so a
 * `Pabalsts` bound to a foreign namespace, a `Galvene` in another one, or a `Summa` from another
 * vocabulary were read as SOPA's own. Now every element is matched by namespace and local name as
 * sopa.md's XSD says: a foreign section, header or record refuses the batch; a foreign element
 * inside a record rejects that record alone (FORMAT, naming the element). Comments and processing
 * instructions holding fake records stay ignored.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad, allRejections } from '../helpers/api.ts';

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
const key = KEYS['sopa-riga'];

describe('SOPA elements are matched by namespace and local name, as the XSD says', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  /** PUT as a load's only batch, then commit and wait; the load as the API shows it, or the refusal. */
  async function send(doc: string) {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    const id = created.body.id as string;
    const put = await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: Buffer.from(doc) });
    if (put.status !== 202) return { put, id };
    await call(t.url, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: 1 } });
    for (let i = 0; i < 200; i++) {
      const s = await call(t.url, 'GET', `/api/v1/loads/${id}`, { key });
      if (s.body.status === 'done' || s.body.status === 'failed') return { put, id, load: s.body };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('load did not finish');
  }
  const refusedOrFailed = (r: Awaited<ReturnType<typeof send>>): string =>
    (r.put.status !== 202 ? `${r.put.status} ${r.put.body.error.code} ${r.put.body.error.message}` : `${r.load.status} ${JSON.stringify(r.load.failedBatches)}`);

  it('refuses a Pabalsts bound to a foreign namespace by a prefix', async () => {
    const doc = SOPA.replace('<Pabalsts lemumaNr="RIX-P-2026-120045">', '<x:Pabalsts xmlns:x="urn:example:other" lemumaNr="RIX-P-2026-120045">')
      .replace(/(<x:Pabalsts[\s\S]*?)<\/Pabalsts>/, '$1</x:Pabalsts>');
    const r = await send(doc);
    assert.match(refusedOrFailed(r), /HUB_ERR_BATCH_SECTION.*section Pabalsti holds Pabalsts elements of urn:lv:zzdats:sopa:spolis:1, found Pabalsts in "urn:example:other"/);
    assert.equal(r.load?.records?.accepted ?? 0, 0, 'nothing of the batch is stored');
  });

  it('refuses a Galvene in another namespace', async () => {
    const r = await send(SOPA.replace('<Galvene>', '<Galvene xmlns="urn:example:other">'));
    assert.equal(r.put.status, 422, JSON.stringify(r.put.body));
    assert.equal(r.put.body.error.code, 'HUB_ERR_BATCH_SECTION');
    assert.match(r.put.body.error.message, /Galvene .* is in namespace "urn:example:other", not SOPA's/);
  });

  it('rejects the record whose Summa is in a foreign namespace, naming it, and stores the other four', async () => {
    const r = await send(SOPA.replace('<Summa>89.40</Summa>', '<Summa xmlns="urn:example:other">89.40</Summa>'));
    assert.equal(r.load.status, 'done', JSON.stringify(r.load));
    assert.deepEqual(r.load.records, { received: 5, accepted: 4, rejected: 1 });
    const [rej] = await allRejections(t.url, key, r.id);
    assert.deepEqual(rej.errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['Summa', 'FORMAT']]);
    assert.match(rej.errors[0].message, /Summa \(line 29\) is in namespace "urn:example:other", not SOPA's urn:lv:zzdats:sopa:spolis:1/);
  });

  it('ignores fake records in comments and processing instructions: the count and the store are the real five', async () => {
    const fake = '<Pabalsts lemumaNr="FAKE-1"><Veids>GMI</Veids><PersonasKods>161175-19997</PersonasKods><Summa>9999.00</Summa></Pabalsts>';
    const doc = SOPA.replace('<Pabalsti>', `<Pabalsti>\n    <!-- ${fake} -->\n    <?spolis ${fake}?>`);
    const load = await pushLoad(t.url, key, RIGA, [doc]);
    assert.equal(load.status, 'done');
    assert.deepEqual(load.records, { received: 5, accepted: 5, rejected: 0 });
    const n = (await t.hub.store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM benefit_month WHERE decision_id = 'FAKE-1'`)).rows[0].n;
    assert.equal(n, 0);
  });

  it('refuses a DOCTYPE and entity declarations (400) before anything is read', async () => {
    const r = await send(SOPA.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE SpolisEksports [<!ENTITY e SYSTEM "file:///etc/passwd">]>'));
    assert.deepEqual([r.put.status, r.put.body.error.code], [400, 'HUB_ERR_XML_DOCTYPE']);
  });
});
