/**
 * VDEĀVK's message vocabulary (shared/partners/vdeavk.md, schemas/xsd/vdeavk-universal.xsd and the
 * hub's own hub-vdeavk.xsd), shared by the hub's client, the simulator and the hub's push endpoint
 * so that all three read and write an Opinion from one definition.
 */
import {
  normalizePersonCode, parseXmlTree, personCodeProblem, xmlFields, type AssistantOpinion, type XElement, type XmlFields,
} from '../../engine/index.ts';
import {
  SchemaViolation, boolean, date, instant, leafText, oneOf, positiveInteger, readSequence, token,
} from './xsd-values.ts';

export const VDEAVK_NS = 'urn:lv:vdeavk:iis:universal:1';
/** The namespace of the hub's own endpoint /soap/vdeavk (hub-vdeavk.xsd). */
export const HUB_VDEAVK_NS = 'urn:lv:lm:spolis:hub:vdeavk:1';

/** VDEĀVK's one operation, answering the data set ASSISTANT_OPINIONS. */
export const VDEAVK_OPERATION = {
  name: 'GetUniversalServiceDataIS',
  request: 'GetUniversalServiceDataISRequest',
  response: 'GetUniversalServiceDataISResponse',
  soapAction: `${VDEAVK_NS}#GetUniversalServiceDataIS`,
} as const;

/** The hub's push operation, which VDEĀVK calls. */
export const HUB_VDEAVK_OPERATION = {
  name: 'SubmitAssistantOpinions',
  request: 'SubmitAssistantOpinionsRequest',
  response: 'SubmitAssistantOpinionsResponse',
  soapAction: `${HUB_VDEAVK_NS}#SubmitAssistantOpinions`,
} as const;

export const DATA_SET = 'ASSISTANT_OPINIONS';
/** ChangedSince pages: PageSize when none is sent, and the most VDEĀVK serves in one. */
export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 1000;
/** Opinions in one SubmitAssistantOpinionsRequest (hub-vdeavk.xsd maxOccurs). */
export const MAX_PUSH_OPINIONS = 1000;
/** RequestId, OpinionId and Cursor are xs:token of at most this many characters. */
export const MAX_TOKEN = 100;
export const MAX_PURPOSE = 500;
/** MaxHoursPerMonth's upper bound in the XSD: every hour of a 31-day month. */
export const MAX_HOURS = 744;

export const DISABILITY_GROUPS = ['I', 'II', 'III', 'CHILD'] as const satisfies readonly AssistantOpinion['disabilityGroup'][];
export const OPINION_KINDS = [
  'CHILD_SPECIAL_CARE', 'ADULT_MOBILITY', 'ADULT_VISUAL', 'ADULT_MENTAL', 'TRANSPORT_INDICATION',
] as const satisfies readonly AssistantOpinion['kind'][];
/** MaxHoursPerMonth of a child's opinion: 80, or 100 with weekly procedures or rehabilitation. */
export const CHILD_MAX_HOURS = [80, 100] as const;

/** The fault codes of vdeavk.md (detail/ErrorCode). */
export const VDEAVK_ERROR_CODES = ['INVALID_REQUEST', 'PERSON_NOT_FOUND', 'ACCESS_DENIED', 'SIGNATURE_INVALID', 'UNAVAILABLE'] as const;
export type VdeavkErrorCode = (typeof VDEAVK_ERROR_CODES)[number];

/** RequesterId: a municipality's ATVK code, or LM for the Ministry of Welfare. */
export const REQUESTER_RE = /^(\d{7}|LM)$/;
/** The XSD's PersonCode pattern; personCodeProblem then applies classifiers.md's rules. */
const PERSON_CODE_RE = /^\d{6}-?\d{5}$/;

const OPINION_SLOTS = [
  { name: 'OpinionId' }, { name: 'PersonCode' }, { name: 'DisabilityGroup' }, { name: 'Kind' }, { name: 'IssuedOn' },
  { name: 'ValidFrom' }, { name: 'ValidTo' }, { name: 'MaxHoursPerMonth', min: 0 }, { name: 'Revoked' }, { name: 'ChangedAt' },
] as const;

/** A PersonCode as the XSD writes it (hyphen optional), checked by classifiers.md and returned as 11 digits. */
export function personCode(raw: string, path: string): string {
  const problem = PERSON_CODE_RE.test(raw) ? personCodeProblem(raw) : 'a personal code has 11 digits, optionally with a hyphen after the sixth';
  if (problem) throw new SchemaViolation(path, `is not a valid personal code: ${problem}`);
  return normalizePersonCode(raw)!;
}

/**
 * An `Opinion` element (in VDEAVK_NS) read strictly into the canonical AssistantOpinion: the XSD's
 * order and types, a valid personal code, and ValidTo not before ValidFrom. `path` names the
 * element in messages (e.g. `Opinions/Opinion[3]`). Throws SchemaViolation.
 */
export function readOpinion(el: XElement, path: string): AssistantOpinion {
  if (el.uri !== VDEAVK_NS || el.local !== 'Opinion') throw new SchemaViolation(path, `must be an Opinion in namespace ${VDEAVK_NS}`);
  const f = readSequence(el, VDEAVK_NS, path, OPINION_SLOTS);
  const at = (name: string): string => `${path}/${name}`;
  const text = (name: string): string | undefined => {
    const e = f.get(name);
    return e && leafText(e, at(name));
  };
  const o: AssistantOpinion = {
    opinionId: token(text('OpinionId')!, at('OpinionId'), MAX_TOKEN),
    personCode: personCode(text('PersonCode')!, at('PersonCode')),
    disabilityGroup: oneOf(text('DisabilityGroup')!, at('DisabilityGroup'), DISABILITY_GROUPS),
    kind: oneOf(text('Kind')!, at('Kind'), OPINION_KINDS),
    issuedOn: date(text('IssuedOn')!, at('IssuedOn')),
    validFrom: date(text('ValidFrom')!, at('ValidFrom')),
    validTo: date(text('ValidTo')!, at('ValidTo')),
    revoked: boolean(text('Revoked')!, at('Revoked')),
    changedAt: instant(text('ChangedAt')!, at('ChangedAt')),
  };
  const hours = text('MaxHoursPerMonth');
  if (hours !== undefined) o.maxHoursPerMonth = positiveInteger(hours, at('MaxHoursPerMonth'), MAX_HOURS);
  // Not in the XSD, but an opinion valid for no day at all cannot be checked against anything.
  if (o.validTo < o.validFrom) throw new SchemaViolation(at('ValidTo'), `${o.validTo} is before ValidFrom ${o.validFrom}`);
  return canonicalOrder(o);
}

/** The canonical object with its keys in one order, so equal opinions serialize alike. */
function canonicalOrder(o: AssistantOpinion): AssistantOpinion {
  const { opinionId, personCode: code, disabilityGroup, kind, issuedOn, validFrom, validTo, maxHoursPerMonth, revoked, changedAt } = o;
  return {
    opinionId, personCode: code, disabilityGroup, kind, issuedOn, validFrom, validTo,
    ...(maxHoursPerMonth === undefined ? {} : { maxHoursPerMonth }), revoked, changedAt,
  };
}

/** The children of an `Opinion` element in the XSD's order. */
export function opinionFields(o: AssistantOpinion): XmlFields {
  return [
    ['OpinionId', o.opinionId], ['PersonCode', o.personCode], ['DisabilityGroup', o.disabilityGroup], ['Kind', o.kind],
    ['IssuedOn', o.issuedOn], ['ValidFrom', o.validFrom], ['ValidTo', o.validTo], ['MaxHoursPerMonth', o.maxHoursPerMonth],
    ['Revoked', o.revoked], ['ChangedAt', o.changedAt],
  ];
}

/**
 * A whole `Opinion` element declaring VDEAVK_NS, for a message of another namespace (the hub's
 * SubmitAssistantOpinionsRequest refers to VDEĀVK's Opinion). Canonical form, like soapPayload.
 */
export const opinionElement = (o: AssistantOpinion): string => `<Opinion xmlns="${VDEAVK_NS}">${xmlFields(opinionFields(o))}</Opinion>`;

/**
 * The opinion as VDEĀVK's reader sees it once written (code without hyphen, keys in order), or a
 * RangeError saying what the XSD would refuse: the simulator holds and pushes only such opinions.
 */
export function canonicalOpinion(o: AssistantOpinion): AssistantOpinion {
  try {
    return readOpinion(parseXmlTree(opinionElement({ ...o, personCode: normalizePersonCode(o.personCode) ?? o.personCode })), 'Opinion');
  } catch (e) {
    throw new RangeError(`opinion ${o.opinionId} is not one VDEĀVK could send: ${(e as Error).message}`);
  }
}
