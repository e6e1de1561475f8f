/**
 * VSAA's PensionInfo service (EP50/EP51/EP52) as a real SOAP 1.1 server on loopback, behaving as
 * shared/partners/vsaa.md says: WS-Security both ways (requests verified against the hub's
 * registered certificate, every answer and fault signed with VSAA's own key), every documented
 * fault, at most 20 requests a second per requester (UNAVAILABLE above that), and a repeated
 * RequestId with other content refused. Tests flip `switches` for latency, outages and timeouts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { childElements, createSigningIdentity, leafValues, normalizePersonCode, personCodeProblem, soapPayload, type XElement, type SigningIdentity, type XmlFields } from '../../engine/index.ts';
import { acceptSignedRequest, RequestIdMemory, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import { agencyReplies, RateWindows } from '../../engine/simulators/index.ts';
import { VSAA_NS, VSAA_OPERATIONS, periodProblem, type VsaaErrorCode, type VsaaOperation } from './messages.ts';
import { vsaaDataSet, type VsaaDataOptions, type VsaaDataSet, type VsaaPerson } from './simulator-data.ts';

export const VSAA_PATH = '/ep/PensionInfo';
const SCHEMAS = new URL('../../schemas/', import.meta.url);
const FIELDS = ['RequestId', 'RequesterId', 'Purpose', 'PersonCode', 'PeriodFrom', 'PeriodTo'] as const;

export interface VsaaSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** VSAA's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  data?: VsaaDataOptions;
  /** @defaultValue 20 (vsaa.md) */
  rateLimitPerSecond?: number;
  /** Requesters VSAA serves; others get ACCESS_DENIED. @defaultValue every ATVK of schemas/classifiers/municipalities.json */
  requesters?: string[];
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The switches tests flip (engine OutageSwitches): latency, a silent partner, an outage. */
export type VsaaSwitches = OutageSwitches;

export interface VsaaSimulator {
  /** The service endpoint; its WSDL is at `${url}?wsdl`. */
  url: string;
  certPem: string;
  data: VsaaDataSet;
  switches: VsaaSwitches;
  stats: { requests: number; faults: Partial<Record<VsaaErrorCode, number>> };
  /** Closes (true) or reopens (false) the listening socket, so connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, empty rate windows, zero stats. */
  reset(): void;
  close(): Promise<void>;
}

class Fault extends Error {
  constructor(readonly errorCode: VsaaErrorCode, message: string) { super(message); }
}

const defaultSwitches = (): VsaaSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });

function allMunicipalities(): string[] {
  const json = JSON.parse(readFileSync(new URL('classifiers/municipalities.json', SCHEMAS), 'utf8')) as { municipalities: { atvk: string }[] };
  return json.municipalities.map((m) => m.atvk);
}

export async function startVsaaSimulator(opts: VsaaSimulatorOptions): Promise<VsaaSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('VSAA simulator');
  const data = vsaaDataSet(opts.data);
  const rate = new RateWindows(opts.rateLimitPerSecond ?? 20);
  const requesters = new Set(opts.requesters ?? allMunicipalities());
  const seen = new RequestIdMemory();

  const sim: VsaaSimulator = {
    url: '', certPem: identity.certPem, data, switches: defaultSwitches(), stats: { requests: 0, faults: {} },
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      rate.clear();
      seen.clear();
      sim.stats = { requests: 0, faults: {} };
    },
    close: () => server.close(),
  };

  const { answer, fault } = agencyReplies(identity, VSAA_NS, () => sim.stats);

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'vsaa-ep.wsdl', servicePath: VSAA_PATH, location: sim.url, xsdFiles: ['vsaa-ep.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new Fault(code, message),
      });
      if (!accepted) return;
      const { payload } = accepted;
      const operation = Object.values(VSAA_OPERATIONS).find((o) => payload?.uri === VSAA_NS && payload.local === o.request);
      if (!payload || !operation) throw new Fault('INVALID_REQUEST', `the Body holds no ${Object.values(VSAA_OPERATIONS).map((o) => o.request).join(', ')}`);
      const f = readRequest(payload);
      if (!rate.admit(f.RequesterId)) throw new Fault('UNAVAILABLE', `more than ${rate.perSecond} requests a second from ${f.RequesterId}; retry later`);
      if (seen.conflicts(f.RequesterId, f.RequestId, payload)) throw new Fault('INVALID_REQUEST', `RequestId ${f.RequestId} was already used for another request`);
      if (!requesters.has(f.RequesterId)) throw new Fault('ACCESS_DENIED', `requester ${f.RequesterId} may not use PensionInfo`);
      const person = data.persons.get(normalizePersonCode(f.PersonCode)!);
      if (!person) throw new Fault('PERSON_NOT_FOUND', 'VSAA has no record of this person');
      answer(res, 200, soapPayload(VSAA_NS, operation.response, [[operation.list, rows(operation, person, f.PeriodFrom, f.PeriodTo)]]));
    } catch (e) {
      if (e instanceof Fault) fault(res, e);
      else throw e;
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(VSAA_PATH);
  return sim;
}

type RequestFields = Record<(typeof FIELDS)[number], string>;

/** The request's fields in the XSD's order, or INVALID_REQUEST naming what is wrong. */
function readRequest(payload: XElement): RequestFields {
  const names = childElements(payload).map((c) => c.local);
  if (names.join() !== FIELDS.join()) throw new Fault('INVALID_REQUEST', `the request must hold ${FIELDS.join(', ')} in this order; it holds ${names.join(', ') || 'nothing'}`);
  const f = leafValues(payload) as RequestFields;
  for (const k of FIELDS) if (!f[k]) throw new Fault('INVALID_REQUEST', `${k} is empty`);
  if (!/^\d{7}$/.test(f.RequesterId)) throw new Fault('INVALID_REQUEST', 'RequesterId must be a municipality\'s ATVK code (7 digits)');
  const codeProblem = personCodeProblem(f.PersonCode);
  if (codeProblem) throw new Fault('INVALID_REQUEST', `PersonCode: ${codeProblem}`);
  const period = periodProblem({ from: f.PeriodFrom, to: f.PeriodTo });
  if (period) throw new Fault('INVALID_REQUEST', period);
  return f;
}

/** The person's data that falls in [from, to] (months), as the response's list items. */
function rows(op: VsaaOperation, p: VsaaPerson, from: string, to: string): XmlFields {
  const inPeriod = (month: string): boolean => month >= from && month <= to;
  if (op.service === 'ep50') {
    return p.deductions.filter((d) => inPeriod(d.month)).map((d) => [op.item, [['Month', d.month], ['BenefitType', d.benefitType], ['Amount', d.amount], ['Reason', d.reason]]] as const);
  }
  if (op.service === 'ep52') {
    return p.payments.filter((d) => inPeriod(d.month))
      .map((d) => [op.item, [['Month', d.month], ['BenefitType', d.benefitType], ['Amount', d.amount], ['SentOn', d.sentOn], ['Channel', d.channel]]] as const);
  }
  // A grant belongs to the period when it is in force for at least part of it.
  return p.grants.filter((g) => g.from.slice(0, 7) <= to && (g.to === undefined || g.to.slice(0, 7) >= from))
    .map((g) => [op.item, [['BenefitType', g.benefitType], ['Amount', g.amount], ['From', g.from], ['To', g.to]]] as const);
}
