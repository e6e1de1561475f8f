/**
 * Sends messages to the official e-address (docs/partners/eaddress.md): one JSON POST per message
 * with the bearer token VRAA issued to the hub. The messageId is the outbox's deliveryId, stable
 * across retries and replays, so a retry after a lost answer is harmless: the e-address answers it
 * 200 with the ref of the first receipt. A recipient who has not activated an e-address (404
 * NO_EADDRESS) is an answer, not a fault: the delivery ends `undeliverable`, without retries or a
 * dead letter, because no retry can change it.
 */
import {
  SchemeAgents, ConnectorError, defineDelivery, postHttp, socketsConfig, socketsOf,
  type Delivery, type DeliveryRequest, type DeliveryResult, type DeliverySpec, type DeliveryTarget, type EAddressMessage,
} from '../../engine/index.ts';
import type { EAddressRequest } from './contract.ts';

const CONFIG = socketsConfig('the e-address', { max: 256, default: 8 });
/** Only an error message is ever read from an answer. */
const MAX_ANSWER = 64 * 1024;

export interface EAddressSenderOptions {
  /** Connections kept open to the e-address. @defaultValue 8 */
  maxSockets?: number;
}

/** The JSON body eaddress.md defines for one delivery: what the person sees, and nothing of the hub's bookkeeping. */
export function eaddressRequest(req: DeliveryRequest<EAddressMessage>): EAddressRequest {
  const m = req.item;
  return {
    messageId: req.deliveryId, recipient: m.recipient, kind: m.kind, subject: m.subject, text: m.text,
    ...(m.attachments?.length ? { attachments: m.attachments } : {}),
  };
}

export function createEAddressSender(opts: EAddressSenderOptions = {}): Delivery<EAddressMessage> {
  const agents = new SchemeAgents(opts.maxSockets ?? 8);
  return {
    async deliver(req, target, { timeoutMs }) {
      if (!target.token) throw notConfigured(target, 'notify.token', 'the bearer token VRAA issued to the hub (env:EADDRESS_TOKEN)');
      let url: URL;
      try {
        url = new URL(target.endpoint);
      } catch {
        throw notConfigured(target, 'endpoint', 'the full URL of the e-address message API');
      }
      const agent = agents.for(target.endpoint);
      if (!agent) throw notConfigured(target, 'endpoint', 'an http(s) URL of the e-address message API');
      const where = `${url.origin}${url.pathname}`;
      const res = await postHttp(url, JSON.stringify(eaddressRequest(req)), {
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
        timeoutMs, agent, details: { connector: 'eaddress', partnerId: target.partnerId, url: where },
        limit: { bytes: MAX_ANSWER, over: 'cut' },
        messages: {
          timeout: `${target.partnerId} did not answer POST ${where} within ${timeoutMs} ms; the message is retried, and the e-address recognises the repeat by its messageId`,
          unreachable: (errno) => `${target.partnerId} cannot be reached at ${where} (${errno}); the message is retried. If this lasts, check that partners.yaml gives ${target.partnerId} the right endpoint`,
        },
      });
      return outcome(res, req.deliveryId, target);
    },
    async close() {
      agents.destroy();
    },
  };
}

export const eaddressSendMessage: DeliverySpec<'eaddress.message'> = defineDelivery({
  name: 'eaddress/send-message', status: 'beta', system: 'eaddress', receiver: 'agency', accepts: 'eaddress.message', config: CONFIG,
  summary: 'Sends a message to a person\'s or an institution\'s official e-address (VRAA): JSON POST {messageId, recipient, kind, subject, text, attachments} with the hub\'s bearer token; a repeat is answered 200 and counts as delivered; a recipient without an e-address ends undeliverable, not retried.',
  create: (options) => createEAddressSender({ maxSockets: socketsOf(options) }),
});

function notConfigured(target: DeliveryTarget, key: string, what: string): ConnectorError {
  return new ConnectorError('HUB_ERR_PARTNER_NOT_CONFIGURED',
    `${target.partnerId}: partners.yaml gives no usable ${key}; it must hold ${what}. Set it, then replay the dead letters`,
    { retryable: false, httpStatus: 503, details: { connector: 'eaddress', partnerId: target.partnerId, field: key } });
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The e-address's JSON (`{ref, duplicate}` or `{error: {code, message, field}}`), or {} when it is not JSON. */
function parsed(res: Answer): Record<string, unknown> {
  try {
    const p = JSON.parse(res.body) as unknown;
    return typeof p === 'object' && p !== null ? p as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

function errorOf(res: Answer): { code?: string; message: string; field?: string } {
  const p = parsed(res);
  const e = (typeof p.error === 'object' && p.error !== null ? p.error : p) as Record<string, unknown>;
  return { code: str(e.code), field: str(e.field), message: str(e.message) ?? (res.body.replace(/\s+/g, ' ').trim().slice(0, 300) || 'no explanation given') };
}

/** eaddress.md: 201 new, 200 repeat, 404 NO_EADDRESS final, 503/429 retry, other 4xx a fault of the hub. */
function outcome(res: Answer, messageId: string, target: DeliveryTarget): DeliveryResult {
  const who = `${target.partnerId} (e-address)`;
  const details = { connector: 'eaddress', partnerId: target.partnerId, status: res.status, messageId };
  if (res.status === 201 || res.status === 200) {
    const ref = str(parsed(res).ref);
    if (!ref) {
      throw new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `${who} answered message ${messageId} with HTTP ${res.status} but no ref, which eaddress.md requires: check endpoint of ${target.partnerId} in partners.yaml`,
        { retryable: false, httpStatus: 502, details });
    }
    return { duplicate: res.status === 200, ref };
  }
  const e = errorOf(res);
  if (res.status === 404 && e.code === 'NO_EADDRESS') {
    return { duplicate: false, undeliverable: 'the recipient has not activated an official e-address (NO_EADDRESS)' };
  }
  if (res.status === 429 || res.status >= 500) {
    const retryAfter = Number(res.headers['retry-after']);
    throw new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE',
      `${who} answered HTTP ${res.status} to message ${messageId}; it asks to try again later, and the message is retried`,
      { retryable: true, httpStatus: 503, details: { ...details, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) } });
  }
  if (res.status >= 400) {
    const fix = res.status === 401 || res.status === 403
      ? `the e-address does not accept the hub's bearer token: put the token VRAA issued into notify.token of ${target.partnerId} in partners.yaml (env:EADDRESS_TOKEN)`
      : res.status === 404 || res.status === 405
        ? `endpoint of ${target.partnerId} in partners.yaml must be the e-address message API's URL`
        : `the message breaks eaddress.md${e.field ? ` at ${e.field}` : ''}: correct what produced it`;
    throw new ConnectorError('HUB_ERR_PARTNER_FAULT',
      `${who} refused message ${messageId} with HTTP ${res.status}: ${e.message}. ${fix}, then replay the dead letter`,
      { retryable: false, httpStatus: 502, details: { ...details, ...(e.code ? { partnerCode: e.code } : {}), ...(e.field ? { field: e.field } : {}) } });
  }
  throw new ConnectorError('HUB_ERR_PARTNER_RESPONSE',
    `${who} answered message ${messageId} with HTTP ${res.status}, which eaddress.md does not define (201, 200, 404 NO_EADDRESS): check endpoint of ${target.partnerId} in partners.yaml`,
    { retryable: false, httpStatus: 502, details });
}
