/**
 * `GET /api/v1/persons/me/decision-notices` (docs/partners/portal-decision-notices.md): the notices
 * of decisions the hub has sent, or is sending, to the person's e-address, for the person the
 * portal's assertion names and nobody else. Every answer is an audit row first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '../../engine/core/errors.ts';
import { assertAccess } from '../../engine/http/auth.ts';
import { noticesOfPerson } from '../../store/decision-notices.ts';
import { routeAt, type EServiceDeps } from '../common/deps.ts';
import { actorOf, assertCaller } from '../common/portal-caller.ts';
import { readCaller } from '../common/request.ts';
import { DECISION_NOTICES_PATH } from './notices.ts';
import { DECISION_NOTICES_CONTRACT } from './contract.ts';

const SERVICE = 'eservice:decision-notices';

/** What the person sees of a delivery's status (the delivery outbox's own words). */
const STATUS: Record<string, string> = { pending: 'sending', delivered: 'delivered', undeliverable: 'no-eaddress', dead: 'failed' };

export function registerDecisionNotices(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, DECISION_NOTICES_PATH);
  if (!route) return;

  app.get(DECISION_NOTICES_PATH, { config: { contract: DECISION_NOTICES_CONTRACT } }, async (req) => {
    const caller = await readCaller(req, deps.callers);
    assertAccess(route, caller.partner);
    assertCaller(caller, ['person'], 'read decision notices (only the person they were sent to may, through the portal)');
    const notices = await noticesOfPerson(deps.store.db, route.id, caller.personCode);
    await deps.audit.append({
      actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'the person reads the decision notices sent to their e-address',
      outcome: 'answered', details: { requestId: caller.requestId, count: notices.length },
    });
    return {
      notices: notices.map((n) => ({
        id: n.id, subject: n.subject, status: STATUS[n.status] ?? n.status, municipality: n.municipality, createdAt: n.createdAt,
        ...(n.deliveredAt ? { deliveredAt: n.deliveredAt } : {}), ...(n.ref ? { eaddressRef: n.ref } : {}),
      })),
    };
  });

  // Any other method is answered as the GET would be to the caller first (401, 403: deny by default
  // says nothing about the path to those who may not use it), then 405.
  const readOnly = async (req: FastifyRequest, reply: FastifyReply): Promise<never> => {
    const caller = await readCaller(req, deps.callers);
    assertAccess(route, caller.partner);
    assertCaller(caller, ['person'], 'use decision notices');
    void reply.header('allow', 'GET');
    throw httpError(405, 'HUB_ERR_METHOD_NOT_ALLOWED', `${DECISION_NOTICES_PATH} is read with GET; notices are sent by the hub, not submitted`);
  };
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: DECISION_NOTICES_PATH, handler: readOnly });
}
