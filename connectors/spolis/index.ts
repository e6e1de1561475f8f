export { upsertDecisions } from './outbound.ts';
export { storeOpinions } from './opinions.ts';
