/**
 * The two answers of the state report e-service, built from the store: one municipality's report
 * for a year (pre-filled from its records, with what it submitted), and the Ministry's findings
 * for a year across all municipalities.
 */
import type { Db } from '../../store/index.ts';
import {
  INDICATORS, STATE_REPORT_FORM, stateReportRecords, stateReportSubmissions, zeroFigures,
  type Figures, type IndicatorSection, type IndicatorUnit, type StoredSubmission,
} from '../../store/state-reports.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import { deadlineOf, isOpen } from './calendar.ts';
import { findingsOf, jsonValue, SEVERITY_RULE, type MunicipalityFindings, type StateReportFindings } from './findings.ts';

type Value = number | string;

export interface IndicatorView {
  code: string;
  section: IndicatorSection;
  unit: IndicatorUnit;
  label: string;
  labelLv: string;
  /** What the records count. */
  records: Value;
  /** What the municipality submitted (its newest version), once it has. */
  submitted?: Value;
  comment?: string;
}

export interface SubmissionView {
  version: number;
  submittedAt: string;
  submittedBy: string;
  figures: Record<string, Value>;
  comments: Record<string, string>;
}

export interface StateReportView {
  year: number;
  atvk: string;
  name: string;
  form: string;
  status: 'draft' | 'submitted';
  /** The last day a submission is taken (Latvian time). */
  deadline: string;
  /** Whether a submission is still taken now. */
  open: boolean;
  computedAt: string;
  indicators: IndicatorView[];
  /** The records' figures by code: the body of a PUT that submits them unchanged. */
  records: Record<string, Value>;
  submission?: SubmissionView;
  /** Earlier submissions, oldest first. */
  history: SubmissionView[];
}

const values = (f: Figures): Record<string, Value> => Object.fromEntries(INDICATORS.map((d) => [d.code, jsonValue(f[d.code], d.unit)]));

const submissionView = (s: StoredSubmission): SubmissionView => ({
  version: s.version, submittedAt: s.submittedAt, submittedBy: s.submittedBy, figures: values(s.figures), comments: s.comments,
});

export const nameOf = (atvk: string): string => municipalities().get(atvk)?.name ?? atvk;

export async function stateReportView(db: Db, year: number, atvk: string, now = Date.now()): Promise<StateReportView> {
  const [records, submissions] = await Promise.all([stateReportRecords(db, year, atvk), stateReportSubmissions(db, year, atvk)]);
  const rec = records.get(atvk) ?? zeroFigures();
  const versions = submissions.get(atvk) ?? [];
  const cur = versions.at(-1);
  return {
    year, atvk, name: nameOf(atvk), form: STATE_REPORT_FORM, status: cur ? 'submitted' : 'draft',
    deadline: deadlineOf(year), open: isOpen(year, now), computedAt: new Date(now).toISOString(),
    indicators: INDICATORS.map((d) => ({
      code: d.code, section: d.section, unit: d.unit, label: d.label, labelLv: d.labelLv, records: jsonValue(rec[d.code], d.unit),
      ...(cur ? { submitted: jsonValue(cur.figures[d.code], d.unit) } : {}),
      ...(cur?.comments[d.code] ? { comment: cur.comments[d.code] } : {}),
    })),
    records: values(rec),
    ...(cur ? { submission: submissionView(cur) } : {}),
    history: versions.slice(0, -1).map(submissionView),
  };
}

/** Municipalities valid on at least one day of `year`, and any other that submitted for it, in ATVK order. */
function municipalitiesOfYear(year: number, submitted: Iterable<string>): string[] {
  const first = `${year}-01-01`, last = `${year}-12-31`;
  const listed = new Set([...municipalities().values()].filter((m) => m.validFrom <= last && (m.validTo === null || m.validTo >= first)).map((m) => m.atvk));
  for (const a of submitted) listed.add(a);
  return [...listed].sort();
}

/** Every municipality of `year`: submitted or not, and where its newest submission differs from its records now. */
export async function stateReportFindings(db: Db, year: number, now = Date.now()): Promise<StateReportFindings> {
  const [records, submissions] = await Promise.all([stateReportRecords(db, year), stateReportSubmissions(db, year)]);
  const list: MunicipalityFindings[] = municipalitiesOfYear(year, submissions.keys()).map((atvk) => {
    const cur = submissions.get(atvk)?.at(-1);
    if (!cur) return { atvk, name: nameOf(atvk), submitted: false };
    return {
      atvk, name: nameOf(atvk), submitted: true, version: cur.version, submittedAt: cur.submittedAt, submittedBy: cur.submittedBy,
      findings: findingsOf(records.get(atvk) ?? zeroFigures(), cur),
    };
  });
  const all = list.flatMap((m) => m.findings ?? []);
  return {
    year, deadline: deadlineOf(year), computedAt: new Date(now).toISOString(), severityRule: SEVERITY_RULE,
    summary: {
      municipalities: list.length, submitted: list.filter((m) => m.submitted).length, withFindings: list.filter((m) => m.findings?.length).length,
      findings: all.length, major: all.filter((f) => f.severity === 'major').length,
    },
    municipalities: list,
  };
}
