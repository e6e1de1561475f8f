import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postHttp, type HttpPostOptions } from '../../engine/soap/http-post.ts';

/** postHttp: the one POST under postSoap and the SOPA webhook client. */
describe('postHttp', () => {
  let server: http.Server;
  let url: URL;
  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000));
        else if (req.url === '/slow') setTimeout(() => res.end('late'), 500);
        else res.writeHead(202).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const opts = (o: Partial<HttpPostOptions> = {}): HttpPostOptions => ({
    headers: { 'content-type': 'text/plain' }, timeoutMs: 2000, details: { connector: 'test' }, limit: { bytes: 1000, over: 'refuse' },
    messages: { timeout: 'no answer in time', unreachable: (errno) => `unreachable (${errno})`, tooLarge: 'too large' }, ...o,
  });

  it('resolves with any HTTP answer', async () => {
    const r = await postHttp(new URL('/ok', url), 'hello', opts());
    assert.deepEqual([r.status, r.body], [202, 'ok']);
  });

  it('refuses an answer over the limit (502, not retryable), or cuts it to the limit', async () => {
    await assert.rejects(postHttp(new URL('/big', url), '', opts()), { code: 'HUB_ERR_PARTNER_RESPONSE', message: 'too large', httpStatus: 502, retryable: false });
    const cut = await postHttp(new URL('/big', url), '', opts({ limit: { bytes: 1000, over: 'cut' } }));
    assert.deepEqual([cut.status, cut.body.length], [200, 1000]);
  });

  it('times out (504, retryable) for the whole exchange, and says who could not be reached (503)', async () => {
    await assert.rejects(postHttp(new URL('/slow', url), '', opts({ timeoutMs: 100 })), { code: 'HUB_ERR_PARTNER_TIMEOUT', httpStatus: 504, retryable: true });
    await assert.rejects(postHttp(new URL('http://127.0.0.1:1/'), '', opts()), (e: Error & { code?: string; httpStatus?: number }) =>
      e.code === 'HUB_ERR_PARTNER_UNAVAILABLE' && e.httpStatus === 503 && /unreachable \(ECONNREFUSED\)/.test(e.message));
  });
});
