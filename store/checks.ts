/**
 * The Ministry's cross-checks for one month: what no municipality can see alone, because it needs
 * the records of the others. Rules (issue 6):
 * 1. the same person paid GMI or housing benefit by two municipalities for the same month (either
 *    type counts: both come only from the municipality of the declared residence);
 * 2. a GMI or housing benefit month with no NEEDY or LOW_INCOME status of that person from the paying
 *    municipality in force on any day of that month;
 * 3. assistant hours used above hours granted; a CHILD above the VDEĀVK opinion's monthly maximum;
 * 4. an assistant month with no VDEĀVK opinion valid in that month;
 * 5. one assistant billing more than 744 hours in the month across all clients;
 * 6. one person a member of two households, in different municipalities, whose statuses are both in
 *    force in the month and overlap each other;
 * 7–9 (issue 12, from PMLP's population register: check-register-rules.ts): a benefit, service or
 *    assistant month after the person's death; GMI or housing benefit paid outside the declared
 *    residence; a household member with declared residence in another municipality.
 * 10 (issue 13, against the social service providers register: check-provider-rules.ts): a granted
 *    service decision names a provider that is not registered for that service type on some day
 *    the service is in force in the month. Assistant months are not checked: no partner format
 *    carries their provider.
 *
 * The parts of rules 3 and 4 that need VDEĀVK opinions run only when the opinions are in the store
 * (check-opinion-rules.ts); until then their status says so and they report no findings. Rules 7–9
 * wait likewise for PMLP register data, and rule 10 for the first registration of a provider.
 *
 * Like the statistics, checks read the current versions at query time: a correction that removes a
 * finding removes it from the next call. Nothing is materialised (see statistics.ts for why).
 *
 * @example
 * ```json
 * { "period": "2026-10", "from": "2026-10-01", "to": "2026-10-31", "computedAt": "…",
 *   "rules": [ { "rule": 3, "title": "…", "status": "partial", "findings": 1,
 *                "parts": [ { "part": "used-above-granted", "status": "ran", "findings": 1 },
 *                           { "part": "child-above-opinion-maximum", "status": "unavailable: VDEĀVK opinions are not loaded yet", "findings": 0 } ] },
 *              { "rule": 4, "title": "…", "status": "unavailable: VDEĀVK opinions are not loaded yet", "findings": 0, "parts": [ … ] } ],
 *   "findings": [ { "rule": 3, "reason": "Assistant service of person 325794-***** in Rīga (0001000), 2026-10: 95 hours used, above the 80 hours granted; …",
 *                   "records": [ { "kind": "assistant-month", "key": "0001000/sopa/R-A1/2026-10", "municipality": "0001000" } ] } ] }
 * ```
 */
import type { Db } from './db.ts';
import { reportMonth } from './report-common.ts';
import { BASE_PARTS, type CheckPart, type Finding, type RuleNo } from './check-rules.ts';
import { OPINION_PARTS, opinionsProblem } from './check-opinion-rules.ts';
import { REGISTER_PARTS, registerProblem } from './check-register-rules.ts';
import { PROVIDER_PARTS, providersProblem } from './check-provider-rules.ts';

export type { Finding, CheckRecord, RuleNo } from './check-rules.ts';
export { OPINIONS_NOT_LOADED, OPINION_TABLE, OPINION_COLUMNS } from './check-opinion-rules.ts';
export { REGISTER_NOT_LOADED } from './check-register-rules.ts';
export { PROVIDERS_NOT_LOADED } from './check-provider-rules.ts';

export const RULE_TITLES: Record<RuleNo, string> = {
  1: 'GMI or housing benefit paid by two municipalities for the same month',
  2: 'GMI or housing benefit month without a NEEDY or LOW_INCOME status from the paying municipality',
  3: 'Assistant hours used above hours granted, or a CHILD above the VDEĀVK opinion\'s monthly maximum',
  4: 'Assistant month without a VDEĀVK opinion valid in that month',
  5: 'One assistant billing more than 744 hours in a month across all clients',
  6: 'One person in two households with overlapping status periods in different municipalities',
  7: 'Benefit, service or assistant month for a person PMLP records as dead before that month',
  8: 'GMI or housing benefit paid by a municipality other than the declared residence in that month',
  9: 'Household status with a member whose declared residence is in another municipality',
  10: 'Granted service whose provider is not registered for that service on its days in the month (assistant months name no provider: not checked)',
};

export interface PartResult {
  part: string;
  /** "ran", or "unavailable: why". */
  status: string;
  findings: number;
}

export interface RuleResult {
  rule: RuleNo;
  title: string;
  /** "ran" when every part ran, "partial" when some did, else the first part's "unavailable: why". */
  status: string;
  findings: number;
  parts: PartResult[];
}

export interface MonthlyChecks {
  period: string;
  from: string;
  to: string;
  computedAt: string;
  /** Present when findings were limited to those with a record of this municipality. */
  municipality?: string;
  rules: RuleResult[];
  findings: Finding[];
}

export interface ChecksQuery {
  period: string;
  /** Keep only findings with at least one record of this municipality (the checks still see all). */
  municipality?: string;
}

const PARTS: CheckPart[] = [...BASE_PARTS, ...OPINION_PARTS, ...REGISTER_PARTS, ...PROVIDER_PARTS].sort((a, b) => a.rule - b.rule);
const RULES = Object.keys(RULE_TITLES).map(Number) as RuleNo[];

/** Runs every part concurrently (each on its own pool connection on PostgreSQL). */
export async function monthlyChecks(db: Db, q: ChecksQuery): Promise<MonthlyChecks> {
  const month = reportMonth(q.period);
  if (!month) throw new Error(`period "${q.period}" is not a month YYYY-MM`);
  const [opinions, register, providers] = await Promise.all([opinionsProblem(db), registerProblem(db), providersProblem(db)]);
  const ran = await Promise.all(PARTS.map(async (p) => {
    if (p.needsOpinions && opinions) return { p, status: opinions, findings: [] as Finding[] };
    if (p.needsRegister && register) return { p, status: register, findings: [] as Finding[] };
    if (p.needsProviders && providers) return { p, status: providers, findings: [] as Finding[] };
    const found = await p.run(db, month);
    return { p, status: 'ran', findings: q.municipality ? found.filter((f) => f.records.some((r) => r.municipality === q.municipality)) : found };
  }));

  const rules: RuleResult[] = RULES.map((rule) => {
    const mine = ran.filter((r) => r.p.rule === rule);
    const parts = mine.map((r) => ({ part: r.p.part, status: r.status, findings: r.findings.length }));
    const done = parts.filter((p) => p.status === 'ran').length;
    const status = done === parts.length ? 'ran' : done > 0 ? 'partial' : parts.find((p) => p.status !== 'ran')!.status;
    return { rule, title: RULE_TITLES[rule], status, findings: parts.reduce((s, p) => s + p.findings, 0), parts };
  });
  const findings = ran.flatMap((r) => r.findings)
    .sort((a, b) => a.rule - b.rule || a.records[0].key.localeCompare(b.records[0].key));
  return {
    period: month.period, from: month.first, to: month.last, computedAt: new Date().toISOString(),
    ...(q.municipality ? { municipality: q.municipality } : {}), rules, findings,
  };
}
