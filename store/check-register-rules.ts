/**
 * The cross-checks that need PMLP's population register (issue 12): deaths and declared
 * residences, as the register feed's changes are stored in person_register_change. Until the
 * first changes are stored, checks.ts reports these parts as unavailable rather than running them
 * (with no register data every check would be silent, which would read as "all clear").
 *
 * 7. a benefit month, an assistant month or a granted service in force in a month, for a person
 *    the register says died before that month began;
 * 8. GMI or housing benefit for a month paid by a municipality that was not the person's declared
 *    residence on any day of that month;
 * 9. a household status in force in a month with a member whose declared residence was in
 *    another municipality than the granting one on every day of that month.
 *
 * "On any day": a person who moved in the middle of the month had two residences in it, and
 * either municipality may rightly have paid. A person of whom the register holds no residence is
 * not judged by 8 and 9 (nothing to compare with).
 */
import type { Db } from './db.ts';
import { maskPersonCode } from './report-common.ts';
import { registerLoaded } from './person-register.ts';
import { rec, where, type CheckPart, type R } from './check-rules.ts';

export const REGISTER_TABLE = 'person_register_change';
export const REGISTER_NOT_LOADED = 'unavailable: PMLP population register data are not loaded yet';

/** Null when the register's changes are stored; otherwise the status to report. */
export async function registerProblem(db: Db): Promise<string | null> {
  return (await registerLoaded(db)) ? null : REGISTER_NOT_LOADED;
}

/**
 * The municipalities of the declared residences in force on some day of [$1, $2] for a person:
 * the one in force on the first day, and every one that took effect later in the month. NULL when
 * the register holds none. Each arm is one probe of the (person_code, kind, effective_on) index.
 */
const placesOf = (person: string): string => `(
  SELECT array_agg(DISTINCT x.municipality ORDER BY x.municipality) FROM (
    (SELECT c.municipality FROM ${REGISTER_TABLE} c WHERE c.person_code = ${person} AND c.kind = 'RESIDENCE' AND c.effective_on <= $1::date
     ORDER BY c.effective_on DESC, c.recorded_at DESC LIMIT 1)
    UNION ALL
    SELECT c.municipality FROM ${REGISTER_TABLE} c WHERE c.person_code = ${person} AND c.kind = 'RESIDENCE'
      AND c.effective_on > $1::date AND c.effective_on <= $2::date) x)`;

const placesText = (places: string): string => places.replace(/[{}]/g, '').split(',').map(where).join(' and ');

const deceased: CheckPart = {
  rule: 7, part: 'after-death', needsRegister: true,
  async run(db, m) {
    // Deaths before the month; a record of the month of death itself may be right (paid up to it).
    const rows = (await db.query<R>(`
      WITH d AS (SELECT person_code, to_char(min(effective_on), 'YYYY-MM-DD') AS died FROM ${REGISTER_TABLE}
                 WHERE kind = 'DEATH' AND effective_on < $1::date GROUP BY person_code)
      SELECT 'benefit' AS kind, b.municipality, b.source, b.decision_id, to_char(b.month, 'YYYY-MM') AS month, b.person_code, d.died,
             'Benefit ' || b.benefit_type AS what FROM benefit_month b JOIN d ON d.person_code = b.person_code WHERE b.month = $1::date
      UNION ALL
      SELECT 'assistant-month', a.municipality, a.source, a.decision_id, to_char(a.month, 'YYYY-MM'), a.person_code, d.died,
             'Assistant service' FROM assistant_month a JOIN d ON d.person_code = a.person_code WHERE a.month = $1::date
      UNION ALL
      SELECT 'service-decision', s.municipality, s.source, s.decision_id, NULL, s.person_code, d.died,
             'Service ' || s.service_type FROM service_decision s JOIN d ON d.person_code = s.person_code
      WHERE s.outcome = 'GRANTED' AND s.valid_from <= $2::date AND (s.valid_to IS NULL OR s.valid_to >= $1::date)
      ORDER BY 2, 3, 4`, [m.first, m.last])).rows;
    return rows.map((r) => ({
      rule: 7 as const,
      reason: `${r.what} of person ${maskPersonCode(r.person_code)} from ${where(r.municipality)} `
        + `${r.kind === 'service-decision' ? 'is granted and in force in' : 'for'} ${m.period}, but the population register (PMLP) records the person's death on ${r.died}, `
        + 'before that month began: a service given to a person who is no longer alive.',
      records: [rec(r.kind as 'benefit' | 'assistant-month' | 'service-decision', r)],
    }));
  },
};

const paidOutsideResidence: CheckPart = {
  rule: 8, part: 'paid-outside-declared-residence', needsRegister: true,
  async run(db, m) {
    const rows = (await db.query<R>(`
      SELECT b.municipality, b.source, b.decision_id, to_char(b.month, 'YYYY-MM') AS month, b.person_code, b.benefit_type, p.arr::text AS places
      FROM benefit_month b CROSS JOIN LATERAL (SELECT ${placesOf('b.person_code')} AS arr) p
      WHERE b.month = $1::date AND b.benefit_type IN ('GMI', 'HOUSING') AND p.arr IS NOT NULL AND NOT (b.municipality = ANY (p.arr))
      ORDER BY b.municipality, b.source, b.decision_id`, [m.first, m.last])).rows;
    return rows.map((r) => ({
      rule: 8 as const,
      reason: `${r.benefit_type === 'GMI' ? 'GMI' : 'Housing benefit'} for ${m.period} of person ${maskPersonCode(r.person_code)} was paid by ${where(r.municipality)}, `
        + `but the person's declared residence in that month was in ${placesText(r.places)} (PMLP). `
        + 'GMI and housing benefit are paid by the municipality of the declared residence.',
      records: [rec('benefit', r)],
    }));
  },
};

const householdElsewhere: CheckPart = {
  rule: 9, part: 'household-member-resides-elsewhere', needsRegister: true,
  async run(db, m) {
    const rows = (await db.query<R>(`
      SELECT h.municipality, h.source, h.decision_id, h.status, h.household_id, hm.person_code, hm.member_no, p.arr::text AS places
      FROM household_status h
      JOIN household_member hm ON hm.municipality = h.municipality AND hm.source = h.source AND hm.decision_id = h.decision_id
      CROSS JOIN LATERAL (SELECT ${placesOf('hm.person_code')} AS arr) p
      WHERE h.valid_from <= $2::date AND h.valid_to >= $1::date AND p.arr IS NOT NULL AND NOT (h.municipality = ANY (p.arr))
      ORDER BY h.municipality, h.source, h.decision_id, hm.member_no`, [m.first, m.last])).rows;
    const byStatus = new Map<string, R[]>();
    for (const r of rows) {
      const k = `${r.municipality}/${r.source}/${r.decision_id}`;
      byStatus.set(k, [...(byStatus.get(k) ?? []), r]);
    }
    return [...byStatus.values()].map((g) => ({
      rule: 9 as const,
      reason: `${g[0].status} status of household ${g[0].household_id ?? `of decision ${g[0].decision_id}`} granted by ${where(g[0].municipality)}, `
        + `in force in ${m.period}: ${g.map((r) => `member ${maskPersonCode(r.person_code)} had declared residence in ${placesText(r.places)}`).join('; ')} (PMLP). `
        + 'A household is assessed by the municipality where its members have declared residence.',
      records: [rec('household-status', g[0])],
    }));
  },
};

export const REGISTER_PARTS: CheckPart[] = [deceased, paidOutsideResidence, householdElsewhere];
