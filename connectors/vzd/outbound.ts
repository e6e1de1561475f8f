/**
 * The hub's client of VZD's PropertyInfo service (GetPersonProperty, docs/partners/vzd.md): signs
 * each request with the hub's identity, verifies each answer against VZD's registered certificate,
 * and reads answers strictly into canonical form (messages.ts). Partner faults and transport
 * failures become ConnectorErrors whose httpStatus is what the query API answers (docs/errors.md),
 * by the rule every agency client shares (engine faultToError): 404 no such person, 502 partner
 * fault or bad signature or an answer the document does not allow, 503 unavailable or rate limited
 * (retryable), 504 timeout (retryable).
 */
import { randomUUID } from 'node:crypto';
import {
  ValidationError, keepAliveAgent, normalizePersonCode, personCodeProblem, signedSoapCall, soapPayload, unexpectedAnswer,
  type SigningIdentity, type SoapExchange,
} from '../../engine/index.ts';
import {
  MAX_ANSWER_MS, VZD_NS, VZD_OPERATION, VzdFieldError, atvk, purpose as checkPurpose, readPropertyAnswer, requestId as checkRequestId,
  type VzdPropertyAnswer,
} from './messages.ts';

export interface VzdClientOptions {
  /** The PropertyInfo endpoint, e.g. `https://…/kadastrs/PropertyInfo`. */
  baseUrl: string;
  /** The hub's signing key and certificate (the one VZD has registered). */
  identity: SigningIdentity;
  /** VZD's certificate: answers signed with anything else are refused. */
  vzdCertPem: string;
  /** Deadline for one call; VZD may take up to 5 seconds to answer. @defaultValue 10000 */
  timeoutMs?: number;
  /** Concurrent connections kept open to VZD. @defaultValue 32 */
  maxSockets?: number;
  /** Sees every exchange (for the audit log's hashes, and for tests). */
  onExchange?(e: VzdExchange): void;
}

export interface VzdExchange extends SoapExchange {
  operation: typeof VZD_OPERATION.name;
}

export interface VzdPropertyQuery {
  /** The municipality asking (ATVK), sent as RequesterId: VZD serves municipalities only. */
  requesterId: string;
  /** Why it asks (e.g. the case number); VZD keeps it in its own audit. 1–500 characters. */
  purpose: string;
  /** Unique per request, 1–64 characters of `[A-Za-z0-9._:-]`; a retry of the same request should reuse it. @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface VzdClient {
  /** GetPersonProperty: what the person owns; a person the register does not hold is HUB_ERR_PARTNER_NOT_FOUND (404). */
  propertyOf(personCode: string, q: VzdPropertyQuery): Promise<VzdPropertyAnswer>;
  close(): void;
}

/** The question's own value, checked by VZD's rule before anything is sent: a 400 naming the caller's field. */
function checked<T>(field: string, check: (v: string, field: string) => T, v: string | undefined): T {
  try {
    return check(v ?? '', field);
  } catch (e) {
    if (e instanceof VzdFieldError) throw new ValidationError('HUB_ERR_QUERY_INVALID', e.message, 400, { field });
    throw e;
  }
}

export function createVzdClient(opts: VzdClientOptions): VzdClient {
  const agent = keepAliveAgent(opts.baseUrl, opts.maxSockets);
  // Twice what VZD may take, so that a slow answer still arrives and a silent VZD is given up on.
  const timeoutMs = opts.timeoutMs ?? 2 * MAX_ANSWER_MS;
  const answerSpec = { partner: 'vzd', operation: VZD_OPERATION.name, certPem: opts.vzdCertPem, ns: VZD_NS, response: VZD_OPERATION.response };

  return {
    async propertyOf(personCode, q) {
      const problem = personCodeProblem(personCode ?? '');
      if (problem) throw new ValidationError('HUB_ERR_QUERY_INVALID', `personCode: ${problem}`, 400, { field: 'personCode' });
      // The caller may write the code with its hyphen; VZD takes the 11 digits alone.
      const code = normalizePersonCode(personCode)!;
      const why = checked('purpose', checkPurpose, q.purpose);
      const requester = checked('requesterId', atvk, q.requesterId);
      const id = q.requestId === undefined ? randomUUID() : checked('requestId', checkRequestId, q.requestId);
      const payload = soapPayload(VZD_NS, VZD_OPERATION.request, [['RequestId', id], ['RequesterId', requester], ['Purpose', why], ['PersonCode', code]]);
      const properties = await signedSoapCall<VzdExchange, VzdPropertyAnswer['properties']>({ operation: VZD_OPERATION.name }, payload, {
        url: opts.baseUrl, identity: opts.identity, post: { timeoutMs: q.timeoutMs ?? timeoutMs, soapAction: VZD_OPERATION.soapAction, agent, partner: 'vzd' },
        answer: answerSpec, onExchange: opts.onExchange,
      }, (answer) => {
        try {
          return readPropertyAnswer(answer);
        } catch (e) {
          if (e instanceof VzdFieldError) throw unexpectedAnswer(answerSpec, e.problem, e.field);
          throw e;
        }
      });
      return { personCode: code, properties };
    },
    close() { agent.destroy(); },
  };
}
