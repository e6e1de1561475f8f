/**
 * The hot paths' statements are prepared once per connection (QueryOptions.prepare), and not at
 * all when DATABASE_PREPARED_STATEMENTS is off, as behind a pooler that cannot carry them.
 */
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../store/index.ts';
import { personApplications } from '../../store/applications.ts';
import { AuditWriter } from '../../engine/runtime/audit-writer.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts';

/** The named statements on the one connection of a single-connection store. */
async function preparedOn(store: Store): Promise<string[]> {
  const r = await store.db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time');
  return r.rows.map((x) => x.statement);
}

describe('prepared statements of the hot paths', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  for (const preparedStatements of [true, false]) {
    it(`a person's decisions and the audit append ${preparedStatements ? 'are prepared once per connection' : 'are not prepared when turned off'}`, async () => {
      const store = await openStore(db.url, { poolSize: 1, preparedStatements });
      try {
        const audit = new AuditWriter(store.db);
        for (let i = 0; i < 3; i++) {
          assert.deepEqual(await personApplications(store.db, '16117519997'), { decided: [] });
          await audit.append({ actor: 'test', subject: '16117519997', service: 'eservice:application-status', outcome: 'answered' });
        }
        const named = await preparedOn(store);
        if (!preparedStatements) return assert.deepEqual(named, []);
        assert.equal(named.length, 2, named.join('\n---\n'));
        assert.match(named[0], /FROM household_status h/);
        assert.match(named[1], /INSERT INTO audit_log/);
      } finally {
        await store.close();
      }
    });
  }
});
