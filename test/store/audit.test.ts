import assert from 'node:assert/strict';
import { openStore, appendAudit, verifyAudit, type Store } from '../../store/index.ts';

describe('audit log', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('memory://');
    for (let i = 1; i <= 5; i++) {
      await appendAudit(store.db, { actor: 'sopa-riga', subject: '16117519997', service: 'vsaa-ep51', purpose: `case ${i}`, outcome: 'ok', requestSha256: 'a'.repeat(64) });
    }
  });
  afterEach(async () => { await store.close(); });

  it('verifies a chain nobody touched', async () => {
    assert.deepEqual(await verifyAudit(store.db).then((v) => [v.ok, v.rows]), [true, 5]);
  });

  it('names the first altered row', async () => {
    await store.db.query(`UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 3`);
    const v = await verifyAudit(store.db);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.seq, 3);
    assert.match(!v.ok ? v.problem : '', /altered/);
  });

  it('names a removed row', async () => {
    await store.db.query(`DELETE FROM audit_log WHERE seq = 2`);
    const v = await verifyAudit(store.db);
    assert.deepEqual(!v.ok && [v.seq, /removed/.test(v.problem)], [2, true]);
  });

  it('names reordered rows', async () => {
    await store.db.query(`UPDATE audit_log SET seq = -seq WHERE seq IN (3, 4)`);
    await store.db.query(`UPDATE audit_log SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq IN (-3, -4)`);
    const v = await verifyAudit(store.db);
    assert.equal(!v.ok && v.seq, 3);
  });

  it('keeps one chain when writers append at the same time', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendAudit(store.db, { actor: 'gvs-tukums', service: 'dlq.replay', outcome: 'reopened', details: { i } })));
    assert.deepEqual(await verifyAudit(store.db).then((v) => [v.ok, v.rows]), [true, 25]);
  });

  it('verifies rows whose details jsonb stores with its keys in another order', async () => {
    await appendAudit(store.db, { actor: 'operator:x', service: 'dlq.replay', outcome: 'reopened', details: { deadLetterId: 7, route: 'r', error: { message: 'm', code: 'C' } } });
    assert.deepEqual(await verifyAudit(store.db).then((v) => [v.ok, v.rows]), [true, 6]);
  });
});
