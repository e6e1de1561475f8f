/**
 * NVA's BURVIS MunicipalExchange service as a real SOAP 1.1 server on loopback, behaving as
 * shared/partners/burvis.md says: WS-Security both ways (requests verified against the hub's
 * registered certificate, every answer and fault signed with NVA's own key), requests read by the
 * XSD, every documented fault, a repeated RequestId with other content refused, and co-participations
 * kept by the municipality's own Id. It also plays NVA's side of the push: `push` sends profile
 * changes to the hub's /soap/burvis endpoint, signed as NVA. Tests flip `switches` for latency,
 * outages and timeouts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createSigningIdentity, postSoap, signEnvelope, soapEnvelope, xmlFields, type BurvisProfile, type SigningIdentity } from '../../engine/index.ts';
import { acceptSignedRequest, RequestIdMemory, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import { agencyReplies } from '../../engine/simulators/index.ts';
import { BURVIS_NS, HUB_BURVIS_NS, MINISTRY_REQUESTER, SUBMIT_PROFILING_CHANGES, profileFields, type BurvisErrorCode, type BurvisOperationName } from './messages.ts';
import { burvisDataSet, type BurvisDataOptions, type BurvisDataSet } from './simulator-data.ts';
import { BurvisFault, answer, operationOf, readRequest, type BurvisBook, type CoParticipationRecord } from './simulator-operations.ts';
import { municipalities } from './municipalities.ts';

/** The path of the service, as in the WSDL's placeholder address. */
export const BURVIS_PATH = '/municipal/MunicipalExchange';

export interface BurvisSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** NVA's own signing identity (answers, faults and pushes); one is generated when absent. */
  identity?: SigningIdentity;
  data?: BurvisDataOptions;
  /** Requesters NVA serves; others get ACCESS_DENIED. @defaultValue every ATVK of schemas/classifiers/municipalities.json, and LM */
  requesters?: string[];
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The switches tests flip (engine OutageSwitches): latency, a silent partner, an outage. */
export type BurvisSwitches = OutageSwitches;

export interface BurvisStats {
  /** POSTs to the service, answered or not. */
  requests: number;
  /** Requests answered without a fault, by operation. */
  answered: Partial<Record<BurvisOperationName, number>>;
  faults: Partial<Record<BurvisErrorCode, number>>;
  /** Pushes sent to the hub. */
  pushes: number;
}

export interface BurvisPushResult {
  /** The hub's HTTP status (200 for an answer, 500 for a SOAP fault). */
  status: number;
  /** The hub's signed answer or fault, as received. */
  body: string;
  requestId: string;
}

export interface BurvisSimulator {
  /** The service endpoint; its WSDL is at `${url}?wsdl`. */
  url: string;
  certPem: string;
  data: BurvisDataSet;
  /** What NVA keeps of each co-participation, by `${RequesterId}/${Id}`. */
  coParticipations: ReadonlyMap<string, CoParticipationRecord>;
  switches: BurvisSwitches;
  stats: BurvisStats;
  /**
   * Sends `profiles` to the hub's SubmitProfilingChanges endpoint (e.g. `http://127.0.0.1:8080/soap/burvis`),
   * signed with NVA's identity. The profiles are written as given, unchecked, so that tests can
   * also send what the hub must refuse. @defaultValue requestId a random UUID
   */
  push(hubSoapUrl: string, profiles: BurvisProfile[], requestId?: string): Promise<BurvisPushResult>;
  /** Closes (true) or reopens (false) the listening socket, so connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, zero stats, forgotten RequestIds and co-participations, the seeded profiles. */
  reset(): void;
  close(): Promise<void>;
}

const defaultSwitches = (): BurvisSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });
const emptyStats = (): BurvisStats => ({ requests: 0, answered: {}, faults: {}, pushes: 0 });

/** The SubmitProfilingChangesRequest NVA pushes; the Profile elements keep NVA's own namespace. */
export function profilingChangesRequest(requestId: string, profiles: BurvisProfile[]): string {
  const items = profiles.map((p) => `<Profile xmlns="${BURVIS_NS}">${xmlFields(profileFields(p))}</Profile>`).join('');
  return `<${SUBMIT_PROFILING_CHANGES.request} xmlns="${HUB_BURVIS_NS}">${xmlFields([['RequestId', requestId]])}<Profiles>${items}</Profiles></${SUBMIT_PROFILING_CHANGES.request}>`;
}

export async function startBurvisSimulator(opts: BurvisSimulatorOptions): Promise<BurvisSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('BURVIS simulator');
  const requesters = new Set(opts.requesters ?? [...municipalities().map((m) => m.atvk), MINISTRY_REQUESTER]);
  let refs = 0;
  const book: BurvisBook = {
    data: burvisDataSet(opts.data),
    coParticipations: new Map(),
    nextRef: () => `NVA-LP-${String(++refs).padStart(8, '0')}`,
  };
  const seen = new RequestIdMemory();

  const sim: BurvisSimulator = {
    url: '', certPem: identity.certPem, data: book.data, coParticipations: book.coParticipations, switches: defaultSwitches(), stats: emptyStats(),
    async push(hubSoapUrl, profiles, requestId = randomUUID()) {
      const xml = signEnvelope(soapEnvelope(profilingChangesRequest(requestId, profiles)), identity);
      sim.stats.pushes++;
      const res = await postSoap(hubSoapUrl, xml, { timeoutMs: 10_000, soapAction: SUBMIT_PROFILING_CHANGES.soapAction, partner: 'spolis-hub' });
      return { status: res.status, body: res.body, requestId };
    },
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.stats = emptyStats();
      seen.clear();
      book.coParticipations.clear();
      book.data.reset();
      refs = 0;
    },
    close: () => server.close(),
  };

  /** A signed SOAP answer: 200 for a payload, 500 for a fault (SOAP 1.1 over HTTP). */
  const { answer: send, fault } = agencyReplies(identity, BURVIS_NS, () => sim.stats);

  /** RequestIds are the requester's: a repeat with the same content is a retry, with other content an error. */
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'burvis-municipal.wsdl', servicePath: BURVIS_PATH, location: sim.url, xsdFiles: ['burvis-municipal.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new BurvisFault(code, message),
      });
      if (!accepted) return;
      const { payload } = accepted;
      if (!payload) throw new BurvisFault('INVALID_REQUEST', 'the Body is empty');
      const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '');
      const op = operationOf(payload);
      if (op && action && action !== op.soapAction) throw new BurvisFault('INVALID_REQUEST', `SOAPAction ${action} does not match ${op.request}; send ${op.soapAction}`);
      const r = readRequest(payload);
      if (seen.conflicts(r.requesterId, r.requestId, payload)) throw new BurvisFault('INVALID_REQUEST', `RequestId ${r.requestId} was already used for another request`);
      if (!requesters.has(r.requesterId)) throw new BurvisFault('ACCESS_DENIED', `requester ${r.requesterId} may not use MunicipalExchange`);
      const out = answer(book, r);
      sim.stats.answered[r.op] = (sim.stats.answered[r.op] ?? 0) + 1;
      send(res, 200, out);
    } catch (e) {
      if (e instanceof BurvisFault) fault(res, e);
      else throw e;
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(BURVIS_PATH);
  return sim;
}
