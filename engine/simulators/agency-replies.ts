/**
 * What every simulated agency answers with: a signed SOAP payload (200) or a signed fault (500,
 * `Server` for UNAVAILABLE, which is worth retrying, `Client` for the rest), counted by error
 * code; and the per-requester limit an agency puts on requests a second.
 */
import type { ServerResponse } from 'node:http';
import { soapFault } from '../soap/exchange.ts';
import { signSoapBody, type CanonicalXml } from '../soap/ws-security.ts';
import type { SigningIdentity } from '../soap/signing.ts';

export interface AgencyReplies {
  answer(res: ServerResponse, status: number, payload: CanonicalXml): void;
  fault(res: ServerResponse, f: { errorCode: string; message: string }): void;
}

/** `stats` is read at each fault: a simulator's reset may replace its stats object. */
export function agencyReplies(identity: SigningIdentity, ns: string, stats: () => { faults: Record<string, number> }): AgencyReplies {
  const answer = (res: ServerResponse, status: number, payload: CanonicalXml): void => {
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(signSoapBody(payload, identity));
  };
  return {
    answer,
    fault(res, f) {
      const faults = stats().faults;
      faults[f.errorCode] = (faults[f.errorCode] ?? 0) + 1;
      answer(res, 500, soapFault(ns, { faultcode: f.errorCode === 'UNAVAILABLE' ? 'Server' : 'Client', faultstring: f.message, errorCode: f.errorCode }));
    },
  };
}

/** Admission times per requester over the last second; a refused request takes no place in it. */
export class RateWindows {
  private readonly times = new Map<string, number[]>();
  constructor(readonly perSecond: number) {}
  admit(requester: string): boolean {
    const now = performance.now();
    const recent = (this.times.get(requester) ?? []).filter((t) => now - t < 1000);
    const admitted = recent.length < this.perSecond;
    if (admitted) recent.push(now);
    this.times.set(requester, recent);
    return admitted;
  }
  clear(): void { this.times.clear(); }
}
