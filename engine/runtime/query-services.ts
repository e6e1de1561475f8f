/**
 * The query services a hub answers, one per route with `from: {query: {service}}`: the route (for
 * access), its call component made against the partner partners.yaml names, that partner's shared
 * gate (rate limit, circuit breaker) and the deadline of one call. A service whose partner the
 * partner list lacks stays listed and answers 503, so the hub still starts and says why.
 */
import type { RedisClient } from './redis.ts';
import type { Call } from '../components/specs.ts';
import type { Registry } from '../components/registry.ts';
import type { PartnerDef, RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import type { SigningIdentity } from '../soap/signing.ts';
import { PartnerGate } from './partner-gate.ts';
import { resolveTarget } from '../config/partners.ts';
import { parseDuration } from '../core/duration.ts';

export interface QueryService {
  service: string;
  route: RouteDef;
  /** Absent when the partner is not configured; `unavailable` then says why. */
  call?: Call;
  gate?: PartnerGate;
  partnerId?: string;
  timeoutMs: number;
  unavailable?: string;
}

export interface QueryServiceDeps {
  routes: RouteDef[];
  partners: PartnerDef[];
  /** Where partners.yaml is: certificate files are relative to it. */
  configDir: string;
  registry: Registry;
  redis: RedisClient;
  /** Redis key prefix, the queues' prefix (each partner's keys carry its own hash tag). */
  prefix: string;
  identity: SigningIdentity;
  logger: Logger;
}

export function buildQueryServices(deps: QueryServiceDeps): Map<string, QueryService> {
  const services = new Map<string, QueryService>();
  // One gate per partner: every route calling it shares its capacity (DESIGN.md §3).
  const gates = new Map<string, PartnerGate>();
  for (const route of deps.routes) {
    if (!('query' in route.from)) continue;
    const service = route.from.query.service;
    const step = route.steps.find((s): s is Extract<typeof s, { call: string }> => 'call' in s)!;
    const spec = deps.registry.get('call', step.call)!;
    const resolved = resolveTarget(spec, deps.partners, deps.configDir);
    if (!resolved) {
      const unavailable = `the hub has no ${spec.partner} partner with an endpoint and certificate, so ${service} cannot be asked`;
      deps.logger.warn({ route: route.id, service }, `query service ${service} is unavailable: ${unavailable}`);
      services.set(service, { service, route, timeoutMs: 0, unavailable });
      continue;
    }
    const { partner, target, policies } = resolved;
    let gate = gates.get(partner.id);
    if (!gate) gates.set(partner.id, (gate = new PartnerGate(deps.redis, deps.prefix, partner.id, policies)));
    const stepTimeout = step.timeout ? parseDuration(step.timeout) : Infinity;
    services.set(service, {
      service, route, gate, partnerId: partner.id,
      call: spec.create(step.options ?? {}, { target, identity: deps.identity, logger: deps.logger.child({ route: route.id }) }),
      // The route may wait less than the partner's own limit, never more.
      timeoutMs: Math.min(stepTimeout, policies.timeoutMs),
    });
  }
  return services;
}

export async function closeQueryServices(services: Map<string, QueryService>): Promise<void> {
  for (const s of services.values()) await s.call?.close();
}
