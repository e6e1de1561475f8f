/**
 * The answer of the application status (docs/partners/portal-applications.md, "The answer"): the
 * person's decided applications from the loaded decisions, their open ones from the municipalities
 * that answered, and what each municipal system said. Pure: what was read goes in, the JSON the
 * portal gets comes out.
 */
import type { AppliedFor, Benefit, HouseholdStatus, OpenApplication, ServiceType } from '../../schemas/canonical/model.ts';
import type { DecidedApplication } from '../../store/applications.ts';
import type { SourceAnswer, SourceReport } from './municipal-systems.ts';

export interface DecidedItem {
  municipality: string;
  municipalityName: string;
  decisionId: string;
  appliedFor: AppliedFor;
  outcome: DecidedApplication['outcome'];
  /** YYYY-MM-DD; absent for the assistant service, whose months are reported without one. */
  decisionDate?: string;
  /** Dates for a status or a service, months (YYYY-MM) for a benefit or the assistant service; `to` absent: open-ended. */
  period: { from: string; to?: string };
  /** Benefit and assistant service: the months loaded so far. */
  months?: number;
  /** Benefit: the euro of the months loaded so far, together. */
  amount?: string;
  /** Service: the volume granted. */
  volume?: { amount: string; unit: string };
  /** Assistant service: the category, and the hours granted and used over the months loaded. */
  assistant?: { category: string; grantedHours: string; usedHours: string };
}

export interface OpenItem extends OpenApplication {
  municipality: string;
  municipalityName: string;
}

export interface ApplicationStatus {
  /** The portal's request id (the assertion's jti), to quote when asking about this answer. */
  requestId: string;
  /** False when a municipal system that has an online interface did not answer: open applications may be missing. */
  complete: boolean;
  decided: DecidedItem[];
  open: OpenItem[];
  sources: SourceReport[];
}

function appliedFor(d: DecidedApplication): AppliedFor {
  switch (d.kind) {
    case 'household-status': return { kind: 'household-status', status: d.code as HouseholdStatus['status'] };
    case 'benefit': return { kind: 'benefit', benefitType: d.code as Benefit['benefitType'] };
    case 'service': return { kind: 'service', serviceType: d.code as ServiceType };
    case 'assistant': return { kind: 'service', serviceType: 'ASSISTANT' };
  }
}

function decidedItem(d: DecidedApplication, nameOf: (atvk: string) => string): DecidedItem {
  return {
    municipality: d.municipality, municipalityName: nameOf(d.municipality), decisionId: d.decisionId, appliedFor: appliedFor(d), outcome: d.outcome,
    ...(d.decisionDate ? { decisionDate: d.decisionDate } : {}),
    period: d.period,
    ...(d.months !== undefined ? { months: d.months } : {}),
    ...(d.amount !== undefined ? { amount: d.amount } : {}),
    ...(d.volume ? { volume: d.volume } : {}),
    ...(d.kind === 'assistant' && d.hours ? { assistant: { category: d.code, grantedHours: d.hours.granted, usedHours: d.hours.used } } : {}),
  };
}

/** Decided newest first (as the store reads them); open ones newest first, then by municipality. */
export function applicationStatus(requestId: string, decided: DecidedApplication[], answers: SourceAnswer[], nameOf: (atvk: string) => string): ApplicationStatus {
  const open = answers.flatMap((a) => a.applications.map((x): OpenItem => ({ municipality: a.report.municipality, municipalityName: a.report.municipalityName, ...x })))
    .sort((x, y) => y.receivedOn.localeCompare(x.receivedOn) || x.municipality.localeCompare(y.municipality) || x.applicationId.localeCompare(y.applicationId));
  return {
    requestId,
    complete: answers.every((a) => a.report.openApplications !== 'unavailable'),
    decided: decided.map((d) => decidedItem(d, nameOf)),
    open,
    sources: answers.map((a) => a.report),
  };
}
