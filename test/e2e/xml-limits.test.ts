/**
 * Issue 15, second finding: an element with 100,000 attributes, or nesting 500,000 deep, kept the
 * API busy for seconds (a parser reading the root's attributes) or grew it by hundreds of MB. The
 * outline that counts a PUT's records now bounds each element on the bytes, so such a batch is
 * refused (400 HUB_ERR_XML_LIMIT) before any parser sees it, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const LIETIS = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url), 'latin1');
const many = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}="x"`).join('');
const second = SOPA.indexOf('<Pabalsts ', SOPA.indexOf('<Pabalsts ') + 1);
const inSecondRecord = (s: string) => SOPA.slice(0, SOPA.indexOf('>', second) + 1) + s + SOPA.slice(SOPA.indexOf('>', second) + 1);

describe('elements past the hub\'s limits are refused at the PUT (HUB_ERR_XML_LIMIT)', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  async function put(source: 'sopa' | 'lietis', body: Buffer, contentType = 'application/xml') {
    const key = source === 'sopa' ? KEYS['sopa-riga'] : KEYS['lietis-daugavpils'];
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: { source, municipality: source === 'sopa' ? '0001000' : '0002000', period: '2026-10' } });
    const res = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body, contentType });
    const stored = Number((await t.hub.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE load_id = $1', [created.body.id])).rows[0].n);
    return { res, stored };
  }

  const cases: [string, string, RegExp][] = [
    ['100,000 attributes on the root', SOPA.replace('versija="1.0"', `versija="1.0"${many(100_000)}`), /<SpolisEksports> has more than 256 attributes \(line 2\)/],
    ['100,000 attributes on a record', SOPA.slice(0, second + 9) + many(100_000) + SOPA.slice(second + 9), /<Pabalsts> has more than 256 attributes \(line 32\)/],
    ['500,000-deep nesting inside the second record', inSecondRecord('<x>'.repeat(500_000) + '</x>'.repeat(500_000)), /nested more than 64 deep \(line 32\)/],
    ['an element name of 100,000 bytes', SOPA.replace('<Galvene>', `<Galvene><${'N'.repeat(100_000)}/>`), /an element name longer than 256 bytes \(line 3\)/],
  ];
  for (const [what, doc, message] of cases) {
    it(`refuses ${what}, and stores nothing`, async () => {
      const { res, stored } = await put('sopa', Buffer.from(doc));
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.error.code, 'HUB_ERR_XML_LIMIT');
      assert.match(res.body.error.message, message);
      assert.equal(stored, 0);
    });
  }

  it('bounds LIETIS documents the same way', async () => {
    const body = Buffer.from(LIETIS.replace('<lietis:Member ', `<lietis:Member${many(300)} `), 'latin1');
    const { res, stored } = await put('lietis', body, 'application/xml; charset=windows-1257');
    assert.deepEqual([res.status, res.body.error.code, stored], [400, 'HUB_ERR_XML_LIMIT', 0]);
  });

  it('takes a document at the limit: 256 attributes on the root (xmlns and versija among them)', async () => {
    const { res, stored } = await put('sopa', Buffer.from(SOPA.replace('versija="1.0"', `versija="1.0"${many(254)}`)));
    assert.deepEqual([res.status, stored], [202, 1], JSON.stringify(res.body));
  });
});
