/**
 * Delivers BURVIS profiles to a municipality's SOPA (sopa.md, "Notifications to SOPA"): one JSON
 * POST per profile, with the bearer token SOPA issued to the hub. The notificationId is the outbox's
 * deliveryId, stable across retries, so a retry after a lost answer is harmless: SOPA answers it 200
 * and the outbox learns the first attempt had arrived. SOPA keeps the first body it got under an id,
 * so an id must never be reused for another version of a profile.
 */
import {
  SchemeAgents,
  ConnectorError, defineDelivery,
  type BurvisProfile, type Delivery, type DeliveryRequest, type DeliveryResult, type DeliverySpec, type DeliveryTarget, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import { SOPA_NOTIFICATIONS_PATH, SOPA_NOTIFICATION_TYPE, type SopaNotification } from './notification-contract.ts';
import { postJson, type WebhookResponse } from './webhook-client.ts';

const CONFIG = socketsConfig('each SOPA instance', { max: 256, default: 8 });

export interface SopaNotifierOptions {
  /** Connections kept open per SOPA host. @defaultValue 8 */
  maxSockets?: number;
}

/** The JSON body sopa.md defines for one delivery. */
export function sopaNotification(req: DeliveryRequest<BurvisProfile>): SopaNotification {
  return { notificationId: req.deliveryId, type: SOPA_NOTIFICATION_TYPE, municipality: req.municipality, profile: req.item };
}

export function createSopaNotifier(opts: SopaNotifierOptions = {}): Delivery<BurvisProfile> {
  // Shared by every SOPA instance: an agent keeps its sockets per host.
  const agents = new SchemeAgents(opts.maxSockets ?? 8);
  return {
    async deliver(req, target, { timeoutMs }) {
      if (!target.token) throw notConfigured(target, 'notify.token', 'the bearer token SOPA issued to the hub');
      let url: URL;
      try {
        url = new URL(target.endpoint);
      } catch {
        throw notConfigured(target, 'notify.endpoint', `the full URL of SOPA's notifications, {sopaBase}${SOPA_NOTIFICATIONS_PATH}`);
      }
      const agent = agents.for(target.endpoint);
      if (!agent) throw notConfigured(target, 'notify.endpoint', `an http(s) URL, {sopaBase}${SOPA_NOTIFICATIONS_PATH}`);
      const res = await postJson(url, JSON.stringify(sopaNotification(req)), {
        timeoutMs, agent, headers: { authorization: `Bearer ${target.token}` }, receiver: target.partnerId, connector: 'sopa',
      });
      return outcome(res, req.deliveryId, target);
    },
    async close() {
      agents.destroy();
    },
  };
}

export const sopaNotifyProfile: DeliverySpec<'burvis.profile'> = defineDelivery({
  name: 'sopa/notify-profile', status: 'beta', system: 'sopa', receiver: 'municipality', accepts: 'burvis.profile', config: CONFIG,
  summary: 'Notifies the municipality\'s SOPA of a BURVIS profiling change: JSON webhook POST {notificationId, type, municipality, profile} with SOPA\'s bearer token; a repeat is answered 200 and counts as delivered.',
  create: (options) => createSopaNotifier({ maxSockets: socketsOf(options) }),
});

function notConfigured(target: DeliveryTarget, key: string, what: string): ConnectorError {
  return new ConnectorError('HUB_ERR_PARTNER_NOT_CONFIGURED',
    `${target.partnerId}: partners.yaml gives no usable ${key}; it must hold ${what}. Set it, then replay the dead letters`,
    { retryable: false, httpStatus: 503, details: { connector: 'sopa', partnerId: target.partnerId, field: key } });
}

/** SOPA's own account of a refusal, from the JSON error it sends (`{error: {code, message, field}}` or flat). */
interface ReceiverError { message: string; code?: string; field?: string }

function receiverError(res: WebhookResponse): ReceiverError {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  try {
    const parsed = JSON.parse(res.body) as Record<string, unknown>;
    const e = (typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : parsed) as Record<string, unknown>;
    const message = str(e.message) ?? str(parsed.error) ?? str(parsed.message);
    if (message) return { message, code: str(e.code), field: str(e.field) };
  } catch { /* not JSON: fall back to the text */ }
  return { message: res.body.replace(/\s+/g, ' ').trim().slice(0, 300) || 'no explanation given' };
}

/** sopa.md: 202 first receipt, 200 repeat, 5xx "try again later"; a 429 is the same advice. */
function outcome(res: WebhookResponse, notificationId: string, target: DeliveryTarget): DeliveryResult {
  if (res.status === 202) return { duplicate: false };
  if (res.status === 200) return { duplicate: true };
  const who = `${target.partnerId} (SOPA)`;
  const details = { connector: 'sopa', partnerId: target.partnerId, status: res.status, notificationId };
  const retryAfter = Number(res.headers['retry-after']);
  if (res.status === 429 || res.status >= 500) {
    throw new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE',
      `${who} answered HTTP ${res.status} to notification ${notificationId}; it asks to try again later, and the delivery is retried`,
      { retryable: true, httpStatus: 503, details: { ...details, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) } });
  }
  if (res.status >= 400) {
    const r = receiverError(res);
    const fix = res.status === 401 || res.status === 403
      ? `SOPA does not accept the hub's bearer token: put the token SOPA issued into notify.token of ${target.partnerId} in partners.yaml`
      : res.status === 404 || res.status === 405
        ? `notify.endpoint of ${target.partnerId} in partners.yaml must be {sopaBase}${SOPA_NOTIFICATIONS_PATH}`
        : `the notification breaks sopa.md${r.field ? ` at ${r.field}` : ''}: correct the profile (or its mapping)`;
    throw new ConnectorError('HUB_ERR_PARTNER_FAULT',
      `${who} refused notification ${notificationId} with HTTP ${res.status}: ${r.message}. ${fix}, then replay the dead letter`,
      { retryable: false, httpStatus: 502, details: { ...details, ...(r.code ? { partnerCode: r.code } : {}), ...(r.field ? { field: r.field } : {}) } });
  }
  throw new ConnectorError('HUB_ERR_PARTNER_RESPONSE',
    `${who} answered notification ${notificationId} with HTTP ${res.status}, which sopa.md does not define (202 or 200): check notify.endpoint of ${target.partnerId} in partners.yaml`,
    { retryable: false, httpStatus: 502, details });
}
