export { upsertDecisions } from './outbound.ts';
export { storeOpinions } from './opinions.ts';
export { storeRegisterChanges } from './register-changes.ts';
