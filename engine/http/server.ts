/**
 * The HTTP server (fastify): health, readiness, metrics and the partner APIs. Every error reaches
 * the caller as JSON `{error: {code, message, field?}}`; nothing else leaks out.
 */
import Fastify, { type FastifyInstance, type FastifyError, type FastifyBaseLogger } from 'fastify';
import { isHubError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { HubMetrics } from '../core/metrics.ts';
import { MAX_BATCH_BYTES } from './load-api.ts';
import { collectRoutes } from './openapi.ts';
import { HEALTH_CONTRACT, METRICS_CONTRACT, READY_CONTRACT } from './contracts.ts';

export interface ServerDeps {
  logger: Logger;
  metrics: HubMetrics;
  /** Resolves when Redis and the store answer; throws (with a reason) when not. */
  readiness(): Promise<Record<string, string>>;
  /** The partner an Authorization header names, or undefined (the route's own check answers 401). */
  partnerOf?(authorization: string | undefined): string | undefined;
  limits?: Partial<HttpLimits>;
}

/**
 * How much of one process a single partner, or everyone, may hold at once. A partner's runaway
 * client (a loop, a retry storm) is answered 429 beyond its share instead of starving the others;
 * a flood of connections is cut at the socket.
 */
export interface HttpLimits {
  /** Requests of one partner in flight in this process at once. */
  partnerInFlight: number;
  /** Open connections of this process, all clients together. */
  connections: number;
}
export const HTTP_LIMITS: HttpLimits = { partnerInFlight: 64, connections: 2048 };

/**
 * How long a client may take (applied to the process's socket, app/hub.ts). Without them a client that sends its headers or body a byte at a
 * time (slow loris) holds a connection for ever, and a few hundred of them hold the API.
 */
export interface HttpTimeouts {
  /** From connection to the end of the headers. */
  headersMs: number;
  /** From connection to the end of the body: a 4 MB batch at 100 KB/s takes 40 s. */
  requestMs: number;
  /** A kept-alive connection with nothing to do. */
  idleMs: number;
}
export const HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 60_000, idleMs: 30_000 };

export function createServer(deps: ServerDeps): FastifyInstance {
  const limits = { ...HTTP_LIMITS, ...deps.limits };
  // The socket (timeouts, connection cap) is the process's (app/hub.ts): this app only routes,
  // so a route reload can put a new app behind the same socket.
  const app = Fastify({ // Request lines at warn: a bulk load is thousands of PUTs; metrics count them instead.
    loggerInstance: deps.logger.child({ part: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger, bodyLimit: MAX_BATCH_BYTES,
  });
  // Before any route: /openapi.json is made from what this records.
  collectRoutes(app);

  // In-flight requests per partner; released when the answer is sent or the client goes away.
  const inFlight = new Map<string, number>();
  app.addHook('onRequest', async (req, reply) => {
    const partner = deps.partnerOf?.(req.headers.authorization);
    if (!partner) return;
    const n = inFlight.get(partner) ?? 0;
    if (n >= limits.partnerInFlight) {
      return reply.code(429).header('retry-after', '1').send({ error: { code: 'HUB_ERR_PARTNER_BUSY', message: `partner ${partner} has ${n} requests in flight, the most one partner may have at once; retry when one is answered` } });
    }
    inFlight.set(partner, n + 1);
    let released = false;
    reply.raw.once('close', () => {
      if (released) return;
      released = true;
      const left = (inFlight.get(partner) ?? 1) - 1;
      if (left > 0) inFlight.set(partner, left); else inFlight.delete(partner);
    });
  });

  // Batch bodies stay bytes: each partner format decodes its own charset.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isHubError(err)) {
      if (err.httpStatus >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.httpStatus).send({ error: err.toJSON() });
    }
    if (err.statusCode === 413) {
      // Lingering read: the client may still be sending. Closing now, with its bytes unread, makes
      // the kernel reset the connection, and a client still writing loses the 413 with it; so the
      // rest is read and dropped (the request deadline bounds how long) and the answer arrives.
      reply.removeHeader('connection');
      req.raw.on('data', () => {});
      req.raw.resume();
      if (req.method === 'PUT' && req.url.includes('/batches/')) {
        return reply.code(413).send({ error: { code: 'HUB_ERR_BATCH_TOO_LARGE', message: `a batch is at most ${MAX_BATCH_BYTES} bytes (4 MB); split it on record boundaries` } });
      }
      const limit = req.routeOptions.bodyLimit ?? MAX_BATCH_BYTES;
      return reply.code(413).send({ error: { code: 'HUB_ERR_BODY_TOO_LARGE', message: `the body of ${req.method} ${req.routeOptions.url ?? req.url} is at most ${limit} bytes` } });
    }
    if (err.statusCode === 415) {
      return reply.code(415).send({ error: { code: 'HUB_ERR_CONTENT_TYPE', message: err.message } });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: 'HUB_ERR_REQUEST', message: err.message } });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'HUB_ERR_INTERNAL', message: 'internal error; the request id is in the hub log', requestId: req.id } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'HUB_ERR_NOT_FOUND', message: `no endpoint ${req.method} ${req.url}` } }));

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.get('/health', { config: { contract: HEALTH_CONTRACT } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { contract: READY_CONTRACT } }, async (_req, reply) => {
    try {
      return { status: 'ready', checks: await deps.readiness() };
    } catch (e) {
      return reply.code(503).send({ status: 'not ready', error: { code: 'HUB_ERR_NOT_READY', message: (e as Error).message } });
    }
  });
  app.get('/metrics', { config: { contract: METRICS_CONTRACT } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  return app;
}
