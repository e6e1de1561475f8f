/**
 * PMLP's message vocabulary (docs/partners/pmlp.md, schemas/xsd/pmlp-fpr.xsd), shared by the hub's
 * client and the simulator: one list of names and codes, and one reading of every value, so that
 * what the client accepts from PMLP and what the simulator accepts from the hub are the same rules.
 * Each refusal is a PmlpFieldError naming the element at fault (`Changes/Change[3]/RecordedAt`),
 * which the client turns into a 502 and the simulator into an INVALID_REQUEST fault.
 */
import {
  childElements, isRealDate, personCodeProblem, textOf, type DeclaredResidence, type RegisterChange, type RegisterPerson,
  type XElement, type XmlFields,
} from '../../engine/index.ts';

export const PMLP_NS = 'urn:lv:pmlp:fpr:1';
export const PMLP_SERVICE = 'PersonRegister';

export type PmlpOperationName = 'GetPerson' | 'GetPersonChanges';

export interface PmlpOperation {
  name: PmlpOperationName;
  request: string;
  response: string;
  soapAction: string;
}

const op = (name: PmlpOperationName): PmlpOperation => ({ name, request: `${name}Request`, response: `${name}Response`, soapAction: `${PMLP_NS}#${name}` });

export const PMLP_OPERATIONS: Record<PmlpOperationName, PmlpOperation> = {
  GetPerson: op('GetPerson'),
  GetPersonChanges: op('GetPersonChanges'),
};

export const PERSON_STATUSES = ['ALIVE', 'DECEASED'] as const satisfies readonly RegisterPerson['status'][];
export const CHANGE_KINDS = ['DEATH', 'RESIDENCE'] as const satisfies readonly RegisterChange['kind'][];

/** The fault codes of pmlp.md (detail/ErrorCode). */
export const PMLP_ERROR_CODES = ['PERSON_NOT_FOUND', 'INVALID_REQUEST', 'ACCESS_DENIED', 'SIGNATURE_INVALID', 'UNAVAILABLE'] as const;
export type PmlpErrorCode = (typeof PMLP_ERROR_CODES)[number];

/** GetPersonChanges pages: PageSize when none is sent, and the most PMLP serves in one. */
export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 1000;
export const MAX_PURPOSE = 500;
export const MAX_NAME = 100;
export const MAX_ADDRESS = 300;
export const MAX_CHANGE_ID = 64;
/** The XSD's bound on the opaque Cursor. */
export const MAX_CURSOR = 100;
/** PMLP serves each requester at most this many requests a second (UNAVAILABLE above it). */
export const RATE_LIMIT_PER_SECOND = 50;

export const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
export const REQUEST_ID_RULE = '1 to 64 characters, each a letter A-Z or a-z, a digit, ".", "_", ":" or "-"';
/** RequesterId: a municipality's ATVK code, or LM for the Ministry of Welfare. */
export const REQUESTER_RE = /^(\d{7}|LM)$/;
export const REQUESTER_RULE = 'a municipality\'s ATVK code (7 digits) or LM';

/** A value or element that breaks pmlp-fpr.xsd or pmlp.md: `field` is its path below the payload element. */
export class PmlpFieldError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
  }
}

export const fieldPath = (path: string, name: string): string => (path ? `${path}/${name}` : name);

const named = (el: XElement): string => (el.uri === PMLP_NS ? `element ${el.local}` : `element ${el.local} in namespace "${el.uri}" (expected ${PMLP_NS})`);

/**
 * The children of `el` matched in order against an xs:sequence of `slots` in PMLP_NS (a name
 * ending in `?` may be absent), by name. Text between elements, and anything missing, repeated,
 * out of order or unknown is refused, as xmllint refuses it.
 */
export function readElements(el: XElement, path: string, slots: readonly string[]): Map<string, XElement> {
  const where = path || el.local;
  if (el.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new PmlpFieldError(where, 'holds text outside its child elements');
  const kids = childElements(el);
  const order = `the order is ${slots.join(', ')}`;
  const out = new Map<string, XElement>();
  let i = 0;
  for (const slot of slots) {
    const name = slot.replace(/\?$/, '');
    const kid = kids[i];
    if (kid?.uri === PMLP_NS && kid.local === name) {
      out.set(name, kid);
      i++;
    } else if (!slot.endsWith('?')) {
      throw new PmlpFieldError(fieldPath(path, name), kid ? `is missing: found ${named(kid)} where ${name} must come (${order})` : 'is missing');
    }
  }
  if (i < kids.length) {
    const extra = kids[i];
    const repeated = extra.uri === PMLP_NS && out.has(extra.local);
    throw new PmlpFieldError(fieldPath(path, extra.local), repeated ? `is repeated or out of order (${order})` : `${named(extra)} is not expected here (${order})`);
  }
  return out;
}

/** The children of a list element, each an `item` in PMLP_NS; a wrong one is named by its position (`Changes/Change[3]`). */
export function readList(el: XElement, path: string, item: string): XElement[] {
  if (el.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new PmlpFieldError(path, 'holds text outside its child elements');
  const kids = childElements(el);
  kids.forEach((k, i) => {
    if (k.uri !== PMLP_NS || k.local !== item) throw new PmlpFieldError(`${path}/${item}[${i + 1}]`, `is ${named(k)}; ${path} holds only ${item} elements`);
  });
  return kids;
}

/** The text of a simple-typed element; an element nested in it is refused. */
export function leafText(el: XElement, path: string): string {
  if (childElements(el).length > 0) throw new PmlpFieldError(path, 'must hold a value, not elements');
  return textOf(el);
}

/** XML Schema's `collapse`: runs of whitespace become one space, none at either end. */
export const collapse = (s: string): string => s.replace(/[\t\n\r ]+/g, ' ').trim();

const shown = (raw: string): string => JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);

/** A value of an xs:string pattern type (whitespace is part of the value, as the XSD keeps it). */
export function patterned(raw: string, path: string, re: RegExp, rule: string): string {
  if (!re.test(raw)) throw new PmlpFieldError(path, `${shown(raw)} is not valid: it must be ${rule}`);
  return raw;
}

/** An xs:token of 1 to `max` characters once collapsed. */
export function tokenValue(raw: string, path: string, max: number): string {
  const v = collapse(raw);
  if (!v) throw new PmlpFieldError(path, 'is empty');
  if (v.length > max) throw new PmlpFieldError(path, `is ${v.length} characters long; at most ${max} are allowed`);
  return v;
}

/** An 11-digit personal code without hyphen that classifiers.md's rules accept (check digit, birth date). */
export function personCodeValue(raw: string, path: string): string {
  const code = patterned(raw, path, /^\d{11}$/, '11 digits without a hyphen');
  const problem = personCodeProblem(code);
  if (problem) throw new PmlpFieldError(path, `is not a valid personal code: ${problem}`);
  return code;
}

/** A calendar day YYYY-MM-DD (the XSD's Date: no time zone). */
export function dateValue(raw: string, path: string): string {
  const v = collapse(raw);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m || m[1] === '0000' || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new PmlpFieldError(path, `${shown(raw)} is not valid: it must be a date YYYY-MM-DD`);
  return v;
}

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of a date and time with an offset (the XSD's Instant), or null.
 * Digits below the millisecond are cut, never rounded up: an instant read here is never later than
 * the one written, so a checkpoint taken from it can only re-read a change, not skip one.
 */
export function instantMs(raw: string): number | null {
  const m = INSTANT_RE.exec(collapse(raw));
  if (!m || m[1].startsWith('0000') || !isRealDate(Number(m[1].slice(0, 4)), Number(m[1].slice(5, 7)), Number(m[1].slice(8)))) return null;
  // XML Schema bounds an offset at 14:00.
  if (m[5] !== undefined && (Number(m[5]) * 60 + Number(m[6]) > 14 * 60 || Number(m[6]) > 59)) return null;
  // Date.parse checks the clock's ranges (and reads 24:00:00 as the end of the day, as XML Schema does).
  const ms = Date.parse(`${m[1]}T${m[2]}.${(m[3] ?? '').slice(0, 3).padEnd(3, '0')}${m[4]}`);
  return Number.isNaN(ms) ? null : ms;
}

/** An Instant as the canonical ISO instant in UTC with milliseconds. */
export function instantValue(raw: string, path: string): string {
  const ms = instantMs(raw);
  if (ms === null) throw new PmlpFieldError(path, `${shown(raw)} is not valid: it must be a date and time with an offset, e.g. 2026-03-05T10:15:00+02:00`);
  return new Date(ms).toISOString();
}

/** An enumeration value, compared as written (xs:string keeps whitespace). */
export function oneOf<T extends string>(raw: string, path: string, values: readonly T[]): T {
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new PmlpFieldError(path, `${shown(raw)} is not valid: it must be one of ${values.join(', ')}`);
}

/** PageSize: a whole number from 1 to MAX_PAGE_SIZE (xs:positiveInteger allows a `+` and leading zeros). */
export function pageSizeValue(raw: string, path: string): number {
  const v = collapse(raw);
  const n = /^\+?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new PmlpFieldError(path, `${shown(raw)} is not valid: it must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return n;
}

const atvk = (raw: string, path: string): string => patterned(raw, path, /^\d{7}$/, 'an ATVK code of 7 digits');
const addressCode = (raw: string, path: string): string => patterned(raw, path, /^\d{9}$/, 'an address code of 9 digits');

/** The children of `el` by the sequence `slots`, and `text(name)` of a leaf: undefined for an absent optional one. */
export function leaves(el: XElement, path: string, slots: readonly string[]): { found: Map<string, XElement>; text(name: string): string | undefined } {
  const found = readElements(el, path, slots);
  return {
    found,
    text: (name) => {
      const e = found.get(name);
      return e && leafText(e, fieldPath(path, name));
    },
  };
}

/**
 * A `Person` element read strictly into the canonical RegisterPerson: the XSD's order and types,
 * valid personal codes, and what pmlp.md adds: DeathDate when, and only when, DECEASED, and a
 * former code other than the current one. `path` names the element in messages.
 */
export function readPerson(el: XElement, path = 'Person'): RegisterPerson {
  if (el.uri !== PMLP_NS || el.local !== 'Person') throw new PmlpFieldError(path, `must be a Person in namespace ${PMLP_NS}`);
  const { found, text } = leaves(el, path, ['PersonCode', 'FormerPersonCode?', 'GivenName', 'Surname', 'Status', 'DeathDate?', 'DeclaredResidence?']);
  const at = (name: string): string => fieldPath(path, name);
  const personCode = personCodeValue(text('PersonCode')!, at('PersonCode'));
  const former = text('FormerPersonCode');
  const formerPersonCode = former === undefined ? undefined : personCodeValue(former, at('FormerPersonCode'));
  if (formerPersonCode === personCode) throw new PmlpFieldError(at('FormerPersonCode'), 'is the same as PersonCode; a former code is the one the person had before a code change');
  const status = oneOf(text('Status')!, at('Status'), PERSON_STATUSES);
  const death = text('DeathDate');
  if (status === 'DECEASED' && death === undefined) throw new PmlpFieldError(at('DeathDate'), 'is missing: a DECEASED person has a date of death');
  if (status === 'ALIVE' && death !== undefined) throw new PmlpFieldError(at('DeathDate'), 'is given for a person whose Status is ALIVE');
  const residence = found.get('DeclaredResidence');
  return {
    personCode,
    ...(formerPersonCode === undefined ? {} : { formerPersonCode }),
    givenName: tokenValue(text('GivenName')!, at('GivenName'), MAX_NAME),
    surname: tokenValue(text('Surname')!, at('Surname'), MAX_NAME),
    status,
    ...(death === undefined ? {} : { deathDate: dateValue(death, at('DeathDate')) }),
    ...(residence ? { declaredResidence: readResidence(residence, at('DeclaredResidence')) } : {}),
  };
}

function readResidence(el: XElement, path: string): DeclaredResidence {
  const { text } = leaves(el, path, ['Atvk', 'AddressCode', 'Address', 'ValidFrom']);
  return {
    municipality: atvk(text('Atvk')!, fieldPath(path, 'Atvk')),
    addressCode: addressCode(text('AddressCode')!, fieldPath(path, 'AddressCode')),
    address: tokenValue(text('Address')!, fieldPath(path, 'Address'), MAX_ADDRESS),
    validFrom: dateValue(text('ValidFrom')!, fieldPath(path, 'ValidFrom')),
  };
}

/**
 * A `Change` element read strictly into the canonical RegisterChange: Atvk and AddressCode given
 * for a RESIDENCE and absent for a DEATH, RecordedAt as a UTC instant with milliseconds.
 */
export function readChange(el: XElement, path: string): RegisterChange {
  if (el.uri !== PMLP_NS || el.local !== 'Change') throw new PmlpFieldError(path, `must be a Change in namespace ${PMLP_NS}`);
  const { text } = leaves(el, path, ['ChangeId', 'PersonCode', 'Kind', 'EffectiveOn', 'Atvk?', 'AddressCode?', 'RecordedAt']);
  const at = (name: string): string => fieldPath(path, name);
  // Checked in the XSD's order, so that the first field at fault is the one named.
  const changeId = tokenValue(text('ChangeId')!, at('ChangeId'), MAX_CHANGE_ID);
  const personCode = personCodeValue(text('PersonCode')!, at('PersonCode'));
  const kind = oneOf(text('Kind')!, at('Kind'), CHANGE_KINDS);
  const effectiveOn = dateValue(text('EffectiveOn')!, at('EffectiveOn'));
  const [municipality, code] = [text('Atvk'), text('AddressCode')];
  if ((municipality === undefined) !== (code === undefined)) throw new PmlpFieldError(at(municipality === undefined ? 'Atvk' : 'AddressCode'), 'is missing: Atvk and AddressCode come together');
  if (kind === 'RESIDENCE' && municipality === undefined) throw new PmlpFieldError(at('Atvk'), 'is missing: a RESIDENCE change gives the new declared residence');
  if (kind === 'DEATH' && municipality !== undefined) throw new PmlpFieldError(at('Atvk'), 'is given for a DEATH change; Atvk and AddressCode belong to RESIDENCE changes only');
  return {
    changeId, personCode, kind, effectiveOn,
    ...(municipality === undefined ? {} : { municipality: atvk(municipality, at('Atvk')), addressCode: addressCode(code!, at('AddressCode')) }),
    recordedAt: instantValue(text('RecordedAt')!, at('RecordedAt')),
  };
}

/** The children of a `Person` element in the XSD's order. */
export function personFields(p: RegisterPerson): XmlFields {
  const r = p.declaredResidence;
  return [
    ['PersonCode', p.personCode], ['FormerPersonCode', p.formerPersonCode], ['GivenName', p.givenName], ['Surname', p.surname],
    ['Status', p.status], ['DeathDate', p.deathDate],
    ['DeclaredResidence', r && [['Atvk', r.municipality], ['AddressCode', r.addressCode], ['Address', r.address], ['ValidFrom', r.validFrom]]],
  ];
}

/** The children of a `Change` element in the XSD's order; `recordedAt` may carry any offset. */
export function changeFields(c: RegisterChange): XmlFields {
  return [
    ['ChangeId', c.changeId], ['PersonCode', c.personCode], ['Kind', c.kind], ['EffectiveOn', c.effectiveOn],
    ['Atvk', c.municipality], ['AddressCode', c.addressCode], ['RecordedAt', c.recordedAt],
  ];
}
