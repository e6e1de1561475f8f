/** The VDEĀVK connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export {
  createVdeavkClient, type VdeavkClient, type VdeavkClientOptions, type VdeavkExchange, type VdeavkQuery, type VdeavkChangesQuery,
  type VdeavkPersonAnswer, type VdeavkChangesPage,
} from './outbound.ts';
export {
  VDEAVK_NS, HUB_VDEAVK_NS, VDEAVK_OPERATION, HUB_VDEAVK_OPERATION, DATA_SET, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PUSH_OPINIONS,
  DISABILITY_GROUPS, OPINION_KINDS, CHILD_MAX_HOURS, VDEAVK_ERROR_CODES, readOpinion, opinionFields, opinionElement, canonicalOpinion,
  type VdeavkErrorCode,
} from './messages.ts';
export { SchemaViolation } from './xsd-values.ts';
export { vdeavkGetOpinions, vdeavkOpinionsChanged, PULL_PURPOSE, PULL_REQUESTER } from './components.ts';
export { vdeavkSubmitOpinions } from './inbound.ts';
