/**
 * The parts of the cross-checks that need VDEĀVK assistant opinions (rule 3's CHILD maximum and
 * rule 4). They read a table `assistant_opinion` with the columns of OPINION_COLUMNS, the fields
 * of ../shared/partners/vdeavk.md; until the opinions issue creates and fills it, checks.ts reports
 * these parts as unavailable instead of running them (which would flag every assistant month).
 */
import type { Db } from './db.ts';
import { maskPersonCode, type ReportMonth } from './report-common.ts';
import { ASSISTANT_COLS, hours, rec, where, type CheckPart, type R } from './check-rules.ts';

export const OPINION_TABLE = 'assistant_opinion';
export const OPINION_COLUMNS = ['person_code', 'kind', 'valid_from', 'valid_to', 'max_hours_per_month', 'revoked'] as const;
export const OPINIONS_NOT_LOADED = 'unavailable: VDEĀVK opinions are not loaded yet';

// An opinion counts for a month when it is not revoked and valid on at least one day of it.
const VALID = `o.person_code = a.person_code AND NOT o.revoked AND o.valid_from <= $2::date AND (o.valid_to IS NULL OR o.valid_to >= $1::date)`;

/**
 * Null when opinions can be checked against; otherwise the status to report. An empty table counts
 * as not loaded: checking against nothing would report every assistant month.
 */
export async function opinionsProblem(db: Db): Promise<string | null> {
  const cols = new Set((await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, [OPINION_TABLE])).rows
    .map((r) => r.column_name));
  if (cols.size === 0) return OPINIONS_NOT_LOADED;
  const missing = OPINION_COLUMNS.filter((c) => !cols.has(c));
  if (missing.length) return `unavailable: table ${OPINION_TABLE} lacks column(s) ${missing.join(', ')} that this check reads`;
  const any = (await db.query(`SELECT 1 FROM ${OPINION_TABLE} LIMIT 1`)).rows.length > 0;
  return any ? null : OPINIONS_NOT_LOADED;
}

const childAboveOpinionMaximum: CheckPart = {
  rule: 3, part: 'child-above-opinion-maximum', needsOpinions: true,
  async run(db: Db, m: ReportMonth) {
    const rows = (await db.query<R>(`
      SELECT ${ASSISTANT_COLS}, o.max_h::text AS max_h FROM assistant_month a
      JOIN LATERAL (SELECT max(o.max_hours_per_month) AS max_h FROM ${OPINION_TABLE} o
                    WHERE ${VALID} AND o.kind = 'CHILD_SPECIAL_CARE') o ON true
      WHERE a.month = $1::date AND a.category = 'CHILD' AND o.max_h IS NOT NULL
        AND greatest(a.granted_hours, a.used_hours) > o.max_h
      ORDER BY a.municipality, a.source, a.decision_id`, [m.first, m.last])).rows;
    return rows.map((r) => ({
      rule: 3 as const,
      reason: `Assistant service of child ${maskPersonCode(r.person_code)} in ${where(r.municipality)}, ${m.period}: `
        + `${hours(r.granted)} hours granted and ${hours(r.used)} used, above the ${hours(r.max_h)} hours a month of the VDEĀVK opinion.`,
      records: [rec('assistant-month', r)],
    }));
  },
};

const withoutOpinion: CheckPart = {
  rule: 4, part: 'assistant-without-opinion', needsOpinions: true,
  async run(db: Db, m: ReportMonth) {
    const rows = (await db.query<R>(`
      SELECT ${ASSISTANT_COLS} FROM assistant_month a
      WHERE a.month = $1::date AND NOT EXISTS (SELECT 1 FROM ${OPINION_TABLE} o WHERE ${VALID})
      ORDER BY a.municipality, a.source, a.decision_id`, [m.first, m.last])).rows;
    return rows.map((r) => ({
      rule: 4 as const,
      reason: `Assistant service of person ${maskPersonCode(r.person_code)} in ${where(r.municipality)}, ${m.period} `
        + `(${hours(r.used)} hours used): no VDEĀVK opinion of this person is valid in that month.`,
      records: [rec('assistant-month', r)],
    }));
  },
};

export const OPINION_PARTS: CheckPart[] = [childAboveOpinionMaximum, withoutOpinion];
