/**
 * LIETIS's open-applications service (docs/partners/lietis-applications.md,
 * schemas/xsd/lietis-applications.xsd, schemas/wsdl/lietis-applications.wsdl): the messages the
 * hub's client and the simulator write, and the readers each uses for the other's, by the XSD's
 * rules (element order and namespace, the simple types' lexical rules and whitespace handling), so
 * that what one side writes the other reads by the same rules. A problem names the element at
 * fault and never carries a personal code.
 */
import {
  APPLICATION_STATES, BENEFIT_TYPES, HOUSEHOLD_STATUSES, SERVICE_TYPES, childElements, isRealDate, personCodeProblem, soapFault, soapPayload, textOf,
  type AppliedFor, type CanonicalXml, type OpenApplication, type SoapFault, type XElement, type XmlFields,
} from '../../engine/index.ts';

export const LIETIS_APPLICATIONS_NS = 'urn:lv:daugavpils:lietis:applications:1';
/** The path of the WSDL's placeholder address; the real address is the LIETIS partner's `endpoint`. */
export const LIETIS_APPLICATIONS_PATH = '/applications/LietisApplications';

export const OPEN_APPLICATIONS = {
  name: 'GetOpenApplications',
  request: 'GetOpenApplicationsRequest',
  response: 'GetOpenApplicationsResponse',
  soapAction: `${LIETIS_APPLICATIONS_NS}#GetOpenApplications`,
} as const;

/** The fault codes of lietis-applications.md (detail/ErrorCode). */
export const LIETIS_APPLICATIONS_ERRORS = ['INVALID_REQUEST', 'SIGNATURE_INVALID', 'UNAVAILABLE'] as const;
export type LietisApplicationsError = (typeof LIETIS_APPLICATIONS_ERRORS)[number];

/** How long LIETIS may take to answer (lietis-applications.md, "Limits"). */
export const LIETIS_ANSWER_MS = 2000;
export const MAX_PURPOSE = 500;
export const MAX_APPLICATION_ID = 64;

export interface OpenApplicationsRequest {
  requestId: string;
  purpose: string;
  /** 11 digits, no hyphen. */
  personCode: string;
}

export interface OpenApplicationsAnswer {
  /** The municipality (ATVK) whose LIETIS answered. */
  municipality: string;
  applications: OpenApplication[];
}

/** A message lietis-applications.xsd does not allow; `path` names the element (`Applications/Application[2]/State`). */
export class InvalidApplicationsMessage extends Error {
  constructor(readonly path: string, readonly problem: string) { super(`${path}: ${problem}`); }
}

/** The AppliedFor choice: the element for each kind, and its values. */
const APPLIED_FOR = [
  ['HouseholdStatus', 'household-status', HOUSEHOLD_STATUSES],
  ['Benefit', 'benefit', BENEFIT_TYPES],
  ['Service', 'service', SERVICE_TYPES],
] as const;

/** The request payload, fields in the XSD's order. */
export const openApplicationsRequest = (r: OpenApplicationsRequest): CanonicalXml =>
  soapPayload(LIETIS_APPLICATIONS_NS, OPEN_APPLICATIONS.request, [['RequestId', r.requestId], ['Purpose', r.purpose], ['PersonCode', r.personCode]]);

function appliedForFields(a: AppliedFor): XmlFields {
  return a.kind === 'household-status' ? [['HouseholdStatus', a.status]] : a.kind === 'benefit' ? [['Benefit', a.benefitType]] : [['Service', a.serviceType]];
}

/** The response payload, applications oldest first (then by ApplicationId), as the document promises. */
export function openApplicationsResponse(a: OpenApplicationsAnswer): CanonicalXml {
  const ordered = [...a.applications].sort((x, y) => x.receivedOn.localeCompare(y.receivedOn) || x.applicationId.localeCompare(y.applicationId));
  return soapPayload(LIETIS_APPLICATIONS_NS, OPEN_APPLICATIONS.response, [
    ['Municipality', a.municipality],
    ['Applications', ordered.map((x) => ['Application', [
      ['ApplicationId', x.applicationId], ['ReceivedOn', x.receivedOn], ['AppliedFor', appliedForFields(x.appliedFor)], ['State', x.state],
      ['ExpectedDecisionBy', x.expectedDecisionBy],
    ]] as const)],
  ]);
}

/** A LIETIS fault: detail/ErrorCode in the service's namespace, soap:Server for UNAVAILABLE (retry later). */
export const lietisApplicationsFault = (errorCode: LietisApplicationsError, message: string): CanonicalXml =>
  soapFault(LIETIS_APPLICATIONS_NS, { faultcode: errorCode === 'UNAVAILABLE' ? 'Server' : 'Client', faultstring: message, errorCode } satisfies SoapFault);

// --- readers -------------------------------------------------------------------------------

/** xs:token, xs:date collapse whitespace before any facet applies; xs:string keeps it. */
const collapse = (s: string): string => s.replace(/[\t\n\r ]+/g, ' ').trim();
const at = (path: string, name: string): string => (path ? `${path}/${name}` : name);
const named = (k: XElement): string => (k.uri === LIETIS_APPLICATIONS_NS ? k.local : `{${k.uri}}${k.local}`);

/**
 * The children of an element-only element, which must be `names` in this order in the service's
 * namespace (the `optional` ones may be absent), with no attributes and no text between them.
 */
function sequence(el: XElement, path: string, names: readonly string[], optional: readonly string[] = []): Map<string, XElement> {
  const self = path || el.local;
  if (el.attrs.length) throw new InvalidApplicationsMessage(self, `attribute ${el.attrs[0].qname} is not allowed`);
  if (el.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new InvalidApplicationsMessage(self, 'holds text outside its child elements');
  const kids = childElements(el);
  const order = `${self} holds ${names.map((n) => (optional.includes(n) ? `${n}?` : n)).join(', ')}, in this order`;
  const out = new Map<string, XElement>();
  let i = 0;
  for (const name of names) {
    const k = kids[i];
    if (k?.local === name && k.uri === LIETIS_APPLICATIONS_NS) out.set(name, kids[i++]);
    else if (!optional.includes(name)) throw new InvalidApplicationsMessage(at(path, name), k ? `is missing: found ${named(k)} where it must come; ${order}` : `is missing; ${order}`);
  }
  if (i < kids.length) throw new InvalidApplicationsMessage(at(path, kids[i].local), `${named(kids[i])} is not expected here (repeated, out of order or unknown); ${order}`);
  return out;
}

/** The text of a simple-typed element: no attributes, no child elements. */
function leaf(el: XElement, path: string): string {
  if (el.attrs.length) throw new InvalidApplicationsMessage(path, `attribute ${el.attrs[0].qname} is not allowed`);
  if (childElements(el).length) throw new InvalidApplicationsMessage(path, 'must hold a value, not elements');
  return textOf(el);
}

function token(v: string, path: string, max: number): string {
  const t = collapse(v);
  if (!t) throw new InvalidApplicationsMessage(path, 'is empty');
  if ([...t].length > max) throw new InvalidApplicationsMessage(path, `has ${[...t].length} characters; at most ${max} are allowed`);
  return t;
}

/** An xs:date as YYYY-MM-DD; a time zone, which xs:date allows, names the same calendar day and is dropped. */
function date(v: string, path: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)?$/.exec(collapse(v));
  if (!m || m[1] === '0000' || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new InvalidApplicationsMessage(path, `${JSON.stringify(v.slice(0, 40))} is not a date YYYY-MM-DD`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function oneOf<T extends string>(v: string, list: readonly T[], path: string): T {
  if (!(list as readonly string[]).includes(v)) throw new InvalidApplicationsMessage(path, `${JSON.stringify(v.slice(0, 40))} is not one of ${list.join(', ')}`);
  return v as T;
}

function payloadOf(payload: XElement | undefined, name: string): XElement {
  if (!payload || payload.uri !== LIETIS_APPLICATIONS_NS || payload.local !== name) {
    throw new InvalidApplicationsMessage('Body', `holds ${payload ? `{${payload.uri}}${payload.local}` : 'nothing'}; expected {${LIETIS_APPLICATIONS_NS}}${name}`);
  }
  return payload;
}

/** The request LIETIS receives, checked by the XSD's rules (and the personal code by classifiers.md). */
export function readOpenApplicationsRequest(payload: XElement | undefined): OpenApplicationsRequest {
  const f = sequence(payloadOf(payload, OPEN_APPLICATIONS.request), '', ['RequestId', 'Purpose', 'PersonCode']);
  const requestId = leaf(f.get('RequestId')!, 'RequestId');
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(requestId)) throw new InvalidApplicationsMessage('RequestId', 'must be 1 to 64 characters of A–Z, a–z, 0–9 and . _ : -');
  const purpose = token(leaf(f.get('Purpose')!, 'Purpose'), 'Purpose', MAX_PURPOSE);
  const personCode = leaf(f.get('PersonCode')!, 'PersonCode');
  // The code itself stays out of the message: messages reach logs, and the person is the secret.
  if (!/^[0-9]{11}$/.test(personCode)) throw new InvalidApplicationsMessage('PersonCode', 'must be 11 digits without a hyphen');
  const problem = personCodeProblem(personCode);
  if (problem) throw new InvalidApplicationsMessage('PersonCode', `is not a valid personal code: ${problem}`);
  return { requestId, purpose, personCode };
}

function readAppliedFor(el: XElement, path: string): AppliedFor {
  if (el.attrs.length) throw new InvalidApplicationsMessage(path, `attribute ${el.attrs[0].qname} is not allowed`);
  if (el.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new InvalidApplicationsMessage(path, 'holds text outside its child element');
  const kids = childElements(el);
  const choice = APPLIED_FOR.map(([name]) => name).join(', ');
  if (kids.length !== 1) throw new InvalidApplicationsMessage(path, `must hold exactly one of ${choice}, not ${kids.length}`);
  const [k] = kids;
  const option = APPLIED_FOR.find(([name]) => name === k.local && k.uri === LIETIS_APPLICATIONS_NS);
  if (!option) throw new InvalidApplicationsMessage(at(path, k.local), `${named(k)} is not one of ${choice}`);
  const [name, kind, values] = option;
  const v = oneOf(leaf(k, at(path, name)), values, at(path, name));
  return kind === 'household-status' ? { kind, status: v as typeof HOUSEHOLD_STATUSES[number] }
    : kind === 'benefit' ? { kind, benefitType: v as typeof BENEFIT_TYPES[number] } : { kind, serviceType: v as typeof SERVICE_TYPES[number] };
}

function readApplication(el: XElement, path: string): OpenApplication {
  const f = sequence(el, path, ['ApplicationId', 'ReceivedOn', 'AppliedFor', 'State', 'ExpectedDecisionBy'], ['ExpectedDecisionBy']);
  const value = (name: string): string => leaf(f.get(name)!, at(path, name));
  const a: OpenApplication = {
    applicationId: token(value('ApplicationId'), at(path, 'ApplicationId'), MAX_APPLICATION_ID),
    receivedOn: date(value('ReceivedOn'), at(path, 'ReceivedOn')),
    appliedFor: readAppliedFor(f.get('AppliedFor')!, at(path, 'AppliedFor')),
    state: oneOf(value('State'), APPLICATION_STATES, at(path, 'State')),
  };
  if (f.has('ExpectedDecisionBy')) {
    const by = date(value('ExpectedDecisionBy'), at(path, 'ExpectedDecisionBy'));
    if (by < a.receivedOn) throw new InvalidApplicationsMessage(at(path, 'ExpectedDecisionBy'), `${by} is before ReceivedOn ${a.receivedOn}`);
    a.expectedDecisionBy = by;
  }
  return a;
}

/** LIETIS's answer, checked by the XSD's rules (and ExpectedDecisionBy not before ReceivedOn, which the document adds). */
export function readOpenApplicationsResponse(payload: XElement | undefined): OpenApplicationsAnswer {
  const f = sequence(payloadOf(payload, OPEN_APPLICATIONS.response), '', ['Municipality', 'Applications']);
  const municipality = leaf(f.get('Municipality')!, 'Municipality');
  if (!/^[0-9]{7}$/.test(municipality)) throw new InvalidApplicationsMessage('Municipality', `${JSON.stringify(municipality.slice(0, 20))} is not an ATVK code of 7 digits`);
  const list = f.get('Applications')!;
  if (list.attrs.length) throw new InvalidApplicationsMessage('Applications', `attribute ${list.attrs[0].qname} is not allowed`);
  if (list.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new InvalidApplicationsMessage('Applications', 'holds text outside its Application elements');
  const applications = childElements(list).map((el, i) => {
    const path = `Applications/Application[${i + 1}]`;
    if (el.local !== 'Application' || el.uri !== LIETIS_APPLICATIONS_NS) throw new InvalidApplicationsMessage(path, `is ${named(el)}; Applications holds only Application elements`);
    return readApplication(el, path);
  });
  return { municipality, applications };
}
