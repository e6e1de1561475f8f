/**
 * The official e-address's message API (docs/partners/eaddress.md) as a real HTTP server on
 * loopback: `POST /api/messages` with `Authorization: Bearer <token>` (401 otherwise), the body
 * checked field by field (400 naming the field), 404 NO_EADDRESS for a recipient listed in
 * `withoutEAddress`, 201 `{ref}` on the first receipt of a messageId and 200 `{ref, duplicate}` with
 * the same ref on a repeat; more than `rateLimitPerSecond` messages in a second are answered 503
 * UNAVAILABLE with Retry-After, as VRAA serves the hub (eaddress.md, "Limits"). Tests flip
 * `switches` for outages and latency and read the inbox.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateWindows, startLoopbackServer, bearerToken, sendJson as json, jsonRefusal as refusal, stableJson } from '../../engine/simulators/index.ts';
import { EADDRESS_LIMITS, messageProblem, type EAddressRequest } from './contract.ts';

export const EADDRESS_MESSAGES_PATH = '/api/messages';

export interface EAddressSimulatorOptions {
  /** Person codes and registration numbers that have not activated an e-address: answered 404 NO_EADDRESS. */
  withoutEAddress?: string[];
  /** The bearer token VRAA issued to the hub. @defaultValue a random one (see `token`) */
  token?: string;
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** Requests a second VRAA serves the hub (a sliding second). @defaultValue EADDRESS_RATE_LIMIT, 20 */
  rateLimitPerSecond?: number;
}

/** eaddress.md, "Limits": VRAA serves the hub at most 20 messages a second. */
export const EADDRESS_RATE_LIMIT = 20;

export interface EAddressSwitches {
  /** Delay before every answer (after the message is stored, as a slow gateway would). */
  latencyMs: number;
  /** Answer every request 503 without looking at it. */
  outage: boolean;
}

/** One message as the e-address keeps it: the body of its first receipt and the ref it was given. */
export interface ReceivedMessage extends EAddressRequest {
  ref: string;
  receivedAt: string;
}

export interface EAddressSimulator {
  /** The message API's URL: what partners.yaml's `endpoint` (and `notify.endpoint`) holds. */
  url: string;
  token: string;
  /** Every message accepted, once per messageId, in order of arrival. */
  inbox(): ReceivedMessage[];
  /** The messages of one recipient (person code or registration number), in order of arrival. */
  byRecipient(code: string): ReceivedMessage[];
  stats: {
    /** Messages accepted (201). */
    received: number;
    /** Repeats of a messageId already accepted (200). */
    duplicates: number;
    /** Repeats whose body differs from the first receipt: the e-address keeps the first, so a hub reusing an id loses a message. */
    conflicts: number;
    /** Answers 404 NO_EADDRESS. */
    noEAddress: number;
    /** POSTs to the message path, answered or not. */
    requests: number;
    /** Answers 503 because the hub sent more than the rate limit allows. */
    overRate: number;
  };
  switches: EAddressSwitches;
  /** Adds (true) or removes (false) a recipient from those without an e-address. */
  setEAddress(code: string, active: boolean): void;
  /** Closes (true) or reopens (false, on the same port) the listening socket. */
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, an empty inbox, zero counts. */
  reset(): void;
  close(): Promise<void>;
}

const defaultSwitches = (): EAddressSwitches => ({ latencyMs: 0, outage: false });

const recipientOf = (m: EAddressRequest): string => ('personCode' in m.recipient ? m.recipient.personCode : m.recipient.regNo);

export async function startEAddressSimulator(opts: EAddressSimulatorOptions = {}): Promise<EAddressSimulator> {
  const { token, authorized } = bearerToken(opts.token);
  const without = new Set(opts.withoutEAddress ?? []);
  const messages: ReceivedMessage[] = [];
  const byId = new Map<string, { message: ReceivedMessage; content: string }>();
  const zero = () => ({ received: 0, duplicates: 0, conflicts: 0, noEAddress: 0, requests: 0, overRate: 0 });
  const rate = new RateWindows(opts.rateLimitPerSecond ?? EADDRESS_RATE_LIMIT);
  let refs = 0;

  const sim: EAddressSimulator = {
    url: '', token, switches: defaultSwitches(), stats: zero(),
    inbox: () => [...messages],
    byRecipient: (code) => messages.filter((m) => recipientOf(m) === code),
    setEAddress: (code, active) => { if (active) without.delete(code); else without.add(code); },
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.stats = zero();
      rate.clear();
      messages.length = 0;
      byId.clear();
    },
    close: () => server.close(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== EADDRESS_MESSAGES_PATH) {
      return refusal(res, 404, 'NOT_FOUND', `no such endpoint; messages go to POST ${EADDRESS_MESSAGES_PATH}`);
    }
    if (req.method !== 'POST') return refusal(res, 405, 'METHOD_NOT_ALLOWED', 'messages are sent with POST', undefined, { allow: 'POST' });
    sim.stats.requests++;
    const sw = sim.switches;
    if (sw.outage) {
      if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
      return refusal(res, 503, 'UNAVAILABLE', 'the e-address is temporarily unavailable; try again later', undefined, { 'retry-after': '5' });
    }
    if (!authorized(req.headers.authorization)) {
      return refusal(res, 401, 'UNAUTHORIZED', 'Authorization: Bearer <token> with the token VRAA issued is required', 'Authorization', { 'www-authenticate': 'Bearer' });
    }
    if (!rate.admit('hub')) {
      sim.stats.overRate++;
      return refusal(res, 503, 'UNAVAILABLE', `more than ${rate.perSecond} messages a second; try again later`, undefined, { 'retry-after': '1' });
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return refusal(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be sent as application/json', 'Content-Type');
    if (!body) return refusal(res, 413, 'TOO_LARGE', `the body is over ${EADDRESS_LIMITS.bodyBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return refusal(res, 400, 'INVALID_JSON', `the body is not JSON: ${(e as Error).message}`, '');
    }
    const problem = messageProblem(parsed);
    if (problem) return refusal(res, 400, 'INVALID_MESSAGE', problem.message, problem.field);
    const m = parsed as EAddressRequest;
    const content = stableJson({ recipient: m.recipient, kind: m.kind, subject: m.subject, text: m.text, attachments: m.attachments ?? [] });
    const first = byId.get(m.messageId);
    // A message is stored before the answer is written: a caller that gives up during the latency
    // (a timeout, a killed worker) sends it again and must get the repeat's answer.
    let status: number, answer: Record<string, unknown>;
    if (first) {
      sim.stats.duplicates++;
      if (first.content !== content) sim.stats.conflicts++;
      [status, answer] = [200, { ref: first.message.ref, duplicate: true }];
    } else if (without.has(recipientOf(m))) {
      sim.stats.noEAddress++;
      return refusal(res, 404, 'NO_EADDRESS', 'the recipient has not activated an official e-address', 'recipient');
    } else {
      const message: ReceivedMessage = {
        messageId: m.messageId, recipient: m.recipient, kind: m.kind, subject: m.subject, text: m.text,
        ...(m.attachments ? { attachments: m.attachments } : {}),
        ref: `EA-${String(++refs).padStart(8, '0')}`, receivedAt: new Date().toISOString(),
      };
      byId.set(m.messageId, { message, content });
      messages.push(message);
      sim.stats.received++;
      [status, answer] = [201, { ref: message.ref }];
    }
    if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
    json(res, status, answer);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => handle(req, res, body).catch((e: Error) => {
    if (!res.headersSent) refusal(res, 500, 'INTERNAL', `the simulator failed: ${e.message}`);
  });
  const server = await startLoopbackServer({
    port: opts.port, maxBodyBytes: EADDRESS_LIMITS.bodyBytes, handle: serve, oversized: (req, res) => serve(req, res, undefined),
  });
  sim.url = server.url(EADDRESS_MESSAGES_PATH);
  return sim;
}
