/**
 * Partner authentication by bearer key and access deny-by-default per partner × route.
 * Keys are random 32-byte secrets; partners.yaml keeps only "sha256:<hex>" of each, so a leaked
 * config file gives no key. (A slow KDF buys nothing for keys with 256 bits of entropy.)
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PartnerDef, RouteDef } from '../config/types.ts';
import { httpError } from '../core/errors.ts';

export const hashKey = (key: string): string => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
export const newKey = (): string => randomBytes(24).toString('base64url');

export class PartnerAuth {
  private readonly byHash = new Map<string, PartnerDef>();

  constructor(partners: PartnerDef[]) {
    for (const p of partners) for (const h of p.keyHashes) this.byHash.set(h, p);
  }

  /** The partner an Authorization header names; 401 when absent or unknown. */
  authenticate(header: string | undefined): PartnerDef {
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw httpError(401, 'HUB_ERR_AUTH_MISSING', 'send the partner key as "Authorization: Bearer <key>"');
    const p = this.byHash.get(hashKey(m[1]));
    if (!p) throw httpError(401, 'HUB_ERR_AUTH_INVALID', 'the bearer key is not a key of any registered partner');
    return p;
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
