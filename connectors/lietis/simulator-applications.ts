/**
 * LIETIS's open-applications service (docs/partners/lietis-applications.md) as a real SOAP 1.1
 * server on loopback: requests verified against the hub's registered certificate
 * (SIGNATURE_INVALID otherwise), read by lietis-applications.xsd's rules (INVALID_REQUEST naming
 * the element), a repeated RequestId with other content refused, every answer and fault signed with
 * LIETIS's own key, the WSDL at `?wsdl`. Tests seed `applications` and flip `switches` for
 * latency, silence and outages (the engine's OutageSwitches).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSigningIdentity, type OpenApplication, type SigningIdentity } from '../../engine/index.ts';
import { RequestIdMemory, acceptSignedRequest, agencyReplies, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import {
  InvalidApplicationsMessage, LIETIS_APPLICATIONS_NS, LIETIS_APPLICATIONS_PATH, OPEN_APPLICATIONS, openApplicationsResponse, readOpenApplicationsRequest,
  type LietisApplicationsError,
} from './applications-contract.ts';

export interface LietisApplicationsSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** LIETIS's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  /** The municipality this LIETIS serves. @defaultValue 0002000 (Daugavpils) */
  municipality?: string;
  /** Open applications by personal code (11 digits). */
  applications?: Record<string, OpenApplication[]>;
  /** @defaultValue 0 (any free port) */
  port?: number;
}

export interface LietisApplicationsStats {
  /** POSTs to the service, answered or not. */
  requests: number;
  answered: number;
  faults: Partial<Record<LietisApplicationsError, number>>;
}

export interface LietisApplicationsSimulator {
  /** The GetOpenApplications endpoint (partners.yaml `endpoint`); its WSDL is at `${url}?wsdl`. */
  url: string;
  /** LIETIS's certificate, which signs every answer (partners.yaml `certificate`). */
  certPem: string;
  municipality: string;
  /** Open applications by personal code; tests change them at will. */
  applications: Map<string, OpenApplication[]>;
  switches: OutageSwitches;
  stats: LietisApplicationsStats;
  /** Persons asked about, in order (personal codes; test equipment, never logged). */
  asked: string[];
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, zero stats, nobody asked, forgotten RequestIds; the applications stay. */
  reset(): void;
  close(): Promise<void>;
}

class Fault extends Error {
  constructor(readonly errorCode: LietisApplicationsError, message: string) { super(message); }
}

const defaultSwitches = (): OutageSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });
const emptyStats = (): LietisApplicationsStats => ({ requests: 0, answered: 0, faults: {} });

export async function startLietisApplicationsSimulator(opts: LietisApplicationsSimulatorOptions): Promise<LietisApplicationsSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('LIETIS simulator');
  const seen = new RequestIdMemory();

  const sim: LietisApplicationsSimulator = {
    url: '', certPem: identity.certPem, municipality: opts.municipality ?? '0002000', applications: new Map(Object.entries(opts.applications ?? {})),
    switches: defaultSwitches(), stats: emptyStats(), asked: [],
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.stats = emptyStats();
      sim.asked = [];
      seen.clear();
    },
    close: () => server.close(),
  };

  const { answer, fault } = agencyReplies(identity, LIETIS_APPLICATIONS_NS, () => sim.stats);

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'lietis-applications.wsdl', servicePath: LIETIS_APPLICATIONS_PATH, location: sim.url, xsdFiles: ['lietis-applications.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new Fault(code, message),
      });
      if (!accepted) return;
      const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '');
      if (action && action !== OPEN_APPLICATIONS.soapAction) throw new Fault('INVALID_REQUEST', `SOAPAction ${action} is not this service's; send ${OPEN_APPLICATIONS.soapAction}`);
      let r;
      try {
        r = readOpenApplicationsRequest(accepted.payload);
      } catch (e) {
        if (e instanceof InvalidApplicationsMessage) throw new Fault('INVALID_REQUEST', e.message);
        throw e;
      }
      if (seen.conflicts('hub', r.requestId, accepted.payload!)) throw new Fault('INVALID_REQUEST', `RequestId ${r.requestId} was already used for another request; use a new RequestId for a new request`);
      sim.stats.answered++;
      sim.asked.push(r.personCode);
      answer(res, 200, openApplicationsResponse({ municipality: sim.municipality, applications: sim.applications.get(r.personCode) ?? [] }));
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      fault(res, { errorCode: e.errorCode, message: e.message });
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(LIETIS_APPLICATIONS_PATH);
  return sim;
}
