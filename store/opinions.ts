/**
 * VDEĀVK's assistant-service opinions, as pulled and pushed (issue 4). The newest change of an
 * opinion wins: a pull and a push may bring the same change twice, or an older change after a
 * newer one, and neither may turn the stored opinion back. The cross-checks read this table.
 */
import type { Db } from './db.ts';
import type { AssistantOpinion } from '../schemas/canonical/model.ts';

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Stores the opinions (newest change wins); resolves with how many rows changed. */
export async function upsertOpinions(db: Db, opinions: AssistantOpinion[], source: 'pull' | 'push'): Promise<number> {
  // One statement cannot touch a row twice: keep each opinion's newest change of this call.
  const newest = new Map<string, AssistantOpinion>();
  for (const o of opinions) {
    const had = newest.get(o.opinionId);
    if (!had || Date.parse(had.changedAt) < Date.parse(o.changedAt)) newest.set(o.opinionId, o);
  }
  if (newest.size === 0) return 0;
  const r = await db.query(
    `INSERT INTO assistant_opinion (opinion_id, person_code, disability_group, kind, issued_on, valid_from, valid_to, max_hours_per_month, revoked, changed_at, source)
     SELECT x."opinionId", x."personCode", x."disabilityGroup", x.kind, x."issuedOn"::date, x."validFrom"::date, x."validTo"::date,
            x."maxHoursPerMonth"::int, x.revoked::boolean, x."changedAt"::timestamptz, $2
     FROM json_to_recordset($1::json) AS x("opinionId" text, "personCode" text, "disabilityGroup" text, kind text, "issuedOn" text,
          "validFrom" text, "validTo" text, "maxHoursPerMonth" text, revoked text, "changedAt" text)
     ON CONFLICT (opinion_id) DO UPDATE SET
       person_code = EXCLUDED.person_code, disability_group = EXCLUDED.disability_group, kind = EXCLUDED.kind,
       issued_on = EXCLUDED.issued_on, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
       max_hours_per_month = EXCLUDED.max_hours_per_month, revoked = EXCLUDED.revoked, changed_at = EXCLUDED.changed_at,
       source = EXCLUDED.source, stored_at = now()
     WHERE assistant_opinion.changed_at < EXCLUDED.changed_at`,
    [JSON.stringify([...newest.values()].map((o) => ({ ...o, maxHoursPerMonth: o.maxHoursPerMonth ?? null, revoked: String(o.revoked) }))), source],
  );
  return r.rowCount ?? 0;
}

/** One person's opinions as stored, newest change first. */
export async function storedOpinions(db: Db, personCode: string): Promise<AssistantOpinion[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT opinion_id, person_code, disability_group, kind, to_char(issued_on, 'YYYY-MM-DD') AS issued_on,
            to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to,
            max_hours_per_month, revoked, ${TS('changed_at')} AS changed_at
     FROM assistant_opinion WHERE person_code = $1 ORDER BY changed_at DESC, opinion_id`, [personCode]);
  return r.rows.map((x) => ({
    opinionId: x.opinion_id as string, personCode: x.person_code as string,
    disabilityGroup: x.disability_group as AssistantOpinion['disabilityGroup'], kind: x.kind as AssistantOpinion['kind'],
    issuedOn: x.issued_on as string, validFrom: x.valid_from as string, validTo: x.valid_to as string,
    ...(x.max_hours_per_month !== null ? { maxHoursPerMonth: Number(x.max_hours_per_month) } : {}),
    revoked: Boolean(x.revoked), changedAt: x.changed_at as string,
  }));
}

export async function opinionCount(db: Db): Promise<number> {
  return Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assistant_opinion')).rows[0].n);
}
