/**
 * PMLP's PersonRegister (GetPerson, GetPersonChanges) as a real SOAP 1.1 server on loopback,
 * behaving as docs/partners/pmlp.md says: WS-Security both ways (requests verified against the
 * hub's registered certificate, every answer and fault signed with PMLP's own key), every
 * documented fault, at most 50 requests a second per requester (UNAVAILABLE above that), a
 * repeated RequestId answered as the first time and refused with other content, and a change feed
 * whose cursor survives changes recorded between pages. Tests flip `switches` for latency, outages
 * and timeouts, and record changes through `data.addChange`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSigningIdentity, soapPayload, type CanonicalXml, type RegisterChange, type SigningIdentity } from '../../engine/index.ts';
import { acceptSignedRequest, RequestIdMemory, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import { agencyReplies, RateWindows } from '../../engine/simulators/index.ts';
import {
  PMLP_NS, PMLP_OPERATIONS, PMLP_SERVICE, PmlpFieldError, RATE_LIMIT_PER_SECOND, changeFields, personFields, type PmlpErrorCode,
} from './messages.ts';
import { activeMunicipalities, pmlpDataSet, type PmlpDataOptions, type PmlpDataSet } from './simulator-data.ts';
import { pageOf } from './simulator-feed.ts';
import { readRequest, type PmlpRequest } from './simulator-request.ts';

export const PMLP_PATH = '/fpr/PersonRegister';
/** How many answers the simulator keeps for repeated RequestIds; the oldest are forgotten first. */
const REPLIES_KEPT = 10_000;

export interface PmlpSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** PMLP's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  data?: PmlpDataOptions;
  /** @defaultValue 50 (pmlp.md) */
  rateLimitPerSecond?: number;
  /** Requesters PMLP serves; others get ACCESS_DENIED. @defaultValue today's municipalities of schemas/classifiers/municipalities.json, and LM */
  requesters?: string[];
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The switches tests flip (engine OutageSwitches): latency, a silent partner, an outage. */
export type PmlpSwitches = OutageSwitches;

export interface PmlpSimulator {
  /** The service endpoint; its WSDL is at `${url}?wsdl`. */
  url: string;
  certPem: string;
  /** The register served; record changes through its addChange. */
  data: PmlpDataSet;
  switches: PmlpSwitches;
  stats: { requests: number; faults: Partial<Record<PmlpErrorCode, number>> };
  /** Closes (true) or reopens (false) the listening socket, so connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, empty rate windows, forgotten RequestIds, zero stats. The register stays as it is. */
  reset(): void;
  close(): Promise<void>;
}

/** A fault PMLP answers, with its ErrorCode. */
export class PmlpFault extends Error {
  constructor(readonly errorCode: PmlpErrorCode, message: string) { super(message); }
}

const defaultSwitches = (): PmlpSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });

const RIGA_OFFSET = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Riga', timeZoneName: 'longOffset' });

/** An instant as PMLP writes it: Riga's wall-clock time with its offset (`2026-03-05T10:15:00.123+02:00`). */
export function inRigaTime(iso: string): string {
  const t = new Date(iso);
  const offset = RIGA_OFFSET.formatToParts(t).find((p) => p.type === 'timeZoneName')!.value.replace('GMT', '') || '+00:00';
  const minutes = (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(t.getTime() + minutes * 60_000).toISOString().replace('Z', offset);
}

export async function startPmlpSimulator(opts: PmlpSimulatorOptions): Promise<PmlpSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('PMLP simulator');
  const data = pmlpDataSet(opts.data);
  const rate = new RateWindows(opts.rateLimitPerSecond ?? RATE_LIMIT_PER_SECOND);
  const requesters = new Set(opts.requesters ?? [...activeMunicipalities().map((m) => m.atvk), 'LM']);
  const seen = new RequestIdMemory();
  const replies = new Map<string, CanonicalXml>();

  const sim: PmlpSimulator = {
    url: '', certPem: identity.certPem, data, switches: defaultSwitches(), stats: { requests: 0, faults: {} },
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      rate.clear();
      seen.clear();
      replies.clear();
      sim.stats = { requests: 0, faults: {} };
    },
    close: () => server.close(),
  };

  const { answer, fault } = agencyReplies(identity, PMLP_NS, () => sim.stats);

  const respond = (r: PmlpRequest): CanonicalXml => {
    if (r.mode === 'person') {
      const person = data.personOf(r.personCode);
      if (!person) throw new PmlpFault('PERSON_NOT_FOUND', 'the population register holds no person with this personal code');
      return soapPayload(PMLP_NS, PMLP_OPERATIONS.GetPerson.response, [['Person', personFields(person)]]);
    }
    const page = pageOf(data, r);
    const wire = (c: RegisterChange) => ['Change', changeFields({ ...c, recordedAt: inRigaTime(c.recordedAt) })] as const;
    return soapPayload(PMLP_NS, PMLP_OPERATIONS.GetPersonChanges.response, [['Changes', page.changes.map(wire)], ['NextCursor', page.nextCursor]]);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'pmlp-fpr.wsdl', servicePath: PMLP_PATH, location: sim.url, xsdFiles: ['pmlp-fpr.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new PmlpFault(code, message),
      });
      if (!accepted) return;
      const r = readRequest(accepted.payload);
      if (!rate.admit(r.requesterId)) throw new PmlpFault('UNAVAILABLE', `more than ${rate.perSecond} requests a second from ${r.requesterId}; retry later`);
      if (seen.conflicts(r.requesterId, r.requestId, accepted.payload!)) {
        throw new PmlpFault('INVALID_REQUEST', `RequestId ${r.requestId} was already used for another request; use a new RequestId for each request`);
      }
      if (!requesters.has(r.requesterId)) throw new PmlpFault('ACCESS_DENIED', `requester ${r.requesterId} may not use ${PMLP_SERVICE}`);
      // A retry gets the answer the first request got, even if the feed has grown since.
      const key = `${r.requesterId}\u0000${r.requestId}`;
      const payload = replies.get(key) ?? respond(r);
      if (!replies.has(key)) {
        if (replies.size >= REPLIES_KEPT) replies.delete(replies.keys().next().value!);
        replies.set(key, payload);
      }
      answer(res, 200, payload);
    } catch (e) {
      if (e instanceof PmlpFault) fault(res, e);
      else if (e instanceof PmlpFieldError) fault(res, new PmlpFault('INVALID_REQUEST', e.message));
      else throw e;
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(PMLP_PATH);
  return sim;
}
