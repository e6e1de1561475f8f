export { upsertDecisions } from './outbound.ts';
