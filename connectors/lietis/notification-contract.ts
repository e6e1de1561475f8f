/**
 * LIETIS's notification endpoint (lietis.md, "Notifications to LIETIS"; schemas/xsd/lietis-inbound.xsd
 * and schemas/wsdl/lietis-inbound.wsdl): the messages both the hub's delivery and the simulator write.
 */
import { soapFault, soapPayload, type BurvisProfile, type CanonicalXml, type SoapFault } from '../../engine/index.ts';

export const LIETIS_INBOUND_NS = 'urn:lv:daugavpils:lietis:inbound:1';
export const RECEIVE_NOTIFICATION_ACTION = `${LIETIS_INBOUND_NS}#ReceiveNotification`;
/** The path of the WSDL's placeholder address; the real address comes from partners.yaml. */
export const LIETIS_INBOUND_PATH = '/inbound/LietisInbound';
export const LIETIS_NOTIFICATION_TYPE = 'burvis.profile';

/**
 * The canonical profile fields LIETIS's Profile holds, in the XSD's element order. The XSD has no
 * place for deregisteredOn (Status DEREGISTERED says it) nor for the profile's municipality (the
 * notification's Municipality is it), so those two are not sent.
 */
export const PROFILE_ELEMENTS = [
  ['PersonCode', 'personCode'], ['Status', 'status'], ['RegisteredOn', 'registeredOn'], ['ProfilingGroup', 'profilingGroup'], ['UpdatedAt', 'updatedAt'],
] as const satisfies readonly (readonly [string, keyof BurvisProfile])[];

export type LietisProfile = Pick<BurvisProfile, (typeof PROFILE_ELEMENTS)[number][1]>;

export interface LietisNotification {
  /** LIETIS deduplicates by it. */
  notificationId: string;
  type: typeof LIETIS_NOTIFICATION_TYPE;
  municipality: string;
  profile: LietisProfile;
}

/** The ReceiveNotification payload, fields in the XSD's order. */
export function receiveNotification(n: LietisNotification): CanonicalXml {
  return soapPayload(LIETIS_INBOUND_NS, 'ReceiveNotification', [
    ['NotificationId', n.notificationId], ['Type', n.type], ['Municipality', n.municipality],
    ['Profile', PROFILE_ELEMENTS.map(([element, field]) => [element, n.profile[field]] as const)],
  ]);
}

export const receiveNotificationResponse = (): CanonicalXml =>
  soapPayload(LIETIS_INBOUND_NS, 'ReceiveNotificationResponse', [['Accepted', 'true']]);

/** A LIETIS fault: detail/ErrorCode in the inbound namespace, as the WSDL declares. */
export const lietisFault = (f: SoapFault): CanonicalXml => soapFault(LIETIS_INBOUND_NS, f);
