/**
 * Loads routes/*.yaml and routes/partners.yaml. Start-up and `spolis-hub routes lint` run the same
 * check, and it reports every problem of every file at once, each as
 * `<file>:<line>: <path>: <what is wrong and what would be valid>`, so that one run fixes them all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { closest, type Registry } from '../components/registry.ts';
import type { ComponentKind } from '../components/specs.ts';
import type { HubConfig, OperatorDef, PartnerDef, RetryPolicy, RouteDef, RouteTest, Step } from './types.ts';
import { DURATION_HINT, parseDuration } from '../core/duration.ts';
import { callStepProblem, certificateProblem, queryRouteProblems } from './partners.ts';
import { flowRouteProblems } from './flow-checks.ts';
import { testProblems } from './test-checks.ts';
import { checkKeyHashes, checkStaff } from './keys.ts';

/** @defaultValue used for every field a route's `onError` leaves out. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 8, backoff: 'exponential', delayMs: 2000, maxDelayMs: 300_000 };

export { parseDuration };

const STEP_KINDS: Record<string, ComponentKind> = { transform: 'transformer', validate: 'validator', to: 'outbound', call: 'call' };
const PATTERN_HINTS: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]*$': 'lower-case letters, digits and "-", starting with a letter or digit',
  '^[a-z0-9*][a-z0-9*-]*$': 'a partner id or a pattern with * such as sopa-*',
  '^\\d{7}$': '7 digits (the ATVK code), quoted, e.g. "0001000"',
  '^sha256:[0-9a-f]{64}$': '"sha256:" followed by 64 lower-case hex digits',
  '^[0-9]+(ms|s|m|h)$': DURATION_HINT,
  '^/': 'a path starting with /',
  '^https?://': 'a URL starting with https:// (or http:// on loopback)',
};

type Seg = string | number;
type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
interface Problem { file: string; line: number; text: string }

// Ajv compiles the schemas once per process; component option schemas are cached per spec.
let validators: { route: ValidateFunction; partners: ValidateFunction; operators: ValidateFunction } | undefined;
const optionsAjv = new Ajv({ allErrors: true, verbose: true, strict: false });
// ajv-formats is CommonJS: its default export is module.exports under NodeNext, .default under a bundler.
const addFormats = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);
addFormats(optionsAjv);
const optionValidators = new WeakMap<object, ValidateFunction>();

function schemaValidators(): NonNullable<typeof validators> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, verbose: true });
    addFormats(ajv);
    const read = (f: string) => JSON.parse(readFileSync(new URL(`../../schemas/${f}`, import.meta.url), 'utf8'));
    validators = { route: ajv.compile(read('route.schema.json')), partners: ajv.compile(read('partners.schema.json')), operators: ajv.compile(read('operators.schema.json')) };
  }
  return validators;
}

/** One YAML file: its data, and how to turn a path into a line and a problem. */
class YamlFile {
  readonly problems: Problem[] = [];
  /** Paths already reported, so a semantic check does not repeat a schema error. */
  private readonly reported = new Set<string>();
  readonly data: unknown;
  readonly syntaxOk: boolean;
  private readonly doc: Document;
  private readonly lc = new LineCounter();

  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: false });
    for (const e of this.doc.errors) this.push(this.lc.linePos(e.pos[0]).line, '(yaml)', e.message.split('\n')[0]);
    let data: unknown;
    // toJS() throws on alias bombs, which would otherwise hide every other file's problems.
    try { data = this.doc.errors.length === 0 ? this.doc.toJS() : undefined; } catch (e) { this.push(1, '(yaml)', (e as Error).message); }
    this.data = data;
    this.syntaxOk = this.problems.length === 0;
  }

  add(segs: Seg[], msg: string, atKey = false, lineOf: Seg[] = segs): void {
    const p = jsPath(segs);
    this.reported.add(p);
    this.push(this.line(lineOf, atKey), p, msg);
  }

  has(segs: Seg[]): boolean { return this.reported.has(jsPath(segs)); }

  /** The node at a path: its key when atKey, else its value; the nearest ancestor when missing. */
  node(segs: Seg[], atKey = false): { range?: [number, number, number] | null; source?: string } | undefined {
    let node: unknown = this.doc.contents;
    for (const [i, seg] of segs.entries()) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (pair && atKey && i === segs.length - 1) return pair.key as never;
        next = (pair?.value as { range?: unknown } | null)?.range ? pair?.value : pair?.key;
      } else if (isSeq(node)) next = node.items[Number(seg)];
      if (!next) break;
      node = next;
    }
    return node as never;
  }

  line(segs: Seg[], atKey = false): number {
    const start = this.node(segs, atKey)?.range?.[0];
    return start === undefined ? 1 : this.lc.linePos(start).line;
  }

  private push(line: number, p: string, msg: string): void {
    this.problems.push({ file: this.file, line, text: `${this.file}:${line}: ${p}: ${msg}` });
  }
}

function jsPath(segs: Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(s) ? `${out ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`;
  }
  return out || '(root)';
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'empty' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v));

/** Ajv's errors, rewritten to say what is wrong and what would be valid. */
function reportSchemaErrors(f: YamlFile, errors: ErrorObject[] | null | undefined, base: Seg[] = []): void {
  const all = errors ?? [];
  const oneOfFailed = new Set(all.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of all) {
    // Errors inside if/then, oneOf branches or propertyNames are restated by their parent error.
    if (e.keyword === 'if' || e.propertyName !== undefined || e.schemaPath.includes('/oneOf/')) continue;
    // keyHashes entries are explained by keys.ts's checkKeyHashes, which says which part is wrong.
    if (e.schemaPath.startsWith('#/definitions/keyHash')) continue;
    if ((e.keyword === 'propertyNames' && oneOfFailed.has(e.instancePath)) || (e.keyword === 'oneOf' && !isObj(e.data))) continue;
    const segs = [...base, ...e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))];
    const said = explain(e, segs, f.node(segs)?.source);
    // A missing key has no node of its own; its parent's line is the place to add it.
    f.add(said.segs ?? segs, said.msg, said.atKey, e.keyword === 'required' ? segs : said.segs ?? segs);
  }
}

function explain(e: ErrorObject, segs: Seg[], source: string | undefined): { msg: string; segs?: Seg[]; atKey?: boolean } {
  const p = e.params as Obj;
  const ps = (e.parentSchema ?? {}) as Obj;
  const props = (ps.properties ?? {}) as Record<string, Obj>;
  const data = e.data as unknown;
  const keys = Object.keys(isObj(data) ? data : {});
  switch (e.keyword) {
    case 'required': {
      const key = String(p.missingProperty);
      const desc = props[key]?.description;
      return { segs: [...segs, key], msg: `required but missing${desc ? ` (${String(desc).replace(/\.$/, '')})` : ''}` };
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const near = closest(key, Object.keys(props));
      return { segs: [...segs, key], atKey: true, msg: `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${Object.keys(props).join(', ')}` };
    }
    case 'propertyNames': {
      const kind = keys.find((k) => k in STEP_KINDS);
      const allowed = ((e.schema as Obj).enum as string[] | undefined) ?? [];
      return { segs: [...segs, String(p.propertyName)], atKey: true, msg: `not allowed ${kind ? `on a ${kind} step` : 'here'}; allowed: ${allowed.join(', ')}` };
    }
    case 'oneOf':
      return { msg: `a step has exactly one of ${Object.keys(STEP_KINDS).join(', ')}; found ${keys.filter((k) => k in STEP_KINDS).join(', ') || 'none'}` };
    case 'minProperties': case 'maxProperties':
      if (ps.maxProperties === 1) return { msg: `needs exactly one of ${Object.keys(props).join(', ')}; found ${keys.join(', ') || 'none'}` };
      return { msg: Object.keys(props).length ? `is empty; give at least one of ${Object.keys(props).join(', ')}` : 'is empty; name at least one field' };
    case 'enum':
      return { msg: `${show(data)} is not allowed; valid: ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'type': {
      // YAML reads 0001000 as 1000 and yes as a string; the fix is always to quote.
      if (p.type === 'string' && (typeof data === 'number' || typeof data === 'boolean')) {
        const src = source ?? String(data);
        return { msg: `must be a string, but YAML read ${src} as the ${typeof data} ${String(data)}; quote it: "${src}"` };
      }
      const name = (x: string) => ({ object: 'a mapping', array: 'a list', integer: 'an integer', null: 'null' } as Obj)[x] ?? `a ${x}`;
      const t = String(p.type).split(',').map(name).join(' or ');
      return { msg: `must be ${String(t)}, not ${show(data)}` };
    }
    case 'pattern': return { msg: `${show(data)} must be ${PATTERN_HINTS[String(p.pattern)] ?? `matching ${String(p.pattern)}`}` };
    case 'minimum': case 'maximum': return { msg: `must be from ${String(ps.minimum ?? '-∞')} to ${String(ps.maximum ?? '∞')}, not ${show(data)}` };
    case 'minItems': return { msg: `needs at least ${String(p.limit)} item(s)` };
    case 'minLength': return { msg: 'must not be empty' };
    default: return { msg: `${show(data)} ${e.message ?? 'is invalid'}` };
  }
}

function display(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function read(file: string): YamlFile | string {
  try { return new YamlFile(display(file), readFileSync(file, 'utf8')); } catch (e) { return errCode(e); }
}

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

function checkPartners(f: YamlFile, dir: string, keys: Map<string, string>): PartnerDef[] {
  if (!f.syntaxOk) return [];
  const validate = schemaValidators().partners;
  if (!validate(f.data)) reportSchemaErrors(f, validate.errors);
  const list = isObj(f.data) && Array.isArray(f.data.partners) ? f.data.partners : [];
  const seen = new Map<string, number>();
  list.forEach((p: unknown, i) => {
    if (!isObj(p) || typeof p.id !== 'string') return;
    const first = seen.get(p.id);
    if (first !== undefined) f.add(['partners', i, 'id'], `"${p.id}" is already the id of partners[${first}]; ids must be unique`);
    else seen.set(p.id, i);
    const cert = typeof p.certificate === 'string' && !f.has(['partners', i, 'certificate']) ? certificateProblem(p.certificate, dir) : null;
    if (cert) f.add(['partners', i, 'certificate'], cert);
  });
  checkKeyHashes(f, 'partners', list, keys, f.file);
  return list as PartnerDef[];
}

/** routes/operators.yaml: the staff (operators, auditors); `keys` holds partners.yaml's key hashes. */
function checkOperators(f: YamlFile, partnerIds: string[], keys: Map<string, string>): OperatorDef[] {
  if (!f.syntaxOk) return [];
  const validate = schemaValidators().operators;
  if (!validate(f.data)) reportSchemaErrors(f, validate.errors);
  const list = isObj(f.data) && Array.isArray(f.data.operators) ? f.data.operators : [];
  checkStaff(f, list, partnerIds);
  checkKeyHashes(f, 'operators', list, keys, f.file);
  return list as OperatorDef[];
}

function checkRoute(f: YamlFile, registry: Registry, partners: PartnerDef[] | undefined, stems: Set<string>, dir: string): void {
  const partnerIds = partners?.map((p) => p?.id).filter((id): id is string => typeof id === 'string');
  if (!f.syntaxOk) return;
  const validate = schemaValidators().route;
  if (!validate(f.data)) reportSchemaErrors(f, validate.errors);
  if (!isObj(f.data)) return;
  const r = f.data;
  const stem = path.basename(f.file).replace(/\.yaml$/, '');
  // File names are unique, so id = stem also makes ids unique; a clash can only come from a mismatch.
  if (typeof r.id === 'string' && !f.has(['id']) && r.id !== stem) {
    const clash = stems.has(r.id) ? `; ${r.id}.yaml already has that id` : '';
    f.add(['id'], `"${r.id}" must equal the file name; set id: ${stem} or rename the file to ${r.id}.yaml${clash}`);
  }
  const bulk = isObj(r.from) && isObj(r.from.bulkLoad) ? r.from.bulkLoad : undefined;
  if (typeof bulk?.source === 'string' && !registry.formatFor(bulk.source)) {
    const near = closest(bulk.source, registry.sources());
    f.add(['from', 'bulkLoad', 'source'], `no bulk format is registered for source "${bulk.source}"${near ? ` (did you mean "${near}"?)` : ''}; valid: ${registry.sources().join(', ') || '(none registered)'}`);
  }
  const access = isObj(r.access) && Array.isArray(r.access.partners) ? r.access.partners : [];
  access.forEach((p: unknown, i) => {
    if (partnerIds === undefined || typeof p !== 'string' || p.includes('*') || partnerIds.includes(p) || f.has(['access', 'partners', i])) return;
    const near = closest(p, partnerIds);
    f.add(['access', 'partners', i], `unknown partner "${p}"${near ? ` (did you mean "${near}"?)` : ''}; valid: ${partnerIds.join(', ') || '(none in partners.yaml)'}, or a pattern with *`);
  });
  // Flow routes (pull, soap, http) check their to:/deliver: steps against sinks and deliveries.
  const flow = isObj(r.from) && !('bulkLoad' in r.from) && !('query' in r.from);
  for (const [segs, msg] of flow ? flowRouteProblems(r, registry, partners) : []) if (!f.has(segs)) f.add(segs, msg);
  (Array.isArray(r.steps) ? r.steps : []).forEach((s: unknown, i) => {
    if (!isObj(s) || flow) return;
    if ('deliver' in s && !f.has(['steps', i])) f.add(['steps', i, 'deliver'], 'deliver: steps run in routes started by schedule, soap or http, not in bulk loads or queries');
    for (const [key, kind] of Object.entries(STEP_KINDS)) {
      const name = s[key];
      if (typeof name !== 'string' || f.has(['steps', i, key])) continue;
      const spec = registry.get(kind, name);
      if (!spec) f.add(['steps', i, key], registry.describeUnknown(kind, name));
      else if (spec.config && isObj(s.options)) checkOptions(f, spec.config, s.options, ['steps', i, 'options']);
      const missing = kind === 'call' && spec && partners ? callStepProblem(registry.get('call', name)!, partners) : null;
      if (missing) f.add(['steps', i, key], missing);
    }
  });
  for (const [segs, msg] of queryRouteProblems(r)) if (!f.has(segs)) f.add(segs, msg);
  for (const [segs, msg, atKey] of testProblems(r, dir, registry)) if (!f.has(segs)) f.add(segs, msg, atKey);
  const retry = isObj(r.onError) && isObj(r.onError.retry) ? r.onError.retry : {};
  const durations: [Seg[], unknown][] = [[['onError', 'retry', 'delay'], retry.delay], [['onError', 'retry', 'maxDelay'], retry.maxDelay]];
  (Array.isArray(r.steps) ? r.steps : []).forEach((s: unknown, i) => { if (isObj(s)) durations.push([['steps', i, 'timeout'], s.timeout]); });
  for (const [segs, v] of durations) {
    if (typeof v !== 'string' || f.has(segs)) continue;
    try { parseDuration(v); } catch (e) { f.add(segs, (e as Error).message); }
  }
}

function checkOptions(f: YamlFile, config: Record<string, unknown>, options: Obj, base: Seg[]): void {
  let validate = optionValidators.get(config);
  try {
    validate ??= optionsAjv.compile(config);
    optionValidators.set(config, validate);
  } catch (e) {
    f.add(base, `cannot be checked: the component's config schema is invalid (${(e as Error).message})`);
    return;
  }
  if (!validate(options)) reportSchemaErrors(f, validate.errors, base);
}

function toRoute(f: YamlFile): RouteDef {
  const r = f.data as Obj & { onError?: { retry?: { attempts?: number; backoff?: RetryPolicy['backoff']; delay?: string; maxDelay?: string }; deadLetter?: boolean } };
  const retry = r.onError?.retry ?? {};
  return {
    id: r.id as string, description: r.description as string, from: r.from as RouteDef['from'],
    access: r.access as RouteDef['access'], steps: r.steps as Step[], file: f.file, tests: toTests(f),
    onError: {
      retry: {
        attempts: retry.attempts ?? DEFAULT_RETRY.attempts,
        backoff: retry.backoff ?? DEFAULT_RETRY.backoff,
        delayMs: retry.delay === undefined ? DEFAULT_RETRY.delayMs : parseDuration(retry.delay),
        maxDelayMs: retry.maxDelay === undefined ? DEFAULT_RETRY.maxDelayMs : parseDuration(retry.maxDelay),
      },
      deadLetter: r.onError?.deadLetter ?? true,
    },
  };
}

/** The route's tests, each with the line of every part of it, so a failure can point at the expectation it breaks. */
function toTests(f: YamlFile): RouteTest[] {
  const tests = (f.data as Obj).tests;
  if (!Array.isArray(tests)) return [];
  return tests.map((t: Obj, i) => {
    const lines: Record<string, number> = {};
    const walk = (v: unknown, segs: Seg[]): void => {
      // A mapping entry's line is its key's: a block list or mapping as value starts a line lower.
      if (segs.length) lines[jsPath(segs)] = f.line(['tests', i, ...segs], typeof segs[segs.length - 1] === 'string');
      if (Array.isArray(v)) v.forEach((x, j) => walk(x, [...segs, j]));
      else if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, [...segs, k]);
    };
    walk(t, []);
    return { ...(t as unknown as Omit<RouteTest, 'line' | 'lines'>), line: f.line(['tests', i]), lines };
  });
}

function check(dir: string, registry: Registry): { problems: string[]; config: HubConfig } {
  const problems: Problem[] = [];
  const config: HubConfig = { dir, routes: [], partners: [], operators: [] };
  const fileProblem = (file: string, msg: string): Problem => ({ file: display(file), line: 1, text: `${display(file)}:1: (file): ${msg}` });
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch (e) {
    return { problems: [fileProblem(dir, `cannot read the routes directory (${errCode(e)})`).text], config };
  }
  const partnersFile = path.join(dir, 'partners.yaml');
  const pf = read(partnersFile);
  // Every key hash seen so far, and whose it is: a key names one holder across both files.
  const keys = new Map<string, string>();
  let partners: PartnerDef[] | undefined;
  if (typeof pf === 'string') {
    problems.push(fileProblem(partnersFile, `cannot read (${pf}); it lists the partners, e.g. "partners: []"`));
  } else {
    config.partners = checkPartners(pf, dir, keys);
    // When partners.yaml is unreadable, unknown-partner errors in routes would only be noise.
    if (pf.syntaxOk) partners = config.partners;
    problems.push(...pf.problems);
  }
  // operators.yaml is optional: without it no one opens the console or the audit API.
  if (names.includes('operators.yaml')) {
    const of = read(path.join(dir, 'operators.yaml'));
    if (typeof of === 'string') problems.push(fileProblem(path.join(dir, 'operators.yaml'), `cannot read (${of})`));
    else {
      config.operators = checkOperators(of, config.partners.map((p) => p?.id).filter((id): id is string => typeof id === 'string'), keys);
      problems.push(...of.problems);
    }
  }
  const stems = new Set(names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -5)));
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.yml')) problems.push(fileProblem(file, `route files end in .yaml; rename it to ${name.slice(0, -4)}.yaml`));
    if (!name.endsWith('.yaml') || name === 'partners.yaml' || name === 'operators.yaml') continue;
    const f = read(file);
    if (typeof f === 'string') { problems.push(fileProblem(file, `cannot read (${f})`)); continue; }
    checkRoute(f, registry, partners, stems, dir);
    problems.push(...f.problems);
    if (f.problems.length === 0) config.routes.push(toRoute(f));
  }
  // The query API finds a route by its service, so a service has one route.
  const byService = new Map<string, string>();
  for (const r of config.routes) {
    if (!('query' in r.from)) continue;
    const other = byService.get(r.from.query.service);
    if (other) problems.push({ file: r.file, line: 1, text: `${r.file}:1: from.query.service: "${r.from.query.service}" is already the service of route ${other}; one route per service` });
    else byService.set(r.from.query.service, r.id);
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { problems: problems.map((p) => p.text), config };
}

/** Every problem of the route files, partners.yaml and operators.yaml in `dir`; empty when the config is fine. */
export function lintConfig(dir: string, registry: Registry): string[] {
  return check(dir, registry).problems;
}

/**
 * Reads, checks and freezes the hub's configuration.
 * @throws ConfigError listing every problem, each as `<file>:<line>: <path>: <message>`.
 * @example const config = loadConfig('routes', registry);
 */
export function loadConfig(dir: string, registry: Registry): HubConfig {
  const { problems, config } = check(dir, registry);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
