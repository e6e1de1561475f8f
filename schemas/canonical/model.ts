/**
 * The canonical model: what every partner's record becomes inside the hub. Field meanings follow
 * ../shared/partners/classifiers.md; codes are the canonical column of its tables.
 * Money is a decimal string ("89.40"), never a float; dates are YYYY-MM-DD; months YYYY-MM.
 */
export type DecisionKind = 'household-status' | 'benefit' | 'service-decision' | 'assistant-month';
export type Source = 'sopa' | 'lietis' | 'gvs';

interface DecisionBase {
  kind: DecisionKind;
  municipality: string;
  source: Source;
  decisionId: string;
  /** Absent for an assistant month: partners report the month, not a decision date. */
  decisionDate?: string;
}

export interface HouseholdMember {
  personCode: string;
  givenName: string;
  surname: string;
  role: 'FIRST' | 'OTHER';
}

export interface HouseholdStatus extends DecisionBase {
  kind: 'household-status';
  status: 'NEEDY' | 'LOW_INCOME';
  validFrom: string;
  validTo: string;
  /** Optional: LIETIS may leave it out (lietis.md). */
  householdId?: string;
  members: HouseholdMember[];
  averageIncome?: string;
}

export interface Benefit extends DecisionBase {
  kind: 'benefit';
  benefitType: 'GMI' | 'HOUSING' | 'HEALTHCARE' | 'CRISIS' | 'OTHER';
  personCode: string;
  householdId?: string;
  month: string;
  amount: string;
  paidOn?: string;
}

export interface ServiceDecision extends DecisionBase {
  kind: 'service-decision';
  personCode: string;
  outcome: 'GRANTED' | 'REFUSED' | 'TERMINATED' | 'SUSPENDED';
  serviceType: string;
  providerRegNo?: string;
  from: string;
  to?: string;
  volume?: { amount: string; unit: 'HOURS_PER_MONTH' | 'DAYS_PER_MONTH' | 'PLACE' };
}

export interface AssistantMonth extends DecisionBase {
  kind: 'assistant-month';
  personCode: string;
  assistantPersonCode: string;
  category: 'CHILD' | 'ADULT' | 'STUDENT';
  month: string;
  grantedHours: number;
  usedHours: number;
}

export type Decision = HouseholdStatus | Benefit | ServiceDecision | AssistantMonth;

/** One rejection reason: the field as the partner spells it, a code of classifiers.md, and why. */
export interface RecordError {
  field: string;
  code: RejectionCode;
  message: string;
}

export type RejectionCode =
  | 'PERSON_CODE' | 'MUNICIPALITY' | 'DATE' | 'PERIOD' | 'AMOUNT' | 'HOURS'
  | 'REQUIRED' | 'CLASSIFIER' | 'DUPLICATE' | 'FORMAT';

/** The natural key of classifiers.md, as one string, for dedup and for rejection reports. */
export function naturalKey(d: Decision): string {
  const base = `${d.municipality}/${d.source}/${d.decisionId}`;
  return d.kind === 'benefit' || d.kind === 'assistant-month' ? `${base}/${d.month}` : base;
}
