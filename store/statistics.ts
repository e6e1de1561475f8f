/**
 * Monthly statistics of the Ministry (MK 324 form 2.1 and more), per municipality and for the
 * country, computed from the current versions of the stored decisions, never from totals a
 * municipality typed.
 *
 * Freshness: nothing is materialised. Every call reads the current versions at query time, so a
 * resent batch (a correction) shows in the next call, with no rebuild and no refresh to forget. A
 * national month is four grouped scans that stay well inside the 1 s target on a national year
 * (bench/ministry.ts), so a cache would buy little and add a way to be wrong.
 *
 * Definitions (a month is its first to its last day):
 * - needy / low-income persons: distinct members of households whose NEEDY (LOW_INCOME) status
 *   decision is in force on at least one day of the month, so a status ending mid-month counts in
 *   that month and not in the next.
 * - newPersons: those of them whose status of that kind, from that municipality, starts in the month
 *   and who had no status of that kind from that municipality in force the day before it started (a
 *   renewal is not new). The country counts a person new in at least one municipality.
 * - benefits: per type, distinct recipients and the euro of the benefit months of the month.
 * - serviceDecisions: social service decisions whose decision date falls in the month, by service
 *   type and outcome.
 * - assistant: distinct clients, hours granted and hours used of the assistant months of the month.
 * - recipients: distinct persons with a benefit month of the month, counted by the municipality
 *   that granted (`granted`) and by the municipality of their declared residence on the month's
 *   last day, whoever granted (`byResidence`, from PMLP's register; a recipient the register holds
 *   no residence for is in neither, and the country's `byResidence` counts those it does). Null
 *   until register data are stored. Where the two differ, benefits cross municipal borders.
 * Country figures count distinct persons across the country, so a person in two municipalities is
 * one person there: a country figure can be less than the sum of the municipalities' figures.
 * - submissions: complaints, applications and proposals received through the portal in the month
 *   (Riga time), by kind, topic and the institution they concern (store/complaints.ts): counts
 *   only. Beside `country` rather than in it, since an institution is not always a municipality.
 *
 * @example The country in October 2026 of test/ministry/fixture.ts:
 * ```json
 * { "period": "2026-10", "from": "2026-10-01", "to": "2026-10-31", "computedAt": "2026-11-02T08:00:00.000Z",
 *   "country": { "needy": { "persons": 8, "newPersons": 4 }, "lowIncome": { "persons": 1, "newPersons": 0 },
 *     "benefits": { "GMI": { "recipients": 7, "amountEur": "513.50" }, "HOUSING": { "recipients": 3, "amountEur": "135.25" },
 *                   "HEALTHCARE": { … }, "CRISIS": { … }, "OTHER": { … } },
 *     "serviceDecisions": { "total": 5, "byType": { "HOME_CARE": { "GRANTED": 2, "REFUSED": 1, "TERMINATED": 0, "SUSPENDED": 0 }, … } },
 *     "assistant": { "clients": 7, "grantedHours": 1724, "usedHours": 1619.5 } },
 *   "municipalities": [ { "atvk": "0001000", "name": "Rīga", "needy": { "persons": 5, "newPersons": 2 }, … }, … ],
 *   "submissions": { "total": 3, "byKind": { "COMPLAINT": 2, "APPLICATION": 1, "PROPOSAL": 0 }, "byTopic": { "GMI": 2, … },
 *     "byInstitution": { "0001000": { "name": "Sociālais dienests: Rīga", "total": 2, "byKind": { … }, "byTopic": { … } }, "VSAA": { … } } } }
 * ```
 * With a `municipality`, `country` is absent, `municipalities` holds that one and `submissions`
 * counts those concerning its social service.
 */
import type { Db } from './db.ts';
import { reportMonth, municipalitiesOf, municipalityName } from './report-common.ts';
import { registerLoaded } from './person-register.ts';
import { submissionCounts, type SubmissionCounts } from './complaints.ts';

export const BENEFIT_TYPES = ['GMI', 'HOUSING', 'HEALTHCARE', 'CRISIS', 'OTHER'] as const;
export const OUTCOMES = ['GRANTED', 'REFUSED', 'TERMINATED', 'SUSPENDED'] as const;
export type BenefitType = (typeof BENEFIT_TYPES)[number];
export type Outcome = (typeof OUTCOMES)[number];

export interface StatusFigures { persons: number; newPersons: number }
export interface BenefitFigures { recipients: number; /** Decimal string, two places. */ amountEur: string }

export interface Indicators {
  needy: StatusFigures;
  lowIncome: StatusFigures;
  benefits: Record<BenefitType, BenefitFigures>;
  /** byType lists the service types with at least one decision, each with all four outcomes. */
  serviceDecisions: { total: number; byType: Record<string, Record<Outcome, number>> };
  assistant: { clients: number; grantedHours: number; usedHours: number };
  /** Benefit recipients by granting municipality and by declared residence (null: no register data yet). */
  recipients: { granted: number; byResidence: number | null };
}

export interface MunicipalityStatistics extends Indicators { atvk: string; name: string }

export interface MonthlyStatistics {
  period: string;
  from: string;
  to: string;
  computedAt: string;
  /** Absent when one municipality was asked for. */
  country?: Indicators;
  /** Every municipality valid in the month (zeros where nothing was loaded), or the one asked for. */
  municipalities: MunicipalityStatistics[];
  /** Complaints, applications and proposals received in the month (of the one municipality, when asked for one). */
  submissions: SubmissionCounts;
}

export interface StatisticsQuery {
  /** YYYY-MM. */
  period: string;
  /** ATVK; all municipalities and the country when absent. */
  municipality?: string;
}

const empty = (): Indicators => ({
  needy: { persons: 0, newPersons: 0 },
  lowIncome: { persons: 0, newPersons: 0 },
  benefits: Object.fromEntries(BENEFIT_TYPES.map((t) => [t, { recipients: 0, amountEur: '0.00' }])) as Record<BenefitType, BenefitFigures>,
  serviceDecisions: { total: 0, byType: {} },
  assistant: { clients: 0, grantedHours: 0, usedHours: 0 },
  recipients: { granted: 0, byResidence: null },
});

// GROUPING(municipality) = 1 marks the country row; a null municipality parameter means all.
// $1 first day, $2 last day, $3 municipality.
const STATUS_SQL = `
WITH s AS (
  SELECT h.municipality, h.source, h.decision_id, h.status, h.valid_from
  FROM household_status h
  WHERE h.valid_from <= $2::date AND h.valid_to >= $1::date AND ($3::text IS NULL OR h.municipality = $3::text)
), p AS (
  SELECT s.municipality, s.status, mb.person_code,
    s.valid_from >= $1::date AND NOT EXISTS (
      SELECT 1 FROM household_member m2
      JOIN household_status h2 ON h2.municipality = m2.municipality AND h2.source = m2.source AND h2.decision_id = m2.decision_id
      WHERE m2.person_code = mb.person_code AND m2.municipality = s.municipality AND h2.status = s.status
        AND h2.valid_from < s.valid_from AND h2.valid_to >= s.valid_from - 1) AS is_new
  FROM s JOIN household_member mb ON mb.municipality = s.municipality AND mb.source = s.source AND mb.decision_id = s.decision_id
)
SELECT municipality, status, count(DISTINCT person_code)::int AS persons,
  count(DISTINCT person_code) FILTER (WHERE is_new)::int AS new_persons, GROUPING(municipality)::int AS country
FROM p GROUP BY GROUPING SETS ((municipality, status), (status))`;

// $1 first day, $2 last day, $3 municipality: the benefit months of the months in the window (a
// month's row is dated its first day). The sets without benefit_type count recipients of any type.
const BENEFIT_SQL = `
SELECT municipality, benefit_type, count(DISTINCT person_code)::int AS recipients, sum(amount)::text AS amount,
  GROUPING(municipality)::int AS country, GROUPING(benefit_type)::int AS all_types
FROM benefit_month WHERE month BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR municipality = $3::text)
GROUP BY GROUPING SETS ((municipality, benefit_type), (benefit_type), (municipality), ())`;

// $1 first day, $2 last day, $3 municipality.
const SERVICE_SQL = `
SELECT municipality, service_type, outcome, count(*)::int AS decisions, GROUPING(municipality)::int AS country
FROM service_decision WHERE decision_date BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR municipality = $3::text)
GROUP BY GROUPING SETS ((municipality, service_type, outcome), (service_type, outcome))`;

// $1 first day, $2 last day, $3 municipality.
const ASSISTANT_SQL = `
SELECT municipality, count(DISTINCT person_code)::int AS clients, coalesce(sum(granted_hours), 0)::text AS granted,
  coalesce(sum(used_hours), 0)::text AS used, GROUPING(municipality)::int AS country
FROM assistant_month WHERE month BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR municipality = $3::text)
GROUP BY GROUPING SETS ((municipality), ())`;

// $1 month (its first day), $2 last day, $3 municipality. One index probe per recipient; a recipient
// the register holds no residence for drops out of the lateral join.
const RESIDENCE_SQL = `
WITH p AS (SELECT DISTINCT person_code FROM benefit_month WHERE month = $1::date),
r AS (
  SELECT l.municipality FROM p CROSS JOIN LATERAL (
    SELECT c.municipality FROM person_register_change c
    WHERE c.person_code = p.person_code AND c.kind = 'RESIDENCE' AND c.effective_on <= $2::date
    ORDER BY c.effective_on DESC, c.recorded_at DESC LIMIT 1) l)
SELECT municipality, count(*)::int AS recipients, GROUPING(municipality)::int AS country
FROM r WHERE $3::text IS NULL OR municipality = $3::text
GROUP BY GROUPING SETS ((municipality), ())`;

function statisticsStatements(first: string, last: string, municipality: string | null): Record<'status' | 'benefit' | 'service' | 'assistant' | 'residence', { sql: string; params: unknown[] }> {
  return {
    residence: { sql: RESIDENCE_SQL, params: [first, last, municipality] },
    status: { sql: STATUS_SQL, params: [first, last, municipality] },
    benefit: { sql: BENEFIT_SQL, params: [first, last, municipality] },
    service: { sql: SERVICE_SQL, params: [first, last, municipality] },
    assistant: { sql: ASSISTANT_SQL, params: [first, last, municipality] },
  };
}

type Row = Record<string, unknown> & { municipality: string | null; country: number };

/** A municipality with no rows: zero recipients by residence once the register is there, not "unknown". */
const withRegister = (i: Indicators, loaded: boolean): Indicators => (loaded ? { ...i, recipients: { ...i.recipients, byResidence: 0 } } : i);

/** The figures of a window of days: the country's, and each municipality's that has any. */
export interface WindowIndicators {
  country: Indicators;
  byAtvk: Map<string, Indicators>;
  /** Whether PMLP's register was loaded, so recipients.byResidence was counted. */
  withResidence: boolean;
}

/**
 * The indicators of the days `first`…`last` (YYYY-MM-DD, whole months) by the definitions above, a
 * month's rules applied to the window: a status in force on at least one day of it, the benefit and
 * assistant months inside it, the service decisions dated in it. The monthly statistics and the
 * annual state report (store/state-reports.ts) both count through here, so the two never disagree.
 * Recipients by residence are a month's figure and are counted only when `residence` is set.
 * The statements run concurrently: on PostgreSQL each takes its own pool connection.
 */
export async function windowIndicators(db: Db, w: { first: string; last: string; municipality?: string | null; residence?: boolean }): Promise<WindowIndicators> {
  const st = statisticsStatements(w.first, w.last, w.municipality ?? null);
  const withResidence = (w.residence ?? false) && await registerLoaded(db);
  const [status, benefit, service, assistant, residence] = await Promise.all(
    [st.status, st.benefit, st.service, st.assistant, ...(withResidence ? [st.residence] : [])]
      .map((s) => db.query<Row>(s.sql, s.params).then((r) => r.rows)),
  );

  const country = empty();
  const byAtvk = new Map<string, Indicators>();
  const target = (r: Row): Indicators => {
    if (Number(r.country) === 1) return country;
    let t = byAtvk.get(r.municipality!);
    if (!t) byAtvk.set(r.municipality!, (t = empty()));
    return t;
  };
  for (const r of status) {
    const f = r.status === 'NEEDY' ? target(r).needy : target(r).lowIncome;
    f.persons = Number(r.persons);
    f.newPersons = Number(r.new_persons);
  }
  for (const r of benefit) {
    if (Number(r.all_types) === 1) { target(r).recipients.granted = Number(r.recipients); continue; }
    const b = target(r).benefits[r.benefit_type as BenefitType];
    // numeric(12,2) sums keep two places in their text form: no float on the way.
    if (b) Object.assign(b, { recipients: Number(r.recipients), amountEur: String(r.amount) });
  }
  for (const r of service) {
    const s = target(r).serviceDecisions;
    const type = String(r.service_type);
    s.byType[type] ??= Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    s.byType[type][r.outcome as Outcome] = Number(r.decisions);
    s.total += Number(r.decisions);
  }
  for (const r of assistant) {
    Object.assign(target(r).assistant, { clients: Number(r.clients), grantedHours: Number(r.granted), usedHours: Number(r.used) });
  }

  if (withResidence) {
    for (const t of [country, ...byAtvk.values()]) t.recipients.byResidence = 0;
    for (const r of residence ?? []) target(r).recipients.byResidence = Number(r.recipients);
  }
  return { country, byAtvk, withResidence };
}

/** The month's statistics; throws on a malformed period (callers validate it for their users). */
export async function monthlyStatistics(db: Db, q: StatisticsQuery): Promise<MonthlyStatistics> {
  const month = reportMonth(q.period);
  if (!month) throw new Error(`period "${q.period}" is not a month YYYY-MM`);
  const [{ country, byAtvk, withResidence }, submissions] = await Promise.all([
    windowIndicators(db, { first: month.first, last: month.last, municipality: q.municipality, residence: true }),
    submissionCounts(db, month.period, q.municipality),
  ]);

  const listed = q.municipality
    ? [{ atvk: q.municipality, name: municipalityName(q.municipality) }]
    : municipalitiesOf(month);
  // A code the classifier does not list (an old ATVK that slipped in) is still shown, not dropped.
  for (const atvk of byAtvk.keys()) if (!listed.some((m) => m.atvk === atvk)) listed.push({ atvk, name: municipalityName(atvk) });
  return {
    period: month.period, from: month.first, to: month.last, computedAt: new Date().toISOString(),
    ...(q.municipality ? {} : { country }),
    municipalities: listed.map((m) => ({ atvk: m.atvk, name: m.name, ...(byAtvk.get(m.atvk) ?? withRegister(empty(), withResidence)) })),
    submissions,
  };
}
