/** What every e-service is given by eservices/index.ts: the process's shared parts. */
import type { PartnerDef, RouteDef } from '../../engine/config/types.ts';
import type { Logger } from '../../engine/core/logger.ts';
import type { AuditWriter } from '../../engine/runtime/audit-writer.ts';
import type { FlowRunner } from '../../engine/runtime/flows.ts';
import type { Deliveries } from '../../engine/runtime/deliveries.ts';
import type { SigningIdentity } from '../../engine/soap/signing.ts';
import type { RedisClient } from '../../engine/runtime/redis.ts';
import type { Registry } from '../../engine/components/registry.ts';
import type { Store } from '../../store/index.ts';
import type { PortalCallers } from './portal-caller.ts';

export interface EServiceDeps {
  routes: RouteDef[];
  partners: PartnerDef[];
  configDir: string;
  registry: Registry;
  store: Store;
  flows: FlowRunner;
  deliveries: Deliveries;
  callers: PortalCallers;
  /** Every read of personal data is a row here before the answer leaves (DESIGN.md §6). */
  audit: AuditWriter;
  identity: SigningIdentity;
  /** The partners' circuit breakers live here, shared with every process (engine/runtime/partner-gate.ts). */
  redis: RedisClient;
  /** The deployment's Redis key prefix. */
  prefix: string;
  logger: Logger;
}

/** The route whose `from: { http: { path } }` is `path`: an e-service is on only when its route file is. */
export const routeAt = (routes: RouteDef[], path: string): RouteDef | undefined =>
  routes.find((r) => 'http' in r.from && r.from.http.path === path);
