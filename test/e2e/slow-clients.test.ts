/**
 * Issue 15 (HTTP): a client that sends its headers or its body a byte at a time is cut off near its
 * deadline with 408, instead of holding a connection for as long as it likes; a client that is
 * merely slow but within the deadline is served. The deadlines here are short (a test hub); the
 * defaults are engine/http/server.ts HTTP_TIMEOUTS.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';

/** Writes `parts` with `gapMs` between them; resolves with what the server answered before closing. */
function dribble(url: string, parts: string[], gapMs: number, waitMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => { clearTimeout(timer); socket.destroy(); resolve(answer); };
    socket.on('data', (d) => { answer += String(d); });
    socket.on('close', done);
    socket.on('error', done);
    let i = 0;
    const next = (): void => {
      if (socket.destroyed) return;
      if (i < parts.length) { socket.write(parts[i++]); timer = setTimeout(next, gapMs); } else timer = setTimeout(done, waitMs);
    };
    socket.on('connect', next);
  });
}

describe('slow clients are cut off (HTTP timeouts)', function () {
  this.timeout(30_000);
  let t: TestHub;
  before(async () => { t = await startTestHub({ httpTimeouts: { headersMs: 1_000, requestMs: 2_000, idleMs: 1_000 } }); });
  after(async () => { await t?.stop(); });

  it('answers 408 and closes when the headers never end (slow loris)', async () => {
    const parts = ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: ${i}\r\n`)];
    const answer = await dribble(t.url, parts, 300, 1_000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes when the body is dribbled past the request deadline', async () => {
    const head = `PUT /api/v1/loads/x/batches/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS['sopa-riga']}\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n`;
    const answer = await dribble(t.url, [head, ...Array.from({ length: 30 }, () => '<x/>')], 200, 1_000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('bounds every JSON body by its route: 413 naming the limit, before reading it', async () => {
    const big = JSON.stringify({ source: 'sopa', municipality: '0001000', period: '2026-10', pad: 'x'.repeat(20_000) });
    const res = await fetch(`${t.url}/api/v1/loads`, { method: 'POST', headers: { authorization: `Bearer ${KEYS['sopa-riga']}`, 'content-type': 'application/json' }, body: big });
    const body = await res.json() as { error: { code: string; message: string } };
    assert.deepEqual([res.status, body.error.code], [413, 'HUB_ERR_BODY_TOO_LARGE']);
    assert.match(body.error.message, /POST \/api\/v1\/loads is at most 16384 bytes/);
    const copart = await fetch(`${t.url}/api/v1/coparticipation`, { method: 'POST', headers: { authorization: `Bearer ${KEYS['sopa-riga']}`, 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    assert.equal(copart.status, 413);
  });

  it('serves a slow client that finishes within the deadline', async () => {
    const answer = await dribble(t.url, ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', 'Connection: close\r\n', '\r\n'], 150, 500);
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });
});
