/**
 * The operators' and published surfaces of one hub process's HTTP server: the console and its JSON
 * API, the audit read API, the OpenAPI document. hub.ts calls this once per route set; each surface
 * registers under its own paths and reads what it shows through `SurfaceDeps`, never a global.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { HubConfig } from '../engine/config/types.ts';
import type { Logger } from '../engine/core/logger.ts';
import type { HubMetrics } from '../engine/core/metrics.ts';
import type { PartnerAuth } from '../engine/http/auth.ts';
import type { RouteQueues } from '../engine/runtime/queues.ts';
import type { Deliveries } from '../engine/runtime/deliveries.ts';
import type { AuditWriter } from '../engine/runtime/audit-writer.ts';
import type { SigningIdentity } from '../engine/soap/signing.ts';
import type { Registry } from '../engine/components/registry.ts';
import type { Store } from '../store/index.ts';
import { registerContract } from './openapi.ts';
import { registerAuditApi } from '../engine/http/audit-api.ts';
import { registerConsole } from '../console/index.ts';

export interface SurfaceDeps {
  config: HubConfig;
  registry: Registry;
  store: Store;
  queues: RouteQueues;
  deliveries: Deliveries;
  metrics: HubMetrics;
  /** The process's one key table (partners; operators and auditors once roles exist). */
  auth: PartnerAuth;
  redis: Redis;
  /** Redis key prefix of the queues. */
  prefix: string;
  audit: AuditWriter;
  identity: SigningIdentity;
  logger: Logger;
}

export async function registerSurfaces(app: FastifyInstance, deps: SurfaceDeps): Promise<void> {
  // Each surface adds one line here.
  registerContract(app); // GET /openapi.json, from every route registered on this app
  registerAuditApi(app, { auth: deps.auth, store: deps.store, audit: deps.audit, logger: deps.logger });
  registerConsole(app, deps); // GET / (the operators' console) and /api/v1/ops/…
}
