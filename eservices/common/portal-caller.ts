/**
 * Who is asking an e-service (docs/partners/portal.md). Every request carries a partner key; a
 * request from the state portal also carries the portal's signed assertion of the person it acts
 * for (the `Portal-Assertion` header: a JWS, RS256, signed with the certificate registered for the
 * portal in partners.yaml). The key proves the channel, the assertion the person: a portal key
 * alone reads no one's data, and an assertion is bound to one method, path and body, so it cannot
 * be replayed against another request.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import type { FastifyRequest } from 'fastify';
import type { PartnerDef } from '../../engine/config/types.ts';
import { readCertificate } from '../../engine/config/partners.ts';
import { httpError } from '../../engine/core/errors.ts';
import { parseDuration } from '../../engine/core/duration.ts';
import { normalizePersonCode, personCodeProblem } from '../../engine/validation/person-code.ts';
import type { PartnerAuth } from '../../engine/http/auth.ts';

export const ASSERTION_HEADER = 'portal-assertion';
export const ASSERTION_AUDIENCE = 'spolis-hub';
/** An assertion is made for one request: five minutes cover clock skew and a slow portal. */
export const DEFAULT_ASSERTION_LIFETIME = '5m';
const CLOCK_SKEW_S = 60;

/** What the portal asserts (docs/partners/portal.md, "The assertion"). */
export interface PortalClaims {
  iss: string;
  aud: string;
  /** The person's code: the person acting for themselves, or a provider's representative. */
  sub: string;
  act: 'person' | 'provider';
  /** A provider's registration code (legal person or institution), when act is provider. */
  org?: string;
  iat: number;
  exp: number;
  /** Unique per request; a submission sent again with the same jti is the same submission. */
  jti: string;
  htm: string;
  htu: string;
  /** base64url(sha256(body bytes)); absent for a request without a body. */
  bdy?: string;
}

export type Caller =
  | { kind: 'person'; partner: PartnerDef; personCode: string; requestId: string }
  | { kind: 'provider'; partner: PartnerDef; personCode: string; regNo: string; requestId: string }
  | { kind: 'municipality'; partner: PartnerDef; municipality: string }
  /** A state institution reporting or receiving for itself (the State Social Care Centre, VSAC). */
  | { kind: 'institution'; partner: PartnerDef }
  | { kind: 'ministry'; partner: PartnerDef };

export type CallerKind = Caller['kind'];

export const bodyHash = (body: Buffer | Uint8Array | string): string => createHash('sha256').update(body).digest('base64url');

const LEGAL_CODE = /^(4\d{10}|9\d{10})$/;

/** Latvian registration codes of legal persons (4…) and institutions (9…): 11 digits. */
export const regNoProblem = (v: unknown): string | null =>
  typeof v !== 'string' ? 'must be a string' : LEGAL_CODE.test(v) ? null : `${v} is not an 11-digit registration code of a legal person (4…) or an institution (9…)`;

export class PortalCallers {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly deps: { auth: PartnerAuth; configDir: string; now?: () => number }) {}

  private keyOf(p: PartnerDef): KeyObject {
    let k = this.keys.get(p.id);
    if (!k) {
      if (!p.certificate) throw httpError(500, 'HUB_ERR_PORTAL_CONFIG', `partner ${p.id} is a portal without a certificate in partners.yaml; add the portal's signing certificate`);
      k = createPublicKey(readCertificate(p.certificate, this.deps.configDir));
      this.keys.set(p.id, k);
    }
    return k;
  }

  /**
   * The caller of `req`, whose raw body is `body` (null for none). A portal request without a
   * valid assertion is 401; a non-portal partner is what its partners.yaml entry says it is.
   */
  async resolve(req: FastifyRequest, body: Buffer | null): Promise<Caller> {
    const partner = this.deps.auth.authenticate(req.headers.authorization);
    if (partner.system === 'portal') return this.fromAssertion(req, partner, body);
    if (partner.system === 'lm') return { kind: 'ministry', partner };
    if (partner.system === 'vsac') return { kind: 'institution', partner };
    if (partner.municipality && ['sopa', 'lietis', 'gvs'].includes(partner.system)) return { kind: 'municipality', partner, municipality: partner.municipality };
    throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} (${partner.system}) uses no e-service`);
  }

  private async fromAssertion(req: FastifyRequest, partner: PartnerDef, body: Buffer | null): Promise<Caller> {
    const header = req.headers[ASSERTION_HEADER];
    if (typeof header !== 'string' || !header) {
      throw httpError(401, 'HUB_ERR_ASSERTION_MISSING', `send the portal's signed assertion of the person in the "Portal-Assertion" header (docs/partners/portal.md)`, 'Portal-Assertion');
    }
    const bad = (why: string): never => { throw httpError(401, 'HUB_ERR_ASSERTION_INVALID', `Portal-Assertion: ${why}`, 'Portal-Assertion'); };
    let claims: PortalClaims;
    try {
      const { payload, protectedHeader } = await compactVerify(header, this.keyOf(partner), { algorithms: ['RS256'] });
      if (protectedHeader.crit) bad('has critical header parameters this hub does not understand');
      claims = JSON.parse(Buffer.from(payload).toString('utf8')) as PortalClaims;
    } catch (e) {
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) bad(`the signature does not verify with the certificate registered for ${partner.id}`);
      if (e instanceof joseErrors.JOSEError) bad(`is not a compact JWS signed with RS256 (${e.code})`);
      if (e instanceof SyntaxError) bad('its payload is not JSON');
      throw e;
    }
    if (typeof claims !== 'object' || claims === null) bad('its payload is not a JSON object');
    const now = Math.floor((this.deps.now?.() ?? Date.now()) / 1000);
    const lifetime = parseDuration(partner.assertion?.maxLifetime ?? DEFAULT_ASSERTION_LIFETIME) / 1000;
    if (claims.aud !== ASSERTION_AUDIENCE) bad(`aud must be "${ASSERTION_AUDIENCE}"`);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') bad('iat and exp must be NumericDate seconds');
    if (claims.exp <= now - CLOCK_SKEW_S) bad('has expired; the portal makes a new assertion for each request');
    if (claims.iat > now + CLOCK_SKEW_S) bad('is issued in the future; check the portal\'s clock');
    if (claims.exp - claims.iat > lifetime) bad(`lives longer than ${partner.assertion?.maxLifetime ?? DEFAULT_ASSERTION_LIFETIME} (exp − iat)`);
    if (typeof claims.jti !== 'string' || !/^[\w.:-]{8,128}$/.test(claims.jti)) bad('jti must be 8–128 characters of letters, digits, ".", ":", "_" or "-"');
    if (claims.htm !== req.method) bad(`was made for ${claims.htm}, not ${req.method}`);
    if (claims.htu !== req.url) bad(`was made for ${claims.htu}, not ${req.url}`);
    const hash = body && body.length ? bodyHash(body) : undefined;
    if (claims.bdy !== hash) bad(hash ? 'bdy is not the sha256 of this body (base64url)' : 'bdy is set, and this request has no body');
    const problem = personCodeProblem(claims.sub);
    if (problem) bad(`sub: ${problem}`);
    const personCode = normalizePersonCode(claims.sub)!;
    if (claims.act === 'person') return { kind: 'person', partner, personCode, requestId: claims.jti };
    if (claims.act === 'provider') {
      const p = regNoProblem(claims.org);
      if (p) bad(`org: ${p}`);
      return { kind: 'provider', partner, personCode, regNo: claims.org!, requestId: claims.jti };
    }
    return bad('act must be "person" or "provider"');
  }
}

/** 403 unless the caller is one of `kinds`: deny by default, per e-service operation. */
export function assertCaller<K extends CallerKind>(caller: Caller, kinds: readonly K[], operation: string): asserts caller is Extract<Caller, { kind: K }> {
  if (!(kinds as readonly string[]).includes(caller.kind)) {
    throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `${caller.kind === 'person' || caller.kind === 'provider' ? `a ${caller.kind} through ${caller.partner.id}` : `partner ${caller.partner.id}`} may not ${operation}`);
  }
}

/** The actor an audit row names: the partner, and for the portal the person it acted for. */
export const actorOf = (c: Caller): string =>
  c.kind === 'person' ? `${c.partner.id}:person` : c.kind === 'provider' ? `${c.partner.id}:provider:${c.regNo}` : c.partner.id;
