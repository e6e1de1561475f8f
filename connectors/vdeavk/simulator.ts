/**
 * VDEĀVK IIS's UniversalService (GetUniversalServiceDataIS, data set ASSISTANT_OPINIONS) as a real
 * SOAP 1.1 server on loopback, behaving as shared/partners/vdeavk.md says: WS-Security both ways
 * (requests verified against the hub's registered certificate, every answer and fault signed with
 * VDEĀVK's own key), every documented fault, a repeated RequestId with other content refused, and
 * ChangedSince paging whose cursor survives changes between pages. It also plays VDEĀVK's push:
 * `push()` sends SubmitAssistantOpinions to the hub. Tests flip `switches` for latency, outages
 * and timeouts, and change opinions through `data`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSigningIdentity, postSoap, signEnvelope, soapEnvelope, soapPayload, xmlFields, type AssistantOpinion, type CanonicalXml, type SigningIdentity } from '../../engine/index.ts';
import { acceptSignedRequest, RequestIdMemory, startLoopbackServer, type OutageSwitches } from '../../engine/simulators/index.ts';
import { agencyReplies } from '../../engine/simulators/index.ts';
import {
  HUB_VDEAVK_NS, HUB_VDEAVK_OPERATION, MAX_PUSH_OPINIONS, MAX_TOKEN, VDEAVK_NS, VDEAVK_OPERATION, canonicalOpinion, opinionElement, opinionFields, type VdeavkErrorCode,
} from './messages.ts';
import { readRequest, type VdeavkRequest } from './simulator-request.ts';
import { SchemaViolation, token } from './xsd-values.ts';
import { vdeavkDataSet, type VdeavkDataOptions, type VdeavkDataSet } from './simulator-data.ts';
import { pageOf } from './simulator-feed.ts';

export const VDEAVK_PATH = '/iis/UniversalService';
const SCHEMAS = new URL('../../schemas/', import.meta.url);

export interface VdeavkSimulatorOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** VDEĀVK's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  data?: VdeavkDataOptions;
  /** Requesters VDEĀVK serves; others get ACCESS_DENIED. @defaultValue every ATVK of schemas/classifiers/municipalities.json, and LM */
  requesters?: string[];
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The switches tests flip (engine OutageSwitches): latency, a silent partner, an outage. */
export type VdeavkSwitches = OutageSwitches;

export interface VdeavkPushResult {
  /** The hub's HTTP status (200 with its answer, 500 with a fault). */
  status: number;
  /** The hub's signed answer or fault. */
  body: string;
  requestId: string;
}

export interface VdeavkSimulator {
  /** The service endpoint; its WSDL is at `${url}?wsdl`. */
  url: string;
  certPem: string;
  /** The opinions served; change them through its add/change/revoke. */
  data: VdeavkDataSet;
  switches: VdeavkSwitches;
  stats: { requests: number; faults: Partial<Record<VdeavkErrorCode, number>> };
  /**
   * Pushes opinions to the hub's SubmitAssistantOpinions (e.g. `http://127.0.0.1:8080/soap/vdeavk`),
   * signed with VDEĀVK's key. Throws RangeError for what the XSD would refuse (no opinions, more
   * than 1000, an invalid opinion or RequestId): the simulated VDEĀVK sends only valid messages.
   */
  push(hubSoapUrl: string, opinions: AssistantOpinion[], requestId?: string): Promise<VdeavkPushResult>;
  /** Closes (true) or reopens (false) the listening socket, so connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, forgotten RequestIds, zero stats. The opinions stay as they are. */
  reset(): void;
  close(): Promise<void>;
}

/** A fault VDEĀVK answers, with its ErrorCode. */
export class VdeavkFault extends Error {
  constructor(readonly errorCode: VdeavkErrorCode, message: string) { super(message); }
}

const defaultSwitches = (): VdeavkSwitches => ({ latencyMs: 0, timeout: false, outage: 'none' });

function defaultRequesters(): string[] {
  const json = JSON.parse(readFileSync(new URL('classifiers/municipalities.json', SCHEMAS), 'utf8')) as { municipalities: { atvk: string }[] };
  return [...json.municipalities.map((m) => m.atvk), 'LM'];
}

export async function startVdeavkSimulator(opts: VdeavkSimulatorOptions): Promise<VdeavkSimulator> {
  const identity = opts.identity ?? await createSigningIdentity('VDEAVK simulator');
  const data = vdeavkDataSet(opts.data);
  const requesters = new Set(opts.requesters ?? defaultRequesters());
  const seen = new RequestIdMemory();

  const sim: VdeavkSimulator = {
    url: '', certPem: identity.certPem, data, switches: defaultSwitches(), stats: { requests: 0, faults: {} },
    push: (hubSoapUrl, opinions, requestId) => push(identity, hubSoapUrl, opinions, requestId),
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      seen.clear();
      sim.stats = { requests: 0, faults: {} };
    },
    close: () => server.close(),
  };

  const { answer, fault } = agencyReplies(identity, VDEAVK_NS, () => sim.stats);

  /** Remembers each RequestId's content: the same id again must be the same request (a retry). */
  const respond = (r: VdeavkRequest): CanonicalXml => {
    if (r.mode === 'person') {
      const opinions = data.ofPerson(r.personCode);
      if (opinions.length === 0) throw new VdeavkFault('PERSON_NOT_FOUND', 'VDEĀVK has no opinion on this person');
      return soapPayload(VDEAVK_NS, VDEAVK_OPERATION.response, [['Opinions', opinions.map((o) => ['Opinion', opinionFields(o)] as const)]]);
    }
    const page = pageOf(data.feed(), r);
    return soapPayload(VDEAVK_NS, VDEAVK_OPERATION.response, [
      ['Opinions', page.opinions.map((o) => ['Opinion', opinionFields(o)] as const)], ['NextCursor', page.nextCursor],
    ]);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    try {
      const accepted = await acceptSignedRequest(req, res, body, {
        contract: { wsdlFile: 'vdeavk-universal.wsdl', servicePath: VDEAVK_PATH, location: sim.url, xsdFiles: ['vdeavk-universal.xsd'] },
        stats: sim.stats, switches: sim.switches, hubCertPem: opts.hubCertPem, fault: (code, message) => new VdeavkFault(code, message),
      });
      if (!accepted) return;
      const { payload } = accepted;
      if (!payload || payload.uri !== VDEAVK_NS || payload.local !== VDEAVK_OPERATION.request) {
        throw new VdeavkFault('INVALID_REQUEST', `the Body must hold ${VDEAVK_OPERATION.request} in namespace ${VDEAVK_NS}`);
      }
      const r = readRequest(payload);
      if (seen.conflicts(r.requesterId, r.requestId, payload)) {
        throw new VdeavkFault('INVALID_REQUEST', `RequestId ${r.requestId} was already used for another request; use a new RequestId for each request`);
      }
      if (!requesters.has(r.requesterId)) throw new VdeavkFault('ACCESS_DENIED', `requester ${r.requesterId} may not read ASSISTANT_OPINIONS`);
      answer(res, 200, respond(r));
    } catch (e) {
      if (e instanceof VdeavkFault) fault(res, e);
      else if (e instanceof SchemaViolation) fault(res, new VdeavkFault('INVALID_REQUEST', e.message));
      else throw e;
    }
  };

  const server = await startLoopbackServer({ port: opts.port, handle: (req, res, body) => handle(req, res, body.toString('utf8')) });
  sim.url = server.url(VDEAVK_PATH);
  return sim;
}

/** VDEĀVK's SubmitAssistantOpinionsRequest to the hub, signed and sent. */
async function push(identity: SigningIdentity, hubSoapUrl: string, opinions: AssistantOpinion[], requestId = `vdeavk-${randomUUID()}`): Promise<VdeavkPushResult> {
  if (opinions.length === 0 || opinions.length > MAX_PUSH_OPINIONS) throw new RangeError(`a push carries 1 to ${MAX_PUSH_OPINIONS} opinions, not ${opinions.length}`);
  try {
    if (token(requestId, 'RequestId', MAX_TOKEN) !== requestId) throw new SchemaViolation('RequestId', 'must not have leading, trailing or repeated whitespace');
  } catch (e) {
    throw new RangeError((e as Error).message);
  }
  // The Opinions are in VDEĀVK's namespace inside the hub's element, which soapPayload cannot
  // write; signEnvelope canonicalizes the Body itself, so the text needs no canonical form.
  const payload = `<${HUB_VDEAVK_OPERATION.request} xmlns="${HUB_VDEAVK_NS}">${xmlFields([['RequestId', requestId]])}`
    + `<Opinions>${opinions.map((o) => opinionElement(canonicalOpinion(o))).join('')}</Opinions></${HUB_VDEAVK_OPERATION.request}>`;
  const res = await postSoap(hubSoapUrl, signEnvelope(soapEnvelope(payload), identity), {
    timeoutMs: 30_000, soapAction: HUB_VDEAVK_OPERATION.soapAction, partner: 'hub',
  });
  return { status: res.status, body: res.body, requestId };
}
