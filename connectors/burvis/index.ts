export {
  createBurvisClient, type BurvisClient, type BurvisClientOptions, type BurvisExchange, type BurvisProfileQuery, type BurvisChangesQuery, type BurvisChangesPage,
} from './outbound.ts';
export {
  startBurvisSimulator, profilingChangesRequest, BURVIS_PATH,
  type BurvisSimulator, type BurvisSimulatorOptions, type BurvisSwitches, type BurvisStats, type BurvisPushResult,
} from './simulator.ts';
export { burvisDataSet, type BurvisDataSet, type BurvisDataOptions, type BurvisSamples, type FeedPosition } from './simulator-data.ts';
export { type CoParticipationRecord } from './simulator-operations.ts';
export {
  BURVIS_NS, HUB_BURVIS_NS, BURVIS_OPERATIONS, SUBMIT_PROFILING_CHANGES, STATUSES, PROFILING_GROUPS, DUTIES, BURVIS_ERROR_CODES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE,
  readProfile, profileFields, readCoParticipation, coParticipationFields, checkCoParticipation,
  type BurvisOperation, type BurvisOperationName, type BurvisErrorCode,
} from './messages.ts';
export { BurvisFieldError } from './xml-read.ts';
export { burvisGetProfile, burvisProfilingChanges, burvisSubmitCoParticipation } from './components.ts';
export { burvisSubmitProfilingChanges } from './inbound.ts';
