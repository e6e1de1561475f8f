/**
 * Reading XML the way vdeavk-universal.xsd and hub-vdeavk.xsd define it, so that what the hub
 * accepts is exactly what xmllint accepts (and each refusal names the element at fault): element
 * order and occurrence, and the lexical spaces of the built-in types these schemas use. Types
 * derived from xs:string keep their whitespace (a padded PersonCode is invalid); xs:token, dates,
 * numbers and booleans collapse it, as XML Schema's whiteSpace facet says.
 */
import { childElements, isRealDate, textOf, type XElement } from '../../engine/index.ts';

/** A message element that breaks the schema: `path` is the element (e.g. `Opinions/Opinion[3]/ValidTo`). */
export class SchemaViolation extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

/** One element of an xs:sequence, required unless `min` is 0 (lists are read with readList). */
export interface Slot {
  name: string;
  /** @defaultValue 1 */
  min?: 0 | 1;
}

const join = (path: string, name: string): string => (path ? `${path}/${name}` : name);

/**
 * The children of `el` matched in order against `slots` (all in namespace `ns`), by name; an
 * absent optional one has no entry. Refuses text between the elements, elements of another
 * namespace, and anything missing, repeated, out of order or unknown.
 */
export function readSequence(el: XElement, ns: string, path: string, slots: readonly Slot[]): Map<string, XElement> {
  noText(el, path);
  const kids = childElements(el);
  const out = new Map<string, XElement>();
  const order = slots.map((s) => s.name).join(', ');
  let i = 0;
  for (const [j, slot] of slots.entries()) {
    if (i < kids.length && kids[i].local === slot.name && kids[i].uri === ns) {
      out.set(slot.name, kids[i++]);
    } else if (slot.min !== 0) {
      const found = kids[i];
      if (found?.local === slot.name) throw new SchemaViolation(join(path, slot.name), `is in ${namespaceOf(found)}; it must be in namespace ${ns}`);
      const earlier = found && slots.slice(0, j).some((s) => s.name === found.local);
      throw new SchemaViolation(join(path, slot.name), !found ? 'is missing'
        : earlier ? `is missing: ${found.local} is repeated or out of order where ${slot.name} must come (the order is ${order})`
          : `is missing: found ${elementName(found, ns)} where ${slot.name} must come (the order is ${order})`);
    }
  }
  if (i < kids.length) {
    const extra = kids[i];
    const known = extra.uri === ns && slots.some((s) => s.name === extra.local);
    throw new SchemaViolation(join(path, extra.local), known
      ? `is repeated or out of order (the order is ${order})`
      : `${elementName(extra, ns)} is not expected here (the order is ${order})`);
  }
  return out;
}

/**
 * The children of a list element, all `item` elements in `ns`, at least `min` of them. A wrong
 * child is named by its position, as a partner's developer counts it (`Opinions/Opinion[3]`).
 */
export function readList(el: XElement, ns: string, path: string, item: string, min: 0 | 1): XElement[] {
  noText(el, path);
  const kids = childElements(el);
  kids.forEach((k, i) => {
    if (k.local === item && k.uri === ns) return;
    throw new SchemaViolation(`${path}/${item}[${i + 1}]`, k.local === item
      ? `is in ${namespaceOf(k)}; it must be in namespace ${ns}`
      : `is ${elementName(k, ns)}; ${path} holds only ${item} elements`);
  });
  if (kids.length < min) throw new SchemaViolation(path, `holds no ${item}; at least one is required`);
  return kids;
}

function noText(el: XElement, path: string): void {
  for (const c of el.children) {
    if (typeof c === 'string' && c.trim() !== '') throw new SchemaViolation(path || el.local, 'holds text outside its child elements');
  }
}

const namespaceOf = (el: XElement): string => (el.uri ? `namespace ${el.uri}` : 'no namespace');

function elementName(el: XElement, ns: string): string {
  if (el.uri === ns) return `element ${el.local}`;
  return `element ${el.local} in ${namespaceOf(el)} (expected namespace ${ns})`;
}

/** The text of a simple-typed element; an element nested in it is refused. */
export function leafText(el: XElement, path: string): string {
  if (childElements(el).length > 0) throw new SchemaViolation(path, 'must hold a value, not elements');
  return textOf(el);
}

/** XML Schema's `collapse`: runs of whitespace become one space, and none at either end. */
export const collapse = (s: string): string => s.replace(/[\t\n\r ]+/g, ' ').trim();

/** An xs:token of `min`..`max` characters (after collapsing), or a SchemaViolation. */
export function token(raw: string, path: string, max: number, min = 1): string {
  const v = collapse(raw);
  if (v.length < min) throw new SchemaViolation(path, 'is empty');
  if (v.length > max) throw new SchemaViolation(path, `is ${v.length} characters long; at most ${max} are allowed`);
  return v;
}

/** An enumeration value of an xs:string type: compared as written, whitespace included. */
export function oneOf<T extends string>(raw: string, path: string, values: readonly T[]): T {
  if ((values as readonly string[]).includes(raw)) return raw as T;
  return invalid(path, raw, `must be one of ${values.join(', ')}`);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

function offsetMinutes(tz: string): number | null {
  if (tz === 'Z') return 0;
  const h = Number(tz.slice(1, 3));
  const m = Number(tz.slice(4, 6));
  if (h > 14 || m > 59 || (h === 14 && m > 0)) return null;
  return (tz[0] === '-' ? -1 : 1) * (h * 60 + m);
}

/**
 * An xs:date as the canonical `YYYY-MM-DD`. A time zone, which xs:date allows, is dropped: the
 * opinion's dates are calendar days, whatever zone they were written in.
 */
export function date(raw: string, path: string): string {
  const v = collapse(raw);
  const m = DATE.exec(v);
  // Year 0000 does not exist in XML Schema 1.0.
  if (!m || m[1] === '0000' || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) || (m[4] && offsetMinutes(m[4]) === null)) {
    return invalid(path, raw, 'must be a date YYYY-MM-DD');
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/**
 * Milliseconds since the epoch of an xs:dateTime that carries an offset (partners/README.md: times
 * carry one), or null. Digits below the millisecond are cut, never rounded up: an instant read
 * here is never later than the one written, so a checkpoint taken from it can only re-read a
 * change, not skip one.
 */
export function instantMs(raw: string): number | null {
  const m = DATE_TIME.exec(collapse(raw));
  if (!m || !m[8]) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const frac = m[7] ?? '';
  const offset = offsetMinutes(m[8]);
  // xs:dateTime allows 24:00:00 (the end of the day) but no other hour 24.
  const endOfDay = h === 24 && mi === 0 && s === 0 && /^0*$/.test(frac);
  if (offset === null || y === 0 || !isRealDate(y, mo, d) || (h > 23 && !endOfDay) || mi > 59 || s > 59) return null;
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0–99 as 1900–1999
  t.setUTCHours(h, mi, s, Number(frac.slice(0, 3).padEnd(3, '0')));
  return t.getTime() - offset * 60_000;
}

/** An xs:dateTime with an offset as the canonical ISO instant in UTC (`2026-01-05T08:00:00.000Z`). */
export function instant(raw: string, path: string): string {
  const ms = instantMs(raw);
  if (ms === null) return invalid(path, raw, 'must be a date and time with an offset, e.g. 2026-01-05T10:00:00+02:00');
  return new Date(ms).toISOString();
}

/** An xs:positiveInteger (leading `+` and zeros allowed) of at most `max`. */
export function positiveInteger(raw: string, path: string, max: number): number {
  const v = collapse(raw);
  const n = /^\+?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= max)) return invalid(path, raw, `must be a whole number from 1 to ${max}`);
  return n;
}

/** An xs:boolean: true, false, 1 or 0. */
export function boolean(raw: string, path: string): boolean {
  const v = collapse(raw);
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return invalid(path, raw, 'must be true or false');
}

function invalid(path: string, raw: string, rule: string): never {
  const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
  throw new SchemaViolation(path, `${JSON.stringify(shown)} is not valid: it ${rule}`);
}
