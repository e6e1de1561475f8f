/**
 * LIETIS's notification endpoint (lietis.md, "Notifications to LIETIS") as a real SOAP 1.1 server
 * on loopback: requests verified against the hub's registered certificate (SIGNATURE_INVALID
 * otherwise), read by lietis-inbound.xsd's rules (INVALID_REQUEST naming the element), deduplicated
 * by NotificationId (a repeat is answered Accepted true again and changes nothing), every answer and
 * fault signed with LIETIS's own key, the WSDL at `?wsdl`. Tests flip `switches` and read `received`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { createSigningIdentity, excC14n, signSoapBody, verifyEnvelope, type CanonicalXml, type SigningIdentity } from '../../engine/index.ts';
import { serveWsdl, startLoopbackServer } from '../../engine/simulators/index.ts';
import { LIETIS_INBOUND_PATH, lietisFault, receiveNotificationResponse, type LietisNotification } from './notification-contract.ts';
import { InvalidNotification, readReceiveNotification } from './notify-request.ts';

const MAX_BODY = 1024 * 1024;

export interface LietisReceiverOptions {
  /** The certificate registered for the hub: requests signed otherwise get SIGNATURE_INVALID. */
  hubCertPem: string;
  /** LIETIS's own signing identity; one is generated when absent. */
  identity?: SigningIdentity;
  /** @defaultValue 0 (any free port) */
  port?: number;
}

export interface LietisReceiverSwitches {
  /** Delay before every answer. */
  latencyMs: number;
  /** Accept requests and never answer them. */
  timeout: boolean;
  /** Answer every request with an HTTP 503 from the front end, no SOAP. */
  status5xx: boolean;
}

export interface LietisNotificationReceiver {
  /** The ReceiveNotification endpoint (partners.yaml notify.endpoint); its WSDL is at `${url}?wsdl`. */
  url: string;
  /** LIETIS's certificate, which signs every answer (partners.yaml certificate). */
  certPem: string;
  /** Each NotificationId with the notification of its first receipt, in order of arrival. */
  received: Map<string, LietisNotification>;
  /** POSTs to the endpoint, answered or not. */
  requests: number;
  /** Verified, valid repeats of a NotificationId already received (answered Accepted, no effect). */
  duplicates: number;
  /** Repeats whose payload differs from the first receipt: LIETIS keeps the first, so the newer is lost. */
  conflicts: number;
  /** Faults answered, by ErrorCode. */
  faults: Partial<Record<'SIGNATURE_INVALID' | 'INVALID_REQUEST', number>>;
  switches: LietisReceiverSwitches;
  /** Closes (true) or reopens (false, on the same port) the listening socket; connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, nothing received, zero counts. */
  reset(): void;
  close(): Promise<void>;
}

const defaultSwitches = (): LietisReceiverSwitches => ({ latencyMs: 0, timeout: false, status5xx: false });

class Fault extends Error {
  constructor(readonly errorCode: 'SIGNATURE_INVALID' | 'INVALID_REQUEST', message: string) { super(message); }
}

export async function startLietisNotificationReceiver(opts: LietisReceiverOptions): Promise<LietisNotificationReceiver> {
  const identity = opts.identity ?? await createSigningIdentity('LIETIS simulator');
  const digests = new Map<string, string>();

  const sim: LietisNotificationReceiver = {
    url: '', certPem: identity.certPem, received: new Map(), requests: 0, duplicates: 0, conflicts: 0, faults: {}, switches: defaultSwitches(),
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.received.clear();
      digests.clear();
      sim.requests = 0;
      sim.duplicates = 0;
      sim.conflicts = 0;
      sim.faults = {};
    },
    close: () => server.close(),
  };

  /** A signed SOAP answer: 200 for a payload, 500 for a fault (SOAP 1.1 over HTTP). */
  const answer = (res: ServerResponse, status: number, content: CanonicalXml): void => {
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(signSoapBody(content, identity));
  };

  const receive = (body: string): void => {
    const verified = verifyEnvelope(body, opts.hubCertPem);
    if (!verified.ok) throw new Fault('SIGNATURE_INVALID', verified.reason);
    let n: LietisNotification;
    try {
      n = readReceiveNotification(verified.payload);
    } catch (e) {
      if (e instanceof InvalidNotification) throw new Fault('INVALID_REQUEST', e.message);
      throw e;
    }
    // The payload's canonical form: the same notification re-signed for a retry has the same digest.
    const digest = createHash('sha256').update(excC14n(verified.payload!)).digest('base64');
    const first = digests.get(n.notificationId);
    if (first !== undefined) {
      sim.duplicates++;
      if (first !== digest) sim.conflicts++;
      return;
    }
    digests.set(n.notificationId, digest);
    sim.received.set(n.notificationId, n);
  };

  /** `body` is undefined when it is over MAX_BODY: LIETIS counts the request and applies the switches first. */
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string | undefined): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      return serveWsdl(res, path, { wsdlFile: 'lietis-inbound.wsdl', servicePath: LIETIS_INBOUND_PATH, location: sim.url, xsdFiles: ['lietis-inbound.xsd'] });
    }
    if (req.method !== 'POST' || path.pathname !== LIETIS_INBOUND_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    sim.requests++;
    const sw = sim.switches;
    if (sw.timeout) return; // the socket stays open until the client gives up or the simulator closes
    if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
    if (sw.status5xx) {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
      return;
    }
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('request too large');
      return;
    }
    try {
      receive(body);
      answer(res, 200, receiveNotificationResponse());
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      sim.faults[e.errorCode] = (sim.faults[e.errorCode] ?? 0) + 1;
      answer(res, 500, lietisFault({ faultcode: 'Client', faultstring: e.message, errorCode: e.errorCode }));
    }
  };

  const server = await startLoopbackServer({
    port: opts.port, maxBodyBytes: MAX_BODY,
    handle: (req, res, body) => handle(req, res, body.toString('utf8')), oversized: (req, res) => handle(req, res, undefined),
  });
  sim.url = server.url(LIETIS_INBOUND_PATH);
  return sim;
}
