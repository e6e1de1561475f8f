/**
 * What a simulated partner service that speaks JSON with a bearer token needs, whatever it serves
 * (SOPA's open applications and notifications, the official e-address): the token it issued and a
 * constant-time check of it, answers and refusals in the partners' error shape
 * (`{ error: { code, message, field? } }`, partners/README.md), and a spelling of a JSON value by
 * which a repeated request id is compared by content, not by key order.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface BearerToken {
  token: string;
  /** Whether an Authorization header carries this token; constant-time: the token is a credential. */
  authorized(header: string | undefined): boolean;
}

/** `token`, or a random one as a partner issues it. */
export function bearerToken(token: string = randomBytes(24).toString('base64url')): BearerToken {
  const expected = Buffer.from(`Bearer ${token}`);
  return {
    token,
    authorized(header) {
      const got = Buffer.from(header ?? '');
      return got.length === expected.length && timingSafeEqual(got, expected);
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

export function jsonRefusal(res: ServerResponse, status: number, code: string, message: string, field?: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error: { code, message, ...(field !== undefined ? { field } : {}) } }, headers);
}

/** A stable spelling of a JSON value (keys sorted), so a repeat is compared by content, not by key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
