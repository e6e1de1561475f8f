/**
 * `POST /api/v1/coparticipation` (DESIGN.md §4): a municipality's co-participation duties for a
 * client, queued for BURVIS (SubmitCoParticipation) by the route whose trigger is this path. 202
 * once the delivery row is committed (durable); the same id with the same content is the same
 * delivery (202 again, nothing sent twice); changed content is a new delivery of the same id.
 * `GET /api/v1/coparticipation/{id}` answers the newest delivery of that id for the caller's
 * municipality: pending, delivered (with NVA's Ref), dead or undeliverable.
 */
import { Ajv, type ErrorObject } from 'ajv';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import type { CoParticipation } from '../../schemas/canonical/model.ts';
import type { RouteDef } from '../config/types.ts';
import type { FlowRunner } from '../runtime/flows.ts';
import { PartnerAuth, assertAccess } from './auth.ts';
import { httpError } from '../core/errors.ts';
import { normalizePersonCode, personCodeProblem, isRealDate } from '../validation/person-code.ts';
import { deliveryIdOf } from '../runtime/deliveries.ts';
import { listDeliveries, type Store } from '../../store/index.ts';
import { COPARTICIPATION_CONTRACTS, COPARTICIPATION_SCHEMA } from './contracts.ts';

export const COPARTICIPATION_PATH = '/api/v1/coparticipation';

const addFormats = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
// The object the published contract shows (contracts.ts): one schema for both.
const validate = ajv.compile(COPARTICIPATION_SCHEMA);

const fieldOf = (e: ErrorObject): string =>
  e.keyword === 'required' ? String(e.params.missingProperty)
    : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty)
      : e.instancePath.slice(1).replace(/\//g, '.') || '(body)';

const isDate = (v: string): boolean => isRealDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));

export function registerCoParticipationApi(app: FastifyInstance, deps: { routes: RouteDef[]; auth: PartnerAuth; store: Store; flows: FlowRunner }): void {
  const route = deps.routes.find((r) => 'http' in r.from && r.from.http.path === COPARTICIPATION_PATH);
  if (!route) return;

  // A co-participation is a few duties and services: 64 KB is ample, and no more is read.
  app.post(COPARTICIPATION_PATH, { bodyLimit: 64 * 1024, config: { contract: COPARTICIPATION_CONTRACTS.submit } }, async (req, reply) => {
    const partner = deps.auth.authenticate(req.headers.authorization);
    assertAccess(route, partner);
    if (!partner.municipality) throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} reports for no municipality, and co-participation duties are a municipality's`);
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
      throw httpError(400, 'HUB_ERR_COPARTICIPATION_INVALID', 'send a JSON object {id, personCode, agreedOn, duties, services?, validTo?} with Content-Type: application/json', '(body)');
    }
    if (!validate(body)) {
      const e = validate.errors![0];
      const field = fieldOf(e);
      throw httpError(400, 'HUB_ERR_COPARTICIPATION_INVALID', `${field}: ${e.keyword === 'additionalProperties' ? 'is not a field of a co-participation' : e.message}`, field);
    }
    const b = body as Omit<CoParticipation, 'municipality'> & { municipality?: string };
    if (b.municipality !== undefined && b.municipality !== partner.municipality) {
      throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} sends for ${partner.municipality}, not ${b.municipality}`, 'municipality');
    }
    const problem = personCodeProblem(b.personCode);
    if (problem) throw httpError(400, 'HUB_ERR_COPARTICIPATION_INVALID', `personCode: ${problem}`, 'personCode');
    for (const f of ['agreedOn', 'validTo'] as const) {
      if (b[f] !== undefined && !isDate(b[f]!)) throw httpError(400, 'HUB_ERR_COPARTICIPATION_INVALID', `${f}: ${b[f]} is not a calendar date`, f);
    }
    if (b.validTo !== undefined && b.validTo < b.agreedOn) throw httpError(400, 'HUB_ERR_COPARTICIPATION_INVALID', `validTo ${b.validTo} is before agreedOn ${b.agreedOn}`, 'validTo');
    const item: CoParticipation = {
      id: b.id, personCode: normalizePersonCode(b.personCode)!, municipality: partner.municipality, agreedOn: b.agreedOn, duties: b.duties,
      ...(b.services ? { services: b.services } : {}), ...(b.validTo ? { validTo: b.validTo } : {}),
    };
    await deps.flows.apply(route, 'burvis.coparticipation', [item], { routeId: route.id, actor: partner.id, origin: 'push', requestId: b.id });
    const step = route.steps.find((s) => 'deliver' in s) as { deliver: string | string[] };
    const deliveryId = deliveryIdOf(Array.isArray(step.deliver) ? step.deliver[0] : step.deliver, item);
    return reply.code(202).send({ id: b.id, deliveryId, status: 'queued' });
  });

  app.get<{ Params: { id: string } }>(`${COPARTICIPATION_PATH}/:id`, { config: { contract: COPARTICIPATION_CONTRACTS.status } }, async (req) => {
    const partner = deps.auth.authenticate(req.headers.authorization);
    assertAccess(route, partner);
    const rows = partner.municipality ? await listDeliveries(deps.store.db, { routeId: route.id, municipality: partner.municipality, payloadId: req.params.id }) : [];
    const d = rows.at(-1);
    if (!d) throw httpError(404, 'HUB_ERR_COPARTICIPATION_NOT_FOUND', `no co-participation ${req.params.id} of ${partner.municipality ?? partner.id}`, 'id');
    return {
      id: req.params.id, deliveryId: d.id, status: d.status, attempts: d.attempts, ...(d.ref ? { ref: d.ref } : {}),
      ...(d.error && d.status !== 'delivered' ? { error: d.error } : {}), createdAt: d.createdAt, ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}),
    };
  });
}
