export { sopaFormat } from './inbound.ts';
export { sopaSimulator } from './simulator.ts';
export { sopaNotifyProfile, createSopaNotifier, sopaNotification, type SopaNotifierOptions } from './notifications.ts';
export { startSopaNotificationReceiver, type SopaNotificationReceiver, type SopaReceiverOptions, type SopaReceiverSwitches } from './notify-simulator.ts';
export { SOPA_NOTIFICATIONS_PATH, SOPA_NOTIFICATION_TYPE, notificationProblem, type SopaNotification, type NotificationProblem } from './notification-contract.ts';
