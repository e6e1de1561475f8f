/**
 * Runs the examples of route files (`tests:`, schemas/route.schema.json) through the route's own
 * steps, with the real components, but without the store and without partners:
 * - a bulk load: the batch through the format's acceptance check (what a PUT runs) and the
 *   record-level steps (prepareBatch, what a worker runs), stopping before the batch-level `to:`;
 * - a SOAP push: the request payload through the endpoint's reader, and the deliver step's plan;
 * - a query or a pull: the route's call or pull component against a loopback stand-in for the
 *   partner that answers with the fixture, signed as the partner signs (with a key made for the
 *   run), so the component's signature check, fault mapping and reading all run as in production.
 * Each broken expectation becomes one line `file:line: tests[i] "name": what`, pointing at the
 * expectation itself, with what came out instead.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../components/registry.ts';
import { SoapRequestError, type PullSpec, type RejectedRecord, type SoapEndpointSpec } from '../components/specs.ts';
import type { HubConfig, RecordExpectation, RouteDef, RouteTest } from '../config/types.ts';
import { isHubError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { createSigningIdentity, type SigningIdentity } from '../soap/signing.ts';
import { SOAP11_NS, signSoapBody, type CanonicalXml } from '../soap/ws-security.ts';
import { soapFault } from '../soap/exchange.ts';
import { parseXmlTree, childElement, childElements, type XElement } from '../xml/tree.ts';
import { excC14n } from '../xml/c14n.ts';
import { naturalKey, type Decision, type MessageType } from '../../schemas/canonical/model.ts';
import { prepareBatch, splitSteps } from './pipeline.ts';
import { planDeliveries } from './deliveries.ts';

export interface RouteTestResult {
  routeId: string;
  /** The route file, as the loader names it. */
  file: string;
  /** The test's place in the route's `tests:`. */
  index: number;
  name: string;
  line: number;
  /** One line per broken expectation, `file:line: tests[i] "name": what`; empty when the test passed. */
  failures: string[];
  ms: number;
}

/** A route test as a list names it, before it runs. */
export interface RouteTestCase {
  route: RouteDef;
  index: number;
  test: RouteTest;
}

/** What a route made of a test's input. */
interface Outcome {
  error?: { code: string; message: string; status?: number };
  records?: { index: number; key?: string; value: Record<string, unknown> }[];
  rejected?: RejectedRecord[];
  answer?: Record<string, unknown>;
  deliveries?: { index: number; partnerId?: string; component: string; undeliverable?: string }[];
  nextCursor?: string | null;
}

type Where = string;
type Failure = [where: Where, what: string];

/** The natural key of a pulled or pushed item (classifiers.md), by its message type. */
const ITEM_KEY: Partial<Record<MessageType, string>> = {
  'vdeavk.opinion': 'opinionId', 'burvis.profile': 'personCode', 'pmlp.change': 'changeId', 'burvis.coparticipation': 'id',
};

const DEFAULT_REQUESTER = '0001000';
const CALL_TIMEOUT_MS = 10_000;

/** Every test of every route (or of one route), in file order. */
export function routeTestCases(config: HubConfig, routeId?: string): RouteTestCase[] {
  return config.routes
    .filter((r) => routeId === undefined || r.id === routeId)
    .flatMap((route) => route.tests.map((test, index) => ({ route, index, test })));
}

/**
 * Runs route tests one at a time. Holds the loopback partner and the run's signing key, made on
 * first need: call close() when done.
 */
export class RouteTestRunner {
  private partner?: Promise<ReplayPartner>;
  private readonly logger: Logger;
  private seq = 0;

  constructor(private readonly config: HubConfig, private readonly registry: Registry, opts: { logger?: Logger } = {}) {
    this.logger = opts.logger ?? createLogger({ level: 'silent' });
  }

  async run(c: RouteTestCase): Promise<RouteTestResult> {
    const started = performance.now();
    const { route, index, test } = c;
    const say = (where: Where, what: string): string => `${route.file}:${test.lines[where] ?? test.line}: tests[${index}] "${test.name}": ${what}`;
    let failures: string[];
    try {
      const out = await this.outcome(route, test);
      failures = compare(test, out).map(([where, what]) => say(where, what));
    } catch (e) {
      // The test itself could not run (an unreadable fixture, a bug): that is a failure too, said plainly.
      failures = [say('input', (e as Error).message)];
    }
    return { routeId: route.id, file: route.file, index, name: test.name, line: test.line, failures, ms: Math.round(performance.now() - started) };
  }

  async runAll(routeId?: string): Promise<RouteTestResult[]> {
    const out: RouteTestResult[] = [];
    for (const c of routeTestCases(this.config, routeId)) out.push(await this.run(c));
    return out;
  }

  async close(): Promise<void> {
    const p = this.partner;
    this.partner = undefined;
    if (p) await (await p).close();
  }

  private input(test: RouteTest): Buffer {
    if (test.input.text !== undefined) return Buffer.from(test.input.text, 'utf8');
    const file = path.resolve(this.config.dir, test.input.file!);
    try { return readFileSync(file); } catch (e) { throw new Error(`cannot read the fixture ${file} (${(e as NodeJS.ErrnoException).code ?? e})`); }
  }

  private async outcome(route: RouteDef, test: RouteTest): Promise<Outcome> {
    const from = route.from;
    if ('bulkLoad' in from) return this.bulk(route, from.bulkLoad.source, test);
    if ('soap' in from) return this.push(route, from.soap, test);
    if ('query' in from) return this.query(route, test);
    if ('schedule' in from) return this.pull(route, from.schedule, test);
    throw new Error(`route ${route.id} is started by http, which has no offline test`);
  }

  private bulk(route: RouteDef, source: string, test: RouteTest): Outcome {
    const format = this.registry.formatFor(source)!;
    const body = this.input(test);
    const contentType = test.input.contentType ?? format.contentTypes[0];
    return caught(() => {
      // What the PUT checks before it answers 202, then what a worker runs: the same functions.
      const { header } = format.inspect(body, contentType);
      const load = { loadId: `route-test-${route.id}`, source: source as Decision['source'], municipality: header.municipality, period: header.period, createdAt: test.input.createdAt ?? header.created };
      const prepared = prepareBatch(this.registry, {
        routeId: route.id, source, recordSteps: splitSteps(route).record, batchSteps: [], load, batchSeq: 1, receivedAt: load.createdAt, body, contentType,
      });
      return {
        records: (prepared.accepted ?? []).map((a) => ({ index: a.index, key: naturalKey(a.record), value: a.record as unknown as Record<string, unknown> })),
        rejected: prepared.rejected,
      };
    });
  }

  private push(route: RouteDef, soap: { service: string; operation: string }, test: RouteTest): Outcome {
    const spec = this.registry.names('soapEndpoint').map((n) => this.registry.get('soapEndpoint', n)!).find((s) => s.service === soap.service && s.operation === soap.operation)!;
    const payload = payloadOf(readXml(this.input(test).toString('utf8')));
    // The endpoint's own check of the Body (engine/http/soap-api.ts), before the connector reads it.
    const expected = `${spec.operation}Request`;
    if (payload.uri !== spec.namespace || payload.local !== expected) {
      return { error: { code: 'INVALID_REQUEST', message: `the Body must hold {${spec.namespace}}${expected}; it holds {${payload.uri}}${payload.local}` } };
    }
    let items: unknown[];
    try {
      items = (spec as SoapEndpointSpec).read(payload).items;
    } catch (e) {
      if (e instanceof SoapRequestError) return { error: { code: e.errorCode, message: e.message } };
      throw e;
    }
    return this.items(route, spec.produces, items);
  }

  private async query(route: RouteDef, test: RouteTest): Promise<Outcome> {
    const step = route.steps.find((s): s is Extract<typeof s, { call: string }> => 'call' in s)!;
    const spec = this.registry.get('call', step.call)!;
    const partner = await this.replay();
    partner.reply = replyOf(test, partner.identity, () => this.input(test).toString('utf8'));
    const call = spec.create(step.options ?? {}, { target: partner.target(spec.partner), identity: partner.identity, logger: this.logger });
    const req = test.input.request!;
    try {
      const answer = await call.call({
        personCode: req.personCode, purpose: req.purpose, periodFrom: req.periodFrom, periodTo: req.periodTo,
        requesterId: req.requesterId ?? DEFAULT_REQUESTER, requestId: `route-test-${++this.seq}`,
      }, { timeoutMs: CALL_TIMEOUT_MS });
      return { answer };
    } catch (e) {
      if (isHubError(e)) return { error: { code: e.code, message: e.message, status: e.httpStatus } };
      throw e;
    } finally {
      await call.close();
    }
  }

  private async pull(route: RouteDef, schedule: { pull: string; pageSize?: number; since?: string }, test: RouteTest): Promise<Outcome> {
    const spec = this.registry.get('pull', schedule.pull)! as PullSpec;
    const partner = await this.replay();
    partner.reply = replyOf(test, partner.identity, () => this.input(test).toString('utf8'));
    const pull = spec.create({}, { target: partner.target(spec.partner), identity: partner.identity, logger: this.logger });
    try {
      const page = await pull.page({ since: schedule.since ?? '2026-01-01T00:00:00.000Z', pageSize: schedule.pageSize ?? 500, requestId: `route-test-${++this.seq}` }, { timeoutMs: CALL_TIMEOUT_MS });
      return { ...this.items(route, spec.produces, page.items), nextCursor: page.nextCursor ?? null };
    } catch (e) {
      if (isHubError(e)) return { error: { code: e.code, message: e.message, status: e.httpStatus } };
      throw e;
    } finally {
      await pull.close();
    }
  }

  /** Items of a push or a page, and where the route's deliver step would send each (its `to:` sink is the store: not run). */
  private items(route: RouteDef, type: MessageType, items: unknown[]): Outcome {
    const keyField = ITEM_KEY[type];
    const records = items.map((it, index) => {
      const value = it as Record<string, unknown>;
      return { index, key: keyField && typeof value[keyField] === 'string' ? value[keyField] as string : undefined, value };
    });
    const planned = planDeliveries({ registry: this.registry, partners: this.config.partners }, route, items);
    const deliveries = planned.map((d, index) => ({ index, partnerId: d.partnerId, component: d.component, undeliverable: d.status === 'undeliverable' ? d.error ?? 'no receiver' : undefined }));
    return { records, deliveries };
  }

  private replay(): Promise<ReplayPartner> {
    this.partner ??= startReplayPartner();
    return this.partner;
  }
}

/** Runs the tests of every route in `config` (or of one), and stops what it started. */
export async function runRouteTests(config: HubConfig, registry: Registry, opts: { route?: string } = {}): Promise<RouteTestResult[]> {
  const runner = new RouteTestRunner(config, registry);
  try { return await runner.runAll(opts.route); } finally { await runner.close(); }
}

function caught(f: () => Outcome): Outcome {
  try { return f(); } catch (e) {
    if (isHubError(e)) return { error: { code: e.code, message: e.message, status: e.httpStatus } };
    throw e;
  }
}

function readXml(text: string): XElement {
  try { return parseXmlTree(text); } catch (e) { throw new Error(`the fixture is not XML the hub reads: ${(e as Error).message}`); }
}

/** A fixture may be the payload itself or a whole captured envelope: the Body's element either way. */
function payloadOf(root: XElement): XElement {
  if (root.uri !== SOAP11_NS || root.local !== 'Envelope') return root;
  const body = childElement(root, SOAP11_NS, 'Body');
  const first = body && childElements(body)[0];
  if (!first) throw new Error('the fixture is a SOAP envelope with nothing in its Body');
  return first;
}

// ---- the loopback partner --------------------------------------------------------------------

interface Reply { status: number; contentType: string; body: string }

interface ReplayPartner {
  identity: SigningIdentity;
  reply?: Reply;
  target(system: string): { partnerId: string; endpoint: string; certPem: string };
  close(): Promise<void>;
}

/**
 * The partner's answer to a test: the fixture (payload or captured envelope, re-signed) or a fault,
 * signed with the run's key. Every partner a query or pull route calls today speaks signed SOAP.
 */
function replyOf(test: RouteTest, identity: SigningIdentity, fixture: () => string): Reply {
  if (test.input.fault) {
    const f = test.input.fault;
    const fault = soapFault('urn:spolis-hub:route-test', { faultcode: f.faultcode ?? (f.errorCode === 'UNAVAILABLE' ? 'Server' : 'Client'), faultstring: f.message ?? f.errorCode, errorCode: f.errorCode });
    return { status: 500, contentType: 'text/xml; charset=utf-8', body: signSoapBody(fault, identity) };
  }
  const payload = payloadOf(readXml(fixture()));
  const isFault = payload.uri === SOAP11_NS && payload.local === 'Fault';
  return { status: isFault ? 500 : 200, contentType: 'text/xml; charset=utf-8', body: signSoapBody(excC14n(payload) as CanonicalXml, identity) };
}

async function startReplayPartner(): Promise<ReplayPartner> {
  const identity = await createSigningIdentity('route-test-partner');
  const p: ReplayPartner = {
    identity,
    target: (system) => ({ partnerId: `${system}-route-test`, endpoint: `http://127.0.0.1:${port}/`, certPem: identity.certPem }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const r = p.reply ?? { status: 500, contentType: 'text/plain', body: 'no reply set' };
      res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return p;
}

// ---- comparing -------------------------------------------------------------------------------

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`);

/** Where `actual` differs from `expected`: every given field when partial, and no others when exact. */
function diff(expected: unknown, actual: unknown, at: string, partial: boolean): string[] {
  const here = at || '(record)';
  if (expected === null && actual === undefined) return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${here}: expected a list, got ${show(actual)}`];
    if (expected.length !== actual.length) return [`${here}: expected ${expected.length} item(s), got ${actual.length}: ${show(actual)}`];
    return expected.flatMap((e, i) => diff(e, actual[i], `${at}[${i}]`, partial));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${here}: expected a mapping, got ${show(actual)}`];
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const [k, v] of Object.entries(expected)) {
      const p = at ? `${at}.${k}` : k;
      if (!(k in a) && v !== null) out.push(`${p}: expected ${show(v)}, there is no ${k}`);
      else out.push(...diff(v, a[k], p, partial));
    }
    if (!partial) for (const k of Object.keys(a)) if (!(k in expected)) out.push(`${at ? `${at}.${k}` : k}: not expected, got ${show(a[k])}`);
    return out;
  }
  if (expected === actual) return [];
  // YAML reads 89.40 as the number 89.4 and 2026-10 as a string: say so when only the type differs.
  const sameNumber = typeof expected === 'number' && typeof actual === 'string' && actual.trim() !== '' && Number(actual) === expected;
  if (sameNumber || (typeof actual !== typeof expected && actual !== undefined && actual !== null && String(actual) === String(expected))) {
    const fix = typeof actual === 'string' ? `quote it: "${actual}"` : `write it without quotes: ${String(actual)}`;
    return [`${here}: expected ${show(expected)} (${typeName(expected)}), got ${show(actual)} (${typeName(actual)}); in YAML ${fix}`];
  }
  return [`${here}: expected ${show(expected)}, got ${show(actual)}`];
}

const errorText = (r: RejectedRecord): string => r.errors.map((e) => `${e.code}:${e.field} (${e.message})`).join(', ');

function compare(test: RouteTest, out: Outcome): Failure[] {
  const x = test.expect;
  const f: Failure[] = [];
  if (out.error) {
    if (!x.error) return [['input', `the input was refused as a whole: ${out.error.code}: ${out.error.message}`]];
    if (out.error.code !== x.error.code) f.push(['expect.error.code', `expected error ${x.error.code}, got ${out.error.code}: ${out.error.message}`]);
    if (x.error.message && !out.error.message.includes(x.error.message)) f.push(['expect.error.message', `expected the error message to contain ${show(x.error.message)}, got ${show(out.error.message)}`]);
    if (x.error.status !== undefined && out.error.status !== x.error.status) f.push(['expect.error.status', `expected HTTP status ${x.error.status}, got ${out.error.status ?? 'none'}`]);
    return f;
  }
  if (x.error) {
    const what = out.answer ? `an answer: ${show(out.answer)}` : `${out.records?.length ?? 0} record(s)${out.rejected ? `, ${out.rejected.length} rejected` : ''}`;
    return [['expect.error', `expected error ${x.error.code}, got none: ${what}`]];
  }
  const records = out.records ?? [];
  const rejected = out.rejected ?? [];
  if (x.accepted !== undefined && records.length !== x.accepted) {
    const why = rejected.length ? `; rejected: ${rejected.map((r) => `index ${r.index} ${errorText(r)}`).join('; ')}` : '';
    f.push(['expect.accepted', `expected ${x.accepted} record(s) accepted, got ${records.length}${why}`]);
  }
  if (x.rejected !== undefined && rejected.length !== x.rejected) {
    f.push(['expect.rejected', `expected ${x.rejected} record(s) rejected, got ${rejected.length}${rejected.length ? `: ${rejected.map((r) => `index ${r.index} ${errorText(r)}`).join('; ')}` : ''}`]);
  }
  (x.records ?? []).forEach((e, j) => f.push(...matchRecord(e, records, rejected).map((what): Failure => [`expect.records[${j}]`, what])));
  if (x.rejections) f.push(...matchRejections(x.rejections, rejected));
  (x.deliveries ?? []).forEach((e, j) => {
    const where = `expect.deliveries[${j}]`;
    const picked = records.filter((r) => (e.key === undefined || r.key === e.key) && (e.index === undefined || r.index === e.index));
    if (!picked.length) { f.push([where, `no item ${e.key !== undefined ? `with key ${e.key}` : `at index ${e.index}`}; items: ${records.map((r) => r.key ?? r.index).join(', ') || 'none'}`]); return; }
    for (const r of picked) {
      const d = out.deliveries?.[r.index];
      const name = `item ${r.index}${r.key ? ` (${r.key})` : ''}`;
      const said = d?.undeliverable ? `is undeliverable: ${d.undeliverable}` : `goes to ${d?.partnerId ?? 'no partner'} by ${d?.component}`;
      if (e.undeliverable === true && !d?.undeliverable) f.push([where, `expected ${name} to be undeliverable; it ${said}`]);
      if (e.undeliverable === false && d?.undeliverable) f.push([where, `expected ${name} to be delivered; it ${said}`]);
      if (e.partner !== undefined && (d?.undeliverable || d?.partnerId !== e.partner)) f.push([where, `expected ${name} to go to ${e.partner}; it ${said}`]);
      if (e.component !== undefined && d?.component !== e.component) f.push([where, `expected ${name} to be sent by ${e.component}; it ${said}`]);
    }
  });
  if (x.answer) {
    const a = x.answer;
    f.push(...diff(a.equals ?? a.fields, out.answer, '', a.equals === undefined).map((what): Failure => [`expect.answer.${a.equals ? 'equals' : 'fields'}`, `answer ${what}`]));
  }
  if (x.nextCursor !== undefined && (out.nextCursor ?? null) !== x.nextCursor) {
    f.push(['expect.nextCursor', `expected nextCursor ${show(x.nextCursor)}, got ${show(out.nextCursor ?? null)}`]);
  }
  return f;
}

function matchRecord(e: RecordExpectation, records: NonNullable<Outcome['records']>, rejected: RejectedRecord[]): string[] {
  const partial = e.equals === undefined;
  const want = e.equals ?? e.fields ?? {};
  const label = e.key !== undefined ? `record ${e.key}` : e.index !== undefined ? `the record at index ${e.index}` : 'a record';
  let picked = records.filter((r) => (e.key === undefined || r.key === e.key) && (e.index === undefined || r.index === e.index));
  if (!picked.length) {
    const rej = rejected.find((r) => (e.key === undefined || r.naturalKey === e.key) && (e.index === undefined || r.index === e.index));
    if (rej && (e.key !== undefined || e.index !== undefined)) return [`expected ${label}, but it was rejected: ${errorText(rej)}`];
    if (e.key !== undefined || e.index !== undefined) {
      const have = records.slice(0, 8).map((r) => r.key ?? `index ${r.index}`).join(', ');
      return [`expected ${label}, got none; records: ${have || 'none'}${records.length > 8 ? ', …' : ''}`];
    }
    picked = records;
  }
  // Several candidates (picked by fields only): any one that matches will do; otherwise the nearest is shown.
  let best: string[] | undefined;
  for (const r of picked) {
    const d = diff(want, r.value, '', partial);
    if (d.length === 0) return [];
    if (!best || d.length < best.length) best = d.map((s) => `${s}${e.key === undefined && e.index === undefined ? ` (nearest: index ${r.index})` : ''}`);
  }
  return best ? best.map((s) => `${label}: ${s}`) : [`expected ${label}, got no records`];
}

function matchRejections(expected: NonNullable<RouteTest['expect']['rejections']>, rejected: RejectedRecord[]): Failure[] {
  const f: Failure[] = [];
  const actual = rejected.flatMap((r) => r.errors.map((e) => ({ index: r.index, key: r.naturalKey, code: e.code as string, field: e.field, message: e.message, used: false })));
  expected.forEach((e, j) => {
    const where = `expect.rejections[${j}]`;
    const hit = actual.find((a) => !a.used && a.index === e.index && a.code === e.code && (e.field === undefined || a.field === e.field));
    if (!hit) {
      const there = actual.filter((a) => a.index === e.index);
      const got = there.length ? there.map((a) => `${a.code}:${a.field} (${a.message})`).join(', ') : 'none';
      f.push([where, `expected rejection ${e.code}${e.field ? `:${e.field}` : ''} at index ${e.index}, got ${got}`]);
      return;
    }
    hit.used = true;
    if (e.key !== undefined && hit.key !== e.key) f.push([where, `expected the rejected record at index ${e.index} to have key ${e.key}, got ${hit.key ?? 'none (it could not be read)'}`]);
  });
  for (const a of actual.filter((x) => !x.used)) {
    f.push(['expect.rejections', `unexpected rejection ${a.code}:${a.field} at index ${a.index} (${a.message}); list it under rejections, or fix the input`]);
  }
  return f;
}
