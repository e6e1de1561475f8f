/**
 * The annual state statistical report "Pārskats par sociālajiem pakalpojumiem un sociālo palīdzību"
 * (the Ministry of Welfare's form under the Statistics Law; MK 324 form 2.2): a fixed list of
 * indicators, each counted from a municipality's loaded records for one calendar year, and the
 * figures the municipality submitted (every version kept).
 *
 * Counting rules are the monthly statistics' (store/statistics.ts `windowIndicators`) applied to the
 * year, so the report and the statistics never disagree: a status counts when in force on at least
 * one day of the year; benefit and assistant months when they fall in the year; service decisions
 * when their decision date does. Two figures the statistics do not have are counted here by the same
 * rules: households (a status decision's household, or the decision itself when it names none; a
 * household renewed within the year is one household) and distinct persons granted a service.
 *
 * Values are decimal strings in the indicator's unit with fixed places (0 for households and
 * persons, 2 for euro, 1 for hours), so comparison and differences are exact.
 */
import type { Db } from './db.ts';
import type { StateReportSubmission } from '../schemas/canonical/model.ts';
import { windowIndicators, BENEFIT_TYPES, type BenefitType, type Indicators } from './statistics.ts';
import { SERVICE_TYPES } from './report-table.ts';

export type { StateReportSubmission };

/** The form's title, as the Ministry publishes it. */
export const STATE_REPORT_FORM = 'Pārskats par sociālajiem pakalpojumiem un sociālo palīdzību';

export type IndicatorUnit = 'households' | 'persons' | 'eur' | 'hours';
export type IndicatorSection = 'status' | 'benefits' | 'services' | 'assistant';

export interface IndicatorDef {
  code: string;
  section: IndicatorSection;
  unit: IndicatorUnit;
  label: string;
  /** The form's own wording. */
  labelLv: string;
}

/** Decimal places of a unit's values. */
export const PLACES: Record<IndicatorUnit, number> = { households: 0, persons: 0, eur: 2, hours: 1 };

const BENEFIT_NAMES: Record<BenefitType, [string, string]> = {
  GMI: ['guaranteed minimum income (GMI) benefit', 'pabalsts garantētā minimālā ienākuma līmeņa nodrošināšanai'],
  HOUSING: ['housing benefit', 'mājokļa pabalsts'],
  HEALTHCARE: ['healthcare benefit', 'veselības aprūpes pabalsts'],
  CRISIS: ['benefit in a crisis situation', 'pabalsts krīzes situācijā'],
  OTHER: ['other social assistance benefits', 'citi sociālās palīdzības pabalsti'],
};

const SERVICE_NAMES: Record<string, [string, string]> = {
  SOCIAL_WORK: ['social work', 'sociālais darbs'],
  HOME_CARE: ['home care', 'aprūpe mājās'],
  DAY_CENTRE: ['day-care centre', 'dienas aprūpes centrs'],
  GROUP_HOME: ['group home (apartment)', 'grupu māja (dzīvoklis)'],
  LONG_TERM_CARE: ['long-term social care', 'ilgstoša sociālā aprūpe'],
  REHABILITATION: ['social rehabilitation', 'sociālā rehabilitācija'],
  CRISIS_CENTRE: ['crisis centre', 'krīzes centrs'],
  SHELTER: ['shelter', 'patversme'],
  SOUP_KITCHEN: ['soup kitchen', 'zupas virtuve'],
  SPECIALISED_WORKSHOP: ['specialised workshop', 'specializētā darbnīca'],
  ASSISTANT: ['assistant service', 'asistenta pakalpojums'],
};

/**
 * The report's indicators, in the form's order. R01–R06 household status; R10–R19 benefits (an even
 * code recipients, the next odd one euro, per type of classifiers.md); R20 persons granted any
 * social service and R21–R31 per service type S01–S11 (R(20+n) is Sn); R40–R42 the assistant service.
 */
export const INDICATORS: readonly IndicatorDef[] = Object.freeze([
  { code: 'R01', section: 'status', unit: 'households', label: 'households with needy status during the year', labelLv: 'trūcīgās mājsaimniecības gada laikā' },
  { code: 'R02', section: 'status', unit: 'persons', label: 'persons in needy households', labelLv: 'personas trūcīgās mājsaimniecībās' },
  { code: 'R03', section: 'status', unit: 'households', label: 'households with low-income status during the year', labelLv: 'maznodrošinātās mājsaimniecības gada laikā' },
  { code: 'R04', section: 'status', unit: 'persons', label: 'persons in low-income households', labelLv: 'personas maznodrošinātās mājsaimniecībās' },
  { code: 'R05', section: 'status', unit: 'persons', label: 'persons newly declared needy in the year', labelLv: 'personas, kurām gadā pirmoreiz piešķirts trūcīgas personas statuss' },
  { code: 'R06', section: 'status', unit: 'persons', label: 'persons newly declared low-income in the year', labelLv: 'personas, kurām gadā pirmoreiz piešķirts maznodrošinātas personas statuss' },
  ...BENEFIT_TYPES.flatMap((t, i): IndicatorDef[] => [
    { code: `R${10 + 2 * i}`, section: 'benefits', unit: 'persons', label: `recipients of ${BENEFIT_NAMES[t][0]}`, labelLv: `${BENEFIT_NAMES[t][1]}: saņēmēji` },
    { code: `R${11 + 2 * i}`, section: 'benefits', unit: 'eur', label: `${BENEFIT_NAMES[t][0]} paid, euro`, labelLv: `${BENEFIT_NAMES[t][1]}: izmaksāts, euro` },
  ]),
  { code: 'R20', section: 'services', unit: 'persons', label: 'persons granted a social service', labelLv: 'personas, kurām piešķirts sociālais pakalpojums' },
  ...SERVICE_TYPES.map((t, i): IndicatorDef => ({
    code: `R${21 + i}`, section: 'services', unit: 'persons', label: `persons granted ${SERVICE_NAMES[t][0]}`, labelLv: `personas, kurām piešķirts pakalpojums: ${SERVICE_NAMES[t][1]}`,
  })),
  { code: 'R40', section: 'assistant', unit: 'persons', label: 'assistant service clients', labelLv: 'asistenta pakalpojuma saņēmēji' },
  { code: 'R41', section: 'assistant', unit: 'hours', label: 'assistant service hours granted', labelLv: 'asistenta pakalpojums: piešķirtās stundas' },
  { code: 'R42', section: 'assistant', unit: 'hours', label: 'assistant service hours used', labelLv: 'asistenta pakalpojums: izmantotās stundas' },
]);

export const INDICATOR_BY_CODE: ReadonlyMap<string, IndicatorDef> = new Map(INDICATORS.map((d) => [d.code, d]));

/** Indicator code → decimal string. */
export type Figures = Record<string, string>;

/** `v` (a count, or a decimal of the unit's places at most) as the unit's decimal string. */
export const formatValue = (v: number, unit: IndicatorUnit): string => v.toFixed(PLACES[unit]);

/** A value in the unit's smallest step (cents, tenths of an hour) as an integer, for exact arithmetic. */
export const steps = (v: string, unit: IndicatorUnit): number => Math.round(Number(v) * 10 ** PLACES[unit]);

// $1 first day, $2 last day, $3 municipality. A household is its source system's household id, or
// the decision when it names none; the statistics' "in force on at least one day" rule.
const HOUSEHOLDS_SQL = `
SELECT municipality, status, count(DISTINCT source || '|' || coalesce(household_id, '#' || decision_id))::int AS households
FROM household_status
WHERE valid_from <= $2::date AND valid_to >= $1::date AND ($3::text IS NULL OR municipality = $3::text)
GROUP BY municipality, status`;

// $1 first day, $2 last day, $3 municipality. Granting decisions dated in the window, as the
// statistics count service decisions; the set without service_type counts persons of any type.
const GRANTED_SQL = `
SELECT municipality, service_type, count(DISTINCT person_code)::int AS persons, GROUPING(service_type)::int AS all_types
FROM service_decision
WHERE outcome = 'GRANTED' AND decision_date BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR municipality = $3::text)
GROUP BY GROUPING SETS ((municipality, service_type), (municipality))`;

type Row = Record<string, unknown> & { municipality: string };

const zero = (): Record<string, number> => Object.fromEntries(INDICATORS.map((d) => [d.code, 0]));

/**
 * The indicators of `year` counted from the records, per municipality (ATVK → figures); only
 * `municipality` when given. A municipality without records is absent (its figures are all zero).
 */
export async function stateReportRecords(db: Db, year: number, municipality?: string | null): Promise<Map<string, Figures>> {
  const first = `${year}-01-01`, last = `${year}-12-31`, m = municipality ?? null;
  const [w, households, granted] = await Promise.all([
    windowIndicators(db, { first, last, municipality: m }),
    db.query<Row>(HOUSEHOLDS_SQL, [first, last, m]).then((r) => r.rows),
    db.query<Row>(GRANTED_SQL, [first, last, m]).then((r) => r.rows),
  ]);
  const raw = new Map<string, Record<string, number>>();
  const of = (atvk: string): Record<string, number> => {
    let f = raw.get(atvk);
    if (!f) raw.set(atvk, (f = zero()));
    return f;
  };
  for (const [atvk, i] of w.byAtvk) Object.assign(of(atvk), fromIndicators(i));
  for (const r of households) of(r.municipality)[r.status === 'NEEDY' ? 'R01' : 'R03'] = Number(r.households);
  for (const r of granted) {
    if (Number(r.all_types) === 1) { of(r.municipality).R20 = Number(r.persons); continue; }
    const i = SERVICE_TYPES.indexOf(String(r.service_type));
    if (i >= 0) of(r.municipality)[`R${21 + i}`] = Number(r.persons);
  }
  return new Map([...raw].map(([atvk, f]) => [atvk, toFigures(f)]));
}

function fromIndicators(i: Indicators): Record<string, number> {
  const out: Record<string, number> = {
    R02: i.needy.persons, R04: i.lowIncome.persons, R05: i.needy.newPersons, R06: i.lowIncome.newPersons,
    R40: i.assistant.clients, R41: i.assistant.grantedHours, R42: i.assistant.usedHours,
  };
  BENEFIT_TYPES.forEach((t, k) => {
    out[`R${10 + 2 * k}`] = i.benefits[t].recipients;
    out[`R${11 + 2 * k}`] = Number(i.benefits[t].amountEur);
  });
  return out;
}

const toFigures = (f: Record<string, number>): Figures => Object.fromEntries(INDICATORS.map((d) => [d.code, formatValue(f[d.code] ?? 0, d.unit)]));

/** Every indicator at zero: a municipality with no records. */
export const zeroFigures = (): Figures => toFigures(zero());

export interface StoredSubmission {
  version: number;
  figures: Figures;
  comments: Record<string, string>;
  records: Figures;
  submittedBy: string;
  submittedAt: string;
}

const LOCK = 7_301_012;

const sameJson = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
};

/**
 * Stores a submission as the next version of its (municipality, year), in `tx`. The same figures and
 * comments as the current version are that version again (a repeat stores nothing): `changed` false.
 * A lock per report orders concurrent submissions, so versions never collide.
 */
export async function storeStateReport(tx: Db, s: StateReportSubmission): Promise<{ version: number; changed: boolean }> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK, `${s.municipality}/${s.year}`]);
  const cur = (await tx.query<{ version: number; figures: Figures; comments: Record<string, string> }>(
    'SELECT version, figures, comments FROM state_report_submission WHERE municipality = $1 AND year = $2 ORDER BY version DESC LIMIT 1',
    [s.municipality, s.year])).rows[0];
  if (cur && sameJson(cur.figures, s.figures) && sameJson(cur.comments, s.comments)) return { version: cur.version, changed: false };
  const version = (cur?.version ?? 0) + 1;
  await tx.query(
    `INSERT INTO state_report_submission (municipality, year, version, figures, comments, records, submitted_by, request_id)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8)`,
    [s.municipality, s.year, version, JSON.stringify(s.figures), JSON.stringify(s.comments), JSON.stringify(s.records), s.submittedBy, s.requestId ?? null]);
  return { version, changed: true };
}

/** Every version submitted for `year` (of `municipality` when given): ATVK → versions, oldest first. */
export async function stateReportSubmissions(db: Db, year: number, municipality?: string | null): Promise<Map<string, StoredSubmission[]>> {
  const rows = (await db.query<{ municipality: string; version: number; figures: Figures; comments: Record<string, string>; records: Figures; submitted_by: string; submitted_at: Date | string }>(
    `SELECT municipality, version, figures, comments, records, submitted_by, submitted_at FROM state_report_submission
     WHERE year = $1 AND ($2::text IS NULL OR municipality = $2::text) ORDER BY municipality, version`,
    [year, municipality ?? null])).rows;
  const out = new Map<string, StoredSubmission[]>();
  for (const r of rows) {
    const list = out.get(r.municipality) ?? [];
    list.push({
      version: Number(r.version), figures: r.figures, comments: r.comments, records: r.records, submittedBy: r.submitted_by,
      submittedAt: new Date(r.submitted_at).toISOString(),
    });
    out.set(r.municipality, list);
  }
  return out;
}

/** The newest version of a report, in `db` (a transaction sees its own submission); 0 when none. */
export async function currentStateReportVersion(db: Db, municipality: string, year: number): Promise<number> {
  const r = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM state_report_submission WHERE municipality = $1 AND year = $2', [municipality, year]);
  return Number(r.rows[0]?.v ?? 0);
}
