/**
 * The push client's retries, against a hub scripted at the HTTP level with nock: a flapping proxy,
 * a rate limit and a reset connection in one exchange, answers a real hub does not give on demand.
 * nock intercepts only inside this suite (it is restored at import), so the other suites' real
 * HTTP is untouched.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { HubApiError, HubClient } from '../../client/hub-client.ts';

nock.restore();

const HUB = 'http://hub.example.invalid';
const PATH = '/api/v1/loads/L-1/batches/3';
const BODY = Buffer.from('<Eksports/>');
const FAST = { attempts: 5, baseMs: 1, maxMs: 5 };

describe('load push client (client/hub-client.ts) against a scripted hub (nock)', () => {
  before(() => { nock.activate(); nock.disableNetConnect(); });
  afterEach(() => nock.cleanAll());
  after(() => { nock.enableNetConnect(); nock.restore(); });

  const hub = () => nock(HUB, { reqheaders: { authorization: 'Bearer key-1', 'content-type': 'application/xml' } });
  const sameBody = (b: string) => b === BODY.toString();

  it('retries a 503, a 429 and a reset connection, then returns the hub\'s answer; each try sends the same batch', async () => {
    const scope = hub()
      .put(PATH, sameBody).reply(503, { error: { code: 'HUB_ERR_UNAVAILABLE', message: 'store restarting' } })
      .put(PATH, sameBody).reply(429, { error: { code: 'HUB_ERR_RATE_LIMITED', message: 'slow down' } })
      .put(PATH, sameBody).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .put(PATH, sameBody).reply(202, { stored: true });
    const retries: string[] = [];
    const client = new HubClient(HUB, 'key-1', { retry: FAST, onRetry: (what, problem) => retries.push(`${what}: ${problem}`) });
    const reply = await client.call<{ stored: boolean }>('PUT', PATH, { body: BODY, contentType: 'application/xml' });
    assert.deepEqual(reply, { status: 202, body: { stored: true } });
    assert.deepEqual(retries.slice(0, 2), [
      `PUT ${PATH}: 503 HUB_ERR_UNAVAILABLE store restarting`,
      `PUT ${PATH}: 429 HUB_ERR_RATE_LIMITED slow down`,
    ]);
    // fetch reports the reset by the socket's code or its message, whichever the stack fills in.
    assert.match(retries[2], /^PUT \/api\/v1\/loads\/L-1\/batches\/3: network error: (ECONNRESET|socket hang up)$/);
    assert.equal(retries.length, 3);
    assert.ok(scope.isDone(), `not asked: ${scope.pendingMocks().join(', ')}`);
  });

  it('takes a 4xx other than 429 as final: thrown at once with the hub\'s code and message, never retried', async () => {
    const scope = hub()
      .put(PATH, sameBody).reply(409, { error: { code: 'HUB_ERR_BATCH_CONFLICT', message: 'batch 3 holds another body' } })
      .put(PATH, sameBody).reply(202, { stored: true });
    const client = new HubClient(HUB, 'key-1', { retry: FAST });
    await assert.rejects(client.call('PUT', PATH, { body: BODY, contentType: 'application/xml' }), (e: unknown) => {
      assert.ok(e instanceof HubApiError);
      assert.equal(e.status, 409);
      assert.equal(e.code, 'HUB_ERR_BATCH_CONFLICT');
      assert.match(e.message, /batch 3 holds another body/);
      return true;
    });
    assert.equal(scope.pendingMocks().length, 1, 'the second answer was never asked for');
  });

  it('gives up after its tries and says so, with the proxy\'s own words when the answer is not JSON', async () => {
    const scope = hub().put(PATH, sameBody).times(3).reply(502, 'Bad Gateway');
    const client = new HubClient(HUB, 'key-1', { retry: { ...FAST, attempts: 3 } });
    await assert.rejects(client.call('PUT', PATH, { body: BODY, contentType: 'application/xml' }), (e: unknown) => {
      assert.ok(e instanceof HubApiError);
      assert.equal(e.status, 502);
      assert.equal(e.code, 'HTTP_502');
      assert.equal(e.message, `PUT ${PATH}: 502 Bad Gateway (gave up after 3 tries)`);
      return true;
    });
    assert.ok(scope.isDone());
  });
});
