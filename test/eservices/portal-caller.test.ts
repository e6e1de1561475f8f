/**
 * The portal's assertion (docs/partners/portal.md): the key proves the channel, the assertion the
 * person, bound to one method, path and body. Every way of bending it is refused with a code and
 * a message the portal's developer can act on.
 */
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { CompactSign, importPKCS8 } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { PortalCallers, assertCaller } from '../../eservices/common/portal-caller.ts';
import { readJsonRequest, readCaller } from '../../eservices/common/request.ts';
import { PartnerAuth, hashKey } from '../../engine/http/auth.ts';
import { HubError } from '../../engine/core/errors.ts';
import { createSigningIdentity, type SigningIdentity } from '../../engine/soap/signing.ts';
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { KEYS, TEST_PARTNERS, ESERVICE_KEYS, testSigningIdentity } from '../helpers/hub.ts';

const PERSON = '32345678901';

describe('e-services: who is asking (the portal assertion)', function () {
  this.timeout(60_000);
  let app: FastifyInstance;
  let url: string;
  let portal: PortalSimulator;
  let stranger: SigningIdentity;

  before(async () => {
    [portal, stranger] = await Promise.all([startPortalSimulator({ identity: await testSigningIdentity() }), createSigningIdentity('not the portal')]);
    const partners = [
      ...TEST_PARTNERS,
      { id: 'portal', system: 'portal', keyHashes: [hashKey(ESERVICE_KEYS.portal)], certificate: portal.certPem },
      { id: 'vsac', system: 'vsac', keyHashes: [hashKey(ESERVICE_KEYS.vsac)] },
    ];
    const callers = new PortalCallers({ auth: new PartnerAuth(partners), configDir: '.' });
    app = Fastify();
    app.setErrorHandler((e, _req, reply) => {
      const h = e as HubError;
      void reply.code(h.httpStatus ?? 500).send({ error: { code: h.code, message: h.message, ...(h.details?.field ? { field: h.details.field } : {}) } });
    });
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    app.get('/who', async (req) => {
      const c = await readCaller(req, callers);
      return { kind: c.kind, ...('personCode' in c ? { personCode: c.personCode } : {}), ...('regNo' in c ? { regNo: c.regNo } : {}) };
    });
    app.post('/echo', async (req) => {
      const { caller, body } = await readJsonRequest(req, callers, 'HUB_ERR_TEST_INVALID');
      assertCaller(caller, ['person'], 'echo');
      return { personCode: caller.personCode, requestId: caller.requestId, body };
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => { await app.close(); });

  const send = async (init: { method?: string; path?: string; key?: string; assertion?: string; body?: string }) => {
    const res = await fetch(url + (init.path ?? '/who'), {
      method: init.method ?? 'GET',
      headers: {
        ...(init.key !== '' ? { authorization: `Bearer ${init.key ?? ESERVICE_KEYS.portal}` } : {}),
        ...(init.assertion ? { 'portal-assertion': init.assertion } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return { status: res.status, body: await res.json() as { kind?: string; personCode?: string; regNo?: string; requestId?: string; error?: { code: string; message: string; field?: string } } };
  };

  it('a person through the portal is the assertion\'s sub, hyphen or not; a provider\'s representative carries the provider', async () => {
    const p = await portal.call(url, ESERVICE_KEYS.portal, { personCode: '323456-78901' }, 'GET', '/who');
    assert.deepEqual(p.body, { kind: 'person', personCode: PERSON });
    const r = await portal.call(url, ESERVICE_KEYS.portal, { personCode: PERSON, org: '40003000001' }, 'GET', '/who');
    assert.deepEqual(r.body, { kind: 'provider', personCode: PERSON, regNo: '40003000001' });
  });

  it('other partners are what partners.yaml says: a municipality, VSAC, the Ministry', async () => {
    assert.equal((await send({ key: KEYS['sopa-riga'] })).body.kind, 'municipality');
    assert.equal((await send({ key: ESERVICE_KEYS.vsac })).body.kind, 'institution');
    assert.equal((await send({ key: KEYS['lm-analytics'] })).body.kind, 'ministry');
  });

  it('the body the assertion signed is the body read; the jti is the request id', async () => {
    const r = await portal.call(url, ESERVICE_KEYS.portal, { personCode: PERSON }, 'POST', '/echo', { text: 'Sveiki, ā č ē' }, { jti: 'request-000001' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { personCode: PERSON, requestId: 'request-000001', body: { text: 'Sveiki, ā č ē' } });
  });

  it('no key is 401; the portal\'s key without an assertion reads no one (401 naming the header)', async () => {
    assert.equal((await send({ key: '' })).body.error?.code, 'HUB_ERR_AUTH_MISSING');
    const r = await send({});
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'HUB_ERR_ASSERTION_MISSING');
    assert.equal(r.body.error?.field, 'Portal-Assertion');
  });

  it('an assertion bent in any way is 401 HUB_ERR_ASSERTION_INVALID with the reason', async () => {
    const body = JSON.stringify({ text: 'a' });
    const cases: [string, () => Promise<{ status: number; body: { error?: { code: string; message: string } } }>, RegExp][] = [
      ['another body', async () => send({ method: 'POST', path: '/echo', body: JSON.stringify({ text: 'b' }), assertion: await portal.assertion({ personCode: PERSON }, 'POST', '/echo', body) }), /bdy/],
      ['a body where none was signed', async () => send({ method: 'POST', path: '/echo', body, assertion: await portal.assertion({ personCode: PERSON }, 'POST', '/echo') }), /bdy/],
      ['another path', async () => send({ assertion: await portal.assertion({ personCode: PERSON }, 'GET', '/who?x=1') }), /made for \/who\?x=1/],
      ['another method', async () => send({ assertion: await portal.assertion({ personCode: PERSON }, 'POST', '/who') }), /made for POST/],
      ['expired', async () => send({ assertion: await portal.assertion({ personCode: PERSON }, 'GET', '/who', undefined, { iat: Math.floor(Date.now() / 1000) - 600, lifetimeS: 120 }) }), /expired/],
      ['issued in the future', async () => send({ assertion: await portal.assertion({ personCode: PERSON }, 'GET', '/who', undefined, { iat: Math.floor(Date.now() / 1000) + 600 }) }), /future/],
      ['living too long', async () => send({ assertion: await portal.assertion({ personCode: PERSON }, 'GET', '/who', undefined, { lifetimeS: 3600 }) }), /longer than 5m/],
      ['not a person code', async () => send({ assertion: await portal.assertion({ personCode: '12345' }, 'GET', '/who') }), /sub/],
      ['a provider code that is not a registration code', async () => send({ assertion: await portal.assertion({ personCode: PERSON, org: '12345678901' }, 'GET', '/who') }), /org/],
      ['signed by someone else', async () => {
        const key = await importPKCS8(createPrivateKey(stranger.keyPem).export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
        const now = Math.floor(Date.now() / 1000);
        const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: 'latvija.lv', aud: 'spolis-hub', sub: PERSON, act: 'person', iat: now, exp: now + 60, jti: 'forged-000001', htm: 'GET', htu: '/who' })))
          .setProtectedHeader({ alg: 'RS256' }).sign(key);
        return send({ assertion: jws });
      }, /does not verify/],
      ['unsigned (alg none)', async () => {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return send({ assertion: `${b64({ alg: 'none' })}.${b64({ sub: PERSON, act: 'person', aud: 'spolis-hub', iat: now, exp: now + 60, jti: 'unsigned-00001', htm: 'GET', htu: '/who' })}.` });
      }, /RS256/],
      ['not a JWS', async () => send({ assertion: 'hello' }), /compact JWS/],
    ];
    for (const [name, run, why] of cases) {
      const r = await run();
      assert.equal(r.status, 401, name);
      assert.equal(r.body.error?.code, 'HUB_ERR_ASSERTION_INVALID', name);
      assert.match(r.body.error!.message, why, name);
    }
  });

  it('an operation denies the callers it does not name (403 saying who may not do what)', async () => {
    const r = await send({ method: 'POST', path: '/echo', key: KEYS['sopa-riga'], body: '{}' });
    assert.equal(r.status, 403);
    assert.equal(r.body.error?.code, 'HUB_ERR_ACCESS_DENIED');
    assert.match(r.body.error!.message, /sopa-riga may not echo/);
  });
});
