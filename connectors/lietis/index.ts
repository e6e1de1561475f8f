/** The LIETIS connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { lietisFormat } from './inbound.ts';
export { lietisNotifyProfile, createLietisNotifier, type LietisNotifierOptions, type LietisExchange } from './notifications.ts';
export {
  LIETIS_INBOUND_NS, LIETIS_INBOUND_PATH, LIETIS_NOTIFICATION_TYPE, RECEIVE_NOTIFICATION_ACTION, PROFILE_ELEMENTS, receiveNotification,
  type LietisNotification, type LietisProfile,
} from './notification-contract.ts';
export { readReceiveNotification, InvalidNotification } from './notify-request.ts';
export { lietisOpenApplications, createLietisApplicationsClient, type LietisApplicationsClient, type LietisApplicationsClientOptions, type LietisApplicationsExchange, type LietisApplicationsQuery } from './applications.ts';
export {
  LIETIS_APPLICATIONS_NS, LIETIS_APPLICATIONS_PATH, OPEN_APPLICATIONS, InvalidApplicationsMessage, readOpenApplicationsRequest, readOpenApplicationsResponse,
  type OpenApplicationsAnswer, type OpenApplicationsRequest, type LietisApplicationsError,
} from './applications-contract.ts';
