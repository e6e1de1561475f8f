/**
 * SOPA's notification webhook (sopa.md, "Notifications to SOPA") as a real HTTP server on
 * loopback: `POST /api/notifications` with `Authorization: Bearer <token>` (401 otherwise), the JSON
 * body checked field by field (400 naming the field), 202 on the first receipt of a notificationId
 * and 200 on a repeat. Tests flip `switches` for latency, silence and outages, and read what arrived.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, bearerToken, sendJson as json, jsonRefusal as refusal, stableJson } from '../../engine/simulators/index.ts';
import { SOPA_NOTIFICATIONS_PATH, notificationProblem, type SopaNotification } from './notification-contract.ts';

export interface SopaReceiverOptions {
  /** The bearer token SOPA issued to the hub. @defaultValue a random one (see `token`) */
  token?: string;
  /** @defaultValue 0 (any free port) */
  port?: number;
}

export interface SopaReceiverSwitches {
  /** Delay before every answer. */
  latencyMs: number;
  /** Accept requests and never answer them. */
  timeout: boolean;
  /** Answer every request 503 without looking at it, as an overloaded SOPA does. */
  status5xx: boolean;
}

export interface SopaNotificationReceiver {
  /** The full notifications URL, `{sopaBase}/api/notifications`: what partners.yaml's notify.endpoint holds. */
  url: string;
  token: string;
  /** Each notificationId with the body of its first receipt, in order of arrival. */
  received: Map<string, SopaNotification>;
  /** POSTs to the notifications path, answered or not. */
  requests: number;
  /** Repeats of a notificationId already received (answered 200). */
  duplicates: number;
  /**
   * Repeats whose body differs from the first receipt. SOPA still answers 200 and keeps the first
   * body, so a hub that reuses an id for a newer profile would lose it silently: tests watch this.
   */
  conflicts: number;
  switches: SopaReceiverSwitches;
  /** Closes (true) or reopens (false, on the same port) the listening socket; connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, nothing received, zero counts. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const defaultSwitches = (): SopaReceiverSwitches => ({ latencyMs: 0, timeout: false, status5xx: false });

export async function startSopaNotificationReceiver(opts: SopaReceiverOptions = {}): Promise<SopaNotificationReceiver> {
  const { token, authorized } = bearerToken(opts.token);
  const contents = new Map<string, string>();

  const sim: SopaNotificationReceiver = {
    url: '', token, received: new Map(), requests: 0, duplicates: 0, conflicts: 0, switches: defaultSwitches(),
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.received.clear();
      contents.clear();
      sim.requests = 0;
      sim.duplicates = 0;
      sim.conflicts = 0;
    },
    close: () => server.close(),
  };

  /** `body` is undefined when it is over MAX_BODY: SOPA checks the token and the type before its size. */
  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== SOPA_NOTIFICATIONS_PATH) {
      return refusal(res, 404, 'NOT_FOUND', `no such endpoint; notifications go to POST ${SOPA_NOTIFICATIONS_PATH}`);
    }
    if (req.method !== 'POST') return refusal(res, 405, 'METHOD_NOT_ALLOWED', 'notifications are sent with POST', undefined, { allow: 'POST' });
    sim.requests++;
    const sw = sim.switches;
    if (sw.timeout) return; // the socket stays open until the client gives up or the receiver closes
    if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
    if (sw.status5xx) return refusal(res, 503, 'UNAVAILABLE', 'SOPA is temporarily unavailable; try again later');
    if (!authorized(req.headers.authorization)) {
      return refusal(res, 401, 'UNAUTHORIZED', 'Authorization: Bearer <token> with the token SOPA issued is required', 'Authorization', { 'www-authenticate': 'Bearer' });
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return refusal(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be sent as application/json', 'Content-Type');
    if (!body) return refusal(res, 413, 'TOO_LARGE', `the body is over ${MAX_BODY} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return refusal(res, 400, 'INVALID_JSON', `the body is not JSON: ${(e as Error).message}`, '');
    }
    const problem = notificationProblem(parsed);
    if (problem) return refusal(res, 400, 'INVALID_NOTIFICATION', problem.message, problem.field);
    const n = parsed as SopaNotification;
    const content = stableJson(n);
    const first = contents.get(n.notificationId);
    if (first !== undefined) {
      sim.duplicates++;
      if (first !== content) sim.conflicts++;
      return json(res, 200, { notificationId: n.notificationId, status: 'duplicate' });
    }
    contents.set(n.notificationId, content);
    sim.received.set(n.notificationId, n);
    json(res, 202, { notificationId: n.notificationId, status: 'accepted' });
  };

  // SOPA answers its own errors in its JSON shape, a failure of the simulator too.
  const serve = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => handle(req, res, body).catch((e: Error) => {
    if (!res.headersSent) refusal(res, 500, 'INTERNAL', `the simulator failed: ${e.message}`);
  });
  const server = await startLoopbackServer({
    port: opts.port, maxBodyBytes: MAX_BODY, handle: serve, oversized: (req, res) => serve(req, res, undefined),
  });
  sim.url = server.url(SOPA_NOTIFICATIONS_PATH);
  return sim;
}
