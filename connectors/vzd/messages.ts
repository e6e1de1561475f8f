/**
 * VZD's message vocabulary (docs/partners/vzd.md, schemas/xsd/vzd-property.xsd): the one operation,
 * its codes and limits, the canonical answer, and the readers and writer that the hub's client and
 * the simulator share, so that what one side writes the other reads by the same rules. Every value
 * is checked as the XSD checks it (and, for Share and the order of properties, as the document says
 * beyond what XSD 1.0 can say); a problem is a VzdFieldError naming the element at fault.
 */
import { childElements, isRealDate, personCodeProblem, textOf, type XElement, type XmlFields } from '../../engine/index.ts';

export const VZD_NS = 'urn:lv:vzd:kadastrs:1';

export const VZD_OPERATION = {
  name: 'GetPersonProperty',
  request: 'GetPersonPropertyRequest',
  response: 'GetPersonPropertyResponse',
  soapAction: `${VZD_NS}#GetPersonProperty`,
} as const;

export const PROPERTY_KINDS = ['LAND', 'BUILDING', 'APARTMENT'] as const;
/** LAND: land; BUILDING: a building owned apart from its land; APARTMENT: an apartment property. */
export type PropertyKind = (typeof PROPERTY_KINDS)[number];

/** The fault codes of vzd.md (detail/ErrorCode). */
export const VZD_ERROR_CODES = ['PERSON_NOT_FOUND', 'INVALID_REQUEST', 'ACCESS_DENIED', 'SIGNATURE_INVALID', 'UNAVAILABLE'] as const;
export type VzdErrorCode = (typeof VZD_ERROR_CODES)[number];

export const MAX_REQUEST_ID = 64;
export const MAX_PURPOSE = 500;
export const MAX_ADDRESS = 300;
export const MAX_SHARE_DENOMINATOR = 1_000_000;
/** Requests per second VZD serves each requester; above it VZD answers UNAVAILABLE. */
export const RATE_LIMIT_PER_SECOND = 10;
/** How long VZD may take to answer: a client's deadline must leave room for it. */
export const MAX_ANSWER_MS = 5000;

/**
 * A part of a property, as VZD records it: 2/4 stays 2/4 (never reduced), since it is the
 * register's entry and not a number the hub computed. Numbers, not the text `n/d`, so that a
 * caller weighing property needs no parser of its own.
 */
export interface VzdShare {
  /** 1 ≤ numerator ≤ denominator */
  numerator: number;
  /** ≤ 1 000 000 */
  denominator: number;
}

/** One property of the person, in canonical form. */
export interface VzdProperty {
  /** 11 digits (kadastra numurs). */
  cadastreNumber: string;
  kind: PropertyKind;
  /** The person's part; `{ numerator: 1, denominator: 1 }` when the person owns it whole. */
  share: VzdShare;
  /** The whole property's cadastral value in euro (not the person's part of it), two decimals: `12345.00`. */
  cadastralValue: string;
  /** YYYY-MM-DD: the day the cadastral value applies from. */
  valueDate: string;
  /** ATVK of the municipality where the property lies. */
  municipality: string;
  /** Present where the property has an address. */
  address?: string;
}

/** The answer for one person; an empty list means VZD knows the person and they own nothing. */
export interface VzdPropertyAnswer {
  /** 11 digits, no hyphen. */
  personCode: string;
  /** In cadastreNumber order, as VZD sends them. */
  properties: VzdProperty[];
}

/** A value or element that breaks vzd.md, at `field` (`Properties/Property[2]/Share`, or a request field). */
export class VzdFieldError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
  }
}

const at = (path: string, name: string): string => (path ? `${path}/${name}` : name);
const shown = (v: string): string => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
/** XML Schema's `collapse`, which xs:token, xs:date and xs:decimal apply before checking. */
const collapse = (v: string): string => v.replace(/[\t\n\r ]+/g, ' ').trim();
/** Characters as XSD counts them (code points), not UTF-16 units. */
const length = (v: string): number => [...v].length;

/**
 * The children of `el`, which must be exactly `names` in this order (the `optional` ones may be
 * absent), each in VZD's namespace, with no text between them.
 */
function readChildren(el: XElement, path: string, names: readonly string[], optional: readonly string[] = []): Map<string, XElement> {
  const where = path || el.local;
  if (el.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new VzdFieldError(where, 'holds text outside its child elements');
  const kids = childElements(el);
  const out = new Map<string, XElement>();
  const order = `${where} holds ${names.map((n) => (optional.includes(n) ? `${n}?` : n)).join(', ')}, in this order`;
  const named = (k: XElement): string => `${k.local}${k.uri === VZD_NS ? '' : ` in namespace ${JSON.stringify(k.uri)}`}`;
  let i = 0;
  for (const name of names) {
    const k = kids[i];
    if (k?.local === name && k.uri === VZD_NS) out.set(name, kids[i++]);
    else if (!optional.includes(name)) throw new VzdFieldError(at(path, name), k ? `is missing: found ${named(k)} where it must come; ${order}` : `is missing; ${order}`);
  }
  if (i < kids.length) throw new VzdFieldError(at(path, kids[i].local), `${named(kids[i])} is not expected here (repeated, out of order or unknown); ${order}`);
  return out;
}

/** The text of each child `readChildren` found; a child holding elements is refused. */
function readLeaves(el: XElement, path: string, names: readonly string[], optional: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, k] of readChildren(el, path, names, optional)) {
    if (childElements(k).length > 0) throw new VzdFieldError(at(path, name), 'must hold a value, not elements');
    out.set(name, textOf(k));
  }
  return out;
}

function token(v: string, field: string, max: number): string {
  const t = collapse(v);
  if (!t) throw new VzdFieldError(field, 'is empty');
  if (length(t) > max) throw new VzdFieldError(field, `has ${length(t)} characters; at most ${max} are allowed`);
  return t;
}

/** A reader of a value of fixed digits; `what` names it in the message, with an example a developer can copy. */
const digits = (n: number, what: string) => (v: string, field: string): string => {
  if (!new RegExp(`^[0-9]{${n}}$`).test(v)) throw new VzdFieldError(field, `${shown(v)} is not ${what}`);
  return v;
};

/** An ATVK code (7 digits). */
export const atvk = digits(7, 'an ATVK code (7 digits, e.g. 0001000 for Rīga)');
/** A cadastre number (11 digits). */
export const cadastreNumber = digits(11, 'a cadastre number (11 digits, e.g. 01000123456)');

/** RequestId: 1–64 characters of `[A-Za-z0-9._:-]`. */
export function requestId(v: string, field: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(v)) throw new VzdFieldError(field, `${shown(v)} must be 1 to ${MAX_REQUEST_ID} characters of A–Z, a–z, 0–9 and . _ : -`);
  return v;
}

/** Purpose: required, 1–500 characters (xs:token: runs of whitespace count as one space). */
export const purpose = (v: string, field: string): string => token(v, field, MAX_PURPOSE);

/** PersonCode as VZD takes it: 11 digits without hyphen, a valid personal code. */
export function personCode(v: string, field: string): string {
  // The code itself is left out of the message: messages reach logs, and the person is the secret.
  if (!/^[0-9]{11}$/.test(v)) throw new VzdFieldError(field, 'must be 11 digits without a hyphen');
  const problem = personCodeProblem(v);
  if (problem) throw new VzdFieldError(field, `is not a valid personal code: ${problem}`);
  return v;
}

/** `n/d` with 1 ≤ n ≤ d ≤ 1 000 000. */
export function share(v: string, field: string): VzdShare {
  const m = /^([1-9][0-9]{0,6})\/([1-9][0-9]{0,6})$/.exec(v);
  const [numerator, denominator] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || denominator > MAX_SHARE_DENOMINATOR) throw new VzdFieldError(field, `${shown(v)} is not a share n/d of whole numbers from 1, with d at most ${MAX_SHARE_DENOMINATOR}`);
  if (numerator > denominator) throw new VzdFieldError(field, `${v} is more than the whole property: the numerator may not exceed the denominator`);
  return { numerator, denominator };
}

export const shareText = (s: VzdShare): string => `${s.numerator}/${s.denominator}`;

/** A decimal with exactly two places, not negative; leading zeros are dropped (`0012.50` → `12.50`). */
export function cadastralValue(v: string, field: string): string {
  const m = /^([0-9]+)\.([0-9]{2})$/.exec(collapse(v));
  if (!m) throw new VzdFieldError(field, `${shown(v)} is not an amount in euro with two decimals, e.g. 12345.00`);
  return `${m[1].replace(/^0+(?=[0-9])/, '')}.${m[2]}`;
}

/** An xs:date as YYYY-MM-DD; a time zone, which xs:date allows, names the same calendar day and is dropped. */
export function date(v: string, field: string): string {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)?$/.exec(collapse(v));
  if (!m || m[1] === '0000' || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new VzdFieldError(field, `${shown(v)} is not a date YYYY-MM-DD`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

export function kind(v: string, field: string): PropertyKind {
  if (!(PROPERTY_KINDS as readonly string[]).includes(v)) throw new VzdFieldError(field, `${shown(v)} is not one of ${PROPERTY_KINDS.join(', ')}`);
  return v as PropertyKind;
}

/** The raw fields of a GetPersonPropertyRequest, in the XSD's order. */
export interface VzdRequestFields { RequestId: string; RequesterId: string; Purpose: string; PersonCode: string }
export const REQUEST_FIELDS = ['RequestId', 'RequesterId', 'Purpose', 'PersonCode'] as const;

/** The request's elements as written, after checking that they are the four of the XSD, in order; values are checked by checkRequest. */
export function readRequestFields(payload: XElement): VzdRequestFields {
  if (payload.uri !== VZD_NS || payload.local !== VZD_OPERATION.request) throw new VzdFieldError(payload.local, `the Body must hold ${VZD_OPERATION.request} in ${VZD_NS}`);
  const f = readLeaves(payload, '', REQUEST_FIELDS);
  return { RequestId: f.get('RequestId')!, RequesterId: f.get('RequesterId')!, Purpose: f.get('Purpose')!, PersonCode: f.get('PersonCode')! };
}

/** Every value of a request checked by the XSD's rules; the values as sent (Purpose collapsed). */
export function checkRequest(f: VzdRequestFields): VzdRequestFields {
  return {
    RequestId: requestId(f.RequestId, 'RequestId'),
    RequesterId: atvk(f.RequesterId, 'RequesterId'),
    Purpose: purpose(f.Purpose, 'Purpose'),
    PersonCode: personCode(f.PersonCode, 'PersonCode'),
  };
}

const PROPERTY_FIELDS = ['CadastreNumber', 'Kind', 'Share', 'CadastralValue', 'ValueDate', 'Atvk', 'Address'] as const;

/** A `Property` element read into canonical form; throws VzdFieldError under `path`. */
export function readProperty(el: XElement, path: string): VzdProperty {
  const f = readLeaves(el, path, PROPERTY_FIELDS, ['Address']);
  const v = (name: (typeof PROPERTY_FIELDS)[number]): string => f.get(name)!;
  const p: VzdProperty = {
    cadastreNumber: cadastreNumber(v('CadastreNumber'), at(path, 'CadastreNumber')),
    kind: kind(v('Kind'), at(path, 'Kind')),
    share: share(v('Share'), at(path, 'Share')),
    cadastralValue: cadastralValue(v('CadastralValue'), at(path, 'CadastralValue')),
    valueDate: date(v('ValueDate'), at(path, 'ValueDate')),
    municipality: atvk(v('Atvk'), at(path, 'Atvk')),
  };
  if (f.has('Address')) p.address = token(v('Address'), at(path, 'Address'), MAX_ADDRESS);
  return p;
}

/**
 * The properties of a GetPersonPropertyResponse, in canonical form. vzd.md promises CadastreNumber
 * order: an answer out of order is refused, since it is not the answer the document describes.
 */
export function readPropertyAnswer(payload: XElement): VzdProperty[] {
  if (payload.uri !== VZD_NS || payload.local !== VZD_OPERATION.response) throw new VzdFieldError(payload.local, `must be ${VZD_OPERATION.response} in ${VZD_NS}`);
  const list = readChildren(payload, '', ['Properties']).get('Properties')!;
  if (list.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new VzdFieldError('Properties', 'holds text outside its Property elements');
  const properties = childElements(list).map((el, i) => {
    const path = `Properties/Property[${i + 1}]`;
    if (el.local !== 'Property' || el.uri !== VZD_NS) throw new VzdFieldError(path, `is ${el.local}${el.uri === VZD_NS ? '' : ` in namespace ${JSON.stringify(el.uri)}`}; Properties holds only Property elements`);
    return readProperty(el, path);
  });
  properties.forEach((p, i) => {
    if (i > 0 && p.cadastreNumber < properties[i - 1].cadastreNumber) {
      throw new VzdFieldError(`Properties/Property[${i + 1}]/CadastreNumber`, `${p.cadastreNumber} comes after ${properties[i - 1].cadastreNumber}: properties must come in CadastreNumber order`);
    }
  });
  return properties;
}

/** A property's children in the XSD's order (Address left out when absent). */
export function propertyFields(p: VzdProperty): XmlFields {
  return [
    ['CadastreNumber', p.cadastreNumber], ['Kind', p.kind], ['Share', shareText(p.share)], ['CadastralValue', p.cadastralValue],
    ['ValueDate', p.valueDate], ['Atvk', p.municipality], ['Address', p.address],
  ];
}
