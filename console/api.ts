/**
 * The console's JSON API, `/api/v1/ops/…`: operator keys only (a partner's or an auditor's key is
 * refused 403, no key or an unknown one 401). The page at `/` carries no data; everything it shows
 * comes from here with the operator's key.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { replayDeadLetter, replayDeadLetters } from '../engine/runtime/operations.ts';
import { httpError } from '../engine/core/errors.ts';
import { listDeadLetters, listRejections, getLoad } from '../store/index.ts';
import type { StaffIdentity } from '../engine/http/auth.ts';
import { letterView, loadsView, loadView, overview, seriesView, type ConsoleDeps } from './views.ts';
import type { AuditWatch } from './audit-watch.ts';
import * as C from './contracts.ts';

const JSON_BODY_LIMIT = 16 * 1024;

export function registerOpsApi(app: FastifyInstance, deps: ConsoleDeps, audit: AuditWatch): void {
  const operator = (req: FastifyRequest): StaffIdentity => deps.auth.requireRole(req.headers.authorization, 'operator');
  const actor = (s: StaffIdentity): string => `operator:${s.id}`;
  const replayDeps = { store: deps.store, queues: deps.queues, deliveries: deps.deliveries };

  app.register(async (ops) => {
    // What an operator sees is the state now: no cache between the hub and the console.
    ops.addHook('onSend', async (_req, reply) => { reply.header('cache-control', 'no-store'); });
    // Authenticate before anything is read (a body included), for every route of the scope.
    ops.addHook('onRequest', async (req) => { operator(req); });

    ops.get('/api/v1/ops/whoami', { config: { contract: C.OPS_WHOAMI } }, async (req) => operator(req));

    ops.get('/api/v1/ops/overview', { config: { contract: C.OPS_OVERVIEW } }, async () => overview(deps, audit));

    ops.get<{ Querystring: { status?: string; problems?: string; limit?: string } }>('/api/v1/ops/loads', { config: { contract: C.OPS_LOADS } },
      async (req) => loadsView(deps, req.query));

    ops.get<{ Params: { id: string } }>('/api/v1/ops/loads/:id', { config: { contract: C.OPS_LOAD } }, async (req) => loadView(deps, req.params.id));

    ops.get<{ Params: { id: string }; Querystring: { offset?: string; limit?: string } }>('/api/v1/ops/loads/:id/rejections', { config: { contract: C.OPS_LOAD_REJECTIONS } }, async (req) => {
      const load = await getLoad(deps.store.db, req.params.id);
      if (!load) throw httpError(404, 'HUB_ERR_LOAD_NOT_FOUND', `no load ${req.params.id}`, 'id');
      const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
      const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
      const page = await listRejections(deps.store.db, load.id, { offset, limit });
      return { load: load.id, total: page.total, offset, limit, items: page.items };
    });

    ops.get<{ Querystring: { minutes?: string } }>('/api/v1/ops/series', { config: { contract: C.OPS_SERIES } },
      async (req) => seriesView(deps, Number(req.query.minutes ?? 1440)));

    ops.get<{ Querystring: { all?: string; route?: string; limit?: string } }>('/api/v1/ops/dead-letters', { config: { contract: C.OPS_DEAD_LETTERS } }, async (req) => {
      const all = req.query.all === '1' || req.query.all === 'true';
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 100) || 100));
      const items = await listDeadLetters(deps.store.db, { route: req.query.route, includeReplayed: all, newestFirst: true, limit });
      return { items: items.map(letterView) };
    });

    ops.post<{ Params: { id: string } }>('/api/v1/ops/dead-letters/:id/replay', { bodyLimit: JSON_BODY_LIMIT, config: { contract: C.OPS_REPLAY } }, async (req) => {
      const who = operator(req);
      const id = /^[1-9]\d{0,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
      if (Number.isNaN(id)) throw httpError(404, 'HUB_ERR_DEAD_LETTER_NOT_FOUND', `no dead letter ${JSON.stringify(req.params.id)}: ids are whole numbers`, 'id');
      const replayed = await replayDeadLetter(replayDeps, id, actor(who));
      deps.logger.info({ operator: who.id, deadLetter: id, route: replayed.routeId }, 'dead letter replayed from the console');
      return { replayed: letterView(replayed) };
    });

    ops.post<{ Body: { route?: unknown } | undefined }>('/api/v1/ops/dead-letters/replay', { bodyLimit: JSON_BODY_LIMIT, config: { contract: C.OPS_REPLAY_ALL } }, async (req) => {
      const who = operator(req);
      const route = req.body?.route;
      if (route !== undefined && typeof route !== 'string') throw httpError(400, 'HUB_ERR_REQUEST', 'route is a route id (a string)', 'route');
      if (route !== undefined && !deps.config.routes.some((r) => r.id === route)) {
        throw httpError(400, 'HUB_ERR_REQUEST', `no route ${JSON.stringify(route)}; valid: ${deps.config.routes.map((r) => r.id).join(', ')}`, 'route');
      }
      const letters = await listDeadLetters(deps.store.db, { route });
      const ids = new Set((await replayDeadLetters(replayDeps, letters, actor(who))).map((l) => l.id));
      deps.logger.info({ operator: who.id, route: route ?? '(all)', count: ids.size }, 'dead letters replayed from the console');
      const now = ids.size ? await listDeadLetters(deps.store.db, { route, includeReplayed: true }) : [];
      return { count: ids.size, replayed: now.filter((l) => ids.has(l.id)).map(letterView) };
    });

    ops.post('/api/v1/ops/audit/verify', { config: { contract: C.OPS_AUDIT_VERIFY } }, async () => {
      await audit.verify();
      return audit.state();
    });
  });
}
