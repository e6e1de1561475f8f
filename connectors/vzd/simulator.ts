/**
 * VZD's PropertyInfo service (GetPersonProperty) as a real SOAP 1.1 server on loopback, behaving
 * as docs/partners/vzd.md says: WS-Security both ways (requests verified against the hub's
 * registered certificate, every answer and fault signed with VZD's own key), requests read by the
 * XSD's rules, every documented fault, only municipalities served (LM, the Ministry, is refused),
 * at most 10 requests a second per requester (UNAVAILABLE above that), and a repeated RequestId
 * with other content refused. Tests flip `switches` for latency, outages and timeouts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSigningIdentity, soapPayload, type SigningIdentity } from '../../engine/index.ts';
import { acceptSignedRequest, RequestIdMemory, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import { agencyReplies, RateWindows } from '../../engine/simulators/index.ts';
import {
  RATE_LIMIT_PER_SECOND, VZD_NS, VZD_OPERATION, VzdFieldError, checkRequest, propertyFields, readRequestFields, type VzdErrorCode,
} from './messages.ts';
import { municipalityList, vzdDataSet, type VzdDataOptions, type VzdDataSet } from './simulator-data.ts';

/** The path of the service, as in the WSDL's placeholder address. */
export const VZD_PATH = '/kadastrs/PropertyInfo';

export interface VzdSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** VZD's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  data?: VzdDataOptions;
  /** @defaultValue 10 (vzd.md) */
  rateLimitPerSecond?: number;
  /** Requesters VZD serves; others get ACCESS_DENIED. @defaultValue every ATVK of schemas/classifiers/municipalities.json */
  requesters?: string[];
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The switches tests flip (engine OutageSwitches): latency, a silent partner, an outage. */
export type VzdSwitches = OutageSwitches;

export interface VzdStats {
  /** POSTs to the service, answered or not. */
  requests: number;
  /** Requests answered with the person's properties. */
  answered: number;
  faults: Partial<Record<VzdErrorCode, number>>;
}

export interface VzdSimulator {
  /** The service endpoint; its WSDL is at `${url}?wsdl`. */
  url: string;
  certPem: string;
  data: VzdDataSet;
  switches: VzdSwitches;
  stats: VzdStats;
  /** Closes (true) or reopens (false) the listening socket, so connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, empty rate windows, forgotten RequestIds, zero stats. */
  reset(): void;
  close(): Promise<void>;
}

export class VzdFault extends Error {
  constructor(readonly errorCode: VzdErrorCode, message: string) { super(message); }
}

const defaultSwitches = (): VzdSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });
const emptyStats = (): VzdStats => ({ requests: 0, answered: 0, faults: {} });

export async function startVzdSimulator(opts: VzdSimulatorOptions): Promise<VzdSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('VZD simulator');
  const data = vzdDataSet(opts.data);
  const rate = new RateWindows(opts.rateLimitPerSecond ?? RATE_LIMIT_PER_SECOND);
  const requesters = new Set(opts.requesters ?? municipalityList().map((m) => m.atvk));
  const seen = new RequestIdMemory();

  const sim: VzdSimulator = {
    url: '', certPem: identity.certPem, data, switches: defaultSwitches(), stats: emptyStats(),
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.stats = emptyStats();
      rate.clear();
      seen.clear();
    },
    close: () => server.close(),
  };

  const { answer: send, fault } = agencyReplies(identity, VZD_NS, () => sim.stats);

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'vzd-property.wsdl', servicePath: VZD_PATH, location: sim.url, xsdFiles: ['vzd-property.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new VzdFault(code, message),
      });
      if (!accepted) return;
      const { payload } = accepted;
      if (!payload) throw new VzdFault('INVALID_REQUEST', `the Body is empty; send ${VZD_OPERATION.request}`);
      const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '');
      if (action && action !== VZD_OPERATION.soapAction) throw new VzdFault('INVALID_REQUEST', `SOAPAction ${action} is not PropertyInfo's; send ${VZD_OPERATION.soapAction}`);
      const raw = invalidRequest(() => readRequestFields(payload));
      // Who asks is settled before what is asked: a requester VZD does not serve learns nothing of its request.
      if (!requesters.has(raw.RequesterId)) throw new VzdFault('ACCESS_DENIED', `requester ${raw.RequesterId} may not use PropertyInfo: only municipalities may ask, by their ATVK code`);
      const f = invalidRequest(() => checkRequest(raw));
      if (!rate.admit(f.RequesterId)) throw new VzdFault('UNAVAILABLE', `more than ${rate.perSecond} requests a second from ${f.RequesterId}; retry later`);
      if (seen.conflicts(f.RequesterId, f.RequestId, payload)) throw new VzdFault('INVALID_REQUEST', `RequestId ${f.RequestId} was already used for another request; use a new RequestId for a new request`);
      const person = data.persons.get(f.PersonCode);
      if (!person) throw new VzdFault('PERSON_NOT_FOUND', 'the population register holds no person with this PersonCode');
      sim.stats.answered++;
      send(res, 200, soapPayload(VZD_NS, VZD_OPERATION.response, [['Properties', person.properties.map((p) => ['Property', propertyFields(p)] as const)]]));
    } catch (e) {
      if (!(e instanceof VzdFault)) throw e;
      fault(res, e);
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(VZD_PATH);
  return sim;
}

/** Runs a reader of the request; a field it refuses is INVALID_REQUEST naming the field. */
function invalidRequest<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof VzdFieldError) throw new VzdFault('INVALID_REQUEST', e.message);
    throw e;
  }
}
