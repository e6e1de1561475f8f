/**
 * A generated national year for the Ministry's statistics and checks: household status chains,
 * the GMI and housing benefits they carry, other benefits, service decisions and assistant months
 * across every municipality of the classifier, written with set-based SQL (generate_series) straight
 * into the store's tables, plus planted cross-check cases written through the store's load path.
 *
 * The generated part is clean by construction: a person belongs to one household, a household's
 * statuses stay in one municipality and never overlap, GMI and housing go only to a member of a
 * household whose status covers the month, hours used never exceed hours granted and no assistant
 * has more than three clients of at most 160 hours. So the planted cases, and only they, are
 * findings, which `planted` lists as [rule, record keys] for the planted month.
 *
 * PMLP's register holds every generated person with one declared residence since 2015 in the
 * municipality of their household (so rules 8 and 9 find nothing generated) and no deaths (so
 * rule 7 finds nothing generated), topped up to `registerPersons` with persons no record names.
 */
import { readFileSync } from 'node:fs';
import type { Db, Store } from '../../store/index.ts';
import type { Decision, RegisterChange } from '../../schemas/canonical/model.ts';
import { applyRecords, assistant, benefit, status } from './fixture.ts';

export interface NationalOptions {
  /** Households with a status chain; about half are in force in any month. */
  households: number;
  /** HEALTHCARE, CRISIS and OTHER benefit months per month. */
  otherBenefitsPerMonth: number;
  servicesPerMonth: number;
  /** Assistant-service clients, each with an assistant month in every month of the year. */
  assistantClients: number;
  /** The month the planted cases are in (of 2026). */
  plantedMonth: string;
  /** Planted cases per rule (rule 5: assistants with five clients each). */
  plantedPerRule: number;
  /** Persons in PMLP's register (issue 12): every generated person, topped up with persons no record names. */
  registerPersons: number;
}

/** About 2.4 million records: the national scale of issue 6. */
export const NATIONAL: NationalOptions = {
  households: 50_000, otherBenefitsPerMonth: 120_000, servicesPerMonth: 30_000, assistantClients: 10_000,
  plantedMonth: '2026-06', plantedPerRule: 20, registerPersons: 250_000,
};

export type Planted = [number, string[]][];

const MUNICIPALITIES = (JSON.parse(readFileSync(new URL('../../schemas/classifiers/municipalities.json', import.meta.url), 'utf8'))
  .municipalities as { atvk: string; system: string; validTo: string | null }[]).filter((m) => m.validTo === null);

const code = (prefix: string, n: number): string => `${prefix}${String(n).padStart(9, '0')}`;
const TAIL = `'bench', 1, 0`; // load_id, batch_seq, idx: the generator is no load
const P = `(SELECT $1::text[] AS atvk, $2::text[] AS src, cardinality($1::text[]) AS n) p`;
const MONTHS = `generate_series(0, 11) mi, LATERAL (SELECT (date '2026-01-01' + make_interval(months => mi))::date AS month) mo`;

/** Status chains: household h starts somewhere in 2025–2026 and holds 1–4 six-month statuses. */
const STATUS_SQL = `
INSERT INTO household_status (municipality, source, decision_id, status, decision_date, valid_from, valid_to, household_id, record, content_hash, load_id, batch_seq, idx)
SELECT p.atvk[1 + h % p.n], p.src[1 + h % p.n], 'HS-' || h || '-' || j, CASE WHEN h % 3 = 0 THEN 'LOW_INCOME' ELSE 'NEEDY' END,
  s.vf, s.vf, s.vt, 'H' || h,
  jsonb_build_object('kind', 'household-status', 'decisionId', 'HS-' || h || '-' || j, 'validFrom', s.vf, 'validTo', s.vt, 'householdId', 'H' || h),
  md5('HS-' || h || '-' || j), ${TAIL}
FROM ${P}, generate_series(1, $3::int) h, generate_series(0, h % 4) j,
  LATERAL (SELECT (date '2026-01-01' + make_interval(months => (h * 7) % 24 - 12 + 6 * j))::date AS vf,
                  (date '2026-01-01' + make_interval(months => (h * 7) % 24 - 12 + 6 * j + 6))::date - 1 AS vt) s`;

const MEMBER_SQL = `
INSERT INTO household_member (municipality, source, decision_id, member_no, person_code, given_name, surname, role)
SELECT p.atvk[1 + h % p.n], p.src[1 + h % p.n], 'HS-' || h || '-' || j, k + 1, '32' || lpad((3 * h + k)::text, 9, '0'),
  'Vārds', 'Uzvārds', CASE WHEN k = 0 THEN 'FIRST' ELSE 'OTHER' END
FROM ${P}, generate_series(1, $3::int) h, generate_series(0, h % 4) j, generate_series(0, h % 3) k`;

/** GMI (needy, even households) and housing (four in five) to the first member, each month in force. */
const CARRIED_SQL = `
INSERT INTO benefit_month (municipality, source, decision_id, month, benefit_type, person_code, household_id, decision_date, amount, record, content_hash, load_id, batch_seq, idx)
SELECT s.municipality, s.source, t.type || '-' || s.decision_id, mo.month, t.type, '32' || lpad((3 * x.h)::text, 9, '0'), s.household_id, s.valid_from,
  CASE t.type WHEN 'GMI' THEN 50 + x.h % 200 + 0.25 * (x.h % 4) ELSE 20 + x.h % 150 + 0.5 * (x.h % 2) END,
  jsonb_build_object('kind', 'benefit', 'decisionId', t.type || '-' || s.decision_id, 'month', to_char(mo.month, 'YYYY-MM'), 'benefitType', t.type),
  md5(t.type || s.decision_id || mo.month), ${TAIL}
FROM household_status s, LATERAL (SELECT substr(s.household_id, 2)::int AS h) x, ${MONTHS}, (VALUES ('GMI'), ('HOUSING')) t(type)
WHERE s.load_id = 'bench' AND s.valid_from <= (mo.month + interval '1 month')::date - 1 AND s.valid_to >= mo.month
  AND ((t.type = 'GMI' AND s.status = 'NEEDY' AND x.h % 2 = 0) OR (t.type = 'HOUSING' AND x.h % 5 <> 0))`;

/** Other benefits to anyone, including people with no status: no rule looks at them. */
const OTHER_SQL = `
INSERT INTO benefit_month (municipality, source, decision_id, month, benefit_type, person_code, decision_date, amount, record, content_hash, load_id, batch_seq, idx)
SELECT p.atvk[1 + k % p.n], p.src[1 + k % p.n], 'X-' || k, mo.month, (ARRAY['HEALTHCARE', 'CRISIS', 'OTHER', 'OTHER'])[1 + k % 4],
  '32' || lpad(((k * 7919 + mi * 104729) % ($4::int * 3 + 1000))::text, 9, '0'), mo.month + 1, 5 + k % 300 + 0.01 * (k % 100),
  jsonb_build_object('kind', 'benefit', 'decisionId', 'X-' || k, 'month', to_char(mo.month, 'YYYY-MM')), md5('X-' || k || mi), ${TAIL}
FROM ${P}, ${MONTHS}, generate_series(1, $3::int) k`;

const SERVICE_SQL = `
INSERT INTO service_decision (municipality, source, decision_id, person_code, outcome, service_type, decision_date, valid_from, record, content_hash, load_id, batch_seq, idx)
SELECT p.atvk[1 + k % p.n], p.src[1 + k % p.n], 'SV-' || mi || '-' || k, '32' || lpad((k * 31 % 150000)::text, 9, '0'),
  (ARRAY['GRANTED', 'GRANTED', 'REFUSED', 'TERMINATED', 'SUSPENDED'])[1 + k % 5],
  (ARRAY['SOCIAL_WORK', 'HOME_CARE', 'DAY_CENTRE', 'GROUP_HOME', 'LONG_TERM_CARE', 'REHABILITATION', 'CRISIS_CENTRE', 'SHELTER',
         'SOUP_KITCHEN', 'SPECIALISED_WORKSHOP', 'ASSISTANT'])[1 + k % 11],
  mo.month + k % 28, mo.month + k % 28, jsonb_build_object('kind', 'service-decision', 'decisionId', 'SV-' || mi || '-' || k), md5('SV-' || mi || '-' || k), ${TAIL}
FROM ${P}, ${MONTHS}, generate_series(1, $3::int) k`;

/** Client c has assistant c / 3 (at most three clients) and uses up to six hours fewer than granted. */
const ASSISTANT_SQL = `
INSERT INTO assistant_month (municipality, source, decision_id, month, person_code, assistant_person_code, category, granted_hours, used_hours, record, content_hash, load_id, batch_seq, idx)
SELECT p.atvk[1 + c % p.n], p.src[1 + c % p.n], 'AS-' || c, mo.month, '34' || lpad(c::text, 9, '0'), '33' || lpad((c / 3)::text, 9, '0'),
  CASE c % 4 WHEN 0 THEN 'CHILD' WHEN 1 THEN 'STUDENT' ELSE 'ADULT' END, 40 + (c % 9) * 15, 40 + (c % 9) * 15 - c % 7,
  jsonb_build_object('kind', 'assistant-month', 'decisionId', 'AS-' || c, 'month', to_char(mo.month, 'YYYY-MM')), md5('AS-' || c || mi), ${TAIL}
FROM ${P}, ${MONTHS}, generate_series(1, $3::int) c`;

/**
 * One residence per person since 2015: household members and the persons of other benefits (32…,
 * household index / 3, as MEMBER_SQL numbers them), assistant clients (34…, as ASSISTANT_SQL
 * places them), and persons no record names (38…). $3 households, $4 assistant clients, $5 extra.
 */
const REGISTER_SQL = `
INSERT INTO person_register_change (change_id, person_code, kind, effective_on, municipality, address_code, recorded_at, source)
SELECT 'G-' || c.code, c.code, 'RESIDENCE', date '2015-01-01', c.atvk, lpad((c.i * 7919 % 1000000000)::text, 9, '0'), timestamptz '2015-01-02 00:00:00Z', 'pull'
FROM (
  SELECT i, '32' || lpad(i::text, 9, '0') AS code, p.atvk[1 + (i / 3) % p.n] AS atvk FROM ${P}, generate_series(0, $3::int * 3 + 1000) i
  UNION ALL SELECT c, '34' || lpad(c::text, 9, '0'), p.atvk[1 + c % p.n] FROM ${P}, generate_series(1, $4::int) c
  UNION ALL SELECT i, '38' || lpad(i::text, 9, '0'), p.atvk[1 + i % p.n] FROM ${P}, generate_series(1, $5::int) i
) c`;

/** Writes the generated year; returns rows per table and seconds taken. */
export async function generateNational(db: Db, o: NationalOptions, log: (s: string) => void = () => {}): Promise<{ rows: Record<string, number>; seconds: number }> {
  const atvk = MUNICIPALITIES.map((m) => m.atvk);
  const src = MUNICIPALITIES.map((m) => m.system);
  const t0 = performance.now();
  const rows: Record<string, number> = {};
  const step = async (name: string, sql: string, params: unknown[]) => {
    const t = performance.now();
    rows[name] = (rows[name] ?? 0) + (await db.query(sql, params)).rowCount;
    log(`${name}: ${rows[name]} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  await step('household_status', STATUS_SQL, [atvk, src, o.households]);
  await step('household_member', MEMBER_SQL, [atvk, src, o.households]);
  await step('benefit_month', CARRIED_SQL, []);
  await step('benefit_month', OTHER_SQL, [atvk, src, o.otherBenefitsPerMonth, o.households]);
  await step('service_decision', SERVICE_SQL, [atvk, src, o.servicesPerMonth]);
  await step('assistant_month', ASSISTANT_SQL, [atvk, src, o.assistantClients]);
  const extra = Math.max(0, o.registerPersons - (o.households * 3 + 1001) - o.assistantClients);
  await step('person_register_change', REGISTER_SQL, [atvk, src, o.households, o.assistantClients, extra]);
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

/** Adds `months` to the first day of `month` (YYYY-MM), plus `days`. */
function day(month: string, months: number, days = 0): string {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + months, 1 + days));
  return d.toISOString().slice(0, 10);
}

/**
 * The planted cases, each breaking exactly one rule in `plantedMonth`, written through the
 * store's load path. Planted people have codes of their own (35…), so nothing generated meets them.
 */
export async function plantCases(store: Store, o: NationalOptions): Promise<Planted> {
  const m = o.plantedMonth;
  const changes: RegisterChange[] = [];
  const lives = (person: string, mu: { atvk: string }, from = '2020-01-01'): void => {
    changes.push({ changeId: `PL-R-${person}-${from}`, personCode: person, kind: 'RESIDENCE', effectiveOn: from, municipality: mu.atvk,
      addressCode: '100000001', recordedAt: `${from}T12:00:00.000Z` });
  };
  const muni = (i: number) => MUNICIPALITIES[i % MUNICIPALITIES.length];
  const key = (mu: { atvk: string; system: string }, id: string, month?: string) => [mu.atvk, mu.system, id, month].filter(Boolean).join('/');
  const records: Decision[] = [];
  const planted: Planted = [];
  let person = 0;
  for (let i = 0; i < o.plantedPerRule; i++) {
    // 1: moved on the 15th; both municipalities paid for the month, each under its own status.
    const a = muni(i), b = muni(i + 1), p1 = code('35', ++person);
    records.push(status(a.atvk, `PL1-S-${i}`, 'NEEDY', day(m, -3), day(m, 0, 13), `PL1-HA-${i}`, [p1]),
      status(b.atvk, `PL1-S-${i}`, 'NEEDY', day(m, 0, 14), day(m, 6, -1), `PL1-HB-${i}`, [p1]),
      benefit(a.atvk, `PL1-B-${i}`, 'GMI', p1, '101.00', m), benefit(b.atvk, `PL1-B-${i}`, 'HOUSING', p1, '41.00', m));
    planted.push([1, [key(a, `PL1-B-${i}`, m), key(b, `PL1-B-${i}`, m)].sort()]);
    // 2: GMI to a person with no status anywhere.
    const c = muni(i + 5), p2 = code('35', ++person);
    records.push(benefit(c.atvk, `PL2-B-${i}`, 'GMI', p2, '77.00', m));
    planted.push([2, [key(c, `PL2-B-${i}`, m)]]);
    // 3: 90 hours used of 80 granted.
    const d = muni(i + 9);
    records.push(assistant(d.atvk, `PL3-A-${i}`, code('35', ++person), code('36', i), 'ADULT', 80, 90, m));
    planted.push([3, [key(d, `PL3-A-${i}`, m)]]);
    // 6: two households in two municipalities, overlapping over the month.
    const e = muni(i + 13), f = muni(i + 14), p6 = code('35', ++person);
    records.push(status(e.atvk, `PL6-S-${i}`, 'NEEDY', day(m, -3), day(m, 3, -1), `PL6-HA-${i}`, [p6]),
      status(f.atvk, `PL6-S-${i}`, 'LOW_INCOME', day(m, 0), day(m, 6, -1), `PL6-HB-${i}`, [p6]));
    planted.push([6, [key(e, `PL6-S-${i}`), key(f, `PL6-S-${i}`)].sort()]);
    // 7: an OTHER benefit for the month to a person who died on the 11th of the month before.
    const g = muni(i + 20), p7 = code('35', ++person);
    lives(p7, g);
    changes.push({ changeId: `PL7-D-${i}`, personCode: p7, kind: 'DEATH', effectiveOn: day(m, -1, 10), recordedAt: `${day(m, -1, 14)}T09:00:00.000Z` });
    records.push(benefit(g.atvk, `PL7-B-${i}`, 'OTHER', p7, '12.00', m));
    planted.push([7, [key(g, `PL7-B-${i}`, m)]]);
    // 8 and 9 at once: GMI under the payer's own status to a person who lives elsewhere (rule 2 is
    // satisfied by the status, whose member then lives outside its municipality).
    const h = muni(i + 24), elsewhere = muni(i + 25), p8 = code('35', ++person);
    lives(p8, elsewhere);
    records.push(status(h.atvk, `PL8-S-${i}`, 'NEEDY', day(m, -2), day(m, 4, -1), `PL8-H-${i}`, [p8]),
      benefit(h.atvk, `PL8-B-${i}`, 'GMI', p8, '88.00', m));
    planted.push([8, [key(h, `PL8-B-${i}`, m)]], [9, [key(h, `PL8-S-${i}`)]]);
    // 9 alone: a two-person household whose second member lives in another municipality.
    const k = muni(i + 28), away = muni(i + 29), q1 = code('35', ++person), q2 = code('35', ++person);
    lives(q1, k);
    lives(q2, away);
    records.push(status(k.atvk, `PL9-S-${i}`, 'LOW_INCOME', day(m, -1), day(m, 5, -1), `PL9-H-${i}`, [q1, q2]));
    planted.push([9, [key(k, `PL9-S-${i}`)]]);
    // None: moved from one municipality to another on the 16th; the new one grants and pays the month.
    const from = muni(i + 32), to = muni(i + 33), mover = code('35', ++person);
    lives(mover, from);
    lives(mover, to, day(m, 0, 15));
    records.push(status(to.atvk, `PLN-S-${i}`, 'NEEDY', day(m, 0), day(m, 6, -1), `PLN-H-${i}`, [mover]),
      benefit(to.atvk, `PLN-B-${i}`, 'HOUSING', mover, '35.00', m));
  }
  // 5: an assistant with five clients of 160 hours in five municipalities: 800 hours.
  for (let i = 0; i < Math.ceil(o.plantedPerRule / 2); i++) {
    const keys: string[] = [];
    for (let k = 0; k < 5; k++) {
      const g = muni(i + 17 + k);
      records.push(assistant(g.atvk, `PL5-A-${i}-${k}`, code('35', ++person), code('37', i), 'ADULT', 160, 160, m));
      keys.push(key(g, `PL5-A-${i}-${k}`, m));
    }
    planted.push([5, keys.sort()]);
  }
  await applyRecords(store, records);
  await store.storeRegisterChanges(changes, 'pull');
  return planted;
}
