/**
 * Load-time checks of the routes that are not bulk loads or queries: scheduled pulls, the hub's
 * SOAP endpoints and HTTP intakes, and their `to:` (sink) and `deliver:` steps. A route is a chain
 * of typed messages (a pull produces `vdeavk.opinion`, a sink accepts it), so a step that cannot
 * take what the trigger produces is a config error naming both, before anything runs.
 */
import cron from 'node-cron';
import type { MessageType } from '../../schemas/canonical/model.ts';
import type { Registry } from '../components/registry.ts';
import type { PartnerDef } from './types.ts';
import { callStepProblem } from './partners.ts';

type Seg = string | number;
type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The HTTP intakes the hub serves (DESIGN.md §4), and the message each produces. */
export const HTTP_INTAKES: Readonly<Record<string, MessageType>> = {
  '/api/v1/coparticipation': 'burvis.coparticipation',
  // The portal's e-services (eservices/): their deliveries are messages to an e-address.
  '/api/v1/persons/me/decision-notices': 'eaddress.message',
  '/api/v1/service-queues': 'eaddress.message',
  '/api/v1/complaints': 'eaddress.message',
  '/api/v1/providers': 'eaddress.message',
  // A store e-service: the submitted state report is stored by its route's to: step.
  '/api/v1/state-reports': 'spolis.state-report',
};

/**
 * The HTTP reads the hub serves: e-services that answer from partners' own systems besides the
 * store, asking them through their route's `call:` steps; with the partner systems each may ask.
 */
export const HTTP_READS: Readonly<Record<string, readonly string[]>> = {
  '/api/v1/persons/me/applications': ['sopa', 'lietis'],
};

/** What a route's trigger produces, when it is a flow route (pull, soap, http). */
export function producedBy(from: unknown, registry: Registry): { type?: MessageType; kind: 'pull' | 'soap' | 'http' } | undefined {
  if (!isObj(from)) return undefined;
  if (isObj(from.schedule)) return { kind: 'pull', type: typeof from.schedule.pull === 'string' ? registry.get('pull', from.schedule.pull)?.produces : undefined };
  if (isObj(from.soap)) {
    const { service, operation } = from.soap;
    return { kind: 'soap', type: registry.names('soapEndpoint').map((n) => registry.get('soapEndpoint', n)!).find((s) => s.service === service && s.operation === operation)?.produces };
  }
  if (isObj(from.http)) return { kind: 'http', type: typeof from.http.path === 'string' ? HTTP_INTAKES[from.http.path] : undefined };
  return undefined;
}

const deliverNames = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** [path, message] pairs for a flow route; empty for bulk and query routes. */
export function flowRouteProblems(r: Obj, registry: Registry, partners: PartnerDef[] | undefined): [Seg[], string][] {
  const out: [Seg[], string][] = [];
  const produced = producedBy(r.from, registry);
  if (!produced) return out;
  const from = r.from as Obj;
  if (produced.kind === 'pull') {
    const s = from.schedule as Obj;
    if (typeof s.cron === 'string' && !cron.validate(s.cron)) out.push([['from', 'schedule', 'cron'], `"${s.cron}" is not a cron expression; five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"`]);
    if (typeof s.pull === 'string') {
      const spec = registry.get('pull', s.pull);
      if (!spec) out.push([['from', 'schedule', 'pull'], registry.describeUnknown('pull', s.pull)]);
      else {
        const missing = partners ? callStepProblem(spec, partners) : null;
        if (missing) out.push([['from', 'schedule', 'pull'], missing]);
      }
    }
  } else if (produced.kind === 'soap' && !produced.type) {
    const s = from.soap as Obj;
    if (typeof s.service !== 'string' || typeof s.operation !== 'string') return out; // the schema says what is missing
    const offered = registry.names('soapEndpoint').map((n) => registry.get('soapEndpoint', n)!).map((e) => `${e.service}/${e.operation}`);
    out.push([['from', 'soap'], `the hub serves no SOAP operation ${String(s.service)}/${String(s.operation)}; valid: ${offered.join(', ') || '(none registered)'}`]);
  } else if (produced.kind === 'http' && !produced.type) {
    const path = String((from.http as Obj).path);
    const systems = HTTP_READS[path];
    if (systems) return readRouteProblems(r, registry, systems);
    out.push([['from', 'http', 'path'], `the hub has no HTTP intake at ${path}; valid: ${[...Object.keys(HTTP_INTAKES), ...Object.keys(HTTP_READS)].join(', ')}`]);
  }
  // Steps are checked against what the trigger produces; with no valid trigger that would be noise.
  if (!produced.type) return out;
  const steps = Array.isArray(r.steps) ? r.steps : [];
  steps.forEach((s: unknown, i) => {
    if (!isObj(s)) return;
    const key = Object.keys(s).find((k) => k !== 'options' && k !== 'timeout');
    if (key !== 'to' && key !== 'deliver') {
      out.push([['steps', i], `a ${produced.kind} route's steps are to: (a store effect) and deliver: (queued deliveries); ${key ?? 'this'} steps run only in bulk-load routes`]);
      return;
    }
    if (key === 'to' && typeof s.to === 'string') {
      const spec = registry.get('sink', s.to);
      if (!spec) out.push([['steps', i, 'to'], registry.describeUnknown('sink', s.to)]);
      else if (produced.type && spec.accepts !== produced.type) out.push([['steps', i, 'to'], `${s.to} accepts ${spec.accepts}, and this route's trigger produces ${produced.type}`]);
      return;
    }
    const names = deliverNames(s.deliver);
    const systems = new Map<string, string>();
    names.forEach((name, j) => {
      const at: Seg[] = Array.isArray(s.deliver) ? ['steps', i, 'deliver', j] : ['steps', i, 'deliver'];
      const spec = registry.get('delivery', name);
      if (!spec) { out.push([at, registry.describeUnknown('delivery', name)]); return; }
      if (produced.type && spec.accepts !== produced.type) out.push([at, `${name} delivers ${spec.accepts}, and this route's trigger produces ${produced.type}`]);
      const other = systems.get(spec.system);
      if (other) out.push([at, `${name} and ${other} both deliver to ${spec.system}; an item goes to one receiver, keep one`]);
      systems.set(spec.system, name);
      if (spec.receiver === 'agency' && names.length > 1) out.push([at, `${name} delivers to one agency (${spec.system}); list it alone`]);
      if (spec.receiver === 'agency' && partners) {
        const missing = agencyDeliveryProblem(name, spec.system, partners);
        if (missing) out.push([at, missing]);
      }
    });
  });
  return out;
}

/**
 * Why an agency delivery's partner entry is unusable, or null (none at all is not an error, as for
 * calls). A SOAP agency signs its answers (certificate); a JSON agency (the e-address) takes the
 * hub's bearer token (notify.token) instead: either makes the entry complete.
 */
function agencyDeliveryProblem(name: string, system: string, partners: PartnerDef[]): string | null {
  const of = partners.filter((p) => p?.system === system);
  const incomplete = of.filter((p) => typeof p.endpoint !== 'string' || (typeof p.certificate !== 'string' && typeof p.notify?.token !== 'string'));
  if (incomplete.length) return `${name} delivers to the ${system} partner, and partners.yaml's ${incomplete.map((p) => p.id).join(', ')} lacks endpoint, or both certificate and notify.token`;
  if (of.length > 1) return `${name} delivers to the ${system} partner, and partners.yaml has ${of.length} (${of.map((p) => p.id).join(', ')}); keep one`;
  return null;
}

/** An HTTP read's steps: `call:` steps without options, each asking one of the read's systems, one per system. */
function readRouteProblems(r: Obj, registry: Registry, systems: readonly string[]): [Seg[], string][] {
  const out: [Seg[], string][] = [];
  const asking = new Map<string, string>();
  (Array.isArray(r.steps) ? r.steps : []).forEach((s: unknown, i) => {
    if (!isObj(s)) return;
    if (typeof s.call !== 'string') {
      out.push([['steps', i], `an HTTP read's steps are call: steps, one per partner system it asks; ${Object.keys(s)[0] ?? 'this'} steps do not run here`]);
      return;
    }
    const spec = registry.get('call', s.call);
    if (!spec) { out.push([['steps', i, 'call'], registry.describeUnknown('call', s.call)]); return; }
    if (!systems.includes(spec.partner)) { out.push([['steps', i, 'call'], `${s.call} asks ${spec.partner}, and this read asks only ${systems.join(', ')}`]); return; }
    const other = asking.get(spec.partner);
    if (other) out.push([['steps', i, 'call'], `${s.call} and ${other} both ask ${spec.partner}; keep one`]);
    asking.set(spec.partner, s.call);
    if (s.options !== undefined) out.push([['steps', i, 'options'], `an HTTP read's call steps take no options; ${s.call}'s connections come from the partner`]);
  });
  return out;
}
