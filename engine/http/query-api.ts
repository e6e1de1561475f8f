/**
 * `POST /api/v1/query/{service}` (DESIGN.md §4): a municipality asks a state agency about one
 * named person. In order: the partner key (401), the service (404, listing the valid ones), access
 * per partner × route (403), the body (400 naming the field), then the partner's shared gate (503
 * while the circuit is open or the rate-limit queue is longer than maxWait), the call with its
 * deadline (504), and the partner's faults as the connector maps them (404, 502, 503).
 *
 * No audit row, no answer (DESIGN.md §6): every outcome after the service is known, refusals
 * included, is written to the audit log (who, for whom, which service, purpose, outcome, sha256 of
 * the request bytes and of the response bytes) before the reply is sent (rows of concurrent queries
 * are committed together, see audit-writer.ts). If that write fails the
 * caller gets 503 HUB_ERR_AUDIT_UNAVAILABLE and nothing of what the partner said.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HubError, httpError, isHubError } from '../core/errors.ts';
import { PartnerAuth, assertAccess } from './auth.ts';
import type { HubMetrics } from '../core/metrics.ts';
import { parseQuery, type QueryInput } from './query-request.ts';
import { buildQueryServices, closeQueryServices, type QueryService, type QueryServiceDeps } from '../runtime/query-services.ts';
import { MAX_BATCH_BYTES } from './load-api.ts';
import type { Store } from '../../store/index.ts';
import { AuditWriter } from '../runtime/audit-writer.ts';
import { queryContract } from './contracts.ts';

export interface QueryApiDeps extends QueryServiceDeps {
  auth: PartnerAuth;
  store: Store;
  metrics: HubMetrics;
}

interface Outcome {
  status: number;
  body: unknown;
  /** 'answered', or the error code. */
  outcome: string;
  retryAfterMs?: number;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const AUDIT_FAILED = JSON.stringify({ error: { code: 'HUB_ERR_AUDIT_UNAVAILABLE', message: 'the audit log cannot be written, and no query is answered without its audit row; try again later' } });

function refused(code: string, message: string, retryAfterMs: number): HubError & { retryAfterMs: number } {
  return Object.assign(new HubError(code, message, { httpStatus: 503, retryable: true }), { retryAfterMs });
}

/** Admits, calls and settles one query against its partner. Throws HubErrors the API maps. */
async function ask(svc: QueryService, requesterId: string, input: QueryInput, requestId: string): Promise<Record<string, unknown>> {
  if (!svc.call || !svc.gate) throw httpError(503, 'HUB_ERR_PARTNER_NOT_CONFIGURED', svc.unavailable ?? `${svc.service} is not configured`);
  let admission;
  try {
    admission = await svc.gate.admit(svc.timeoutMs);
  } catch (e) {
    // Without the shared counters the hub could exceed the partner's limit: fail closed.
    throw new HubError('HUB_ERR_POLICY_UNAVAILABLE', 'the shared rate limit and circuit breaker (Redis) do not answer, and the partner is not called without them; try again later', { httpStatus: 503, retryable: true, cause: e });
  }
  if (!admission.ok) {
    const s = Math.ceil(admission.retryAfterMs / 1000);
    throw admission.reason === 'circuit-open'
      ? refused('HUB_ERR_CIRCUIT_OPEN', `${svc.partnerId} failed repeatedly and is not being called for now; retry in ${s} s`, admission.retryAfterMs)
      : refused('HUB_ERR_PARTNER_RATE_LIMITED', `${svc.partnerId}'s rate limit is taken for the next ${s} s; retry then`, admission.retryAfterMs);
  }
  const call = svc.call;
  return svc.gate.pass(admission, () => call.call({ ...input, requesterId, requestId }, { timeoutMs: svc.timeoutMs }));
}

/**
 * What a 503 without a gate's own figure tells the caller to wait: a partner that answered
 * UNAVAILABLE or could not be reached. Long enough not to hammer it, short for a person waiting.
 */
export const PARTNER_RETRY_AFTER_MS = 5_000;

function errorOutcome(e: unknown): Outcome {
  if (isHubError(e)) {
    const retryAfterMs = (e as { retryAfterMs?: number }).retryAfterMs ?? (e.httpStatus === 503 ? PARTNER_RETRY_AFTER_MS : undefined);
    return { status: e.httpStatus, body: { error: e.toJSON() }, outcome: e.code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { status: 500, body: { error: { code: 'HUB_ERR_INTERNAL', message: 'internal error; the request id is in the hub log' } }, outcome: 'HUB_ERR_INTERNAL' };
}

export function registerQueryApi(app: FastifyInstance, deps: QueryApiDeps): void {
  const services = buildQueryServices(deps);
  const audit = new AuditWriter(deps.store.db);
  const queries = deps.metrics.queries;
  const seconds = deps.metrics.queryDuration;

  const send = (reply: FastifyReply, status: number, text: string, retryAfterMs?: number): FastifyReply => {
    if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    return reply.code(status).type('application/json; charset=utf-8').send(text);
  };

  // Its own scope: the query keeps its body as bytes (their sha256 goes into the audit row).
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES }, (_req, body, done) => done(null, body));
    scope.addHook('onClose', async () => closeQueryServices(services));

    scope.post<{ Params: { service: string } }>('/api/v1/query/:service', { config: { contract: queryContract([...services.keys()].sort()) } }, async (req, reply) => {
      const t0 = performance.now();
      const partner = deps.auth.authenticate(req.headers.authorization);
      const svc = services.get(req.params.service);
      if (!svc) {
        throw httpError(404, 'HUB_ERR_QUERY_SERVICE', `no query service "${req.params.service}"; valid: ${[...services.keys()].sort().join(', ') || '(none configured)'}`, 'service');
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
      const parsed = parseQuery(raw, req.headers['content-type']);
      const requestId = randomUUID();
      let out: Outcome;
      try {
        assertAccess(svc.route, partner);
        // Agencies answer municipalities (their ATVK) and, where the route admits it, the Ministry (LM).
        const requester = partner.municipality ?? (partner.system === 'lm' ? 'LM' : undefined);
        if (!requester) throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} asks for no municipality, and agencies answer municipalities and the Ministry only`);
        if (parsed.error) throw parsed.error;
        const answer = await ask(svc, requester, parsed.input!, requestId);
        out = { status: 200, body: { service: svc.service, requestId, ...answer }, outcome: 'answered' };
      } catch (e) {
        out = errorOutcome(e);
        if (out.status >= 500) req.log.warn({ err: e, service: svc.service, partner: partner.id, code: out.outcome }, 'query failed');
        if ((e as { circuitOpened?: boolean }).circuitOpened) deps.logger.warn({ partner: svc.partnerId, service: svc.service }, `circuit to ${svc.partnerId} opened after repeated failures`);
      }
      const text = JSON.stringify(out.body);
      try {
        await audit.append({
          actor: partner.id, subject: parsed.subject, service: svc.service, purpose: parsed.input?.purpose ?? parsed.purpose,
          outcome: out.outcome, requestSha256: sha256(raw ?? ''), responseSha256: sha256(text),
          details: { status: out.status, requestId, ...(svc.partnerId ? { partner: svc.partnerId } : {}) },
        });
      } catch (e) {
        deps.logger.error({ err: e, service: svc.service, partner: partner.id }, 'audit row could not be written; the query is answered 503 without its result');
        queries.inc({ service: svc.service, outcome: 'HUB_ERR_AUDIT_UNAVAILABLE' });
        return send(reply, 503, AUDIT_FAILED, 30_000);
      }
      const ms = performance.now() - t0;
      seconds.observe({ service: svc.service }, ms / 1000);
      queries.inc({ service: svc.service, outcome: out.outcome });
      // The logger masks the personal code; the purpose is left to the audit log.
      deps.logger.info({ partner: partner.id, service: svc.service, personCode: parsed.subject, status: out.status, outcome: out.outcome, requestId, ms: Math.round(ms) }, 'query');
      return send(reply, out.status, text, out.retryAfterMs);
    });
  });
}
