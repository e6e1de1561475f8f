/** A store for one suite on either backend the store runs on, so the same suite proves both. */
import { openStore, type Store } from '../../store/index.ts';
import { createTestDatabase } from './env.ts';

export const BACKENDS = ['postgres', 'pglite'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface TestStore {
  store: Store;
  /** Closes the store and drops its private database. */
  close(): Promise<void>;
}

/** PostgreSQL: a private database of this run; PGlite: in memory. */
export async function openTestStore(backend: Backend): Promise<TestStore> {
  if (backend === 'pglite') {
    const store = await openStore('memory://');
    return { store, close: () => store.close() };
  }
  const db = await createTestDatabase();
  const store = await openStore(db.url);
  return { store, close: async () => { await store.close(); await db.drop(); } };
}
