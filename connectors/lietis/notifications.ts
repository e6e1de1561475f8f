/**
 * Delivers BURVIS profiles to Daugavpils's LIETIS (lietis.md, "Notifications to LIETIS"): one
 * signed SOAP ReceiveNotification per profile, the answer verified against LIETIS's registered
 * certificate. NotificationId is the outbox's deliveryId, stable across retries, so a retry after a
 * lost answer does not notify twice: LIETIS deduplicates by it.
 */
import {
  SchemeAgents,
  ConnectorError, childElements, defineDelivery, faultToError, postSoap, readSoapFault, signSoapBody, textOf, verifyEnvelope,
  type BurvisProfile, type Delivery, type DeliveryResult, type DeliverySpec, type DeliveryTarget, type SigningIdentity,
  type SoapFault, type SoapHttpResponse, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import {
  LIETIS_INBOUND_NS, LIETIS_NOTIFICATION_TYPE, RECEIVE_NOTIFICATION_ACTION, receiveNotification,
} from './notification-contract.ts';

const OPERATION = 'ReceiveNotification';
const CONFIG = socketsConfig('LIETIS', { max: 256, default: 8 });

export interface LietisNotifierOptions {
  /** The hub's signing key and certificate (the one LIETIS has registered). */
  identity: SigningIdentity;
  /** Connections kept open per LIETIS host. @defaultValue 8 */
  maxSockets?: number;
  /** Sees every exchange: the signed request, and the answer when one came (tests, audit hashes). */
  onExchange?(e: LietisExchange): void;
}

export interface LietisExchange {
  deliveryId: string;
  requestXml: string;
  responseXml?: string;
  status?: number;
  error?: ConnectorError;
}

export function createLietisNotifier(opts: LietisNotifierOptions): Delivery<BurvisProfile> {
  const agents = new SchemeAgents(opts.maxSockets ?? 8);
  return {
    async deliver(req, target, { timeoutMs }) {
      if (!target.certPem) throw notConfigured(target, 'certificate', 'LIETIS\'s certificate (PEM), which signs its answers');
      const agent = agents.for(target.endpoint);
      if (!agent) throw notConfigured(target, 'notify.endpoint', 'the http(s) URL of LIETIS\'s ReceiveNotification service');
      const requestXml = signSoapBody(receiveNotification({
        notificationId: req.deliveryId, type: LIETIS_NOTIFICATION_TYPE, municipality: req.municipality, profile: req.item,
      }), opts.identity);
      const exchange: LietisExchange = { deliveryId: req.deliveryId, requestXml };
      try {
        const res = await postSoap(target.endpoint, requestXml, { timeoutMs, agent, soapAction: RECEIVE_NOTIFICATION_ACTION, partner: target.partnerId })
          .catch((e: unknown) => { throw e instanceof ConnectorError ? transportError(e, target) : e; });
        exchange.status = res.status;
        exchange.responseXml = res.body;
        return outcome(res, req.deliveryId, target, target.certPem);
      } catch (e) {
        if (e instanceof ConnectorError) exchange.error = e;
        throw e;
      } finally {
        opts.onExchange?.(exchange);
      }
    },
    async close() {
      agents.destroy();
    },
  };
}

export const lietisNotifyProfile: DeliverySpec<'burvis.profile'> = defineDelivery({
  name: 'lietis/notify-profile', status: 'beta', system: 'lietis', receiver: 'municipality', accepts: 'burvis.profile', config: CONFIG,
  summary: 'Notifies LIETIS (Daugavpils) of a BURVIS profiling change: signed SOAP ReceiveNotification with the profile\'s fields, answered Accepted true.',
  create: (options, ctx) => createLietisNotifier({ identity: ctx.identity, maxSockets: socketsOf(options) }),
});

function notConfigured(target: DeliveryTarget, key: string, what: string): ConnectorError {
  return new ConnectorError('HUB_ERR_PARTNER_NOT_CONFIGURED',
    `${target.partnerId}: partners.yaml gives no usable ${key}; it must hold ${what}. Set it, then replay the dead letters`,
    { retryable: false, httpStatus: 503, details: { connector: 'lietis', partnerId: target.partnerId, field: key } });
}

/** postSoap's timeout or unreachable error, told as a delivery: it is retried, and what to check if it lasts. */
function transportError(e: ConnectorError, target: DeliveryTarget): ConnectorError {
  const advice = e.code === 'HUB_ERR_PARTNER_TIMEOUT'
    ? 'the delivery is retried, and LIETIS recognises the repeat by its NotificationId'
    : `the delivery is retried; if this lasts, check that LIETIS is up and that partners.yaml gives ${target.partnerId} the right notify.endpoint`;
  return new ConnectorError(e.code, `${e.message}; ${advice}`, { retryable: e.retryable, httpStatus: e.httpStatus, details: { ...e.details, partnerId: target.partnerId }, cause: e });
}

/**
 * The result of LIETIS's answer. Accepted true is all LIETIS says, for a first receipt and a repeat
 * alike: it cannot tell the hub that it already had the NotificationId, so `duplicate` is always false.
 */
function outcome(res: SoapHttpResponse, notificationId: string, target: DeliveryTarget, certPem: string): DeliveryResult {
  const who = `${target.partnerId} (LIETIS)`;
  const details = { connector: 'lietis', partnerId: target.partnerId, operation: OPERATION, status: res.status, notificationId };
  const looksXml = /xml/i.test(res.contentType) && res.body.trimStart().startsWith('<');
  if (!looksXml || (res.status !== 200 && res.status !== 500)) {
    if (res.status >= 500 || res.status === 429) {
      throw new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE', `${who} answered HTTP ${res.status} to notification ${notificationId}; the delivery is retried`,
        { retryable: true, httpStatus: 503, details });
    }
    if (res.status >= 400) {
      throw new ConnectorError('HUB_ERR_PARTNER_FAULT',
        `${who} refused notification ${notificationId} with HTTP ${res.status} and no SOAP fault: check notify.endpoint of ${target.partnerId} in partners.yaml (LIETIS's ReceiveNotification service), then replay the dead letter`,
        { retryable: false, httpStatus: 502, details });
    }
    throw unexpected(who, notificationId, `HTTP ${res.status} ${res.contentType || 'without a content type'}`, details);
  }
  const verified = verifyEnvelope(res.body, certPem);
  if (!verified.ok) {
    throw new ConnectorError('HUB_ERR_PARTNER_SIGNATURE',
      `${who}'s answer to notification ${notificationId} is not validly signed (${verified.reason}): the notification may have arrived, but the hub cannot trust the answer. Check the certificate of ${target.partnerId} in partners.yaml against the one LIETIS signs with, then replay the dead letter (LIETIS ignores a repeat)`,
      { retryable: false, httpStatus: 502, details });
  }
  const fault = readSoapFault(verified.body);
  if (fault) throw faultError(fault, who, notificationId, target);
  const payload = verified.payload;
  if (!payload || payload.uri !== LIETIS_INBOUND_NS || payload.local !== 'ReceiveNotificationResponse') {
    throw unexpected(who, notificationId, `the Body holds ${payload ? `{${payload.uri}}${payload.local}` : 'nothing'}, not ReceiveNotificationResponse`, details);
  }
  const accepted = childElements(payload).find((c) => c.uri === LIETIS_INBOUND_NS && c.local === 'Accepted');
  // xs:boolean's true has two spellings.
  const value = accepted ? textOf(accepted).trim() : undefined;
  if (value !== 'true' && value !== '1') throw unexpected(who, notificationId, `Accepted is ${value === undefined ? 'missing' : `"${value}"`}, not true`, details);
  return { duplicate: false };
}

function unexpected(who: string, notificationId: string, why: string, details: Record<string, unknown>): ConnectorError {
  return new ConnectorError('HUB_ERR_PARTNER_RESPONSE',
    `${who} answered notification ${notificationId} in a way lietis-inbound.wsdl does not allow: ${why}. Report it to LIETIS's maintainers with the notification id`,
    { retryable: false, httpStatus: 502, details });
}

/**
 * Codes a retry of the same notification cannot cure, final whatever faultcode LIETIS puts on them
 * (a re-signed retry does not change the hub's key, the profile, or LIETIS's access rules).
 */
const FINAL_CODES = new Set(['INVALID_REQUEST', 'SIGNATURE_INVALID', 'ACCESS_DENIED']);

/** The engine's mapping of a fault (soap:Server retried, soap:Client final), with what to do about this one. */
function faultError(f: SoapFault, who: string, notificationId: string, target: DeliveryTarget): ConnectorError {
  const base = faultToError(target.partnerId, OPERATION, f);
  const retryable = base.retryable && !FINAL_CODES.has(f.errorCode);
  const reason = `${f.errorCode || 'a fault'}${f.faultstring ? `: ${f.faultstring}` : ''}`;
  const advice = retryable ? 'the delivery is retried'
    : f.errorCode === 'SIGNATURE_INVALID' ? 'LIETIS does not accept the hub\'s signature: check that LIETIS has registered the hub\'s current certificate and that the hub\'s clock is right, then replay the dead letter'
      : f.errorCode === 'INVALID_REQUEST' ? 'the notification breaks lietis-inbound.xsd at the element named: correct the profile (or its mapping), then replay the dead letter'
        : f.errorCode === 'ACCESS_DENIED' ? `LIETIS does not take notifications from the hub for this municipality: agree access with LIETIS's operators, or correct the municipality of ${target.partnerId} in partners.yaml, then replay the dead letter`
          : 'LIETIS refuses this notification for good: ask LIETIS\'s operators what the code means, then replay the dead letter';
  return new ConnectorError(base.code, `${who} refused notification ${notificationId} with ${reason}; ${advice}`,
    { retryable, httpStatus: base.httpStatus, details: { ...base.details, partnerId: target.partnerId, notificationId } });
}
