/**
 * One e-service request: who asks (PortalCallers) and what JSON they sent. The body is read as
 * bytes (the portal's assertion signs their sha256), then parsed; a body that is not a JSON
 * object is a 400 with the e-service's own code, naming the field at fault.
 */
import type { FastifyRequest } from 'fastify';
import { httpError } from '../../engine/core/errors.ts';
import type { Caller, PortalCallers } from './portal-caller.ts';

export interface EServiceRequest<B = Record<string, unknown>> {
  caller: Caller;
  body: B;
}

const rawOf = (req: FastifyRequest): Buffer | null => (Buffer.isBuffer(req.body) ? req.body : null);

/** The caller and the JSON object of a request with a body; `code` is the e-service's 400 code. */
export async function readJsonRequest(req: FastifyRequest, callers: PortalCallers, code: string): Promise<EServiceRequest> {
  const raw = rawOf(req);
  const caller = await callers.resolve(req, raw);
  if (!raw || raw.length === 0) throw httpError(400, code, 'send a JSON object with Content-Type: application/json', '(body)');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw httpError(400, code, 'the body is not JSON', '(body)');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw httpError(400, code, 'send a JSON object, not an array or a single value', '(body)');
  return { caller, body: body as Record<string, unknown> };
}

/** The caller of a request without a body (GET, DELETE). */
export async function readCaller(req: FastifyRequest, callers: PortalCallers): Promise<Caller> {
  return callers.resolve(req, rawOf(req));
}
