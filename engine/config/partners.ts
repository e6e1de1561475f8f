/**
 * What partners.yaml says about a partner the hub calls (a state agency): where its service is,
 * the certificate its answers must be signed with, and the policies every route calling it shares
 * (DESIGN.md §3: rate limit, circuit breaker and timeout belong to the partner, since all routes
 * share its capacity). Also the load-time checks that tie `call:` steps and query routes to it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { CallSpec, CallTarget } from '../components/specs.ts';
import type { PartnerDef } from './types.ts';
import { parseDuration } from '../core/duration.ts';

export interface PartnerPolicies {
  /** Absent: the hub does not limit its calls (the partner declared no limit). */
  rateLimit?: { perSecond: number; maxWaitMs: number };
  circuitBreaker: { failures: number; openMs: number };
  timeoutMs: number;
}

/** @defaultValue what a partner gets for each policy partners.yaml leaves out. */
export const DEFAULT_POLICIES = { timeoutMs: 10_000, failures: 5, openSeconds: 30, maxWaitMs: 1_000 } as const;

const isPem = (s: string): boolean => s.trimStart().startsWith('-----BEGIN');

/** The certificate's PEM text: inline, or read from a file relative to the routes directory. */
export function readCertificate(certificate: string, dir: string): string {
  return isPem(certificate) ? certificate : readFileSync(isAbsolute(certificate) ? certificate : join(dir, certificate), 'utf8');
}

/** Why a certificate entry cannot be used, or null. */
export function certificateProblem(certificate: string, dir: string): string | null {
  let pem: string;
  try { pem = readCertificate(certificate, dir); } catch (e) {
    return `cannot read the certificate file ${JSON.stringify(certificate)} (${(e as NodeJS.ErrnoException).code ?? String(e)}); give a PEM file relative to the routes directory, or the PEM itself`;
  }
  try { new X509Certificate(pem); } catch (e) {
    return `${isPem(certificate) ? 'the inline certificate' : JSON.stringify(certificate)} is not a PEM X.509 certificate (${(e as Error).message})`;
  }
  return null;
}

export function partnerPolicies(p: PartnerDef): PartnerPolicies {
  const pol = p.policies ?? {};
  return {
    ...(pol.rateLimit ? { rateLimit: { perSecond: pol.rateLimit.perSecond, maxWaitMs: pol.rateLimit.maxWait ? parseDuration(pol.rateLimit.maxWait) : DEFAULT_POLICIES.maxWaitMs } } : {}),
    circuitBreaker: {
      failures: pol.circuitBreaker?.failures ?? DEFAULT_POLICIES.failures,
      openMs: (pol.circuitBreaker?.openSeconds ?? DEFAULT_POLICIES.openSeconds) * 1000,
    },
    timeoutMs: pol.timeout ? parseDuration(pol.timeout) : DEFAULT_POLICIES.timeoutMs,
  };
}

/** A component that talks to one agency partner (a call, a pull, an agency delivery). */
export type PartnerUser = Pick<CallSpec, 'name' | 'partner'>;

const callable = (spec: PartnerUser, partners: PartnerDef[]): PartnerDef[] =>
  partners.filter((p) => p?.system === spec.partner && typeof p.endpoint === 'string' && typeof p.certificate === 'string');

/**
 * Why a `call:` step's partner entry is unusable, or null. A partners.yaml without any partner of
 * that system is not an error here: the hub then starts without those queries (it says so in its
 * log and answers them 503), so that a deployment or test that leaves an agency out still starts.
 */
export function callStepProblem(spec: PartnerUser, partners: PartnerDef[]): string | null {
  const found = callable(spec, partners);
  const incomplete = partners.filter((p) => p?.system === spec.partner && !found.includes(p));
  if (incomplete.length) return `${spec.name} calls the ${spec.partner} partner, and partners.yaml's ${incomplete.map((p) => p.id).join(', ')} lacks endpoint or certificate`;
  if (found.length > 1) return `${spec.name} calls the ${spec.partner} partner, and partners.yaml has ${found.length} (${found.map((p) => p.id).join(', ')}); keep one`;
  return null;
}

export interface ResolvedTarget {
  partner: PartnerDef;
  target: CallTarget;
  policies: PartnerPolicies;
}

/** The partner a call component talks to, or undefined when the (overridden) partner list has none. */
export function resolveTarget(spec: PartnerUser, partners: PartnerDef[], dir: string): ResolvedTarget | undefined {
  const [partner] = callable(spec, partners);
  if (!partner) return undefined;
  return {
    partner,
    target: { partnerId: partner.id, endpoint: partner.endpoint!, certPem: readCertificate(partner.certificate!, dir) },
    policies: partnerPolicies(partner),
  };
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A query route answers with one partner call, so its steps are exactly one `call:`; a call in any
 * other route but an HTTP read would have no one to answer to. Returns [path, message] pairs.
 */
export function queryRouteProblems(r: Obj): [(string | number)[], string][] {
  const steps = Array.isArray(r.steps) ? r.steps : [];
  const query = isObj(r.from) && 'query' in r.from;
  // An HTTP route's call: steps are checked with its trigger (flow-checks.ts): HTTP reads ask partners.
  const http = isObj(r.from) && 'http' in r.from;
  const out: [(string | number)[], string][] = [];
  steps.forEach((s: unknown, i) => {
    if (!isObj(s)) return;
    if (query && !('call' in s)) out.push([['steps', i], `a query route's steps are one call: step; ${Object.keys(s)[0] ?? 'this'} steps are not run for queries`]);
    if (!query && !http && 'call' in s) out.push([['steps', i, 'call'], 'a call: step runs only in a route with from: {query: …} or an HTTP read; use to: to send a batch']);
  });
  if (query && steps.filter((s: unknown) => isObj(s) && 'call' in s).length > 1) out.push([['steps'], 'a query route has exactly one call: step']);
  return out;
}
