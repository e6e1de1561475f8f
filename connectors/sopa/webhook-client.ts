/**
 * One JSON POST to a webhook with a hard deadline, over the caller's keep-alive agent. The JSON
 * counterpart of the engine's postSoap: it resolves with any HTTP answer and rejects only when no
 * answer came, with the retryable ConnectorErrors the outbox retries (HUB_ERR_PARTNER_TIMEOUT,
 * HUB_ERR_PARTNER_UNAVAILABLE), so the caller maps statuses and nothing else.
 */
import http from 'node:http';
import https from 'node:https';
import { ConnectorError } from '../../engine/index.ts';

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
  /** At most MAX_BODY characters: the body only ever serves an error message. */
  body: string;
}

const MAX_BODY = 64 * 1024;

export function postJson(url: URL, json: string, opts: WebhookPostOptions): Promise<WebhookResponse> {
  const client = url.protocol === 'https:' ? https : http;
  const where = `${url.origin}${url.pathname}`;
  const details = { connector: opts.connector, partnerId: opts.receiver, url: where };
  const headers = {
    ...opts.headers, 'content-type': 'application/json; charset=utf-8', accept: 'application/json', 'content-length': String(Buffer.byteLength(json)),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest;
    const fail = (e: Error): void => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } };
    // A deadline for the whole exchange, not a socket idle timer: a receiver that trickles bytes still times out.
    const timer = setTimeout(() => {
      fail(new ConnectorError('HUB_ERR_PARTNER_TIMEOUT',
        `${opts.receiver} did not answer POST ${where} within ${opts.timeoutMs} ms; the delivery is retried, and the receiver recognises the repeat by its id`,
        { retryable: true, httpStatus: 504, details }));
      req.destroy();
    }, opts.timeoutMs);
    const send = (agent: http.Agent | false | undefined): void => {
      req = client.request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Keep reading past the cap so the socket stays reusable; only the start serves a message.
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) });
        });
        res.on('error', (e) => fail(unreachable(opts.receiver, where, e, details)));
      });
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        // A kept-alive socket the receiver closed meanwhile fails before a byte is answered; that
        // request never arrived, so it goes once more on a fresh connection.
        if (agent !== false && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') && !settled) send(false);
        else fail(unreachable(opts.receiver, where, e, details));
      });
      req.end(json);
    };
    send(opts.agent);
  });
}

function unreachable(receiver: string, where: string, e: Error, details: Record<string, unknown>): ConnectorError {
  const errno = (e as NodeJS.ErrnoException).code ?? 'network error';
  return new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE',
    `${receiver} cannot be reached at ${where} (${errno}); the delivery is retried. If this lasts, check that the receiver is up and that partners.yaml gives ${receiver} the right notify.endpoint`,
    { retryable: true, httpStatus: 503, cause: e, details: { ...details, errno } });
}
