/**
 * The social service providers register (MK No. 951; docs/partners/portal-providers.md), on when
 * routes/portal-providers.yaml is:
 *
 * - `POST /api/v1/providers/applications`: a provider's representative applies (portal, `act: provider`).
 * - `PUT /api/v1/providers/{regNo}/application`: amends: replaces a pending application, or asks
 *   for an amendment of an approved registration.
 * - `POST /api/v1/providers/{regNo}/withdrawal`: withdraws; every term ends on the date.
 * - `GET /api/v1/providers/applications[/{id}]`: the provider's own applications; the Ministry's all.
 * - `POST /api/v1/providers/applications/{id}/decision`: the Ministry approves (a term) or refuses
 *   (a reason); the decision goes to the provider's e-address through the route's deliver step.
 * - `GET /api/v1/providers?service=&municipality=&date=` and `GET /api/v1/providers/{regNo}`: the
 *   public register, without a key.
 *
 * A registration is a legal person's or institution's and is public; the representative's person
 * code is personal data: stored for the Ministry, audited when it reads it, never logged.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError } from '../../engine/core/errors.ts';
import { assertAccess } from '../../engine/http/auth.ts';
import type { EServiceDeps } from '../common/deps.ts';
import { routeAt } from '../common/deps.ts';
import { actorOf, assertCaller, type Caller } from '../common/portal-caller.ts';
import { readCaller, readJsonRequest } from '../common/request.ts';
import { appendAudit } from '../../store/audit.ts';
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import {
  amendApplication, applyForRegistration, decideApplication, getApplication, listApplications, lookupProviders, providerEntry,
  withdrawRegistration, type ProviderApplication,
} from '../../store/providers.ts';
import { INVALID, isDate, readApplication, readApplicationQuery, readDecision, readLookup, readWithdrawal, todayInRiga } from './input.ts';
import { decisionNotice } from './notice.ts';
import { PROVIDER_CONTRACTS as C } from './contract.ts';

export const PROVIDERS_PATH = '/api/v1/providers';
const SERVICE = 'eservice:providers';
const NOT_FOUND = 'HUB_ERR_PROVIDER_NOT_FOUND';
const CONFLICT = 'HUB_ERR_PROVIDER_CONFLICT';

type Query = Record<string, string | undefined>;

/** Query parameters as single strings: a parameter given twice is a mistake, named. */
function queryOf(req: FastifyRequest): Query {
  const q = (req.query ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) if (typeof v !== 'string') throw httpError(400, INVALID, `${k}: give it once`, k);
  return q as Query;
}

const idOf = (raw: string): string => {
  if (!/^\d{1,18}$/.test(raw)) throw httpError(404, NOT_FOUND, `no application ${raw}: application ids are the numbers the register gave`, 'id');
  return raw;
};

/** What a caller sees of an application: the representative's person code only the Ministry. */
function shown(a: ProviderApplication, caller: Caller): Record<string, unknown> {
  const { representative, ...rest } = a;
  return caller.kind === 'ministry' ? { ...rest, representative } : rest;
}

export function registerProviders(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, PROVIDERS_PATH);
  if (!route) return;

  /** Who asks a non-public operation: the route admits the partner, the operation the kind of caller. */
  const admit = (caller: Caller): void => assertAccess(route, caller.partner);
  const ownOnly = (caller: Extract<Caller, { kind: 'provider' }>, regNo: string): void => {
    if (regNo !== caller.regNo) throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `the portal asserts you represent ${caller.regNo}, not ${regNo}`, 'regNo');
  };
  /** The Ministry reads representatives' person codes: one audit row each, before the answer. */
  const auditRead = (caller: Caller, apps: ProviderApplication[], purpose: string) => (caller.kind !== 'ministry' ? Promise.resolve()
    : Promise.all(apps.map((a) => deps.audit.append({ actor: actorOf(caller), subject: a.representative, service: SERVICE, purpose, outcome: 'read', details: { regNo: a.regNo, applicationId: a.id } }))).then(() => {}));

  app.post(`${PROVIDERS_PATH}/applications`, { config: { contract: C.apply } }, async (req, reply) => {
    const { caller, body } = await readJsonRequest(req, deps.callers, INVALID);
    admit(caller);
    assertCaller(caller, ['provider'], 'apply to the providers register (only a provider\'s representative applies, for that provider)');
    const today = todayInRiga();
    const input = readApplication(body, caller.regNo, today);
    const by = { personCode: caller.personCode, requestId: caller.requestId };
    const r = await deps.store.db.transaction(async (tx) => {
      const out = await applyForRegistration(tx, input, by, today);
      if (out.kind === 'created') {
        await appendAudit(tx, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'apply', outcome: 'applied', details: { regNo: input.regNo, applicationId: out.application.id } });
      }
      return out;
    });
    if (r.kind === 'conflict') throw httpError(409, CONFLICT, r.why);
    return reply.code(r.kind === 'created' ? 201 : 200).send(shown(r.application, caller));
  });

  app.put<{ Params: { regNo: string } }>(`${PROVIDERS_PATH}/:regNo/application`, { config: { contract: C.amend } }, async (req, reply) => {
    const { caller, body } = await readJsonRequest(req, deps.callers, INVALID);
    admit(caller);
    assertCaller(caller, ['provider'], 'amend a provider\'s application');
    ownOnly(caller, req.params.regNo);
    const today = todayInRiga();
    const input = readApplication(body, caller.regNo, today);
    const r = await deps.store.db.transaction(async (tx) => {
      const out = await amendApplication(tx, input, { personCode: caller.personCode, requestId: caller.requestId }, today);
      if (out.kind === 'replaced' || out.kind === 'created') {
        await appendAudit(tx, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'amend', outcome: out.kind === 'created' ? 'amendment applied' : 'application replaced', details: { regNo: input.regNo, applicationId: out.application.id } });
      }
      return out;
    });
    if (r.kind === 'conflict') throw httpError(409, CONFLICT, r.why);
    return reply.code(r.kind === 'created' ? 201 : 200).send(shown(r.application, caller));
  });

  app.post<{ Params: { regNo: string } }>(`${PROVIDERS_PATH}/:regNo/withdrawal`, { config: { contract: C.withdraw } }, async (req) => {
    const { caller, body } = await readJsonRequest(req, deps.callers, INVALID);
    admit(caller);
    assertCaller(caller, ['provider'], 'withdraw a provider\'s registration');
    ownOnly(caller, req.params.regNo);
    const today = todayInRiga();
    const date = readWithdrawal(body, today);
    const r = await deps.store.db.transaction(async (tx) => {
      const out = await withdrawRegistration(tx, caller.regNo, date, today);
      if (out.kind === 'withdrawn') {
        await appendAudit(tx, { actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'withdraw', outcome: 'withdrawn', details: { regNo: caller.regNo, applications: out.applications, date } });
      }
      return out;
    });
    if (r.kind === 'conflict') throw httpError(409, CONFLICT, r.why, r.field);
    return { regNo: caller.regNo, status: 'withdrawn', withdrawnOn: date, applications: r.applications, termsEnded: r.termsEnded };
  });

  app.get(`${PROVIDERS_PATH}/applications`, { config: { contract: C.list } }, async (req) => {
    const caller = await readCaller(req, deps.callers);
    admit(caller);
    assertCaller(caller, ['provider', 'ministry'], 'list providers\' applications');
    const q = readApplicationQuery(queryOf(req));
    if (caller.kind === 'provider' && q.regNo && q.regNo !== caller.regNo) ownOnly(caller, q.regNo);
    const page = await listApplications(deps.store.db, { ...q, ...(caller.kind === 'provider' ? { regNo: caller.regNo } : {}) });
    await auditRead(caller, page.items, 'review applications');
    return { total: page.total, limit: q.limit, offset: q.offset, items: page.items.map((a) => shown(a, caller)) };
  });

  app.get<{ Params: { id: string } }>(`${PROVIDERS_PATH}/applications/:id`, { config: { contract: C.get } }, async (req) => {
    const caller = await readCaller(req, deps.callers);
    admit(caller);
    assertCaller(caller, ['provider', 'ministry'], 'read a provider\'s application');
    const id = idOf(req.params.id);
    const a = await getApplication(deps.store.db, id);
    // Another provider's application is as absent as one that does not exist.
    if (!a || (caller.kind === 'provider' && a.regNo !== caller.regNo)) throw httpError(404, NOT_FOUND, `no application ${id}${caller.kind === 'provider' ? ` of provider ${caller.regNo}` : ''}`, 'id');
    await auditRead(caller, [a], 'review an application');
    return shown(a, caller);
  });

  app.post<{ Params: { id: string } }>(`${PROVIDERS_PATH}/applications/:id/decision`, { config: { contract: C.decide } }, async (req) => {
    const { caller, body } = await readJsonRequest(req, deps.callers, INVALID);
    admit(caller);
    assertCaller(caller, ['ministry'], 'decide on a provider\'s application (the Ministry decides)');
    const id = idOf(req.params.id);
    const decision = readDecision(body);
    let out: Awaited<ReturnType<typeof decideApplication>> | undefined;
    // The notice is made from the decided application inside the transaction; the route's deliver
    // step reads this list after `before`, so the decision and its outbox row commit together.
    const notices: EAddressMessage[] = [];
    await deps.flows.apply(route, 'eaddress.message', notices, { routeId: route.id, actor: caller.partner.id, origin: 'push', requestId: `provider-decision:${id}` }, {
      before: async (tx) => {
        out = await decideApplication(tx, id, decision, caller.partner.id, todayInRiga());
        if (out.kind !== 'decided') return false;
        await appendAudit(tx, { actor: actorOf(caller), subject: out.application.representative, service: SERVICE, purpose: 'decide', outcome: out.application.status, details: { regNo: out.application.regNo, applicationId: id } });
        notices.push(decisionNotice(out.application));
        return true;
      },
    });
    if (!out || out.kind === 'not-found') throw httpError(404, NOT_FOUND, `no application ${id}`, 'id');
    if (out.kind === 'conflict') throw httpError(409, CONFLICT, out.why, out.field);
    return shown(out.application, caller);
  });

  // The public register: no key, no assertion (MK No. 951 makes it public); nothing personal in it.
  app.get(PROVIDERS_PATH, { config: { contract: C.lookup } }, async (req) => {
    const q = readLookup(queryOf(req), todayInRiga());
    const page = await lookupProviders(deps.store.db, q);
    return {
      ...(q.serviceType ? { service: q.serviceType } : {}), ...(q.municipality ? { municipality: q.municipality } : {}), date: q.date,
      total: page.total, limit: q.limit, offset: q.offset, items: page.items,
    };
  });

  app.get<{ Params: { regNo: string } }>(`${PROVIDERS_PATH}/:regNo`, { config: { contract: C.entry } }, async (req) => {
    const q = queryOf(req);
    const extra = Object.keys(q).find((k) => k !== 'date');
    if (extra) throw httpError(400, INVALID, `${extra}: is not a parameter of a provider's entry (parameters: date)`, extra);
    const date = q.date ?? todayInRiga();
    if (!isDate(date)) throw httpError(400, INVALID, `date: ${date} is not a calendar date YYYY-MM-DD`, 'date');
    const entry = await providerEntry(deps.store.db, req.params.regNo, date);
    if (!entry) throw httpError(404, NOT_FOUND, `the register holds no provider ${req.params.regNo}`, 'regNo');
    return { ...entry, date };
  });
}
