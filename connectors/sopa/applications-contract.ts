/**
 * SOPA's open-applications service as docs/partners/sopa-applications.md defines it: the JSON the
 * hub sends, the JSON SOPA answers, and the checks each side makes of the other's, kept apart from
 * both the client and the simulator so the two read one contract. A problem names its JSON path
 * and never carries a personal code: messages reach logs.
 */
import {
  APPLICATION_STATES, BENEFIT_TYPES, HOUSEHOLD_STATUSES, SERVICE_TYPES, isRealDate, personCodeProblem,
  type AppliedFor, type OpenApplication,
} from '../../engine/index.ts';

/** The path under `{sopaBase}`; partners.yaml's `endpoint` of a SOPA partner is the whole URL. */
export const SOPA_APPLICATIONS_PATH = '/api/open-applications';

export const MAX_REQUEST_ID = 64;
export const MAX_PURPOSE = 500;
export const MAX_APPLICATION_ID = 64;
/** An answer larger than this is not one person's open applications. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** How long SOPA may take to answer (sopa-applications.md, "Limits"). */
export const SOPA_ANSWER_MS = 2000;

export interface SopaApplicationsRequest {
  /** Unique per request, 1–64 of `[A-Za-z0-9._:-]`. */
  requestId: string;
  /** 11 digits, no hyphen. */
  personCode: string;
  /** Why the hub asks; SOPA keeps it in its own audit. 1–500 characters. */
  purpose: string;
}

export interface SopaApplicationsAnswer {
  /** The request's id, echoed. */
  requestId: string;
  /** The municipality (ATVK) whose SOPA answered. */
  municipality: string;
  applications: OpenApplication[];
}

/** What is wrong with a body, at its JSON path (`applications[2].appliedFor.benefitType`). */
export interface ContractProblem {
  field: string;
  message: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const ATVK = /^\d{7}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDate = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));
const oneOf = (list: readonly string[], v: unknown): boolean => typeof v === 'string' && list.includes(v);

/** The first problem of a request SOPA receives, or null when SOPA takes it. */
export function requestProblem(body: unknown): ContractProblem | null {
  if (!isObject(body)) return { field: '', message: 'the body must be a JSON object' };
  const { requestId, personCode, purpose } = body;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) return { field: 'requestId', message: `requestId must be 1 to ${MAX_REQUEST_ID} characters of A–Z, a–z, 0–9 and . _ : -` };
  if (typeof personCode !== 'string' || !/^\d{11}$/.test(personCode)) return { field: 'personCode', message: 'personCode must be 11 digits without a hyphen' };
  const codeProblem = personCodeProblem(personCode);
  if (codeProblem) return { field: 'personCode', message: `personCode is not a valid personal code: ${codeProblem}` };
  if (typeof purpose !== 'string' || !purpose.trim() || [...purpose].length > MAX_PURPOSE) return { field: 'purpose', message: `purpose must be 1 to ${MAX_PURPOSE} characters, not blank` };
  return null;
}

function appliedForProblem(a: unknown, at: string): ContractProblem | null {
  if (!isObject(a)) return { field: at, message: `${at} must be an object with kind household-status, benefit or service` };
  switch (a.kind) {
    case 'household-status':
      return oneOf(HOUSEHOLD_STATUSES, a.status) ? null : { field: `${at}.status`, message: `${at}.status must be one of ${HOUSEHOLD_STATUSES.join(', ')}` };
    case 'benefit':
      return oneOf(BENEFIT_TYPES, a.benefitType) ? null : { field: `${at}.benefitType`, message: `${at}.benefitType must be one of ${BENEFIT_TYPES.join(', ')}` };
    case 'service':
      return oneOf(SERVICE_TYPES, a.serviceType) ? null : { field: `${at}.serviceType`, message: `${at}.serviceType must be one of ${SERVICE_TYPES.join(', ')}` };
    default:
      return { field: `${at}.kind`, message: `${at}.kind must be household-status, benefit or service` };
  }
}

function applicationProblem(a: unknown, at: string): ContractProblem | null {
  if (!isObject(a)) return { field: at, message: `${at} must be an object` };
  const id = a.applicationId;
  if (typeof id !== 'string' || !id.trim() || id !== id.trim() || [...id].length > MAX_APPLICATION_ID) {
    return { field: `${at}.applicationId`, message: `${at}.applicationId must be 1 to ${MAX_APPLICATION_ID} characters without leading or trailing spaces` };
  }
  if (!isDate(a.receivedOn)) return { field: `${at}.receivedOn`, message: `${at}.receivedOn must be a date YYYY-MM-DD` };
  const applied = appliedForProblem(a.appliedFor, `${at}.appliedFor`);
  if (applied) return applied;
  if (!oneOf(APPLICATION_STATES, a.state)) return { field: `${at}.state`, message: `${at}.state must be one of ${APPLICATION_STATES.join(', ')}` };
  if (a.expectedDecisionBy !== undefined) {
    if (!isDate(a.expectedDecisionBy)) return { field: `${at}.expectedDecisionBy`, message: `${at}.expectedDecisionBy must be a date YYYY-MM-DD when present` };
    if (a.expectedDecisionBy < a.receivedOn) return { field: `${at}.expectedDecisionBy`, message: `${at}.expectedDecisionBy is before ${at}.receivedOn` };
  }
  return null;
}

/** The first problem of SOPA's 200 answer to `requestId`, or null when it is the answer sopa-applications.md describes. */
export function answerProblem(body: unknown, requestId: string): ContractProblem | null {
  if (!isObject(body)) return { field: '', message: 'the answer must be a JSON object' };
  if (body.requestId !== requestId) return { field: 'requestId', message: 'requestId is not the id of the request it answers' };
  if (typeof body.municipality !== 'string' || !ATVK.test(body.municipality)) return { field: 'municipality', message: 'municipality must be an ATVK code as a string of 7 digits' };
  if (!Array.isArray(body.applications)) return { field: 'applications', message: 'applications must be a list (empty when the person has no open application)' };
  for (let i = 0; i < body.applications.length; i++) {
    const p = applicationProblem(body.applications[i], `applications[${i}]`);
    if (p) return p;
  }
  return null;
}

/**
 * An application in canonical form: only the fields the contract names, so that whatever else SOPA
 * adds (a JSON receiver ignores what it does not know) does not travel on to the person.
 */
export function canonicalApplication(a: OpenApplication): OpenApplication {
  const x = a.appliedFor;
  const appliedFor: AppliedFor = x.kind === 'household-status' ? { kind: x.kind, status: x.status }
    : x.kind === 'benefit' ? { kind: x.kind, benefitType: x.benefitType } : { kind: x.kind, serviceType: x.serviceType };
  return {
    applicationId: a.applicationId, receivedOn: a.receivedOn, appliedFor, state: a.state,
    ...(a.expectedDecisionBy !== undefined ? { expectedDecisionBy: a.expectedDecisionBy } : {}),
  };
}
