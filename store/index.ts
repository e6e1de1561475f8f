/**
 * The thin SPOLIS store: PostgreSQL (or embedded PGlite) with migrations applied at open.
 */
import { openDb, type Db } from './db.ts';
import { migrate } from './migrate.ts';
import { applyBatch, type ApplyInput, type ApplyResult } from './decisions.ts';
import type { AssistantOpinion, Decision, RegisterChange } from '../schemas/canonical/model.ts';
import { upsertOpinions } from './opinions.ts';
import { storeRegisterChanges } from './person-register.ts';
import { openReads, primaryReads, type Reads } from './replica.ts';
import type { StoreOptions } from './options.ts';

export type { Db } from './db.ts';
export type { Reads, Read } from './replica.ts';
export { storeOptionsFromEnv, preparedStatementsFromEnv, POOL_SIZE_BY_ROLE, type StoreOptions, type ProcessRole } from './options.ts';
export * from './loads.ts';
export { DecisionRowsEncoder, type DecisionRows } from './decision-rows.ts';
export { applyBatch, markProcessing, markBatchDead, decisionVersions, type ApplyInput, type ApplyResult } from './decisions.ts';
export { monthlyStatistics, type MonthlyStatistics, type StatisticsQuery, type Indicators } from './statistics.ts';
export { monthlyChecks, OPINIONS_NOT_LOADED, REGISTER_NOT_LOADED, type MonthlyChecks, type ChecksQuery, type Finding, type CheckRecord } from './checks.ts';
export { statisticsTable, checksTable, toCsv, type ReportTable } from './report-table.ts';
export { reportMonth } from './report-common.ts';

export interface Store {
  /** The primary: every write, and every read that must see the latest writes. */
  db: Db;
  /** Heavy reports (statistics, checks, findings): on the replica when one is configured (replica.ts). */
  reads: Reads;
  /** Applies a processed batch in one transaction; see decisions.ts. */
  applyBatch(input: ApplyInput, partnerField?: (kind: Decision['kind'], field: string) => string): Promise<ApplyResult>;
  /** Stores VDEĀVK opinions, the newest change winning; in `tx` when given. See opinions.ts. */
  upsertOpinions(opinions: AssistantOpinion[], source: 'pull' | 'push', tx?: Db): Promise<number>;
  /** Stores PMLP register changes not stored yet (by ChangeId); in `tx` when given. See person-register.ts. */
  storeRegisterChanges(changes: RegisterChange[], source: 'pull' | 'push', tx?: Db): Promise<number>;
  close(): Promise<void>;
}

/** Opens the store named by `url` (DATABASE_URL semantics, see db.ts) and brings its schema up to date. */
export async function openStore(url: string | undefined, opts: StoreOptions = {}): Promise<Store> {
  const db = await openDb(url, opts);
  await migrate(db);
  const reads = opts.replica && db.kind === 'postgres' ? await openReads(db, opts.replica) : primaryReads(db);
  return {
    db, reads,
    applyBatch: (input, pf) => applyBatch(db, input, pf),
    upsertOpinions: (opinions, source, tx) => upsertOpinions(tx ?? db, opinions, source),
    storeRegisterChanges: (changes, source, tx) => storeRegisterChanges(tx ?? db, changes, source),
    close: async () => { await reads.close(); await db.close(); },
  };
}
export { appendAudit, appendAuditBatch, appendAuditAfter, verifyAudit, listAudit, type AuditEntry, type AuditVerdict, type AuditQuery, type AuditRow, type ChainHead } from './audit.ts';
export { listDeadLetters, reopenDeadLetters, type DeadLetter } from './dead-letters.ts';
export * from './operations.ts';
export { upsertOpinions, storedOpinions, opinionCount } from './opinions.ts';
export { storeRegisterChanges, registerFacts, registerChangeCount, type RegisterFacts } from './person-register.ts';
export { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoints.ts';
export { findSoapRequest, recordSoapRequest, type SoapRequestRecord } from './soap-requests.ts';
export {
  insertDeliveries, getDelivery, listDeliveries, handOverDeliveries, queuedDeliveryIds, markDelivered, markDeliveryFailed, markDeliveryDead, deliveryCounts,
  type NewDelivery, type DeliveryRow, type DeliveryStatus,
} from './deliveries.ts';
