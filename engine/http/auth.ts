/**
 * Who is calling, by bearer key, and what they may open: deny by default.
 * Keys are random secrets; partners.yaml and operators.yaml keep only "sha256:<hex>" of each, so a
 * leaked config file gives no key. (A slow KDF buys nothing for keys with 192 bits of entropy.)
 *
 * Three kinds of holder share one key table: partners (the partner APIs, as their routes allow),
 * operators (the console, replay) and auditors (the audit log). A key opens only its holder's
 * surfaces: a partner key never opens an operator surface, a staff key never a partner route.
 * A key with `expires` (rotation) is refused from that moment on, checked on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { KeyHash, OperatorDef, PartnerDef, RouteDef, StaffRole } from '../config/types.ts';
import { httpError } from '../core/errors.ts';
import { parseDateTime } from '../config/keys.ts';

export type { StaffRole } from '../config/types.ts';

export const hashKey = (key: string): string => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
export const newKey = (): string => randomBytes(24).toString('base64url');

/** The hash of a keyHashes entry, whichever of its two shapes it has. */
export const hashOf = (k: KeyHash): string => (typeof k === 'string' ? k : k.hash);
/**
 * When a keyHashes entry stops being accepted (epoch ms), or undefined for a key without expiry.
 * An expiry that is no date-time (the loader refuses it; a hand-built list might not) counts as
 * past: deny by default.
 */
export const expiryOf = (k: KeyHash): number | undefined => (typeof k === 'string' ? undefined : parseDateTime(k.expires) ?? 0);

/** An operator or auditor, as a staff surface sees them (audit rows name them `<role>:<id>`). */
export interface StaffIdentity { id: string; role: StaffRole }

type Holder = { kind: 'partner'; partner: PartnerDef } | { kind: 'staff'; staff: StaffIdentity };
interface Entry { holder: Holder; expiresAt?: number; expires?: string }

const ROLE_USE: Record<StaffRole | 'partner', string> = {
  partner: 'the partner APIs',
  operator: 'the operators\' console and its API',
  auditor: 'the audit log',
};
const article = (role: string) => (/^[aeiou]/.test(role) ? 'an' : 'a');

export class PartnerAuth {
  private readonly byHash = new Map<string, Entry>();

  /** `now` is the clock expiries are checked against (tests move it). */
  constructor(partners: PartnerDef[], operators: OperatorDef[] = [], private readonly now: () => number = Date.now) {
    const add = (k: KeyHash, holder: Holder) => {
      const expiresAt = expiryOf(k);
      this.byHash.set(hashOf(k), { holder, ...(expiresAt === undefined ? {} : { expiresAt, expires: new Date(expiresAt).toISOString() }) });
    };
    for (const p of partners) for (const k of p.keyHashes) add(k, { kind: 'partner', partner: p });
    for (const o of operators) for (const k of o.keyHashes) add(k, { kind: 'staff', staff: { id: o.id, role: o.role } });
  }

  /** The holder of the header's key; 401 when absent, unknown or expired. */
  private holder(header: string | undefined, as: string): Holder {
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw httpError(401, 'HUB_ERR_AUTH_MISSING', `send the ${as} key as "Authorization: Bearer <key>"`);
    const e = this.byHash.get(hashKey(m[1]));
    if (!e) throw httpError(401, 'HUB_ERR_AUTH_INVALID', `the bearer key is not a key of any registered ${as === 'partner' ? 'partner' : 'operator or auditor'}`);
    if (e.expiresAt !== undefined && this.now() >= e.expiresAt) {
      throw httpError(401, 'HUB_ERR_AUTH_EXPIRED', `this key expired at ${e.expires}; use the new key issued to replace it (ask the hub's administrator if you have none)`);
    }
    return e.holder;
  }

  /** The partner an Authorization header names; 401 when absent, unknown or expired, 403 for a staff key. */
  authenticate(header: string | undefined): PartnerDef {
    const h = this.holder(header, 'partner');
    if (h.kind !== 'partner') {
      throw httpError(403, 'HUB_ERR_ROLE_DENIED', `this is ${article(h.staff.role)} ${h.staff.role}'s key; ${ROLE_USE.partner} need a partner key`);
    }
    return h.partner;
  }

  /**
   * The operator or auditor an Authorization header names, when their role is `role` (or one of
   * `role`); 401 when absent, unknown or expired, 403 for a partner key or a key of another role.
   */
  requireRole(header: string | undefined, role: StaffRole | readonly StaffRole[]): StaffIdentity {
    const roles: readonly StaffRole[] = typeof role === 'string' ? [role] : role;
    const needed = roles.map((r) => `${article(r)} ${r}'s key`).join(' or ');
    const h = this.holder(header, roles.join(' or '));
    if (h.kind === 'partner') throw httpError(403, 'HUB_ERR_ROLE_DENIED', `this is a partner's key; ${ROLE_USE[roles[0]]} needs ${needed}`);
    if (!roles.includes(h.staff.role)) {
      throw httpError(403, 'HUB_ERR_ROLE_DENIED', `this is ${article(h.staff.role)} ${h.staff.role}'s key; ${ROLE_USE[roles[0]]} needs ${needed}`);
    }
    return h.staff;
  }

  /** The partner id a header names, or undefined (no key, unknown, expired, staff): the in-flight share's key. */
  partnerOf(header: string | undefined): string | undefined {
    try { return this.authenticate(header).id; } catch { return undefined; }
  }
}

/** `sopa-*` matches every partner id starting with "sopa-". */
export function partnerMatches(pattern: string, id: string): boolean {
  return pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : pattern === id;
}

/** 403 unless the route's access list names the partner. */
export function assertAccess(route: RouteDef, partner: PartnerDef): void {
  if (!route.access.partners.some((p) => partnerMatches(p, partner.id))) {
    throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} may not use route ${route.id}`);
  }
}
