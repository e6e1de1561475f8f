/**
 * How LIETIS reads a ReceiveNotification: every rule of lietis-inbound.xsd (element order and
 * namespace, no attributes, the simple types' lexical rules and whitespace handling), so that the
 * simulator accepts exactly what a schema-validating LIETIS accepts, and names the element at fault.
 */
import { childElements, isRealDate, textOf, type XElement } from '../../engine/index.ts';
import { LIETIS_INBOUND_NS, LIETIS_NOTIFICATION_TYPE, PROFILE_ELEMENTS, type LietisNotification, type LietisProfile } from './notification-contract.ts';

/** A request lietis-inbound.xsd does not allow; `path` names the element (`Profile/UpdatedAt`). */
export class InvalidNotification extends Error {
  constructor(readonly path: string, why: string) { super(`${path}: ${why}`); }
}

const STATUSES = ['UNEMPLOYED', 'JOBSEEKER', 'DEREGISTERED'];
const GROUPS = ['1', '2', '3'];
// XSD's \d is any Unicode decimal digit, not only 0-9.
const ATVK = /^\p{Nd}{7}$/u;
const PERSON_CODE = /^\p{Nd}{11}$/u;
const DATE = '(-?(?:[1-9]\\d{3,}|0\\d{3}))-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])';
const ZONE = '(?:Z|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))?';
const XS_DATE = new RegExp(`^${DATE}${ZONE}$`);
const XS_DATE_TIME = new RegExp(`^${DATE}T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?|24:00:00(?:\\.0+)?)${ZONE}$`);

/** xs:token, xs:date and xs:dateTime collapse whitespace before any facet applies; xs:string keeps it. */
const collapse = (s: string): string => s.replace(/[\t\n\r ]+/g, ' ').trim();

function realDate(m: RegExpExecArray | null): boolean {
  return !!m && Number(m[1]) !== 0 && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * The children of an element-only element, which must be exactly `names` in the inbound namespace.
 * Paths are relative to ReceiveNotification, so the payload itself has the path ''.
 */
function sequence(el: XElement, path: string, names: readonly string[]): XElement[] {
  const at = (name: string): string => (path ? `${path}/${name}` : name);
  const self = path || 'ReceiveNotification';
  noAttributes(el, self);
  for (const c of el.children) {
    if (typeof c === 'string' && c.trim()) throw new InvalidNotification(self, `text ${JSON.stringify(c.trim().slice(0, 40))} is not allowed between elements`);
  }
  const kids = childElements(el);
  names.forEach((name, i) => {
    const k = kids[i];
    if (!k) throw new InvalidNotification(at(name), 'is missing');
    if (k.uri !== LIETIS_INBOUND_NS || k.local !== name) {
      const found = k.uri === LIETIS_INBOUND_NS ? k.local : `{${k.uri}}${k.local}`;
      throw new InvalidNotification(at(name), `expected here (${names.join(', ')} in this order, namespace ${LIETIS_INBOUND_NS}), found ${found}`);
    }
  });
  if (kids.length > names.length) throw new InvalidNotification(at(kids[names.length].local), `is not allowed after ${names[names.length - 1]}`);
  return kids;
}

function noAttributes(el: XElement, path: string): void {
  if (el.attrs.length) throw new InvalidNotification(path, `attribute ${el.attrs[0].qname} is not allowed`);
}

/** The text of a simple-typed element (no child elements, no attributes), as written. */
function leaf(el: XElement, path: string): string {
  noAttributes(el, path);
  if (childElements(el).length) throw new InvalidNotification(path, 'must hold text only, not elements');
  return textOf(el);
}

function oneOf(value: string, allowed: readonly string[], path: string): string {
  if (!allowed.includes(value)) throw new InvalidNotification(path, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value;
}

/** The notification a verified payload holds, or InvalidNotification naming the element at fault. */
export function readReceiveNotification(payload: XElement | undefined): LietisNotification {
  if (!payload || payload.uri !== LIETIS_INBOUND_NS || payload.local !== 'ReceiveNotification') {
    const found = payload ? `{${payload.uri}}${payload.local}` : 'nothing';
    throw new InvalidNotification('Body', `holds ${found}; LIETIS accepts only {${LIETIS_INBOUND_NS}}ReceiveNotification`);
  }
  const [idEl, typeEl, municipalityEl, profileEl] = sequence(payload, '', ['NotificationId', 'Type', 'Municipality', 'Profile']);
  const notificationId = collapse(leaf(idEl, 'NotificationId'));
  if (notificationId.length < 1 || notificationId.length > 100) throw new InvalidNotification('NotificationId', `must be 1 to 100 characters, not ${notificationId.length}`);
  oneOf(leaf(typeEl, 'Type'), [LIETIS_NOTIFICATION_TYPE], 'Type');
  const municipality = leaf(municipalityEl, 'Municipality');
  if (!ATVK.test(municipality)) throw new InvalidNotification('Municipality', `${JSON.stringify(municipality)} is not an ATVK code of 7 digits`);
  return { notificationId, type: LIETIS_NOTIFICATION_TYPE, municipality, profile: readProfile(profileEl) };
}

function readProfile(el: XElement): LietisProfile {
  const kids = sequence(el, 'Profile', PROFILE_ELEMENTS.map(([name]) => name));
  const [personCode, status, registeredOn, group, updatedAt] = kids.map((k) => leaf(k, `Profile/${k.local}`));
  // In document order, so the fault names the first element at fault, as a validator would.
  if (!PERSON_CODE.test(personCode)) throw new InvalidNotification('Profile/PersonCode', 'must be 11 digits without a hyphen');
  oneOf(status, STATUSES, 'Profile/Status');
  const registered = collapse(registeredOn);
  if (!realDate(XS_DATE.exec(registered))) throw new InvalidNotification('Profile/RegisteredOn', `${JSON.stringify(registered)} is not an xs:date (YYYY-MM-DD)`);
  oneOf(group, GROUPS, 'Profile/ProfilingGroup');
  const updated = collapse(updatedAt);
  if (!realDate(XS_DATE_TIME.exec(updated))) throw new InvalidNotification('Profile/UpdatedAt', `${JSON.stringify(updated)} is not an xs:dateTime (YYYY-MM-DDThh:mm:ss with an optional offset)`);
  return {
    personCode, status: status as LietisProfile['status'], registeredOn: registered,
    profilingGroup: Number(group) as LietisProfile['profilingGroup'], updatedAt: updated,
  };
}
