/**
 * A person's decided applications, as the loaded decisions hold them (the application-status
 * e-service, eservices/applications/): one row per decision, whatever its kind. A household status
 * is the person's when they are a member of the household it was decided for; a benefit, a service
 * decision and an assistant month are the person's when the person is the one they name (the
 * assistant's own code is not the person's application). Benefits and assistant months come one
 * row per month and are summed up per decision: the person asked once, the municipality decided
 * once.
 *
 * The same read gives the person's declared residence today, as PMLP's changes hold it
 * (store/person-register.ts): with the municipalities of the decisions, it says which municipal
 * systems are asked for the person's open applications (eservices/applications/whom-to-ask.ts).
 */
import type { Db } from './db.ts';
import type { Source } from '../schemas/canonical/model.ts';

export type DecidedKind = 'household-status' | 'benefit' | 'service' | 'assistant';

/** One decision about the person, as loaded; what each kind adds is in its own fields. */
export interface DecidedApplication {
  kind: DecidedKind;
  municipality: string;
  source: Source;
  decisionId: string;
  /**
   * What was decided: household-status NEEDY | LOW_INCOME; benefit its benefitType; service its
   * serviceType; assistant its category (CHILD | ADULT | STUDENT).
   */
  code: string;
  /** GRANTED for statuses, benefits and assistant months (they are loaded once granted); a service decision's own outcome. */
  outcome: 'GRANTED' | 'REFUSED' | 'TERMINATED' | 'SUSPENDED';
  /** YYYY-MM-DD; absent for assistant months, which partners report without one. */
  decisionDate?: string;
  /** Dates (YYYY-MM-DD) for statuses and services; months (YYYY-MM) for benefits and assistant months. `to` absent: open-ended. */
  period: { from: string; to?: string };
  /** benefit and assistant: how many months were loaded. */
  months?: number;
  /** benefit: the euro of every loaded month together, two decimals. */
  amount?: string;
  /** service: the volume granted, e.g. 40 HOURS_PER_MONTH. */
  volume?: { amount: string; unit: string };
  /** assistant: hours granted and used over the loaded months. */
  hours?: { granted: string; used: string };
}

const D = (c: string): string => `to_char(${c}, 'YYYY-MM-DD')`;
const M = (c: string): string => `to_char(${c}, 'YYYY-MM')`;

/** What the store knows of a person for the status of their applications. */
export interface PersonApplications {
  /** Every decision about the person, newest first. */
  decided: DecidedApplication[];
  /** The ATVK of the person's declared residence today, when PMLP's changes in the store hold one. */
  residence?: string;
}

interface Row {
  kind: DecidedKind | 'residence'; municipality: string; source: Source; decision_id: string; code: string; outcome: DecidedApplication['outcome'];
  decision_date: string | null; period_from: string; period_to: string | null; months: number | null; amount: string | null;
  volume_amount: string | null; volume_unit: string | null; granted: string | null; used: string | null;
}

/** Every decision about `personCode` (11 digits), newest first, and where the person lives today. */
export async function personApplications(db: Db, personCode: string): Promise<PersonApplications> {
  const r = await db.query<Row>(
    `SELECT * FROM (
     SELECT 'household-status' AS kind, h.municipality, h.source, h.decision_id, h.status AS code, 'GRANTED' AS outcome,
            ${D('h.decision_date')} AS decision_date, ${D('h.valid_from')} AS period_from, ${D('h.valid_to')} AS period_to,
            NULL::int AS months, NULL::text AS amount, NULL::text AS volume_amount, NULL::text AS volume_unit, NULL::text AS granted, NULL::text AS used
       FROM household_status h
      WHERE EXISTS (SELECT 1 FROM household_member m
                     WHERE m.person_code = $1 AND m.municipality = h.municipality AND m.source = h.source AND m.decision_id = h.decision_id)
     UNION ALL
     SELECT 'benefit', b.municipality, b.source, b.decision_id, min(b.benefit_type), 'GRANTED',
            ${D('min(b.decision_date)')}, ${M('min(b.month)')}, ${M('max(b.month)')},
            count(*)::int, sum(b.amount)::text, NULL, NULL, NULL, NULL
       FROM benefit_month b
      WHERE b.person_code = $1
      GROUP BY b.municipality, b.source, b.decision_id
     UNION ALL
     SELECT 'service', s.municipality, s.source, s.decision_id, s.service_type, s.outcome,
            ${D('s.decision_date')}, ${D('s.valid_from')}, ${D('s.valid_to')},
            NULL, NULL, s.volume_amount::text, s.volume_unit, NULL, NULL
       FROM service_decision s
      WHERE s.person_code = $1
     UNION ALL
     SELECT 'assistant', a.municipality, a.source, a.decision_id, min(a.category), 'GRANTED',
            NULL, ${M('min(a.month)')}, ${M('max(a.month)')},
            count(*)::int, NULL, NULL, NULL, sum(a.granted_hours)::text, sum(a.used_hours)::text
       FROM assistant_month a
      WHERE a.person_code = $1
      GROUP BY a.municipality, a.source, a.decision_id
     UNION ALL
     -- In the same statement, not a second one: this read is on every status request, and a round
     -- trip costs more than the probe. The newest residence in force today (Latvia's day), as
     -- person-register.ts reads it for the checks.
     (SELECT 'residence', c.municipality, NULL, NULL, NULL, NULL, NULL, to_char(c.effective_on, 'YYYY-MM-DD'), NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM person_register_change c
       WHERE c.person_code = $1 AND c.kind = 'RESIDENCE' AND c.effective_on <= (now() AT TIME ZONE 'Europe/Riga')::date
       ORDER BY c.effective_on DESC, c.recorded_at DESC, c.change_id DESC
       LIMIT 1)
     ) d
     -- Newest first; an assistant month, which has no decision date, by its first month.
     ORDER BY coalesce(d.decision_date, d.period_from) DESC, d.municipality, d.source, d.decision_id`,
    // On every status request: planned once per connection (four index probes whatever the person).
    [personCode], { prepare: true });
  const residence = r.rows.find((x) => x.kind === 'residence')?.municipality;
  const decided = r.rows.filter((x): x is Row & { kind: DecidedKind } => x.kind !== 'residence').map((x): DecidedApplication => ({
    kind: x.kind, municipality: x.municipality, source: x.source, decisionId: x.decision_id, code: x.code, outcome: x.outcome,
    ...(x.decision_date ? { decisionDate: x.decision_date } : {}),
    period: { from: x.period_from, ...(x.period_to ? { to: x.period_to } : {}) },
    ...(x.months !== null ? { months: Number(x.months) } : {}),
    ...(x.amount !== null ? { amount: x.amount } : {}),
    ...(x.volume_amount !== null && x.volume_unit !== null ? { volume: { amount: x.volume_amount, unit: x.volume_unit } } : {}),
    ...(x.granted !== null && x.used !== null ? { hours: { granted: x.granted, used: x.used } } : {}),
  }));
  return { decided, ...(residence ? { residence } : {}) };
}
