/**
 * A municipality's SOPA open-applications service (docs/partners/sopa-applications.md) as a real
 * HTTP server on loopback: `POST /api/open-applications` with `Authorization: Bearer <token>` (401
 * otherwise), the request checked field by field (400 naming the field), a repeated requestId with
 * other content refused (409), and the person's open applications answered (an empty list for a
 * person it has none of). Tests seed `applications` and flip `switches` for latency, silence and
 * outages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenApplication } from '../../engine/index.ts';
import { startLoopbackServer, bearerToken, sendJson as json, jsonRefusal as refusal } from '../../engine/simulators/index.ts';
import { SOPA_APPLICATIONS_PATH, requestProblem, type SopaApplicationsAnswer, type SopaApplicationsRequest } from './applications-contract.ts';

export interface SopaApplicationsSimulatorOptions {
  /** The municipality (ATVK) this SOPA serves. */
  municipality: string;
  /** The bearer token SOPA issued to the hub. @defaultValue a random one (see `token`) */
  token?: string;
  /** Open applications by personal code (11 digits). */
  applications?: Record<string, OpenApplication[]>;
  /** @defaultValue 0 (any free port) */
  port?: number;
}

export interface SopaApplicationsSwitches {
  /** Delay before every answer. */
  latencyMs: number;
  /** Accept requests and never answer them. */
  timeout: boolean;
  /** Answer every request 503, as an overloaded SOPA does. */
  status5xx: boolean;
}

export interface SopaApplicationsSimulator {
  /** The service's URL: what partners.yaml's `endpoint` of the SOPA partner holds. */
  url: string;
  token: string;
  municipality: string;
  /** Open applications by personal code; tests change them at will. */
  applications: Map<string, OpenApplication[]>;
  /** POSTs to the service path, answered or not. */
  requests: number;
  /** Persons asked about, in order (personal codes; test equipment, never logged). */
  asked: string[];
  switches: SopaApplicationsSwitches;
  refuseConnections(on: boolean): Promise<void>;
  /** Default switches, zero counts, forgotten requestIds; the applications stay. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const defaultSwitches = (): SopaApplicationsSwitches => ({ latencyMs: 0, timeout: false, status5xx: false });

export async function startSopaApplicationsSimulator(opts: SopaApplicationsSimulatorOptions): Promise<SopaApplicationsSimulator> {
  const { token, authorized } = bearerToken(opts.token);
  // requestId → the request's content: partners/README.md, a repeated id must carry the same content.
  const seen = new Map<string, string>();

  const sim: SopaApplicationsSimulator = {
    url: '', token, municipality: opts.municipality, applications: new Map(Object.entries(opts.applications ?? {})),
    requests: 0, asked: [], switches: defaultSwitches(),
    refuseConnections: (on) => server.refuseConnections(on),
    reset() {
      sim.switches = defaultSwitches();
      sim.requests = 0;
      sim.asked = [];
      seen.clear();
    },
    close: () => server.close(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== SOPA_APPLICATIONS_PATH) {
      return refusal(res, 404, 'NOT_FOUND', `no such endpoint; open applications are asked with POST ${SOPA_APPLICATIONS_PATH}`);
    }
    if (req.method !== 'POST') return refusal(res, 405, 'METHOD_NOT_ALLOWED', 'open applications are asked with POST: a personal code never goes into a URL', undefined, { allow: 'POST' });
    sim.requests++;
    const sw = sim.switches;
    if (sw.timeout) return; // the socket stays open until the client gives up or the simulator closes
    if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
    if (sw.status5xx) return refusal(res, 503, 'UNAVAILABLE', 'SOPA is temporarily unavailable; try again later', undefined, { 'retry-after': '5' });
    if (!authorized(req.headers.authorization)) {
      return refusal(res, 401, 'UNAUTHORIZED', 'Authorization: Bearer <token> with the token SOPA issued is required', 'Authorization', { 'www-authenticate': 'Bearer' });
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return refusal(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be sent as application/json', 'Content-Type');
    if (!body) return refusal(res, 413, 'TOO_LARGE', `the body is over ${MAX_BODY} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return refusal(res, 400, 'INVALID_JSON', 'the body is not JSON', '');
    }
    const problem = requestProblem(parsed);
    if (problem) return refusal(res, 400, 'INVALID_REQUEST', problem.message, problem.field);
    const r = parsed as SopaApplicationsRequest;
    const content = JSON.stringify([r.personCode, r.purpose]);
    const first = seen.get(r.requestId);
    if (first !== undefined && first !== content) return refusal(res, 409, 'REQUEST_ID_REUSED', 'this requestId was already used for another request; use a new requestId for a new request', 'requestId');
    seen.set(r.requestId, content);
    sim.asked.push(r.personCode);
    const answer: SopaApplicationsAnswer = { requestId: r.requestId, municipality: sim.municipality, applications: inOrder(sim.applications.get(r.personCode) ?? []) };
    json(res, 200, answer);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> => handle(req, res, body).catch((e: Error) => {
    if (!res.headersSent) refusal(res, 500, 'INTERNAL', `the simulator failed: ${e.message}`);
  });
  const server = await startLoopbackServer({ port: opts.port, maxBodyBytes: MAX_BODY, handle: serve, oversized: (req, res) => serve(req, res, undefined) });
  sim.url = server.url(SOPA_APPLICATIONS_PATH);
  return sim;
}

/** sopa-applications.md: oldest first, then by applicationId. */
const inOrder = (list: OpenApplication[]): OpenApplication[] =>
  [...list].sort((a, b) => a.receivedOn.localeCompare(b.receivedOn) || a.applicationId.localeCompare(b.applicationId));
