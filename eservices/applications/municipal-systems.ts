/**
 * The municipal systems a person's application status asks (docs/partners/portal-applications.md):
 * those of the municipalities whom-to-ask.ts names for the person, each with how its open
 * applications are learnt. A SOPA or LIETIS partner with an `endpoint` is asked through the `call:`
 * step of its system in the route, within the step's timeout (capped by the partner's own,
 * policies.timeout); GVS has no online interface, and a partner without an endpoint is not
 * connected: both show decided applications only, as does a municipality of the person's that
 * partners.yaml does not know. All are asked at once, and one that fails or is slow costs the
 * person that municipality's open applications, never the answer.
 *
 * A partner that failed `policies.circuitBreaker.failures` times in a row (unreachable, slow,
 * unavailable) is not asked for `openSeconds`, then by one process once more: a person should not
 * wait for a municipality known to be down. The breaker is the partner's gate in Redis
 * (engine/runtime/partner-gate.ts), shared with every api process and with the deliveries to the
 * same partner (its notifications endpoint is the same system), and shown in the console. Its rate
 * limit is not applied here: these calls are a person's, one per status, and must not queue behind
 * a burst of notifications. While Redis cannot be read, the municipality is asked all the same: the
 * breaker protects the person's wait, and a person is not refused for want of it.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Call, CallSpec } from '../../engine/components/specs.ts';
import type { PartnerDef, RouteDef } from '../../engine/config/types.ts';
import { partnerPolicies, readCertificate } from '../../engine/config/partners.ts';
import { parseDuration } from '../../engine/core/duration.ts';
import { ConnectorError, isHubError } from '../../engine/core/errors.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import { PartnerGate, type Admission } from '../../engine/runtime/partner-gate.ts';
import type { OpenApplication } from '../../schemas/canonical/model.ts';
import type { AuditEntry } from '../../store/audit.ts';
import type { EServiceDeps } from '../common/deps.ts';
import type { AskBasis, WhomToAsk } from './whom-to-ask.ts';

/** How long a person's status waits for the partner's breaker in Redis before asking without it. */
const GATE_WAIT_MS = 250;

/** The systems municipalities report from (schemas/classifiers/municipalities.json). */
const MUNICIPAL_SYSTEMS = ['sopa', 'lietis', 'gvs'];

/** What the answer says of one municipal system. */
export interface SourceReport {
  municipality: string;
  municipalityName: string;
  /** Absent for a municipality of the person's that has no partner in partners.yaml. */
  partner?: string;
  system?: string;
  /** Why the municipality is in the answer (whom-to-ask.ts). */
  basis: AskBasis[];
  /**
   * answered: its open applications are in the answer; unavailable: it was to be asked and gave no
   * usable answer (it may hold open applications the answer lacks); decided-only: it has no online
   * interface, so only its decided applications (the loaded decisions) are known.
   */
  openApplications: 'answered' | 'unavailable' | 'decided-only';
  /** Why not answered, for the portal's developer; never a personal code. */
  reason?: string;
}

export interface SourceAnswer {
  report: SourceReport;
  /** The municipality's open applications, when it answered. */
  applications: OpenApplication[];
  /** The hub's call for the person, when it asked: its audit row, written with the answer's. */
  audit?: AuditEntry;
}

interface Source {
  partner: PartnerDef;
  municipality: string;
  name: string;
  /** Absent: not asked (decided-only, or unavailable by configuration). */
  call?: Call;
  spec?: CallSpec;
  timeoutMs: number;
  /** The partner's circuit breaker, shared through Redis. */
  gate: PartnerGate;
  /** Why not asked. */
  notAsked?: { as: 'unavailable' | 'decided-only'; reason: string };
}

/** The request a municipal call answers: the portal's, for the audit row's purpose. */
export interface AskContext {
  personCode: string;
  /** The portal's request id (the assertion's jti). */
  portalRequestId: string;
  purpose: string;
}

type CallStep = Extract<RouteDef['steps'][number], { call: string }>;

/** SOPA's token may be kept in the environment (`env:NAME`), as for its notifications. */
const envToken = (t: string | undefined): string | undefined => (t?.startsWith('env:') ? process.env[t.slice(4)] : t);

export class MunicipalSystems {
  private readonly sources: Source[] = [];
  private readonly names = municipalities();
  private gateWarnedAt = 0;

  constructor(route: RouteDef, private readonly deps: EServiceDeps) {
    const steps = route.steps.filter((s): s is CallStep => 'call' in s);
    const names = this.names;
    for (const p of deps.partners) {
      if (!MUNICIPAL_SYSTEMS.includes(p.system) || !p.municipality) continue;
      const policies = partnerPolicies(p);
      const source: Source = {
        partner: p, municipality: p.municipality, name: names.get(p.municipality)?.name ?? p.municipality, timeoutMs: policies.timeoutMs,
        gate: new PartnerGate(deps.redis, deps.prefix, p.id, { ...policies, rateLimit: undefined }),
      };
      this.sources.push(source);
      const step = steps.find((s) => deps.registry.get('call', s.call)?.partner === p.system);
      if (!step) {
        source.notAsked = { as: 'decided-only', reason: p.system === 'gvs' ? 'GVS has no online interface: decided applications only' : `the hub does not ask ${p.system} for open applications: decided applications only` };
        continue;
      }
      if (!p.endpoint) {
        source.notAsked = { as: 'decided-only', reason: 'this municipality\'s system is not connected for open applications: decided applications only' };
        continue;
      }
      const spec = deps.registry.get('call', step.call)!;
      const missing = p.system === 'lietis' && !p.certificate ? 'certificate' : p.system === 'sopa' && !envToken(p.notify?.token) ? 'notify.token' : undefined;
      if (missing) {
        deps.logger.warn({ route: route.id, partner: p.id, field: missing }, `${p.id} has an endpoint for open applications but no ${missing} in partners.yaml: it is reported unavailable until one is set`);
        source.notAsked = { as: 'unavailable', reason: 'the hub is not configured to ask this municipality\'s system' };
        continue;
      }
      source.spec = spec;
      // The route may wait less than the partner's own limit, never more (as for queries).
      source.timeoutMs = Math.min(step.timeout ? parseDuration(step.timeout) : Infinity, policies.timeoutMs);
      source.call = spec.create({}, {
        target: { partnerId: p.id, endpoint: p.endpoint, certPem: p.certificate ? readCertificate(p.certificate, deps.configDir) : '', token: envToken(p.notify?.token) },
        identity: deps.identity, logger: deps.logger.child({ route: route.id, partner: p.id }),
      });
    }
  }

  /**
   * The answers of the municipal systems `whom` names for one person, in partners.yaml's order,
   * then the person's municipalities that no partner serves. Each call made carries its audit row:
   * the caller writes them in the same group commit as the answer's own row, so a status costs one
   * wait for the audit chain, not two.
   */
  async ask(ctx: AskContext, whom: WhomToAsk): Promise<SourceAnswer[]> {
    const every: AskBasis[] = ['no-known-municipality'];
    const asked = this.sources.flatMap((s) => {
      const basis = whom === 'every-connected' ? every : whom.get(s.municipality);
      return basis ? [this.askOne(s, ctx, basis)] : [];
    });
    const unserved = whom === 'every-connected' ? [] : [...whom].filter(([m]) => !this.sources.some((s) => s.municipality === m)).map(([municipality, basis]): SourceAnswer => ({
      report: {
        municipality, municipalityName: this.names.get(municipality)?.name ?? municipality, basis, openApplications: 'decided-only',
        reason: 'this municipality\'s system is not connected to the hub: decided applications only',
      },
      applications: [],
    }));
    return [...await Promise.all(asked), ...unserved];
  }

  private async askOne(s: Source, ctx: AskContext, basis: AskBasis[]): Promise<SourceAnswer> {
    const report = (openApplications: SourceReport['openApplications'], reason?: string): SourceReport => ({
      municipality: s.municipality, municipalityName: s.name, partner: s.partner.id, system: s.partner.system, basis, openApplications, ...(reason ? { reason } : {}),
    });
    if (!s.call || !s.spec) return { report: report(s.notAsked!.as, s.notAsked!.reason), applications: [] };
    const admission = await this.admit(s);
    if (admission && !admission.ok) {
      return { report: report('unavailable', `not asked: it failed repeatedly; asked again in ${Math.ceil(admission.retryAfterMs / 1000)} s`), applications: [] };
    }
    const requestId = randomUUID();
    const t0 = performance.now();
    const ask = async (): Promise<OpenApplication[]> => {
      const a = await s.call!.call({ personCode: ctx.personCode, purpose: ctx.purpose, requestId, requesterId: 'SPOLIS' }, { timeoutMs: s.timeoutMs });
      // Inside the gate: a wrong answer is still an answer, and shows the partner alive.
      if (a.municipality !== s.municipality) {
        throw new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `${s.partner.id} answered for municipality ${String(a.municipality)}, not for its own ${s.municipality}: check its endpoint in partners.yaml`,
          { retryable: false, httpStatus: 502, details: { partnerId: s.partner.id } });
      }
      return a.applications as OpenApplication[];
    };
    let answer: SourceAnswer;
    let outcome: string;
    try {
      const applications = admission ? await s.gate.pass(admission, ask) : await ask();
      outcome = 'answered';
      answer = { report: report('answered'), applications };
    } catch (e) {
      outcome = isHubError(e) ? e.code : 'HUB_ERR_INTERNAL';
      if ((e as { circuitOpened?: boolean }).circuitOpened) {
        this.deps.logger.warn({ partner: s.partner.id, openSeconds: partnerPolicies(s.partner).circuitBreaker.openMs / 1000 }, `${s.partner.id} failed repeatedly: its open applications are not asked for now`);
      }
      this.deps.logger.warn({ err: e, partner: s.partner.id, code: outcome }, 'a municipal system gave no open applications; the person is answered without them');
      answer = { report: report('unavailable', reasonOf(e, s.timeoutMs)), applications: [] };
    }
    // The hub's own call for the person: audited as the hub's, for the person's request.
    answer.audit = {
      actor: 'hub', subject: ctx.personCode, service: `call:${s.spec.name}`, purpose: ctx.purpose, outcome,
      details: { partner: s.partner.id, requestId, portalRequestId: ctx.portalRequestId, ms: Math.round(performance.now() - t0) },
    };
    return answer;
  }

  /**
   * The gate's turn, or undefined when Redis does not answer within GATE_WAIT_MS (then the partner
   * is asked without it: a person waits for the municipality, not for Redis's reconnects).
   */
  private async admit(s: Source): Promise<Admission | undefined> {
    const late = new AbortController();
    try {
      return await Promise.race([
        s.gate.admit(s.timeoutMs),
        sleep(GATE_WAIT_MS, undefined, { signal: late.signal }).then(() => { throw new Error(`Redis did not answer within ${GATE_WAIT_MS} ms`); }),
      ]);
    } catch (e) {
      // Once a minute, not once a person: Redis being down is one fact.
      if (Date.now() - this.gateWarnedAt > 60_000) {
        this.gateWarnedAt = Date.now();
        this.deps.logger.warn({ err: e, partner: s.partner.id }, 'the partners\' circuit breakers in Redis cannot be read: municipal systems are asked without them');
      }
      return undefined;
    } finally {
      late.abort();
    }
  }

  async close(): Promise<void> {
    for (const s of this.sources) await s.call?.close();
  }
}

/** What the person's answer says of a failed municipality: what happened, not the partner's words. */
function reasonOf(e: unknown, timeoutMs: number): string {
  const code = isHubError(e) ? e.code : '';
  if (code === 'HUB_ERR_PARTNER_TIMEOUT') return `no answer within ${timeoutMs} ms`;
  if (code === 'HUB_ERR_PARTNER_UNAVAILABLE') return 'the municipality\'s system is unavailable';
  if (code === 'HUB_ERR_PARTNER_NOT_CONFIGURED') return 'the hub is not configured to ask this municipality\'s system';
  return 'the municipality\'s system answered with an error';
}
