/**
 * Check 10 (issue 13), against the social service providers register (providers-register.ts): a
 * granted service decision loaded from a municipality names a provider that is not registered for
 * that service type on every day the service is in force in the month.
 *
 * Precisely: for a service_decision with outcome GRANTED and a provider_reg_no, its days in the
 * month are [max(from, first day), min(to or last day, last day)]; the decision is a finding when
 * any of those days lies outside every approved term of (provider_reg_no, service_type), at any
 * address (a decision names the provider and the service, not where it is given). A day is
 * covered when a term has validFrom ≤ day ≤ validTo (or no validTo).
 *
 * Not checked: assistant months. No partner format carries a provider for them (sopa.md
 * `AsistentaMenesis`, lietis.md `Assistant`, gvs.md `assistant` name the client and the assistant
 * person only); an ASSISTANT service decision that names a provider is checked like any other.
 *
 * Until the register holds a registration, checks.ts reports this rule as unavailable instead of
 * running it: a hub that has not started the register would otherwise flag every decision.
 */
import type { Db } from './db.ts';
import { maskPersonCode, type ReportMonth } from './report-common.ts';
import { rec, where, type CheckPart, type R } from './check-rules.ts';
import { registrationsLoaded, termsOf, type ProviderTerm } from './providers-register.ts';

export const PROVIDERS_NOT_LOADED = 'unavailable: the social service providers register holds no registration yet';

/** Null when the register can be checked against; otherwise the status to report. */
export async function providersProblem(db: Db): Promise<string | null> {
  return (await registrationsLoaded(db)) ? null : PROVIDERS_NOT_LOADED;
}

const DAY = 86_400_000;
const ms = (d: string): number => Date.parse(`${d}T00:00:00Z`);
const day = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** The runs of days in [a, b] that no term covers, as [from, to] pairs. */
export function uncoveredDays(a: string, b: string, terms: { validFrom: string; validTo?: string }[]): [string, string][] {
  const out: [string, string][] = [];
  let cursor = ms(a);
  const end = ms(b);
  const sorted = terms.map((t) => [ms(t.validFrom), t.validTo ? ms(t.validTo) : Infinity] as const).filter(([f, t]) => t >= f).sort((x, y) => x[0] - y[0]);
  for (const [f, t] of sorted) {
    if (cursor > end) break;
    if (t < cursor) continue;
    if (f > cursor) out.push([day(cursor), day(Math.min(f - DAY, end))]);
    cursor = Math.max(cursor, t + DAY);
  }
  if (cursor <= end) out.push([day(cursor), day(end)]);
  return out.filter(([x, y]) => x <= y);
}

const span = ([a, b]: [string, string]): string => (a === b ? a : `${a}…${b}`);
const days = (runs: [string, string][]): number => runs.reduce((n, [a, b]) => n + (ms(b) - ms(a)) / DAY + 1, 0);
const term = (t: ProviderTerm): string => `${t.validFrom}…${t.validTo ?? ''}`;

const unregisteredProvider: CheckPart = {
  rule: 10, part: 'provider-not-registered-for-service', needsProviders: true,
  async run(db: Db, m: ReportMonth) {
    // A day in [a, b] is uncovered iff some candidate is: a itself, or the day after a term of
    // (provider, service) that ends inside [a, b). Each probe is one index lookup of a provider.
    const rows = (await db.query<R>(`
      WITH s AS (
        SELECT s.municipality, s.source, s.decision_id, s.person_code, s.service_type, s.provider_reg_no,
          greatest(s.valid_from, $1::date) AS a, least(coalesce(s.valid_to, $2::date), $2::date) AS b
        FROM service_decision s
        WHERE s.outcome = 'GRANTED' AND s.provider_reg_no IS NOT NULL AND s.valid_from <= $2::date AND (s.valid_to IS NULL OR s.valid_to >= $1::date))
      SELECT s.municipality, s.source, s.decision_id, s.person_code, s.service_type, s.provider_reg_no,
        to_char(s.a, 'YYYY-MM-DD') AS a, to_char(s.b, 'YYYY-MM-DD') AS b
      FROM s
      WHERE EXISTS (
        SELECT 1 FROM (SELECT s.a AS d UNION ALL
                       SELECT t.valid_to + 1 FROM provider_service_term t
                       WHERE t.reg_no = s.provider_reg_no AND t.service_type = s.service_type AND t.valid_to >= s.a AND t.valid_to < s.b) c
        WHERE NOT EXISTS (SELECT 1 FROM provider_service_term t
                          WHERE t.reg_no = s.provider_reg_no AND t.service_type = s.service_type
                            AND t.valid_from <= c.d AND (t.valid_to IS NULL OR t.valid_to >= c.d)))
      ORDER BY s.municipality, s.source, s.decision_id`, [m.first, m.last])).rows;
    const terms = await termsOf(db, [...new Set(rows.map((r) => r.provider_reg_no))]);
    return rows.map((r) => {
      const mine = terms.filter((t) => t.regNo === r.provider_reg_no);
      const same = mine.filter((t) => t.serviceType === r.service_type);
      const runs = uncoveredDays(r.a, r.b, same);
      const inMonth = (t: ProviderTerm) => t.validFrom <= m.last && (!t.validTo || t.validTo >= m.first);
      const others = [...new Set(mine.filter((t) => t.serviceType !== r.service_type && inMonth(t)).map((t) => t.serviceType))];
      const standing = mine.length === 0
        ? 'which the social service providers register does not hold'
        : same.length === 0
          ? `which is not registered for ${r.service_type}${others.length ? ` (it is registered for ${others.join(', ')})` : ''}`
          : `whose registration for ${r.service_type} (${[...new Set(same.map(term))].join(', ')}) does not cover ${runs.map(span).join(', ')} `
            + `(${days(runs)} of the service's ${days([[r.a, r.b]])} days in ${m.period})`;
      return {
        rule: 10 as const,
        reason: `Service ${r.service_type} of person ${maskPersonCode(r.person_code)} from ${where(r.municipality)}, in force ${span([r.a, r.b])}, `
          + `is given by provider ${r.provider_reg_no}, ${standing}. A provider gives a social service only while registered for it.`,
        records: [rec('service-decision', r)],
      };
    });
  },
};

export const PROVIDER_PARTS: CheckPart[] = [unregisteredProvider];
