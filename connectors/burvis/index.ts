/** The BURVIS connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export {
  createBurvisClient, type BurvisClient, type BurvisClientOptions, type BurvisExchange, type BurvisProfileQuery, type BurvisChangesQuery, type BurvisChangesPage,
} from './outbound.ts';
export {
  BURVIS_NS, HUB_BURVIS_NS, BURVIS_OPERATIONS, SUBMIT_PROFILING_CHANGES, STATUSES, PROFILING_GROUPS, DUTIES, BURVIS_ERROR_CODES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE,
  readProfile, profileFields, readCoParticipation, coParticipationFields, checkCoParticipation,
  type BurvisOperation, type BurvisOperationName, type BurvisErrorCode,
} from './messages.ts';
export { BurvisFieldError } from './xml-read.ts';
export { burvisGetProfile, burvisProfilingChanges, burvisSubmitCoParticipation } from './components.ts';
export { burvisSubmitProfilingChanges } from './inbound.ts';
