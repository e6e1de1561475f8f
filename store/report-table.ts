/**
 * The Ministry's reports as flat tables for analysts: one row per municipality plus a country row
 * for statistics, one row per finding (and per rule that could not run) for checks. CSV and XLSX
 * are both written from these tables, so they carry exactly the numbers of the JSON.
 */
import { BENEFIT_TYPES, OUTCOMES, type Indicators, type MonthlyStatistics } from './statistics.ts';
import type { MonthlyChecks } from './checks.ts';
import { SUBMISSION_KINDS, emptySubmissionFigures, submissionTopics, type SubmissionFigures } from './complaints.ts';

/**
 * How a column's values are to be shown: euro amounts stay decimal strings until a sheet needs
 * numbers. `number`: a figure whose unit another column of the row names (the state reports'
 * findings mix persons, households, euro and hours in one column).
 */
export type ColumnKind = 'text' | 'count' | 'eur' | 'hours' | 'number';

export interface ReportTable {
  title: string;
  columns: { name: string; kind: ColumnKind }[];
  rows: (string | number)[][];
}

/** The service types of partners/classifiers.md, so every month's table has the same columns. */
export const SERVICE_TYPES = ['SOCIAL_WORK', 'HOME_CARE', 'DAY_CENTRE', 'GROUP_HOME', 'LONG_TERM_CARE', 'REHABILITATION',
  'CRISIS_CENTRE', 'SHELTER', 'SOUP_KITCHEN', 'SPECIALISED_WORKSHOP', 'ASSISTANT'];

/** Marks the country row in the atvk column. */
export const COUNTRY = 'LV';

export function statisticsTable(s: MonthlyStatistics): ReportTable {
  const all = [s.country, ...s.municipalities].filter((x): x is Indicators => !!x);
  const types = [...SERVICE_TYPES, ...new Set(all.flatMap((i) => Object.keys(i.serviceDecisions.byType)).filter((t) => !SERVICE_TYPES.includes(t)))];
  const topics = [...new Set([...submissionTopics().map((t) => t.code), ...Object.keys(s.submissions.byTopic)])];
  const columns: ReportTable['columns'] = [
    { name: 'period', kind: 'text' }, { name: 'atvk', kind: 'text' }, { name: 'municipality', kind: 'text' },
    { name: 'needy_persons', kind: 'count' }, { name: 'needy_new_persons', kind: 'count' },
    { name: 'low_income_persons', kind: 'count' }, { name: 'low_income_new_persons', kind: 'count' },
    ...BENEFIT_TYPES.flatMap((t) => [{ name: `${t.toLowerCase()}_recipients`, kind: 'count' as const }, { name: `${t.toLowerCase()}_eur`, kind: 'eur' as const }]),
    { name: 'service_decisions', kind: 'count' },
    ...types.flatMap((t) => OUTCOMES.map((o) => ({ name: `service_${t.toLowerCase()}_${o.toLowerCase()}`, kind: 'count' as const }))),
    { name: 'assistant_clients', kind: 'count' }, { name: 'assistant_hours_granted', kind: 'hours' }, { name: 'assistant_hours_used', kind: 'hours' },
    { name: 'recipients_granted', kind: 'count' }, { name: 'recipients_by_residence', kind: 'count' },
    { name: 'submissions', kind: 'count' },
    ...SUBMISSION_KINDS.map((k) => ({ name: `submissions_${k.toLowerCase()}`, kind: 'count' as const })),
    ...topics.map((t) => ({ name: `submissions_topic_${t.toLowerCase()}`, kind: 'count' as const })),
  ];
  // A municipality's row counts the submissions concerning its social service; the country row
  // all of them, those to state institutions too (the JSON has them by institution).
  const submissions = (f: SubmissionFigures): number[] => [f.total, ...SUBMISSION_KINDS.map((k) => f.byKind[k]), ...topics.map((t) => f.byTopic[t] ?? 0)];
  const row = (atvk: string, name: string, i: Indicators, sub: SubmissionFigures): (string | number)[] => [
    s.period, atvk, name,
    i.needy.persons, i.needy.newPersons, i.lowIncome.persons, i.lowIncome.newPersons,
    ...BENEFIT_TYPES.flatMap((t) => [i.benefits[t].recipients, i.benefits[t].amountEur]),
    i.serviceDecisions.total,
    ...types.flatMap((t) => OUTCOMES.map((o) => i.serviceDecisions.byType[t]?.[o] ?? 0)),
    i.assistant.clients, i.assistant.grantedHours, i.assistant.usedHours,
    // Empty, not 0, while the register is not loaded: unknown is not none.
    i.recipients.granted, i.recipients.byResidence ?? '',
    ...submissions(sub),
  ];
  const rows = s.municipalities.map((m) => row(m.atvk, m.name, m, s.submissions.byInstitution[m.atvk] ?? emptySubmissionFigures()));
  if (s.country) rows.push(row(COUNTRY, 'Latvija (distinct persons; not the sum of the rows above)', s.country, s.submissions));
  return { title: `statistics ${s.period}`, columns, rows };
}

export function checksTable(c: MonthlyChecks): ReportTable {
  const columns: ReportTable['columns'] = [
    { name: 'period', kind: 'text' }, { name: 'rule', kind: 'count' }, { name: 'status', kind: 'text' },
    { name: 'municipalities', kind: 'text' }, { name: 'records', kind: 'text' }, { name: 'reason', kind: 'text' },
  ];
  const rows: (string | number)[][] = [];
  for (const r of c.rules) {
    for (const p of r.parts) if (p.status !== 'ran') rows.push([c.period, r.rule, `${p.part} ${p.status}`, '', '', r.title]);
    for (const f of c.findings.filter((x) => x.rule === r.rule)) {
      rows.push([c.period, f.rule, 'finding', [...new Set(f.records.map((x) => x.municipality))].join(' '),
        f.records.map((x) => `${x.kind} ${x.key}`).join('; '), f.reason]);
    }
  }
  return { title: `checks ${c.period}`, columns, rows };
}

const cell = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180: comma-separated, CRLF line ends, quotes where needed; decimals with a point. */
export function toCsv(t: ReportTable): string {
  return [t.columns.map((c) => c.name), ...t.rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
