/**
 * The Ministry's data-quality findings on the state reports: for each municipality, whether it
 * submitted, and each indicator whose submitted figure differs from what its records count now.
 *
 * Severity: a difference is `major` when it is more than MAJOR_UNITS of the indicator's unit
 * (households, persons, euro or hours) AND more than MAJOR_SHARE of the records' figure (any
 * difference from a figure of 0 is more than any share); every other difference is `minor`. Small
 * absolute differences on small figures (3 persons against 2) and small shares of large figures
 * (40 euro of 90 000) are thus minor: they are worth a look, not a letter.
 */
import type { IndicatorUnit, StoredSubmission, Figures } from '../../store/state-reports.ts';
import { INDICATORS, PLACES, steps } from '../../store/state-reports.ts';
import type { ReportTable } from '../../store/index.ts';

/** More than this many units of the indicator's unit… @defaultValue 2 */
export const MAJOR_UNITS = 2;
/** …and more than this share of the records' figure makes a difference major. @defaultValue 0.05 */
export const MAJOR_SHARE = 0.05;

export const SEVERITY_RULE = `major when |difference| > ${MAJOR_UNITS} units of the indicator (households, persons, euro or hours) and |difference| > ${MAJOR_SHARE * 100}% of the records' figure (any difference from 0 counts as over ${MAJOR_SHARE * 100}%); otherwise minor`;

/** A figure as JSON: euro stay decimal strings (as in the statistics), counts and hours are numbers. */
export const jsonValue = (v: string, unit: IndicatorUnit): number | string => (unit === 'eur' ? v : Number(v));

const fromSteps = (n: number, unit: IndicatorUnit): string => {
  const p = PLACES[unit];
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return p ? `${sign}${Math.floor(a / 10 ** p)}.${String(a % 10 ** p).padStart(p, '0')}` : `${sign}${a}`;
};

export interface Finding {
  code: string;
  label: string;
  unit: IndicatorUnit;
  records: number | string;
  submitted: number | string;
  /** submitted − records. */
  difference: number | string;
  /** difference ÷ records, 4 decimals; null when the records count 0. */
  relativeDifference: number | null;
  severity: 'major' | 'minor';
  comment?: string;
  /** What the records counted when the report was submitted, when that is not what they count now. */
  recordsWhenSubmitted?: number | string;
}

/** The indicators where `s` differs from `records`, in the form's order. */
export function findingsOf(records: Figures, s: StoredSubmission): Finding[] {
  const out: Finding[] = [];
  for (const d of INDICATORS) {
    const r = steps(records[d.code], d.unit), v = steps(s.figures[d.code], d.unit);
    if (r === v) continue;
    const diff = v - r;
    const share = r === 0 ? null : Math.round((diff / r) * 10_000) / 10_000;
    const major = Math.abs(diff) > MAJOR_UNITS * 10 ** PLACES[d.unit] && (r === 0 || Math.abs(diff) > MAJOR_SHARE * Math.abs(r));
    const then = s.records[d.code];
    out.push({
      code: d.code, label: d.label, unit: d.unit,
      records: jsonValue(records[d.code], d.unit), submitted: jsonValue(s.figures[d.code], d.unit),
      difference: jsonValue(fromSteps(diff, d.unit), d.unit), relativeDifference: share, severity: major ? 'major' : 'minor',
      ...(s.comments[d.code] ? { comment: s.comments[d.code] } : {}),
      ...(then !== undefined && then !== records[d.code] ? { recordsWhenSubmitted: jsonValue(then, d.unit) } : {}),
    });
  }
  return out;
}

export interface MunicipalityFindings {
  atvk: string;
  name: string;
  submitted: boolean;
  version?: number;
  submittedAt?: string;
  submittedBy?: string;
  findings?: Finding[];
}

export interface StateReportFindings {
  year: number;
  deadline: string;
  computedAt: string;
  severityRule: string;
  summary: { municipalities: number; submitted: number; withFindings: number; findings: number; major: number };
  municipalities: MunicipalityFindings[];
}

/** What the XLSX's second sheet says of the findings table. */
export const FINDINGS_NOTES = [
  'SPOLIS state report findings: for each municipality, whether it submitted its annual state statistical report on social services and assistance, and each indicator where the submitted figure differs from what the loaded records count at the time of the request.',
  'records, submitted_value, difference (submitted − records): in the row\'s unit (households, persons, eur, hours); relative_difference: difference ÷ records, empty when the records count 0.',
  `severity: ${SEVERITY_RULE}.`,
  'A municipality without findings has one row: "not submitted" or "no differences" in the indicator column.',
];

/** One row per finding, and one for a municipality with none (not submitted, or no differences). */
export function findingsTable(f: StateReportFindings): ReportTable {
  const columns: ReportTable['columns'] = [
    { name: 'year', kind: 'count' }, { name: 'atvk', kind: 'text' }, { name: 'municipality', kind: 'text' }, { name: 'submitted', kind: 'text' },
    { name: 'version', kind: 'count' }, { name: 'submitted_at', kind: 'text' }, { name: 'code', kind: 'text' }, { name: 'indicator', kind: 'text' },
    { name: 'unit', kind: 'text' }, { name: 'records', kind: 'number' }, { name: 'submitted_value', kind: 'number' }, { name: 'difference', kind: 'number' },
    { name: 'relative_difference', kind: 'number' }, { name: 'severity', kind: 'text' }, { name: 'comment', kind: 'text' },
  ];
  const rows: (string | number)[][] = [];
  for (const m of f.municipalities) {
    const head = [f.year, m.atvk, m.name, m.submitted ? 'yes' : 'no', m.version ?? '', m.submittedAt ?? ''];
    if (!m.findings?.length) { rows.push([...head, '', m.submitted ? 'no differences' : 'not submitted', '', '', '', '', '', '', '']); continue; }
    for (const x of m.findings) {
      rows.push([...head, x.code, x.label, x.unit, String(x.records), String(x.submitted), String(x.difference),
        x.relativeDifference === null ? '' : String(x.relativeDifference), x.severity, x.comment ?? '']);
    }
  }
  return { title: `state-report-findings ${f.year}`, columns, rows };
}
