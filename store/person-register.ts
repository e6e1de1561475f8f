/**
 * What the hub keeps of PMLP's population register (issue 12): the feed's changes, one row each,
 * never overwritten. Deaths and residences are facts with an effective date, and the Ministry's
 * checks ask about a month in the past ("where did this person live in October?"), so the store
 * keeps every change rather than the current state: the residence in force on a day is the newest
 * RESIDENCE change effective on or before it.
 */
import type { Db } from './db.ts';
import type { RegisterChange } from '../schemas/canonical/model.ts';

/** Stores changes not stored yet (by ChangeId); resolves with how many were new. */
export async function storeRegisterChanges(db: Db, changes: RegisterChange[], source: 'pull' | 'push'): Promise<number> {
  if (changes.length === 0) return 0;
  const r = await db.query(
    `INSERT INTO person_register_change (change_id, person_code, kind, effective_on, municipality, address_code, recorded_at, source)
     SELECT x."changeId", x."personCode", x.kind, x."effectiveOn"::date, x.municipality, x."addressCode", x."recordedAt"::timestamptz, $2
     FROM json_to_recordset($1::json) AS x("changeId" text, "personCode" text, kind text, "effectiveOn" text, municipality text,
          "addressCode" text, "recordedAt" text)
     ON CONFLICT (change_id) DO NOTHING`,
    [JSON.stringify(changes.map((c) => ({ ...c, municipality: c.municipality ?? null, addressCode: c.addressCode ?? null }))), source],
  );
  return r.rowCount ?? 0;
}

export interface RegisterFacts {
  personCode: string;
  /** YYYY-MM-DD, when the register holds a death. */
  deathDate?: string;
  /** Every declared residence known, oldest first. */
  residences: { municipality: string; addressCode?: string; validFrom: string }[];
}

/** One person's stored changes, as facts. */
export async function registerFacts(db: Db, personCode: string): Promise<RegisterFacts> {
  const rows = (await db.query<{ kind: string; effective_on: string; municipality: string | null; address_code: string | null }>(
    `SELECT kind, to_char(effective_on, 'YYYY-MM-DD') AS effective_on, municipality, address_code FROM person_register_change
     WHERE person_code = $1 ORDER BY effective_on, recorded_at, change_id`, [personCode])).rows;
  const death = rows.filter((r) => r.kind === 'DEATH').at(-1);
  return {
    personCode,
    ...(death ? { deathDate: death.effective_on } : {}),
    residences: rows.filter((r) => r.kind === 'RESIDENCE')
      .map((r) => ({ municipality: r.municipality!, ...(r.address_code ? { addressCode: r.address_code } : {}), validFrom: r.effective_on })),
  };
}

/** Whether any register change is stored: until then, what reads residences and deaths has nothing to read. */
export async function registerLoaded(db: Db): Promise<boolean> {
  return (await db.query('SELECT 1 FROM person_register_change LIMIT 1')).rows.length > 0;
}

export async function registerChangeCount(db: Db): Promise<number> {
  return Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM person_register_change')).rows[0].n);
}
