/**
 * The state portal's integration layer, simulated (docs/partners/portal.md): it authenticates a
 * person (here: takes the person code on trust, as the real portal does after eID), signs an
 * assertion for exactly one request and calls the hub with the portal's partner key. Tests and the
 * sandbox drive every e-service through it, as the portal would.
 */
import { createHash, createPrivateKey, randomUUID } from 'node:crypto';
import { CompactSign, importPKCS8 } from 'jose';
import { createSigningIdentity, type SigningIdentity } from '../../engine/index.ts';

export interface PortalActor {
  /** The person the portal authenticated. */
  personCode: string;
  /** Acting as a provider's representative: the provider's registration code. */
  org?: string;
}

export interface PortalResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface PortalSimulatorOptions {
  /** The portal's signing identity (default: a fresh self-signed one). */
  identity?: SigningIdentity;
  /** Assertion lifetime in seconds (default 120). */
  lifetimeS?: number;
}

export interface PortalSimulator {
  /** Registered for the portal in partners.yaml (`certificate`). */
  certPem: string;
  /** A signed assertion for one request (the sandbox prints them for its curl examples). */
  assertion(actor: PortalActor, method: string, pathAndQuery: string, body?: string, opts?: { jti?: string; lifetimeS?: number; iat?: number }): Promise<string>;
  /** Calls the hub as the portal: partner key, and an assertion of `actor` for this request. */
  call<T = unknown>(hubUrl: string, key: string, actor: PortalActor, method: string, pathAndQuery: string, body?: unknown, opts?: { jti?: string }): Promise<PortalResponse<T>>;
}

export async function startPortalSimulator(o: PortalSimulatorOptions = {}): Promise<PortalSimulator> {
  const identity = o.identity ?? await createSigningIdentity('Latvija.lv portāls (simulators)');
  const key = await importPKCS8(identity.keyPem.includes('BEGIN PRIVATE KEY') ? identity.keyPem : toPkcs8(identity.keyPem), 'RS256');
  const assertion: PortalSimulator['assertion'] = async (actor, method, pathAndQuery, body, opts = {}) => {
    const iat = opts.iat ?? Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'latvija.lv', aud: 'spolis-hub', sub: actor.personCode, act: actor.org ? 'provider' : 'person', ...(actor.org ? { org: actor.org } : {}),
      iat, exp: iat + (opts.lifetimeS ?? o.lifetimeS ?? 120), jti: opts.jti ?? randomUUID(), htm: method, htu: pathAndQuery,
      ...(body !== undefined && body.length ? { bdy: bodyHash(body) } : {}),
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(key);
  };
  return {
    certPem: identity.certPem,
    assertion,
    async call(hubUrl, partnerKey, actor, method, pathAndQuery, body, opts) {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const res = await fetch(hubUrl + pathAndQuery, {
        method,
        headers: {
          authorization: `Bearer ${partnerKey}`,
          'portal-assertion': await assertion(actor, method, pathAndQuery, text, opts),
          ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(text !== undefined ? { body: text } : {}),
      });
      const raw = await res.text();
      let parsed: unknown = raw;
      try { parsed = JSON.parse(raw); } catch { /* not JSON: the raw text */ }
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
  };
}

/** selfsigned gives PKCS#1 ("BEGIN RSA PRIVATE KEY"); jose imports PKCS#8. */
const toPkcs8 = (pem: string): string => createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();

/** The portal's own computation of the `bdy` claim: base64url(sha256(body bytes)). */
const bodyHash = (body: string): string => createHash('sha256').update(body).digest('base64url');
