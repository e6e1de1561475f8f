/**
 * The audit chain with several writers at once, as a deployment has them: each process its own
 * AuditWriter on its own connection pool (api, worker, scheduler), plus one-off appends inside other
 * transactions (a provider's application, a replay). A writer appends after the head it wrote last
 * in one statement; when another moved the chain on, it must fall back to the locked append and
 * neither lose a row, fork the chain nor fail its callers.
 */
import assert from 'node:assert/strict';
import { openStore, appendAudit, verifyAudit, type Db, type Store } from '../../store/index.ts';
import { AuditWriter } from '../../engine/runtime/audit-writer.ts';
import { createTestDatabase } from '../helpers/env.ts';

/** A Db that counts what goes to the server: statements outside a transaction, and transactions. */
function counting(db: Db): { db: Db; statements: number; transactions: number } {
  const c = { db, statements: 0, transactions: 0 };
  c.db = {
    ...db, kind: db.kind,
    query: (sql, params, opts) => { c.statements++; return db.query(sql, params, opts); },
    transaction: (fn) => { c.transactions++; return db.transaction(fn); },
  } as Db;
  return c;
}

const entry = (actor: string, i: number) => ({ actor, subject: '16117519997', service: 'eservice:application-status', purpose: `request ${i}`, outcome: 'answered', details: { i } });

describe('the audit chain with several writers', function () {
  this.timeout(60_000);
  let drop: () => Promise<void>;
  let url: string;
  const stores: Store[] = [];
  before(async () => {
    const db = await createTestDatabase();
    url = db.url;
    drop = db.drop;
    // Three processes' pools, small as a deployment's are.
    for (let i = 0; i < 3; i++) stores.push(await openStore(url, { poolSize: 3 }));
  });
  after(async () => {
    for (const s of stores) await s.close();
    await drop();
  });

  it('a lone writer appends each batch after its first in one statement, without a transaction', async () => {
    const c = counting(stores[0].db);
    const w = new AuditWriter(c.db);
    for (let i = 0; i < 10; i++) await w.appendAll([entry('api', i), entry('hub', i)]);
    assert.equal(c.transactions, 1, 'only the first batch reads the head under the lock');
    assert.equal(c.statements, 9, 'every later batch is one INSERT');
    assert.deepEqual(await verifyAudit(stores[0].db).then((v) => [v.ok, v.rows]), [true, 20]);
  });

  it('writers in three processes and appends inside other transactions keep one chain, every row once', async () => {
    const before = (await verifyAudit(stores[0].db)).rows;
    const writers = stores.map((s) => new AuditWriter(s.db));
    const per = 400;
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < per; i++) {
      writers.forEach((w, k) => { work.push(i % 3 === 0 ? w.appendAll([entry(`p${k}`, i), entry(`p${k}-call`, i)]) : w.append(entry(`p${k}`, i))); });
      // A one-off append inside another transaction, as a provider's application makes.
      if (i % 10 === 0) work.push(stores[i % 3].db.transaction((tx) => appendAudit(tx, entry('operator:x', i))));
      // Let the writers interleave rather than each drain its whole queue in one batch.
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.allSettled(work);
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), [], 'no caller is refused its audit row');
    const rowsPerWriter = per + Math.ceil(per / 3);
    const v = await verifyAudit(stores[0].db);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.rows, before + 3 * rowsPerWriter + Math.ceil(per / 10));
    // Every row exactly once: none written twice by a retried batch.
    const db = stores[0].db;
    const dup = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT actor, details->>'i' FROM audit_log WHERE actor LIKE 'p%' GROUP BY 1, 2 HAVING count(*) > 1) d`);
    assert.equal(dup.rows[0].n, 0);
  });

  it('a writer whose remembered head is behind the chain falls back and links to the real head', async () => {
    const w = new AuditWriter(stores[0].db);
    await w.append(entry('api', 1));
    // Another process writes: the first writer's head is now stale.
    await new AuditWriter(stores[1].db).append(entry('worker', 1));
    await w.append(entry('api', 2));
    const v = await verifyAudit(stores[0].db);
    assert.ok(v.ok, JSON.stringify(v));
    const last = await stores[0].db.query<{ actor: string; purpose: string }>('SELECT actor, purpose FROM audit_log ORDER BY seq DESC LIMIT 2');
    assert.deepEqual(last.rows.map((r) => `${r.actor} ${r.purpose}`), ['api request 2', 'worker request 1']);
  });
});
