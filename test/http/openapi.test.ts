/**
 * The published contract (issue 14): `GET /openapi.json` of a running hub is a valid OpenAPI 3.1
 * document by an outside validator, it covers every JSON route the hub registered, and what the
 * hub really sends (and accepts) validates against it, so the document cannot drift from the hub.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { KEYS, ESERVICE_KEYS, STAFF_KEYS, eservicePartners, startTestHub, testSigningIdentity, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad } from '../helpers/api.ts';
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { startEAddressSimulator, type EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import type { VsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import { POLICIES, PURPOSE, PERIOD, startSim, vsaaPartner } from '../query/fixture.ts';
import { makePersonCode } from '../../engine/validation/person-code.ts';
import { buildOpenApi, registeredRoutes, openApiPath, type RouteContract, type RouteRecord } from '../../engine/http/openapi.ts';

const addFormats = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);

/**
 * Registered, and not part of the JSON API, each for its reason. Everything else a hub registers
 * must be in the document.
 */
const NOT_JSON_API: { method: string | RegExp; url: RegExp; why: string }[] = [
  { method: 'GET', url: /^\/$/, why: 'the operators\' console page (HTML)' },
  { method: 'GET', url: /^\/console\//, why: 'the console\'s static assets' },
  { method: /^(GET|POST)$/, url: /^\/soap\//, why: 'SOAP endpoints and their WSDLs: the WSDLs are their contract' },
  { method: 'GET', url: /^\/xsd\//, why: 'the XSDs the WSDLs import' },
  {
    method: /^(POST|PUT|PATCH|DELETE)$/, url: /^\/api\/v1\/persons\/me\/(applications|decision-notices)$/,
    why: 'read-only e-services: these methods exist only to answer 405 with Allow: GET',
  },
];

const excluded = (r: RouteRecord): boolean =>
  NOT_JSON_API.some((x) => (typeof x.method === 'string' ? x.method === r.method : x.method.test(r.method)) && x.url.test(r.url));

/** The HTTP app of a running test hub: the generation running now (app/hub.ts). */
function appOf(t: TestHub): FastifyInstance {
  const app = t.hub.app;
  assert.ok(app, 'the test hub has no HTTP app to read the registered routes of');
  return app;
}

type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, any> };

describe('the published contract: GET /openapi.json', function () {
  this.timeout(120_000);
  let t: TestHub;
  let portal: PortalSimulator;
  let eaddress: EAddressSimulator;
  let sim: VsaaSimulator;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  /** Every answer checked, as "METHOD /path status": the test says what it covered. */
  const checked = new Set<string>();

  before(async () => {
    const identity = await testSigningIdentity();
    [portal, eaddress, sim] = await Promise.all([startPortalSimulator({ identity }), startEAddressSimulator(), startSim({ requesters: ['0001000'] })]);
    t = await startTestHub({
      partners: eservicePartners({ portalCertPem: portal.certPem, eaddress: { endpoint: eaddress.url, token: eaddress.token }, extra: [vsaaPartner(sim.url, sim.certPem, POLICIES)] }),
    });
    const r = await fetch(`${t.url}/openapi.json`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    doc = await r.json() as Doc;
  });
  after(async () => {
    await t?.stop();
    await eaddress?.close();
    await sim?.close();
  });

  /** The operation `method path` (a fastify path, `:id`) of the document. */
  function operation(method: string, path: string): any {
    const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is not in the document`);
    return op;
  }

  /** The schema of `status` / `contentType` of an operation's answers. */
  function responseSchema(method: string, path: string, status: number, contentType: string): unknown {
    let r = operation(method, path).responses[String(status)];
    assert.ok(r, `${method} ${path} answered ${status}, which its contract does not list`);
    if (r.$ref) r = doc.components.responses[r.$ref.split('/').pop()];
    const media = r.content?.[contentType];
    assert.ok(media, `${method} ${path} ${status} answered ${contentType}, which its contract does not list (${Object.keys(r.content ?? {}).join(', ') || 'no body'})`);
    return media.schema;
  }

  function validator(key: string, schema: unknown): ValidateFunction {
    let v = compiled.get(key);
    if (!v) compiled.set(key, v = ajv.compile({ ...(schema as object), components: doc.components }));
    return v;
  }

  /** Asserts that an answer the hub sent is what the document says `method path` answers. */
  function conforms(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
    const type = (contentType ?? '').split(';')[0].trim();
    const schema = responseSchema(method, path, status, type);
    checked.add(`${method} ${path} ${status}`);
    if (!schema || type !== 'application/json') return;
    const v = validator(`${method} ${path} ${status} ${type}`, schema);
    assert.ok(v(body), `${method} ${path} ${status}: the answer does not match the document: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
  }

  /** Asserts that a body the hub accepted is what the document says `method path` takes. */
  function accepts(method: string, path: string, body: unknown): void {
    const rb = operation(method, path).requestBody;
    assert.ok(rb, `${method} ${path} took a body, and its contract describes none`);
    const v = validator(`request ${method} ${path}`, rb.content['application/json'].schema);
    assert.ok(v(body), `${method} ${path}: a body the hub accepted does not match the document: ${ajv.errorsText(v.errors)}`);
  }

  /** A request through fetch, its answer checked against the document. */
  async function send(method: string, template: string, path: string, o: { key?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    if (o.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(t.url + path, { method, headers, ...(o.json !== undefined ? { body: JSON.stringify(o.json) } : {}) });
    const text = await res.text();
    const type = res.headers.get('content-type');
    const body = type?.startsWith('application/json') ? JSON.parse(text) : text;
    conforms(method, template, res.status, type, body);
    if (res.status < 300 && o.json !== undefined) accepts(method, template, o.json);
    return { status: res.status, body };
  }

  /** The same through the portal simulator, as a person (or a provider's representative). */
  async function viaPortal(method: string, template: string, path: string, actor: { personCode: string; org?: string }, json?: unknown): Promise<{ status: number; body: any }> {
    const r = await portal.call<any>(t.url, ESERVICE_KEYS.portal, actor, method, path, json);
    const type = typeof r.body === 'string' ? 'text/plain' : 'application/json';
    conforms(method, template, r.status, type, r.body);
    if (r.status < 300 && json !== undefined) accepts(method, template, json);
    return r;
  }

  it('passes the outside validator as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc) as unknown as Parameters<Validator["validate"]>[0]);
    assert.equal(validator.version, '3.1');
    assert.ok(res.valid, JSON.stringify(res.errors, null, 1)?.slice(0, 3000));
  });

  it('documents every JSON route the running hub registered, and nothing it did not', () => {
    const routes = registeredRoutes(appOf(t));
    const undocumented = routes.filter((r) => !r.contract && !excluded(r)).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(undocumented, [], 'routes without a contract (config.contract, see engine/http/openapi.ts)');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const served = routes.filter((r) => r.contract).map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
    assert.deepEqual(documented, served);
    // The surfaces the issue names are all there, not merely whatever happened to register.
    for (const p of ['/api/v1/loads', '/api/v1/loads/{id}/batches/{seq}', '/api/v1/loads/{id}/rejections', '/api/v1/query/{service}', '/api/v1/spolis/statistics',
      '/api/v1/spolis/checks', '/api/v1/coparticipation', '/api/v1/providers', '/api/v1/persons/me/applications', '/api/v1/persons/me/decision-notices',
      '/api/v1/persons/me/queue-positions', '/api/v1/service-queues', '/api/v1/complaints', '/api/v1/state-reports/{year}',
      '/api/v1/spolis/state-report-findings', '/health', '/ready', '/metrics', '/openapi.json']) {
      assert.ok(doc.paths[p], `${p} is not documented`);
    }
    for (const x of NOT_JSON_API) assert.ok(x.why);
  });

  it('publishes the schemas the hub validates with: co-participation is the canonical schema ajv checks', () => {
    const body = operation('POST', '/api/v1/coparticipation').requestBody.content['application/json'].schema;
    const canonical = JSON.parse(readFileSync(new URL('../../schemas/canonical/coparticipation.schema.json', import.meta.url), 'utf8'));
    const published = doc.components.schemas[body.$ref.split('/').pop()];
    const { $schema: _s, $id: _i, ...rest } = canonical;
    assert.deepEqual(published, rest);
    for (const k of ['canonical.decision', 'canonical.benefit', 'canonical.household-status', 'canonical.service-decision', 'canonical.assistant-month']) {
      assert.ok(doc.components.schemas[k], `${k} is not in components`);
    }
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['auditorKey', 'operatorKey', 'partnerKey', 'portalAssertion']);
    assert.equal(doc.components.securitySchemes.portalAssertion.name, 'Portal-Assertion');
    assert.deepEqual(operation('GET', '/api/v1/persons/me/applications').security, [{ partnerKey: [], portalAssertion: [] }]);
    assert.deepEqual(operation('GET', '/openapi.json').security, [{}]);
  });

  it('a load, its status and its rejections answer as documented', async () => {
    const key = KEYS['sopa-riga'];
    const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
    const batch = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
    const created = await send('POST', '/api/v1/loads', '/api/v1/loads', { key, json: RIGA });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    // The batch goes through the helper (XML body); its answer is checked here.
    const put = await call(t.url, 'PUT', `/api/v1/loads/${id}/batches/1`, { key, body: batch });
    conforms('PUT', '/api/v1/loads/:id/batches/:seq', put.status, 'application/json', put.body);
    await send('GET', '/api/v1/loads/:id', `/api/v1/loads/${id}`, { key });
    assert.equal((await send('POST', '/api/v1/loads/:id/commit', `/api/v1/loads/${id}/commit`, { key, json: { batches: 1 } })).status, 202);
    for (;;) {
      const s = await send('GET', '/api/v1/loads/:id', `/api/v1/loads/${id}`, { key });
      if (s.body.status === 'done' || s.body.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const loads = await call(t.url, 'GET', `/api/v1/loads/${id}`, { key });
    const rej = await send('GET', '/api/v1/loads/:id/rejections', `/api/v1/loads/${id}/rejections?limit=5`, { key });
    assert.equal(rej.status, 200);
    assert.equal(rej.body.total, loads.body.records.rejected);
    const receipt = await fetch(`${t.url}/api/v1/loads/${id}/receipt`, { headers: { authorization: `Bearer ${key}` } });
    conforms('GET', '/api/v1/loads/:id/receipt', receipt.status, receipt.headers.get('content-type'), await receipt.text());
    const cert = await fetch(`${t.url}/api/v1/certificate`);
    conforms('GET', '/api/v1/certificate', cert.status, cert.headers.get('content-type'), await cert.text());
  });

  it('a load with rejected records lists them as documented', async () => {
    const key = KEYS['sopa-riga'];
    const xml = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8').replaceAll('2026-10', '2026-08');
    // A personal code that cannot be one: the record is rejected, the load still finishes.
    const broken = xml.replace('<PersonasKods>05091515731</PersonasKods>', '<PersonasKods>05091515730</PersonasKods>');
    assert.notEqual(broken, xml, 'the fixture has the personal code to break');
    const load = await pushLoad(t.url, key, { source: 'sopa', municipality: '0001000', period: '2026-08' }, [broken]);
    assert.ok(load.records.rejected > 0, JSON.stringify(load.records));
    const rej = await send('GET', '/api/v1/loads/:id/rejections', `/api/v1/loads/${load.id}/rejections`, { key });
    assert.ok(rej.body.items.length > 0);
  });

  it('errors answer in the documented error shape', async () => {
    assert.equal((await send('GET', '/api/v1/loads/:id', '/api/v1/loads/00000000-0000-0000-0000-000000000000', {})).status, 401);
    assert.equal((await send('GET', '/api/v1/loads/:id', '/api/v1/loads/00000000-0000-0000-0000-000000000000', { key: KEYS['sopa-riga'] })).status, 404);
    assert.equal((await send('POST', '/api/v1/loads', '/api/v1/loads', { key: KEYS['sopa-riga'], json: { source: 'sopa', municipality: '0001000', period: '2026-13' } })).status, 400);
    assert.equal((await send('GET', '/api/v1/spolis/statistics', '/api/v1/spolis/statistics?period=2026-10', { key: KEYS['sopa-riga'] })).status, 403);
    assert.equal((await send('POST', '/api/v1/query/:service', '/api/v1/query/vsaa-ep50', { key: KEYS['sopa-riga'], json: { personCode: '1', purpose: PURPOSE } })).status, 400);
    assert.equal((await send('POST', '/api/v1/query/:service', '/api/v1/query/nonesuch', { key: KEYS['sopa-riga'], json: {} })).status, 404);
  });

  it('health, readiness, a query and the Ministry\'s reports answer as documented', async () => {
    await send('GET', '/health', '/health');
    await send('GET', '/ready', '/ready');
    const metrics = await fetch(`${t.url}/metrics`);
    conforms('GET', '/metrics', metrics.status, metrics.headers.get('content-type'), await metrics.text());
    const q = await send('POST', '/api/v1/query/:service', '/api/v1/query/vsaa-ep50', { key: KEYS['sopa-riga'], json: { personCode: sim.data.samples.full, purpose: PURPOSE, ...PERIOD } });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    for (const kind of ['statistics', 'checks']) {
      const r = await send('GET', `/api/v1/spolis/${kind}`, `/api/v1/spolis/${kind}?period=2026-10`, { key: KEYS['lm-analytics'] });
      assert.equal(r.status, 200);
      const csv = await fetch(`${t.url}/api/v1/spolis/${kind}?period=2026-10&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
      conforms('GET', `/api/v1/spolis/${kind}`, csv.status, csv.headers.get('content-type'), await csv.text());
    }
  });

  it('co-participation answers as documented', async () => {
    const body = { id: 'contract-test-1', personCode: makePersonCode({ year: 1980, month: 3, day: 4 }, 901), agreedOn: '2026-10-01', duties: ['REGISTER_WITH_NVA'] };
    const r = await send('POST', '/api/v1/coparticipation', '/api/v1/coparticipation', { key: KEYS['sopa-riga'], json: body });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await send('GET', '/api/v1/coparticipation/:id', `/api/v1/coparticipation/${body.id}`, { key: KEYS['sopa-riga'] })).status, 200);
    assert.equal((await send('POST', '/api/v1/coparticipation', '/api/v1/coparticipation', { key: KEYS['sopa-riga'], json: { ...body, duties: [] } })).status, 400);
  });

  it('the portal\'s e-services answer as documented', async () => {
    const person = { personCode: makePersonCode({ year: 1971, month: 5, day: 6 }, 902) };
    // A queue with the person in it, then their positions through the portal.
    const snapshot = { asOf: new Date().toISOString(), serviceType: 'HOME_CARE', name: 'Aprūpe mājās', entries: [{ personCode: person.personCode, position: 1, joinedOn: '2026-01-05' }] };
    assert.equal((await send('PUT', '/api/v1/service-queues/:queueId', '/api/v1/service-queues/contract-q', { key: KEYS['sopa-riga'], json: snapshot })).status, 201);
    await send('GET', '/api/v1/service-queues/:queueId', '/api/v1/service-queues/contract-q', { key: KEYS['sopa-riga'] });
    await send('GET', '/api/v1/service-queues', '/api/v1/service-queues', { key: KEYS['sopa-riga'] });
    await send('GET', '/api/v1/service-queues', '/api/v1/service-queues?summary', { key: KEYS['lm-analytics'] });
    const positions = await viaPortal('GET', '/api/v1/persons/me/queue-positions', '/api/v1/persons/me/queue-positions', person);
    assert.equal(positions.body.positions.length, 1);

    await viaPortal('GET', '/api/v1/persons/me/applications', '/api/v1/persons/me/applications', person);
    await viaPortal('GET', '/api/v1/persons/me/decision-notices', '/api/v1/persons/me/decision-notices', person);
    assert.equal((await viaPortal('GET', '/api/v1/persons/me/applications', '/api/v1/persons/me/applications?x=1', person)).status, 400);

    const complaint = { kind: 'COMPLAINT', topic: 'GMI', institution: '0001000', text: 'Pabalsts nav izmaksāts.', contact: { email: 'a@b.lv' } };
    const submitted = await viaPortal('POST', '/api/v1/complaints', '/api/v1/complaints', person, complaint);
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    await viaPortal('GET', '/api/v1/persons/me/complaints', '/api/v1/persons/me/complaints', person);
    await viaPortal('GET', '/api/v1/persons/me/complaints/:registrationNumber', `/api/v1/persons/me/complaints/${submitted.body.registrationNumber}`, person);

    const provider = { personCode: person.personCode, org: '40003000001' };
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Riga' });
    const application = { regNo: provider.org, name: 'SIA Aprūpe', services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'Rīga, Brīvības iela 1', atvk: '0001000' }] }], contact: { email: 'info@aprupe.lv' }, requestedStart: today };
    const applied = await viaPortal('POST', '/api/v1/providers/applications', '/api/v1/providers/applications', provider, application);
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    await viaPortal('GET', '/api/v1/providers/applications', '/api/v1/providers/applications', provider);
    await send('GET', '/api/v1/providers/applications/:id', `/api/v1/providers/applications/${applied.body.id}`, { key: KEYS['lm-analytics'] });
    const decided = await send('POST', '/api/v1/providers/applications/:id/decision', `/api/v1/providers/applications/${applied.body.id}/decision`, { key: KEYS['lm-analytics'], json: { decision: 'approve', validFrom: today } });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.equal((await send('GET', '/api/v1/providers', '/api/v1/providers?service=HOME_CARE')).status, 200);
    assert.equal((await send('GET', '/api/v1/providers/:regNo', `/api/v1/providers/${provider.org}`)).status, 200);

    const year = String(new Date().getFullYear() - 1);
    const report = await send('GET', '/api/v1/state-reports/:year', `/api/v1/state-reports/${year}`, { key: KEYS['sopa-riga'] });
    assert.equal(report.status, 200);
    await send('GET', '/api/v1/spolis/state-report-findings', `/api/v1/spolis/state-report-findings?year=${year}`, { key: KEYS['lm-analytics'] });
  });

  it('the operators\' and auditors\' APIs answer as documented', async () => {
    // Whatever of them this hub registered: each documented GET without parameters, with its role's key.
    const staff = Object.entries(doc.paths).filter(([p, ops]) => /^\/api\/v1\/(ops|audit)/.test(p) && !p.includes('{') && ops.get);
    assert.ok(staff.length > 0, 'no operators\' or auditors\' GET is documented');
    for (const [p, ops] of staff) {
      const key = JSON.stringify(ops.get.security).includes('auditorKey') ? STAFF_KEYS.auditor : STAFF_KEYS.operator;
      const r = await send('GET', p, p, { key });
      assert.ok(r.status < 300, `GET ${p} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal((await send('GET', p, p, { key: KEYS['sopa-riga'] })).status, 403, `GET ${p} with a partner's key`);
    }
  });

  after(() => {
    // What the answers above covered, for a reader of the test log.
    if (checked.size) console.log(`      (${checked.size} documented answers checked against real ones)`);
  });
});

describe('the document builder (engine/http/openapi.ts)', () => {
  const contract = (operationId: string, more: Partial<RouteContract> = {}): RouteContract =>
    ({ operationId, tag: 't', summary: 's', auth: ['partner'], responses: { 200: { description: 'ok', schema: { type: 'object' } } }, ...more });

  it('refuses two operations with one operationId, naming both routes', () => {
    assert.throws(() => buildOpenApi([{ method: 'GET', url: '/a', contract: contract('same') }, { method: 'GET', url: '/b', contract: contract('same') }], { title: 't', version: '1' }),
      /operationId same is declared by both GET \/a and GET \/b/);
  });

  it('refuses a path parameter the contract does not describe', () => {
    assert.throws(() => buildOpenApi([{ method: 'GET', url: '/x/:id', contract: contract('x') }], { title: 't', version: '1' }), /GET \/x\/:id declares no parameter id/);
  });

  it('moves a schema with an $id to components once and refers to it from every use', () => {
    const shared = { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'hub/thing', type: 'object', properties: { n: { type: 'integer' } } };
    const doc = buildOpenApi([
      { method: 'GET', url: '/a', contract: contract('a', { responses: { 200: { description: 'a', schema: shared } } }) },
      { method: 'POST', url: '/b', contract: contract('b', { body: { schema: { type: 'array', items: { $ref: 'hub/thing' } } } }) },
    ], { title: 't', version: '1' }) as any;
    assert.deepEqual(doc.components.schemas['hub.thing'], { type: 'object', properties: { n: { type: 'integer' } } });
    assert.deepEqual(doc.paths['/a'].get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/hub.thing' });
    assert.deepEqual(doc.paths['/b'].post.requestBody.content['application/json'].schema.items, { $ref: '#/components/schemas/hub.thing' });
  });
});
