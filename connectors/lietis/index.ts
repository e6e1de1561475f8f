export { lietisFormat } from './inbound.ts';
export { lietisSimulator } from './simulator.ts';
export { lietisNotifyProfile, createLietisNotifier, type LietisNotifierOptions, type LietisExchange } from './notifications.ts';
export { startLietisNotificationReceiver, type LietisNotificationReceiver, type LietisReceiverOptions, type LietisReceiverSwitches } from './notify-simulator.ts';
export {
  LIETIS_INBOUND_NS, LIETIS_INBOUND_PATH, LIETIS_NOTIFICATION_TYPE, RECEIVE_NOTIFICATION_ACTION, PROFILE_ELEMENTS, receiveNotification,
  type LietisNotification, type LietisProfile,
} from './notification-contract.ts';
export { readReceiveNotification, InvalidNotification } from './notify-request.ts';
