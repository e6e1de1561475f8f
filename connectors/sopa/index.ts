/** The SOPA connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { sopaFormat } from './inbound.ts';
export { sopaNotifyProfile, createSopaNotifier, sopaNotification, type SopaNotifierOptions } from './notifications.ts';
export { SOPA_NOTIFICATIONS_PATH, SOPA_NOTIFICATION_TYPE, notificationProblem, type SopaNotification, type NotificationProblem } from './notification-contract.ts';
export { sopaOpenApplications, createSopaApplicationsClient, type SopaApplicationsClient, type SopaApplicationsClientOptions, type SopaApplicationsQuery } from './applications.ts';
export { SOPA_APPLICATIONS_PATH, answerProblem, requestProblem, type SopaApplicationsAnswer, type SopaApplicationsRequest, type ContractProblem } from './applications-contract.ts';
