/**
 * The e-services of the state portal (issue 13; docs/partners/portal.md): each is a folder here
 * with one `register…(app, deps)` and switched on by its route file in routes/. They share one
 * HTTP scope in which JSON bodies arrive as bytes, because the portal's assertion signs the bytes.
 */
import type { FastifyInstance } from 'fastify';
import type { EServiceDeps } from './common/deps.ts';
import { registerProviders } from './providers/api.ts';
import { registerApplications } from './applications/api.ts';
import { registerServiceQueues } from './service-queues/api.ts';
import { registerComplaints } from './complaints/api.ts';
import { registerStateReports } from './state-reports/api.ts';
import { startDecisionNotices } from './applications/notices.ts';
import { registerDecisionNotices } from './applications/notices-api.ts';

export type { EServiceDeps } from './common/deps.ts';
export { PortalCallers } from './common/portal-caller.ts';

/** Complaints carry attachments: the largest e-service body (eservices/complaints/limits). */
export const ESERVICE_BODY_LIMIT = 12 * 1024 * 1024;

export async function registerEServices(app: FastifyInstance, deps: EServiceDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: ESERVICE_BODY_LIMIT }, (_req, body, done) => done(null, body));
    registerProviders(scope, deps);
    registerApplications(scope, deps);
    registerDecisionNotices(scope, deps);
    registerServiceQueues(scope, deps);
    registerComplaints(scope, deps);
    registerStateReports(scope, deps);
  });
}

/** The worker side of the e-services: the planner that turns newly loaded decisions into notices. */
export interface EServiceWorkers {
  /** A batch was applied: look for new decisions now rather than at the next tick. */
  afterBatch(): void;
  close(): Promise<void>;
}

export function startEServiceWorkers(deps: EServiceDeps): EServiceWorkers {
  return startDecisionNotices(deps);
}
