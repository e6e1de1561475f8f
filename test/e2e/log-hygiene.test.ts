/**
 * Issue 15 (and DESIGN.md §6): no personal code and no partner key in any log line, whatever the
 * hub does — loads with rejected records, refused batches, failing queries, unknown keys. The
 * hub's whole log of the suite is kept and searched.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad } from '../helpers/api.ts';

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
const key = KEYS['sopa-riga'];

describe('no personal code or key in any log line', function () {
  this.timeout(60_000);
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  it('logs what happened without the codes of the persons it happened to, and without keys', async () => {
    const codes = [...new Set(SOPA.match(/\d{6}-?\d{5}/g))].map((c) => c.replace('-', ''));
    assert.ok(codes.length >= 3);
    // A load with a rejected record (a broken code), a refused batch, queries refused and failing.
    await pushLoad(t.url, key, RIGA, [SOPA.replace('161175-19997', '161175-19998')]);
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: RIGA });
    await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body: Buffer.from(SOPA.replace('<Vards>Anna</Vards>', '<Vards>\xff</Vards>'), 'latin1') });
    const errors: string[] = [];
    for (const k of [key, 'key-nobody-holds-000000000000000000000', KEYS['lm-analytics']]) {
      errors.push(JSON.stringify((await call(t.url, 'POST', '/api/v1/query/vsaa-ep51', { key: k, json: { personCode: codes[0], purpose: 'Lieta 2026/17' } })).body));
    }
    errors.push(JSON.stringify((await call(t.url, 'POST', '/api/v1/query/pmlp-person', { key, json: { personCode: `${codes[1].slice(0, 6)}-${codes[1].slice(6)}`, purpose: 'x'.repeat(600) } })).body));
    errors.push(JSON.stringify((await call(t.url, 'POST', '/api/v1/query/pmlp-person', { key, json: { personCode: `${codes[2].slice(0, 6)}-${codes[2].slice(6, 10)}`, purpose: 'p' } })).body));
    // The errors answered name what is wrong, never the person.
    for (const c of codes) assert.ok(!errors.join('\n').includes(c.slice(0, 10)), `an error answer carries the code ${c.slice(0, 6)}-*****: ${errors.join('\n')}`);
    const log = t.logs.join('');
    if (process.env.SHOW_LOG) process.stderr.write(log);
    assert.ok(log.length > 1000, `the hub logged (${log.length} bytes)`);
    for (const c of [...codes, '16117519998']) {
      assert.ok(!log.includes(c) && !log.includes(`${c.slice(0, 6)}-${c.slice(6)}`), `personal code ${c.slice(0, 6)}-***** appears in the log`);
    }
    for (const [id, k] of Object.entries(KEYS)) assert.ok(!log.includes(k), `the key of ${id} appears in the log`);
    assert.ok(!log.includes('key-nobody-holds'), 'a presented unknown key appears in the log');
    // Nothing that looks like a personal code at all, masked ones apart.
    // A code stands alone; eleven digits inside a request id (a UUID's last group, hex) are not one.
    assert.deepEqual(log.match(/(?<![\w-])\d{6}-?\d{5}(?![\w-])/g) ?? [], []);
  });
});
