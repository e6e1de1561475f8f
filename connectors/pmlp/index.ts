/** The PMLP connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export {
  createPmlpClient, type PmlpClient, type PmlpClientOptions, type PmlpExchange, type PmlpQuery, type PmlpChangesQuery, type PmlpChangesPage,
} from './outbound.ts';
export {
  PMLP_NS, PMLP_SERVICE, PMLP_OPERATIONS, PERSON_STATUSES, CHANGE_KINDS, PMLP_ERROR_CODES, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RATE_LIMIT_PER_SECOND,
  PmlpFieldError, readPerson, readChange, personFields, changeFields, type PmlpErrorCode, type PmlpOperation, type PmlpOperationName,
} from './messages.ts';
export { pmlpGetPerson, pmlpPersonChanges, PULL_PURPOSE, PULL_REQUESTER } from './components.ts';
