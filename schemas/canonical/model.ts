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
  return naturalKeyOf(d.municipality, d.source, d.decisionId, d.kind === 'benefit' || d.kind === 'assistant-month' ? d.month : undefined);
}

/** The same key from its parts; `month` (YYYY-MM) only for the monthly kinds. */
export function naturalKeyOf(municipality: string, source: string, decisionId: string, month?: string): string {
  return month === undefined ? `${municipality}/${source}/${decisionId}` : `${municipality}/${source}/${decisionId}/${month}`;
}

/**
 * A VDEĀVK opinion on a person's need for the assistant service (shared/partners/vdeavk.md), as
 * the hub stores it and answers it: dates YYYY-MM-DD, `changedAt` an ISO instant (UTC, `Z`).
 */
export interface AssistantOpinion {
  opinionId: string;
  /** 11 digits, no hyphen. */
  personCode: string;
  disabilityGroup: 'I' | 'II' | 'III' | 'CHILD';
  kind: 'CHILD_SPECIAL_CARE' | 'ADULT_MOBILITY' | 'ADULT_VISUAL' | 'ADULT_MENTAL' | 'TRANSPORT_INDICATION';
  issuedOn: string;
  validFrom: string;
  validTo: string;
  /** Given for children: 80, or 100 with weekly procedures or rehabilitation. */
  maxHoursPerMonth?: number;
  revoked: boolean;
  changedAt: string;
}

/** An NVA (BURVIS) profile of an unemployed person or job seeker (shared/partners/burvis.md). */
export interface BurvisProfile {
  /** 11 digits, no hyphen. */
  personCode: string;
  status: 'UNEMPLOYED' | 'JOBSEEKER' | 'DEREGISTERED';
  registeredOn: string;
  deregisteredOn?: string;
  profilingGroup: 1 | 2 | 3;
  /** Declared residence, ATVK: the municipality whose system is notified. */
  municipality: string;
  /** ISO instant (UTC, `Z`). */
  updatedAt: string;
}

/** A municipality's co-participation duties for a client, sent to BURVIS (burvis.md SubmitCoParticipation). */
export interface CoParticipation {
  /** The municipality's own id: sending it again with the same content changes nothing. */
  id: string;
  personCode: string;
  municipality: string;
  agreedOn: string;
  duties: ('REGISTER_WITH_NVA' | 'ACTIVE_JOB_SEARCH' | 'ATTEND_MEASURES' | 'SOCIAL_REHABILITATION' | 'OTHER')[];
  /** Free text, at most 200 characters each. */
  services?: string[];
  validTo?: string;
}

/** A declared residence in the population register (docs/partners/pmlp.md). */
export interface DeclaredResidence {
  /** ATVK of the declared address: the municipality responsible for the person. */
  municipality: string;
  /** The address's code in VZD's address register (9 digits). */
  addressCode: string;
  address: string;
  /** The day the declaration took effect (YYYY-MM-DD). */
  validFrom: string;
}

/** One person as PMLP's population register holds them (docs/partners/pmlp.md GetPerson). */
export interface RegisterPerson {
  /** The current code: 11 digits, no hyphen. */
  personCode: string;
  /** The code before a code change, when there was one. */
  formerPersonCode?: string;
  givenName: string;
  surname: string;
  status: 'ALIVE' | 'DECEASED';
  /** YYYY-MM-DD, when DECEASED. */
  deathDate?: string;
  /** Absent when the person has no declared residence in Latvia. */
  declaredResidence?: DeclaredResidence;
}

/** One change of PMLP's feed (GetPersonChanges): a death registered, or a declared residence taking effect. */
export interface RegisterChange {
  /** Unique and stable: the same change pulled twice is one change. */
  changeId: string;
  personCode: string;
  kind: 'DEATH' | 'RESIDENCE';
  /** The date of death, or the day the declaration took effect (YYYY-MM-DD). */
  effectiveOn: string;
  /** RESIDENCE only: ATVK of the new declared residence. */
  municipality?: string;
  /** RESIDENCE only. */
  addressCode?: string;
  /** When PMLP recorded it: ISO instant (UTC, `Z`, milliseconds). The feed's order. */
  recordedAt: string;
}

/**
 * A message to an official e-address (docs/partners/eaddress.md): a notice to a person (a new
 * decision, a change of a queue position) or a document to an institution (a complaint). Its
 * content is made only from what caused it, never from when, so the same cause is the same
 * delivery id and the e-address deduplicates it.
 */
export interface EAddressMessage {
  kind: 'decision-notice' | 'queue-notice' | 'complaint';
  /** A person's e-address (by person code) or an institution's (by registration code). */
  recipient: { personCode: string } | { regNo: string };
  /** Whose personal data the message carries (the audit row's subject). */
  personCode: string;
  /** The municipality the message concerns, when it concerns one (ATVK). */
  municipality?: string;
  /** What caused it, e.g. "decision:0001000/sopa/L-17": stable, one message per cause. */
  cause: string;
  subject: string;
  text: string;
  attachments?: { name: string; contentType: string; data: string }[];
}

/** The canonical codes of classifiers.md's tables, as lists a reader can check a value against. */
export const HOUSEHOLD_STATUSES = ['NEEDY', 'LOW_INCOME'] as const;
export const BENEFIT_TYPES = ['GMI', 'HOUSING', 'HEALTHCARE', 'CRISIS', 'OTHER'] as const;
export const SERVICE_TYPES = [
  'SOCIAL_WORK', 'HOME_CARE', 'DAY_CENTRE', 'GROUP_HOME', 'LONG_TERM_CARE', 'REHABILITATION', 'CRISIS_CENTRE', 'SHELTER',
  'SOUP_KITCHEN', 'SPECIALISED_WORKSHOP', 'ASSISTANT',
] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** What an application asks for: a household status, a benefit or a social service (classifiers.md codes). */
export type AppliedFor =
  | { kind: 'household-status'; status: HouseholdStatus['status'] }
  | { kind: 'benefit'; benefitType: Benefit['benefitType'] }
  | { kind: 'service'; serviceType: ServiceType };

/**
 * Where a municipality has got with an application it has not decided yet
 * (docs/partners/sopa-applications.md, lietis-applications.md).
 */
export const APPLICATION_STATES = ['REGISTERED', 'IN_REVIEW', 'WAITING_FOR_DOCUMENTS'] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

/**
 * An application a municipality's system has registered and not yet decided, as SOPA and LIETIS
 * answer it for one person. Decided applications reach SPOLIS as loaded decisions instead.
 */
export interface OpenApplication {
  /** The municipality's own number of the application. */
  applicationId: string;
  /** YYYY-MM-DD */
  receivedOn: string;
  appliedFor: AppliedFor;
  state: ApplicationState;
  /** YYYY-MM-DD, when the municipality gives one. */
  expectedDecisionBy?: string;
}

/**
 * A municipality's annual state statistical report on social services and social assistance, as
 * submitted (eservices/state-reports/; the indicator codes are store/state-reports.ts INDICATORS).
 * Aggregates only: no personal data.
 */
export interface StateReportSubmission {
  /** ATVK of the reporting municipality. */
  municipality: string;
  year: number;
  /** Every indicator code → its value as a decimal string in the indicator's unit. */
  figures: Record<string, string>;
  /** Why a figure differs from the records, by indicator code. */
  comments: Record<string, string>;
  /** The records' figures when submitted (what the form was pre-filled with). */
  records: Record<string, string>;
  /** The partner that submitted (partners.yaml id). */
  submittedBy: string;
  requestId?: string;
}

/** What pulls and SOAP pushes carry into a route, named so a route's steps can be checked to fit. */
export interface MessageTypes {
  'vdeavk.opinion': AssistantOpinion;
  'pmlp.change': RegisterChange;
  'burvis.profile': BurvisProfile;
  'burvis.coparticipation': CoParticipation;
  'eaddress.message': EAddressMessage;
  'spolis.state-report': StateReportSubmission;
}
export type MessageType = keyof MessageTypes;
