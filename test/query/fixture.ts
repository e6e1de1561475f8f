/** A test hub whose vsaa partner is a VSAA simulator on loopback, and a small client of the query API. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startVsaaSimulator, type VsaaSimulator, type VsaaSimulatorOptions } from '../../connectors/vsaa/sandbox.ts';
import type { PartnerDef } from '../../engine/config/types.ts';
import { KEYS, TEST_PARTNERS, startTestHub, testSigningIdentity, type TestHub, type TestHubOptions } from '../helpers/hub.ts';

/** The last six months of the simulator's data set. */
export const PERIOD = { periodFrom: '2026-07', periodTo: '2026-12' };
export const PURPOSE = 'Sociālās palīdzības lieta Nr. 2026/17';

export const startSim = async (opts: Partial<VsaaSimulatorOptions> = {}): Promise<VsaaSimulator> =>
  startVsaaSimulator({ hubCertPem: (await testSigningIdentity()).certPem, ...opts });

export function vsaaPartner(endpoint: string, certPem: string, policies: PartnerDef['policies']): PartnerDef {
  return { id: 'vsaa', system: 'vsaa', keyHashes: [], endpoint, certificate: certPem, policies };
}

/** Test policies: VSAA's real rate limit, a short timeout, and a breaker the fault tests do not trip. */
export const POLICIES: NonNullable<PartnerDef['policies']> = { rateLimit: { perSecond: 20, maxWait: '5s' }, circuitBreaker: { failures: 1000, openSeconds: 1 }, timeout: '1500ms' };

export async function startQueryHub(sim: VsaaSimulator, opts: { policies?: PartnerDef['policies']; shareWith?: TestHub; endpoint?: string; certPem?: string; httpLimits?: TestHubOptions['httpLimits'] } = {}): Promise<TestHub> {
  const partner = vsaaPartner(opts.endpoint ?? sim.url, opts.certPem ?? sim.certPem, opts.policies ?? POLICIES);
  return startTestHub({ partners: [...TEST_PARTNERS, partner], shareWith: opts.shareWith, httpLimits: opts.httpLimits });
}

export interface QueryReply {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

/** POSTs a query; `body` goes as JSON unless it is already a string. */
export async function ask(url: string, service: string, body: unknown, opts: { key?: string | null; contentType?: string } = {}): Promise<QueryReply> {
  const key = opts.key === undefined ? KEYS['sopa-riga'] : opts.key;
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/api/v1/query/${service}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

/**
 * A pass-through HTTP proxy in front of the simulator that notes when each request arrives, so a
 * test can count what the simulator was sent in any one second.
 */
export async function countingProxy(target: string): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
  const t = new URL(target);
  const arrivals: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    const up = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${t.pathname}`,
    arrivals,
    close: () => new Promise((r) => { agent.destroy(); server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The most arrivals within any window of `ms`. */
export function maxInWindow(times: number[], ms: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < s.length; j++) {
    while (s[j] - s[i] >= ms) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
