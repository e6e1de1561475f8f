/**
 * The operators' and published surfaces of one hub process's HTTP server: the console and its JSON
 * API, the audit read API, the OpenAPI document. hub.ts calls this once per route set; each surface
 * registers under its own paths and reads what it shows through `SurfaceDeps`, never a global.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditWriter } from '../engine/runtime/audit-writer.ts';
import { registerContract } from './openapi.ts';
import { registerAuditApi } from '../engine/http/audit-api.ts';
import { registerConsole, type ConsoleDeps } from '../console/index.ts';

/** What the console reads (config, store, queues, deliveries, metrics, the key table, Redis…), and the audit writer. */
export interface SurfaceDeps extends ConsoleDeps {
  audit: AuditWriter;
}

export async function registerSurfaces(app: FastifyInstance, deps: SurfaceDeps): Promise<void> {
  // Each surface adds one line here.
  registerContract(app); // GET /openapi.json, from every route registered on this app
  registerAuditApi(app, { auth: deps.auth, store: deps.store, audit: deps.audit, logger: deps.logger });
  registerConsole(app, deps); // GET / (the operators' console) and /api/v1/ops/…
}
