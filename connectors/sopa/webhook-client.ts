/**
 * One JSON POST to a webhook with a hard deadline, over the caller's keep-alive agent (the
 * engine's postHttp, as postSoap): it resolves with any HTTP answer and rejects only when no
 * answer came, with the retryable ConnectorErrors the outbox retries (HUB_ERR_PARTNER_TIMEOUT,
 * HUB_ERR_PARTNER_UNAVAILABLE), so the caller maps statuses and nothing else.
 */
import type http from 'node:http';
import { postHttp } from '../../engine/index.ts';

export interface WebhookPostOptions {
  timeoutMs: number;
  agent?: http.Agent;
  /** Sent besides content-type, accept and content-length (e.g. authorization). */
  headers: Record<string, string>;
  /** The receiver's partners.yaml id, for messages and details. */
  receiver: string;
  /** The connector, for details (`sopa`). */
  connector: string;
}

export interface WebhookResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** At most MAX_BODY bytes of it: the body only ever serves an error message. */
  body: string;
}

const MAX_BODY = 64 * 1024;

export async function postJson(url: URL, json: string, opts: WebhookPostOptions): Promise<WebhookResponse> {
  const where = `${url.origin}${url.pathname}`;
  return postHttp(url, json, {
    headers: { ...opts.headers, 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
    timeoutMs: opts.timeoutMs, agent: opts.agent, details: { connector: opts.connector, partnerId: opts.receiver, url: where },
    limit: { bytes: MAX_BODY, over: 'cut' },
    messages: {
      timeout: `${opts.receiver} did not answer POST ${where} within ${opts.timeoutMs} ms; the delivery is retried, and the receiver recognises the repeat by its id`,
      unreachable: (errno) => `${opts.receiver} cannot be reached at ${where} (${errno}); the delivery is retried. If this lasts, check that the receiver is up and that partners.yaml gives ${opts.receiver} the right notify.endpoint`,
    },
  });
}
