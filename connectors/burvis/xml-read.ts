/**
 * Strict reading of BURVIS XML by the XSD's rules: children in the sequence's order, in the right
 * namespace, each as often as allowed, and every value of its type. The same rules serve three
 * readers (the hub's client reading NVA's answers, the simulator reading the hub's requests, the
 * hub's endpoint reading NVA's pushes), so every problem is a BurvisFieldError carrying the path
 * of the field at fault (`Profiles/Profile[3]/Municipality`), which each reader turns into its own
 * error type: a partner's developer can go straight to the element.
 */
import { childElements, isRealDate, normalizePersonCode, personCodeProblem, textOf, type XElement } from '../../engine/index.ts';

/** A value or element that breaks the contract, at `field` (a path below the payload element). */
export class BurvisFieldError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
  }
}

/** One element of an xs:sequence: how often it may occur. */
export interface Slot {
  name: string;
  /** @defaultValue 1 */
  min?: number;
  /** @defaultValue 1 */
  max?: number;
}

export const childPath = (path: string, name: string): string => (path ? `${path}/${name}` : name);

const describe = (slots: readonly Slot[]): string =>
  slots.map((s) => `${s.name}${(s.min ?? 1) === 0 ? (s.max ?? 1) > 1 ? '*' : '?' : (s.max ?? 1) > 1 ? '+' : ''}`).join(', ');

/**
 * The children of `el` by name, after checking them against an xs:sequence of `slots` in `ns`.
 * `path` is where `el` is (for messages; '' for the payload element itself, `label` then names it).
 * Repeated children come back in document order.
 */
export function readSequence(el: XElement, ns: string, slots: readonly Slot[], path: string, label = el.local): Map<string, XElement[]> {
  const where = path || label;
  const out = new Map<string, XElement[]>(slots.map((s) => [s.name, []]));
  const expected = `${where} holds ${describe(slots) || 'nothing'}, in this order`;
  let at = 0;
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (c.trim()) throw new BurvisFieldError(where, `text ${JSON.stringify(c.trim().slice(0, 40))} is not allowed here; ${expected}`);
      continue;
    }
    if (!('local' in c)) throw new BurvisFieldError(where, `processing instruction <?${c.target}?> is not allowed here`);
    if (c.uri !== ns) {
      throw new BurvisFieldError(childPath(path, c.local), `element in namespace ${JSON.stringify(c.uri)} is not expected; ${where}'s children are in ${ns}`);
    }
    let j = at;
    while (j < slots.length && slots[j].name !== c.local) j++;
    if (j === slots.length) {
      const earlier = slots.findIndex((s) => s.name === c.local);
      const why = earlier < 0 ? 'is not expected' : (out.get(c.local)!.length >= (slots[earlier].max ?? 1) ? 'appears more often than allowed' : 'is out of order');
      throw new BurvisFieldError(childPath(path, c.local), `${why}; ${expected}`);
    }
    for (let k = at; k < j; k++) {
      if (out.get(slots[k].name)!.length < (slots[k].min ?? 1)) throw new BurvisFieldError(childPath(path, slots[k].name), `is missing (expected before ${c.local}); ${expected}`);
    }
    at = j;
    const list = out.get(c.local)!;
    if (list.length >= (slots[j].max ?? 1)) throw new BurvisFieldError(childPath(path, c.local), `appears more often than allowed; ${expected}`);
    list.push(c);
  }
  for (let k = at; k < slots.length; k++) {
    const s = slots[k];
    if (out.get(s.name)!.length < (s.min ?? 1)) throw new BurvisFieldError(childPath(path, s.name), `is missing; ${expected}`);
  }
  return out;
}

/** The text of a leaf element, without surrounding whitespace; an element inside is an error. */
export function leafText(el: XElement, path: string): string {
  if (childElements(el).length > 0) throw new BurvisFieldError(path, 'must hold text, not elements');
  return textOf(el).trim();
}

/** The text of the single element a sequence allowed at most once, or undefined when absent. */
export function optionalLeaf(found: Map<string, XElement[]>, name: string, path: string): string | undefined {
  const el = found.get(name)?.[0];
  return el === undefined ? undefined : leafText(el, childPath(path, name));
}

export function requiredLeaf(found: Map<string, XElement[]>, name: string, path: string): string {
  return leafText(found.get(name)![0], childPath(path, name));
}

/** Characters as XSD counts them (code points), not UTF-16 units. */
export const charCount = (s: string): number => [...s].length;

/** xs:token with a length range: whitespace collapsed, as the XSD's `collapse` facet reads it. */
export function token(v: string, field: string, max: number): string {
  const t = v.replace(/[\t\n\r ]+/g, ' ').trim();
  if (!t) throw new BurvisFieldError(field, 'is empty');
  if (charCount(t) > max) throw new BurvisFieldError(field, `has ${charCount(t)} characters; at most ${max} are allowed`);
  return t;
}

export function atvk(v: string, field: string): string {
  if (!/^\d{7}$/.test(v)) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not an ATVK code (7 digits, e.g. 0001000 for Rīga)`);
  return v;
}

/** A personal code as the XSD allows it (hyphen optional), valid by classifiers.md; returned without the hyphen. */
export function personCode(v: string, field: string): string {
  if (!/^\d{6}-?\d{5}$/.test(v)) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not a personal code (11 digits, optionally with a hyphen after the sixth)`);
  const problem = personCodeProblem(v);
  if (problem) throw new BurvisFieldError(field, `${v} is not a valid personal code: ${problem}`);
  return normalizePersonCode(v)!;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$/;

/** xs:date as YYYY-MM-DD. A timezone, which xs:date allows, names the same calendar day and is dropped. */
export function date(v: string, field: string): string {
  const m = DATE.exec(v);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not a date YYYY-MM-DD`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d+))?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)$/;

/**
 * xs:dateTime as an ISO instant in UTC with milliseconds (`2026-03-01T08:15:00.000Z`), so that
 * instants compare as strings. An offset is required (partners/README.md: times carry one): without
 * it the instant is ambiguous. Digits past the millisecond are cut, never rounded up: a change
 * feed's checkpoint taken from a value cut down asks again for at most that one change, while a
 * value rounded up could skip one.
 */
export function instant(v: string, field: string): string {
  const m = DATE_TIME.exec(v);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new BurvisFieldError(field, `${JSON.stringify(v)} is not a date-time with an offset, e.g. 2026-03-01T10:15:00+02:00 or 2026-03-01T08:15:00Z`);
  }
  const ms = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
  const utc = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${ms}${m[8]}`);
  if (Number.isNaN(utc)) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not a date-time this service can place in time`);
  return new Date(utc).toISOString();
}

export function oneOf<T extends string>(v: string, field: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** xs:positiveInteger with an upper bound (a leading + and zeros are allowed, as in XSD). */
export function positiveInt(v: string, field: string, max: number): number {
  const n = /^\+?\d{1,10}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BurvisFieldError(field, `${JSON.stringify(v)} is not a whole number from 1 to ${max}`);
  return n;
}

/** xs:boolean constrained to `fixed="true"`, whose lexical forms are `true` and `1`. */
export function fixedTrue(v: string, field: string): true {
  if (v !== 'true' && v !== '1') throw new BurvisFieldError(field, `${JSON.stringify(v)} must be true`);
  return true;
}
