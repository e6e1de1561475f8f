/**
 * Issue 15: the access matrix, generated from the bundled route files and the partners, not
 * written by hand: every partner (and no key, and a key nobody holds) × every endpoint a route
 * opens, the expected answer computed from the route's `access` list (deny by default; a load only
 * for the partner's own municipality; the Ministry's reports for system `lm` only), the actual
 * answer asked of a running hub. A route added tomorrow joins the matrix by existing.
 */
import assert from 'node:assert/strict';
import { KEYS, TEST_PARTNERS } from '../helpers/hub.ts';
import { partnerMatches } from '../../engine/http/auth.ts';
import type { PartnerDef, RouteDef } from '../../engine/config/types.ts';
import { startWorld, type AgencyWorld } from './fixture.ts';

type Who = { id: string; key: string | null; partner?: PartnerDef };
type Verdict = 'allowed' | 'forbidden' | 'unauthenticated';

interface Cell { endpoint: string; who: string; expected: Verdict; actual: Verdict; status: number }

const verdict = (status: number): Verdict => (status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'allowed');

describe('the access matrix, generated from routes and partners', function () {
  this.timeout(120_000);
  let w: AgencyWorld;
  before(async () => { w = await startWorld(); });
  after(async () => { await w?.stop(); });

  const whos = (): Who[] => [
    ...TEST_PARTNERS.map((p) => ({ id: p.id, key: KEYS[p.id as keyof typeof KEYS], partner: p })),
    { id: '(no key)', key: null },
    { id: '(unknown key)', key: 'key-nobody-holds-000000000000000000000' },
  ];
  const expect = (who: Who, allowed: (p: PartnerDef) => boolean): Verdict =>
    (!who.partner ? 'unauthenticated' : allowed(who.partner) ? 'allowed' : 'forbidden');
  const may = (route: RouteDef, p: PartnerDef): boolean => route.access.partners.some((a) => partnerMatches(a, p.id));

  async function ask(method: string, path: string, key: string | null, body?: unknown): Promise<number> {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${w.hub.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  }

  it('answers every partner on every endpoint as the route files say, and nobody else', async () => {
    const cells: Cell[] = [];
    const routes = w.hub.hub.config.routes;
    for (const route of routes) {
      for (const who of whos()) {
        if ('query' in route.from) {
          const service = route.from.query.service;
          const status = await ask('POST', `/api/v1/query/${service}`, who.key, { personCode: '161175-19997', purpose: 'Piekļuves pārbaude' });
          cells.push({ endpoint: `POST /api/v1/query/${service}`, who: who.id, expected: expect(who, (p) => may(route, p)), actual: verdict(status), status });
        } else if ('bulkLoad' in route.from) {
          const source = route.from.bulkLoad.source;
          // A partner loads for its own municipality; one without (the Ministry) asks for Rīga.
          const municipality = who.partner?.municipality ?? '0001000';
          const status = await ask('POST', '/api/v1/loads', who.key, { source, municipality, period: '2026-10' });
          cells.push({ endpoint: `POST /api/v1/loads (${source})`, who: who.id, expected: expect(who, (p) => may(route, p) && p.system === source && !!p.municipality), actual: verdict(status), status });
        } else if ('http' in route.from && !route.id.startsWith('portal-')) {
          // The portal's e-services decide per operation and caller kind: each has its own
          // matrix of every operation × caller kind in test/eservices/<e-service>.test.ts.
          const status = await ask('POST', route.from.http.path, who.key, { id: `ACCESS-${who.id}`, personCode: '161175-19997', agreedOn: '2026-11-02', duties: ['REGISTER_WITH_NVA'] });
          cells.push({ endpoint: `POST ${route.from.http.path}`, who: who.id, expected: expect(who, (p) => may(route, p)), actual: verdict(status), status });
        }
      }
    }
    for (const report of ['statistics', 'checks']) {
      for (const who of whos()) {
        const status = await ask('GET', `/api/v1/spolis/${report}?period=2026-10`, who.key);
        cells.push({ endpoint: `GET /api/v1/spolis/${report}`, who: who.id, expected: expect(who, (p) => p.system === 'lm'), actual: verdict(status), status });
      }
    }

    const endpoints = new Set(cells.map((c) => c.endpoint));
    assert.ok(endpoints.size >= 13, `the matrix covers ${endpoints.size} endpoints: ${[...endpoints].join(', ')}`);
    assert.ok(cells.some((c) => c.expected === 'allowed') && cells.some((c) => c.expected === 'forbidden'), 'both verdicts occur');
    const wrong = cells.filter((c) => c.expected !== c.actual).map((c) => `${c.endpoint} × ${c.who}: expected ${c.expected}, got ${c.status}`);
    assert.deepEqual(wrong, []);
  });

  it('refuses every SOAP endpoint to a bearer key: agencies are known by their signature only', async () => {
    for (const route of w.hub.hub.config.routes.filter((r) => 'soap' in r.from)) {
      const service = (route.from as { soap: { service: string } }).soap.service;
      const res = await fetch(`${w.hub.url}/soap/${service}`, {
        method: 'POST', headers: { authorization: `Bearer ${KEYS['sopa-riga']}`, 'content-type': 'text/xml; charset=utf-8' },
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x/></soap:Body></soap:Envelope>',
      });
      const text = await res.text();
      assert.equal(res.status, 500, `${service}: ${text.slice(0, 200)}`);
      assert.match(text, /SIGNATURE_INVALID/);
    }
  });
});
