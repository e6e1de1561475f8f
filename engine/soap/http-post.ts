/**
 * One HTTP POST to a partner with a hard deadline, over the caller's keep-alive agent: what
 * postSoap (agencies) and the webhook client (SOPA) send through. It resolves with any HTTP answer
 * and rejects only when no answer came, with the retryable ConnectorErrors callers and queues
 * retry: HUB_ERR_PARTNER_TIMEOUT (504) and HUB_ERR_PARTNER_UNAVAILABLE (503).
 */
import http from 'node:http';
import https from 'node:https';
import { ConnectorError } from '../core/errors.ts';

export interface HttpPostOptions {
  headers: http.OutgoingHttpHeaders;
  timeoutMs: number;
  agent?: http.Agent;
  /** The ConnectorErrors' details (connector, partner, url…). */
  details: Record<string, unknown>;
  /** An answer longer than `bytes`: refused (502), or read to its end and cut (only its start is used). */
  limit: { bytes: number; over: 'refuse' | 'cut' };
  /** What the errors say, in the caller's words. */
  messages: { timeout: string; unreachable(errno: string): string; tooLarge?: string };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function postHttp(url: URL, body: string, o: HttpPostOptions): Promise<HttpAnswer> {
  const client = url.protocol === 'https:' ? https : http;
  const headers = { ...o.headers, 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest;
    const fail = (e: Error): void => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } };
    const unreachable = (e: Error): ConnectorError => {
      const errno = (e as NodeJS.ErrnoException).code ?? 'network error';
      return new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE', o.messages.unreachable(errno), { retryable: true, httpStatus: 503, cause: e, details: { ...o.details, errno } });
    };
    // A deadline for the whole exchange, not a socket idle timer: a partner that trickles bytes still times out.
    const timer = setTimeout(() => {
      fail(new ConnectorError('HUB_ERR_PARTNER_TIMEOUT', o.messages.timeout, { retryable: true, httpStatus: 504, details: o.details }));
      req.destroy();
    }, o.timeoutMs);
    const send = (agent: http.Agent | false | undefined): void => {
      req = client.request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= o.limit.bytes) chunks.push(c);
          else if (o.limit.over === 'refuse') {
            req.destroy();
            fail(new ConnectorError('HUB_ERR_PARTNER_RESPONSE', o.messages.tooLarge ?? `the answer is over ${o.limit.bytes} bytes`, { retryable: false, httpStatus: 502, details: o.details }));
          } else if (size - c.length < o.limit.bytes) chunks.push(c.subarray(0, o.limit.bytes - (size - c.length)));
          // 'cut': reading goes on past the limit so that the socket stays reusable.
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => fail(unreachable(e)));
      });
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        // A kept-alive socket the partner closed meanwhile fails before a byte is answered; that
        // request never reached the partner, so it goes once more on a fresh connection.
        if (agent !== false && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') && !settled) send(false);
        else fail(unreachable(e));
      });
      req.end(body);
    };
    send(o.agent);
  });
}
