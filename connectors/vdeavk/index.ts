export {
  createVdeavkClient, type VdeavkClient, type VdeavkClientOptions, type VdeavkExchange, type VdeavkQuery, type VdeavkChangesQuery,
  type VdeavkPersonAnswer, type VdeavkChangesPage,
} from './outbound.ts';
export {
  startVdeavkSimulator, VdeavkFault, VDEAVK_PATH, type VdeavkSimulator, type VdeavkSimulatorOptions, type VdeavkSwitches, type VdeavkPushResult,
} from './simulator.ts';
export { vdeavkDataSet, type VdeavkDataSet, type VdeavkDataOptions, type NewOpinion, type OpinionPatch } from './simulator-data.ts';
export {
  VDEAVK_NS, HUB_VDEAVK_NS, VDEAVK_OPERATION, HUB_VDEAVK_OPERATION, DATA_SET, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PUSH_OPINIONS,
  DISABILITY_GROUPS, OPINION_KINDS, CHILD_MAX_HOURS, VDEAVK_ERROR_CODES, readOpinion, opinionFields, opinionElement, canonicalOpinion,
  type VdeavkErrorCode,
} from './messages.ts';
export { SchemaViolation } from './xsd-values.ts';
export { vdeavkGetOpinions, vdeavkOpinionsChanged, PULL_PURPOSE, PULL_REQUESTER } from './components.ts';
export { vdeavkSubmitOpinions } from './inbound.ts';
