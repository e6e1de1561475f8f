/**
 * `GET /api/v1/persons/me/applications` (docs/partners/portal-applications.md): the status of a
 * person's applications for social assistance and services in every municipality, for the person
 * the portal's assertion names and nobody else. Decided applications come from the loaded
 * decisions; open ones from the systems of the municipalities the person belongs to (where they
 * have declared residence, and every one that decided about them: whom-to-ask.ts), asked once the
 * store has said which (municipal-systems.ts). A municipality that does not answer costs its open
 * applications, never the answer: the person gets 200 with `complete: false` and the municipality
 * `unavailable`. Every call to a municipal system and the answer itself are audit rows before the
 * answer leaves.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, httpError } from '../../engine/core/errors.ts';
import { assertAccess } from '../../engine/http/auth.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import { personApplications } from '../../store/applications.ts';
import type { AuditEntry } from '../../store/audit.ts';
import { routeAt, type EServiceDeps } from '../common/deps.ts';
import { actorOf, assertCaller } from '../common/portal-caller.ts';
import { readCaller } from '../common/request.ts';
import { MunicipalSystems, type SourceAnswer } from './municipal-systems.ts';
import { applicationStatus } from './status.ts';
import { whomToAsk } from './whom-to-ask.ts';
import { APPLICATIONS_CONTRACT } from './contract.ts';

export const APPLICATIONS_PATH = '/api/v1/persons/me/applications';
const SERVICE = 'eservice:application-status';
const OPERATION = 'read the status of applications (only the person themselves may, through the portal)';

/** No audit row, no answer (DESIGN.md §6): a failed audit write withholds what was read. */
async function audited(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (e) {
    throw new HubError('HUB_ERR_AUDIT_UNAVAILABLE', 'the audit log cannot be written, and no personal data is answered without its audit row; try again later',
      { httpStatus: 503, retryable: true, cause: e });
  }
}

const callRows = (answers: SourceAnswer[]): AuditEntry[] => answers.flatMap((a) => (a.audit ? [a.audit] : []));

export function registerApplications(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, APPLICATIONS_PATH);
  if (!route) return;
  const systems = new MunicipalSystems(route, deps);
  app.addHook('onClose', async () => systems.close());
  const names = municipalities();
  const nameOf = (atvk: string): string => names.get(atvk)?.name ?? atvk;

  app.get(APPLICATIONS_PATH, { config: { contract: APPLICATIONS_CONTRACT } }, async (req) => {
    const caller = await readCaller(req, deps.callers);
    assertAccess(route, caller.partner);
    assertCaller(caller, ['person'], OPERATION);
    if (req.url !== APPLICATIONS_PATH) {
      throw httpError(400, 'HUB_ERR_APPLICATIONS_INVALID', `${APPLICATIONS_PATH} takes no query parameters: it answers every application of the person the assertion names`, '(query)');
    }
    const t0 = performance.now();
    const purpose = `the person's own application status (portal request ${caller.requestId})`;
    // The store first: it says which municipalities are the person's, and only those are asked.
    const person = await personApplications(deps.store.db, caller.personCode);
    const storeMs = performance.now() - t0;
    const answers = await systems.ask({ personCode: caller.personCode, portalRequestId: caller.requestId, purpose }, whomToAsk(person));
    const askedMs = performance.now() - t0 - storeMs;
    const tAudit = performance.now();
    const status = applicationStatus(caller.requestId, person.decided, answers, nameOf);
    const unavailable = status.sources.filter((s) => s.openApplications === 'unavailable').map((s) => s.partner ?? s.municipality);
    // The calls' rows and the answer's in one commit: one that cannot be written withholds the answer.
    await audited(deps.audit.appendAll([...callRows(answers), {
      actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose, outcome: status.complete ? 'answered' : 'answered-partial',
      details: { requestId: caller.requestId, decided: status.decided.length, open: status.open.length, ...(unavailable.length ? { unavailable } : {}) },
    }]));
    // The person stays out of the log: the request id ties this line to the audit row.
    deps.logger.info({ eservice: SERVICE, requestId: caller.requestId, decided: status.decided.length, open: status.open.length, unavailable, ms: Math.round(performance.now() - t0),
      // Where the time went, for the operator: the store read, the slowest municipal system asked, the audit commit.
      phasesMs: { store: Math.round(storeMs), municipalities: Math.round(askedMs), audit: Math.round(performance.now() - tAudit) } }, 'application status');
    return status;
  });

  // Any other method is answered as the GET would be to the caller first (401, 403: deny by
  // default says nothing about the path to those who may not use it), then 405.
  const readOnly = async (req: FastifyRequest, reply: FastifyReply): Promise<never> => {
    const caller = await readCaller(req, deps.callers);
    assertAccess(route, caller.partner);
    assertCaller(caller, ['person'], OPERATION);
    void reply.header('allow', 'GET');
    throw httpError(405, 'HUB_ERR_METHOD_NOT_ALLOWED', `${APPLICATIONS_PATH} is read with GET; applications are submitted to the municipality, not to the hub`);
  };
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: APPLICATIONS_PATH, handler: readOnly });
}
