/**
 * The hub's client of a municipality's SOPA open-applications service
 * (docs/partners/sopa-applications.md): one JSON POST per person with the bearer token SOPA issued
 * to the hub, the answer read strictly into canonical OpenApplications. Failures are ConnectorErrors
 * by the rule every partner client shares: unreachable, 429 and 5xx are a retryable 503
 * (HUB_ERR_PARTNER_UNAVAILABLE), no answer in time a retryable 504, a refusal or an answer the
 * document does not allow a final 502.
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectorError, SchemeAgents, defineCall, normalizePersonCode, postHttp,
  type Call, type CallSpec, type HttpAnswer, type OpenApplication,
} from '../../engine/index.ts';
import {
  MAX_ANSWER_BYTES, SOPA_ANSWER_MS, SOPA_APPLICATIONS_PATH, answerProblem, canonicalApplication, requestProblem,
  type SopaApplicationsAnswer, type SopaApplicationsRequest,
} from './applications-contract.ts';

export interface SopaApplicationsClientOptions {
  /** partners.yaml's id of the SOPA partner, for messages. */
  partnerId: string;
  /** The whole URL of the service, `{sopaBase}/api/open-applications` (partners.yaml `endpoint`). */
  endpoint: string;
  /** The bearer token SOPA issued to the hub (partners.yaml `notify.token`). */
  token: string | undefined;
  /** Deadline of one call. @defaultValue twice SOPA's documented answer time */
  timeoutMs?: number;
  /** Connections kept open per SOPA host. @defaultValue 8 */
  maxSockets?: number;
}

export interface SopaApplicationsQuery {
  /** Why the hub asks (e.g. the portal request it answers); 1–500 characters. */
  purpose: string;
  /** @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface SopaApplicationsClient {
  /** The open applications of one person in this SOPA's municipality. */
  openApplications(personCode: string, q: SopaApplicationsQuery): Promise<SopaApplicationsAnswer>;
  close(): void;
}

export function createSopaApplicationsClient(o: SopaApplicationsClientOptions): SopaApplicationsClient {
  const agents = new SchemeAgents(o.maxSockets ?? 8);
  const who = `${o.partnerId} (SOPA)`;
  const details = { connector: 'sopa', partnerId: o.partnerId, operation: 'open-applications' };
  const notConfigured = (field: string, what: string): ConnectorError => new ConnectorError('HUB_ERR_PARTNER_NOT_CONFIGURED',
    `${o.partnerId}: partners.yaml gives no usable ${field}; it must hold ${what}`, { retryable: false, httpStatus: 503, details: { ...details, field } });

  return {
    async openApplications(personCode, q) {
      if (!o.token) throw notConfigured('notify.token', 'the bearer token SOPA issued to the hub');
      let url: URL;
      try { url = new URL(o.endpoint); } catch { throw notConfigured('endpoint', `the full URL of SOPA's open applications, {sopaBase}${SOPA_APPLICATIONS_PATH}`); }
      const agent = agents.for(o.endpoint);
      if (!agent) throw notConfigured('endpoint', `an http(s) URL, {sopaBase}${SOPA_APPLICATIONS_PATH}`);
      const request: SopaApplicationsRequest = { requestId: q.requestId ?? randomUUID(), personCode: normalizePersonCode(personCode) ?? personCode, purpose: q.purpose };
      // A question SOPA would refuse is the hub's own fault: said here, before the person's code leaves.
      const invalid = requestProblem(request);
      if (invalid) throw new ConnectorError('HUB_ERR_PARTNER_FAULT', `the hub's request to ${who} breaks sopa-applications.md: ${invalid.message}`, { retryable: false, httpStatus: 502, details: { ...details, field: invalid.field } });
      const timeoutMs = q.timeoutMs ?? o.timeoutMs ?? 2 * SOPA_ANSWER_MS;
      const where = `${url.origin}${url.pathname}`;
      const res = await postHttp(url, JSON.stringify(request), {
        headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
        timeoutMs, agent, details: { ...details, url: where },
        limit: { bytes: MAX_ANSWER_BYTES, over: 'refuse' },
        messages: {
          timeout: `${who} did not answer within ${timeoutMs} ms`,
          unreachable: (errno) => `${who} cannot be reached at ${where} (${errno}); check that it is up and that partners.yaml gives ${o.partnerId} the right endpoint`,
          tooLarge: `${who} answered with more than ${MAX_ANSWER_BYTES} bytes, which is not one person's open applications`,
        },
      });
      return read(res, request.requestId, who, { ...details, requestId: request.requestId, status: res.status });
    },
    close() { agents.destroy(); },
  };
}

/** SOPA's answer by sopa-applications.md: 200 the applications, 429 and 5xx try later, 4xx a refusal. */
function read(res: HttpAnswer, requestId: string, who: string, details: Record<string, unknown>): SopaApplicationsAnswer {
  if (res.status === 429 || res.status >= 500) {
    const retryAfter = Number(res.headers['retry-after']);
    throw new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE', `${who} answered HTTP ${res.status}: it asks to try again later`,
      { retryable: true, httpStatus: 503, details: { ...details, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) } });
  }
  if (res.status >= 400) {
    const fix = res.status === 401 || res.status === 403
      ? 'SOPA does not accept the hub\'s bearer token: put the token SOPA issued into notify.token of the partner in partners.yaml'
      : res.status === 404 || res.status === 405
        ? `the partner's endpoint in partners.yaml must be {sopaBase}${SOPA_APPLICATIONS_PATH}`
        : 'the request breaks sopa-applications.md as SOPA reads it; report it with the requestId';
    throw new ConnectorError('HUB_ERR_PARTNER_FAULT', `${who} refused the request with HTTP ${res.status} (${errorCodeOf(res.body)}). ${fix}`,
      { retryable: false, httpStatus: 502, details });
  }
  const unexpected = (why: string, field?: string): ConnectorError => new ConnectorError('HUB_ERR_PARTNER_RESPONSE',
    `${who} answered in a way sopa-applications.md does not allow: ${why}`, { retryable: false, httpStatus: 502, details: { ...details, ...(field !== undefined ? { field } : {}) } });
  if (res.status !== 200) throw unexpected(`HTTP ${res.status}, not 200`);
  if (!/^application\/json\b/i.test(String(res.headers['content-type'] ?? ''))) throw unexpected(`content type ${String(res.headers['content-type'] ?? '(none)')}, not application/json`);
  let body: unknown;
  try { body = JSON.parse(res.body); } catch { throw unexpected('the body is not JSON'); }
  const problem = answerProblem(body, requestId);
  if (problem) throw unexpected(problem.message, problem.field);
  const answer = body as SopaApplicationsAnswer;
  return { requestId, municipality: answer.municipality, applications: answer.applications.map((a: OpenApplication) => canonicalApplication(a)) };
}

/**
 * SOPA's error code from its JSON error, or the status alone. Only the code: SOPA's message may
 * quote the request, and ConnectorError messages reach logs.
 */
function errorCodeOf(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown } }).error;
    if (typeof e?.code === 'string' && /^[A-Z_]{1,40}$/.test(e.code)) return e.code;
  } catch { /* not JSON */ }
  return 'no error code';
}

/** The `call:` component a route names: one per SOPA partner, its endpoint and token from partners.yaml. */
export const sopaOpenApplications: CallSpec = defineCall({
  name: 'sopa/open-applications', status: 'beta', partner: 'sopa',
  summary: 'A person\'s applications a municipality\'s SOPA has registered and not yet decided (sopa-applications.md): JSON POST {requestId, personCode, purpose} with SOPA\'s bearer token, answered {municipality, applications}.',
  create(_options, ctx): Call {
    const client = createSopaApplicationsClient({ partnerId: ctx.target.partnerId, endpoint: ctx.target.endpoint, token: ctx.target.token });
    return {
      async call(req, { timeoutMs }) {
        const a = await client.openApplications(req.personCode, { purpose: req.purpose, requestId: req.requestId, timeoutMs });
        return { municipality: a.municipality, applications: a.applications };
      },
      async close() { client.close(); },
    };
  },
});
