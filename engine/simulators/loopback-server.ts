/**
 * The HTTP server under every partner simulator. Tests run the hub's real clients against real
 * sockets on 127.0.0.1, so that timeouts, refused connections and oversized bodies happen as they
 * do against a partner, and a simulator keeps one port for its life: the hub's partner
 * configuration holds its URL, so a partner that comes back must come back at the same address.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { verifyEnvelope } from '../soap/ws-security.ts';
import { excC14n } from '../xml/c14n.ts';
import type { XElement } from '../xml/tree.ts';

const SCHEMAS = new URL('../../schemas/', import.meta.url);

export interface LoopbackServerOptions {
  /** @defaultValue 0 (any free port, then kept across refuseConnections) */
  port?: number;
  /** @defaultValue 1 MiB */
  maxBodyBytes?: number;
  /**
   * Answers a request whose body is within maxBodyBytes. It may leave the response open (a partner
   * that never answers); if it throws before answering, the request is answered 500.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> | void;
  /**
   * Answers a request whose body is over maxBodyBytes, for a partner that checks other things first.
   * @defaultValue 413 `request too large`, before `handle` sees the request
   */
  oversized?(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> | void;
}

export interface LoopbackServer {
  readonly port: number;
  /** `http://127.0.0.1:{port}{path}`. */
  url(path: string): string;
  /** Closes (true) or reopens (false, on the same port) the listening socket; connections are refused meanwhile. */
  refuseConnections(on: boolean): Promise<void>;
  /** Refuses connections; like a partner that went away, it can still be reopened. */
  close(): Promise<void>;
}

export async function startLoopbackServer(opts: LoopbackServerOptions): Promise<LoopbackServer> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const sockets = new Set<Socket>();
  let listening = false;
  let port = opts.port ?? 0;

  const internalError = (res: http.ServerResponse): void => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is still read to its end: the client then gets the answer, not a reset.
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBody) chunks.push(c);
    });
    req.on('end', () => {
      const answered = async (): Promise<void> => {
        if (size <= maxBody) await opts.handle(req, res, Buffer.concat(chunks));
        else if (opts.oversized) await opts.oversized(req, res);
        else res.writeHead(413, { 'content-type': 'text/plain' }).end('request too large');
      };
      answered().catch(() => internalError(res));
    });
  });
  // Well above Node's 5 s default, so that the hub's pooled keep-alive sockets are not closed
  // under a request it is just sending, which would show up as resets no real partner causes.
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  const listen = (): Promise<void> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      listening = true;
      resolve();
    });
  });

  const refuseConnections = async (on: boolean): Promise<void> => {
    if (on && listening) {
      listening = false;
      // close() alone only stops accepting: idle keep-alive sockets and requests left unanswered
      // would keep the partner reachable and close() waiting, so they are cut as an outage cuts them.
      await new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); });
    } else if (!on && !listening) {
      await listen();
    }
  };

  await listen();
  return {
    get port() { return port; },
    url: (path) => `http://127.0.0.1:${port}${path}`,
    refuseConnections,
    close: () => refuseConnections(true),
  };
}

export interface WsdlContract {
  /** A file of schemas/wsdl, e.g. `vsaa-ep.wsdl`. */
  wsdlFile: string;
  /** The service's path: its WSDL is at `{servicePath}?wsdl`. */
  servicePath: string;
  /** What the WSDL's soap:address says instead of its placeholder: where the service really is. */
  location: string;
  /** Files of schemas/xsd the WSDL imports as `../xsd/{name}`, served at `/xsd/{name}`. */
  xsdFiles: readonly string[];
}

/**
 * Answers a GET for a service's contract: the WSDL at `?wsdl` with its real address, so that a
 * client generated from it calls this server, and the XSDs it imports; 404 otherwise. Only the
 * files named in `contract` are served, so a request path never picks a file.
 */
export function serveWsdl(res: http.ServerResponse, path: URL, contract: WsdlContract): void {
  const xsd = path.pathname.startsWith('/xsd/') ? path.pathname.slice('/xsd/'.length) : undefined;
  if (path.pathname === contract.servicePath && path.searchParams.has('wsdl')) {
    const wsdl = readFileSync(new URL(`wsdl/${contract.wsdlFile}`, SCHEMAS), 'utf8')
      .replace(/(<soap:address\s+location=")[^"]*"/, (_, start: string) => `${start}${contract.location}"`);
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(wsdl);
  } else if (xsd !== undefined && contract.xsdFiles.includes(xsd)) {
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(readFileSync(new URL(`xsd/${xsd}`, SCHEMAS)));
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

/** The switches a test flips on an agency simulator: slow, silent, or down. */
export interface OutageSwitches {
  /** Delay before every answer. */
  latencyMs: number;
  /** Accept requests and never answer them. */
  timeout: boolean;
  /** `http503`: an HTTP 503 from the front end, no SOAP; `unavailable`: the agency's own UNAVAILABLE fault. */
  outage: 'none' | 'http503' | 'unavailable';
}

/**
 * Plays the switches that act before the agency reads the request: resolves false when the
 * request is answered (HTTP 503) or left hanging (timeout) here, true when the simulator goes on
 * (and then answers `outage: 'unavailable'` with its own fault).
 */
export async function passSwitches(res: http.ServerResponse, sw: OutageSwitches): Promise<boolean> {
  if (sw.timeout) return false; // the socket stays open until the client gives up or the simulator closes
  if (sw.latencyMs > 0) await new Promise((r) => setTimeout(r, sw.latencyMs));
  if (sw.outage === 'http503') {
    res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
    return false;
  }
  return true;
}

/**
 * The front of a signed SOAP simulator, the same for every agency: the contract on GET, 404 for
 * any other path or method, the request counted, the outage switches played, then the agency's
 * UNAVAILABLE fault when that switch is on and its SIGNATURE_INVALID fault for a message not signed
 * with the hub's certificate. Resolves `{ payload }` (the verified Body's element, if any) for the
 * simulator to read, or null when the request was answered (or left hanging) here. Faults are made
 * by `fault` and thrown, for the simulator's own catch to answer.
 */
export async function acceptSignedRequest(
  req: http.IncomingMessage, res: http.ServerResponse, body: string,
  o: { contract: WsdlContract; stats: { requests: number }; switches: OutageSwitches; hubCertPem: string; fault: (code: 'UNAVAILABLE' | 'SIGNATURE_INVALID', message: string) => Error },
): Promise<{ payload: XElement | undefined } | null> {
  const path = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET') {
    serveWsdl(res, path, o.contract);
    return null;
  }
  if (req.method !== 'POST' || path.pathname !== o.contract.servicePath) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return null;
  }
  o.stats.requests++;
  if (!(await passSwitches(res, o.switches))) return null;
  if (o.switches.outage === 'unavailable') throw o.fault('UNAVAILABLE', 'the service is temporarily unavailable, retry later');
  const verified = verifyEnvelope(body, o.hubCertPem);
  if (!verified.ok) throw o.fault('SIGNATURE_INVALID', verified.reason);
  return { payload: verified.payload };
}

/**
 * The RequestIds an agency has seen, with a digest of what each carried: the same request again
 * is a repeat (answered as the first time), the same RequestId with other content a fault. Bounded:
 * the oldest are forgotten first.
 */
export class RequestIdMemory {
  private readonly seen = new Map<string, string>();
  constructor(private readonly limit = 100_000) {}

  /** Records the request; true when this RequestId was already used for other content. */
  conflicts(requesterId: string, requestId: string, payload: XElement): boolean {
    const digest = createHash('sha256').update(excC14n(payload)).digest('base64');
    const key = `${requesterId}\u0000${requestId}`;
    const before = this.seen.get(key);
    if (before !== undefined) return before !== digest;
    if (this.seen.size >= this.limit) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, digest);
    return false;
  }

  clear(): void {
    this.seen.clear();
  }
}
