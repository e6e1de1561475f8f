/**
 * Load-time checks of a route file's `tests:` block beyond its schema: that each example fits its
 * route's trigger (a query test has a request, only query and pull routes have a partner that
 * answers), that its fixture file exists, and that what it expects of a decision names fields the
 * canonical model has. A test that cannot run, or could never fail for the reason it claims, is a
 * config error naming file, line and field, like any other.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Registry } from '../components/registry.ts';
import { closest } from '../components/registry.ts';

type Seg = string | number;
type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What starts a route, as far as its tests are concerned. */
export type TestedKind = 'bulk' | 'query' | 'soap' | 'pull' | 'http';

const KIND_NAME: Record<TestedKind, string> = { bulk: 'bulk-load', query: 'query', soap: 'SOAP push', pull: 'scheduled pull', http: 'HTTP' };

/** The expectations each kind of route can meet offline. */
const EXPECTS: Record<Exclude<TestedKind, 'http'>, string[]> = {
  bulk: ['accepted', 'rejected', 'records', 'rejections', 'error'],
  query: ['answer', 'error'],
  soap: ['accepted', 'records', 'deliveries', 'error'],
  pull: ['accepted', 'records', 'deliveries', 'nextCursor', 'error'],
};

export function testedKind(from: unknown): TestedKind | undefined {
  if (!isObj(from)) return undefined;
  if ('bulkLoad' in from) return 'bulk';
  if ('query' in from) return 'query';
  if ('soap' in from) return 'soap';
  if ('schedule' in from) return 'pull';
  if ('http' in from) return 'http';
  return undefined;
}

// The four decision kinds' canonical schemas: an expectation may name only their fields.
let decisionSchemas: Map<string, Obj> | undefined;
function canonicalDecisions(): Map<string, Obj> {
  if (!decisionSchemas) {
    decisionSchemas = new Map();
    for (const kind of ['household-status', 'benefit', 'service-decision', 'assistant-month']) {
      decisionSchemas.set(kind, JSON.parse(readFileSync(new URL(`../../schemas/canonical/${kind}.schema.json`, import.meta.url), 'utf8')) as Obj);
    }
  }
  return decisionSchemas;
}

const propsOf = (schema: Obj | undefined): Record<string, Obj> => (isObj(schema?.properties) ? schema.properties as Record<string, Obj> : {});

/** Unknown field names of `value` under `schema` (nested mappings and list items too), as [path, message]. */
function unknownFields(value: unknown, schemas: Obj[], lacks: (field: string) => string, at: Seg[], out: [Seg[], string, boolean?][]): void {
  if (Array.isArray(value)) {
    const items = schemas.map((s) => s.items).filter(isObj);
    value.forEach((v, i) => unknownFields(v, items, lacks, [...at, i], out));
    return;
  }
  if (!isObj(value) || schemas.length === 0) return;
  const known = [...new Set(schemas.flatMap((s) => Object.keys(propsOf(s))))];
  if (known.length === 0) return;
  for (const [k, v] of Object.entries(value)) {
    const holders = schemas.filter((s) => k in propsOf(s));
    if (holders.length === 0) {
      const near = closest(k, known);
      out.push([[...at, k], `${lacks(k)}${near ? ` (did you mean "${near}"?)` : ''}; its fields: ${known.join(', ')}`]);
    } else unknownFields(v, holders.map((s) => propsOf(s)[k]), lacks, [...at, k], out);
  }
}

/** The field names an expectation of a decision may use: of its kind when it says which, else of any kind. */
function checkDecisionFields(value: Obj, at: Seg[], out: [Seg[], string, boolean?][]): void {
  const schemas = canonicalDecisions();
  const kind = value.kind;
  if (kind !== undefined && (typeof kind !== 'string' || !schemas.has(kind))) {
    out.push([[...at, 'kind'], `${JSON.stringify(kind)} is not a decision kind; valid: ${[...schemas.keys()].join(', ')}`]);
    return;
  }
  const chosen = typeof kind === 'string' ? [schemas.get(kind)!] : [...schemas.values()];
  const lacks = (k: string): string => (typeof kind === 'string' ? `a canonical ${kind} has no field "${k}"` : `no canonical decision has a field "${k}"`);
  unknownFields(value, chosen, lacks, at, out);
}

const exists = (file: string): 'file' | 'dir' | 'none' => {
  try { return statSync(file).isFile() ? 'file' : 'dir'; } catch { return 'none'; }
};

const deliverNames = (steps: unknown): string[] => (Array.isArray(steps) ? steps : []).flatMap((s) => {
  const d = isObj(s) ? s.deliver : undefined;
  return typeof d === 'string' ? [d] : Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : [];
});

/**
 * [path, message, at the key's line] for the `tests:` of route `r`, whose file is in `dir`. What a
 * test expects of partners.yaml (which partner receives a delivery) is checked when it runs, not
 * here: test and bench setups start the hub with partner lists of their own.
 */
export function testProblems(r: Obj, dir: string, registry: Registry): [Seg[], string, boolean?][] {
  const out: [Seg[], string, boolean?][] = [];
  if (!Array.isArray(r.tests) || r.tests.length === 0) return out;
  const kind = testedKind(r.from);
  if (!kind) return out;
  if (kind === 'http') {
    out.push([['tests'], 'a route started by http cannot be tested offline: its input is read by the hub\'s HTTP API, not by route steps (the API\'s own tests cover it); remove tests:', true]);
    return out;
  }
  const source = isObj(r.from) && isObj(r.from.bulkLoad) && typeof r.from.bulkLoad.source === 'string' ? r.from.bulkLoad.source : undefined;
  const format = source ? registry.formatFor(source) : undefined;
  const delivers = deliverNames(r.steps);
  const allowed = EXPECTS[kind].filter((k) => k !== 'deliveries' || delivers.length > 0);
  const names = new Map<string, number>();

  r.tests.forEach((t: unknown, i: number) => {
    if (!isObj(t)) return;
    const at = (...segs: Seg[]): Seg[] => ['tests', i, ...segs];
    if (typeof t.name === 'string') {
      const first = names.get(t.name);
      if (first !== undefined) out.push([at('name'), `"${t.name}" is already the name of tests[${first}]; names are unique within a route`]);
      else names.set(t.name, i);
    }

    const input = isObj(t.input) ? t.input : undefined;
    if (input) {
      const answers = kind === 'query' || kind === 'pull';
      const given = ['file', 'text', 'fault'].filter((k) => k in input);
      const valid = answers ? 'file, text or fault' : 'file or text';
      const what = { bulk: 'the batch', soap: 'the SOAP request', query: 'the partner\'s reply', pull: 'the partner\'s page' }[kind];
      if (given.length !== 1) out.push([at('input'), `needs exactly one of ${valid} (${what}); found ${given.join(', ') || 'none'}`]);
      if ('fault' in input && !answers) out.push([at('input', 'fault'), `only query and pull routes have a partner that answers; a ${KIND_NAME[kind]} test gives ${what} as file or text`]);
      if (typeof input.file === 'string') {
        const full = path.resolve(dir, input.file);
        const found = exists(full);
        if (found !== 'file') out.push([at('input', 'file'), `${found === 'dir' ? 'is a directory, not a file' : 'no such file'}: ${full} (fixture paths are relative to the routes directory, e.g. tests/${String(r.id)}/good.xml)`]);
      }
      for (const k of ['contentType', 'createdAt'] as const) {
        if (k in input && kind !== 'bulk') out.push([at('input', k), `only bulk-load tests have a ${k}; this is a ${KIND_NAME[kind]} route`]);
      }
      if (typeof input.contentType === 'string' && format && !format.contentTypes.includes(input.contentType.toLowerCase())) {
        out.push([at('input', 'contentType'), `"${input.contentType}" is not a content type of the ${source} format; valid: ${format.contentTypes.join(', ')}`]);
      }
      if (kind === 'query' && !('request' in input)) out.push([at('input', 'request'), 'required for a query route: the question asked, e.g. { personCode: "161175-19997", purpose: "case 17" }']);
      if (kind !== 'query' && 'request' in input) out.push([at('input', 'request'), `only query routes are asked a request; this is a ${KIND_NAME[kind]} route`]);
    }

    const expect = isObj(t.expect) ? t.expect : undefined;
    if (!expect) return;
    for (const k of Object.keys(expect)) {
      if (!allowed.includes(k) && EXPECTS.pull.concat(EXPECTS.bulk, EXPECTS.query).includes(k)) {
        const why = k === 'deliveries' && EXPECTS[kind].includes(k) ? 'this route has no deliver: step' : `not something a ${KIND_NAME[kind]} route produces`;
        out.push([at('expect', k), `${why}; a ${KIND_NAME[kind]} test may expect: ${allowed.join(', ')}`, true]);
      }
    }
    if ('error' in expect && Object.keys(expect).length > 1) {
      out.push([at('expect', 'error'), `an input refused as a whole produces nothing else; expect either error or ${Object.keys(expect).filter((k) => k !== 'error').join(', ')}`]);
    }
    const records = Array.isArray(expect.records) ? expect.records : [];
    records.forEach((e: unknown, j: number) => {
      if (!isObj(e)) return;
      const here = at('expect', 'records', j);
      if ('fields' in e && 'equals' in e) out.push([here, 'give fields (these fields must match) or equals (the whole record), not both']);
      else if (!('fields' in e) && !('equals' in e)) out.push([here, 'give fields (these fields must match) or equals (the whole record) of the record picked by key or index']);
      if (kind === 'bulk') {
        for (const k of ['fields', 'equals'] as const) if (isObj(e[k])) checkDecisionFields(e[k] as Obj, [...here, k], out);
        if (typeof e.key === 'string' && source && !new RegExp(`^\\d{7}/${source}/.+`).test(e.key)) {
          out.push([[...here, 'key'], `"${e.key}" is not the natural key of a ${source} decision: municipality/${source}/decisionId, and /YYYY-MM for benefits and assistant months, e.g. 0001000/${source}/D-17/2026-10`]);
        }
      }
    });
    if (typeof expect.accepted === 'number' && records.length > expect.accepted) {
      out.push([at('expect', 'records'), `lists ${records.length} records, more than accepted: ${expect.accepted}`, true]);
    }
    const rejections = Array.isArray(expect.rejections) ? expect.rejections.filter(isObj) : [];
    const seen = new Map<string, number>();
    (Array.isArray(expect.rejections) ? expect.rejections : []).forEach((e: unknown, j: number) => {
      if (!isObj(e)) return;
      if (e.code === 'DUPLICATE') out.push([at('expect', 'rejections', j, 'code'), 'DUPLICATE is found by the store step across the whole load, which a route test does not run; test it with the load API']);
      const sig = `${String(e.index)}/${String(e.code)}/${String(e.field ?? '')}`;
      const first = seen.get(sig);
      if (first !== undefined) out.push([at('expect', 'rejections', j), `repeats rejections[${first}]; list each error once`]);
      else seen.set(sig, j);
    });
    const indexes = [...new Set(rejections.map((e) => e.index).filter((x): x is number => typeof x === 'number'))].sort((a, b) => a - b);
    if (typeof expect.rejected === 'number' && 'rejections' in expect && indexes.length !== expect.rejected) {
      out.push([at('expect', 'rejected'), `${expect.rejected} disagrees with rejections, which name ${indexes.length} record(s)${indexes.length ? ` (index ${indexes.join(', ')})` : ''}`]);
    }
    const deliveries = Array.isArray(expect.deliveries) ? expect.deliveries : [];
    deliveries.forEach((e: unknown, j: number) => {
      if (!isObj(e)) return;
      const here = at('expect', 'deliveries', j);
      if (!('key' in e) && !('index' in e)) out.push([here, 'pick the item by key or index']);
      if ('partner' in e && e.undeliverable === true) out.push([here, 'an undeliverable item has no partner; give partner or undeliverable: true']);
      if (!('partner' in e) && !('undeliverable' in e) && !('component' in e)) out.push([here, 'say where the item goes: partner, component, or undeliverable: true']);
      // A misspelled deliver: step is reported on the step; repeating it here would only be noise.
      const stepsKnown = delivers.every((n) => registry.get('delivery', n));
      if (typeof e.component === 'string' && delivers.length && stepsKnown && !delivers.includes(e.component)) {
        out.push([[...here, 'component'], `"${e.component}" is not a deliver: component of this route; valid: ${delivers.join(', ')}`]);
      }
    });
  });
  return out;
}
