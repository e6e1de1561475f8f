/**
 * Queues for social services (issue 13, e-service 3): the latest snapshot of each queue as the
 * current state, and each change of a person's entry as history (migration 010). A snapshot
 * replaces the previous one whole, inside the caller's transaction, under a lock of that queue, so
 * two reports of one queue never interleave and a reader sees either the old queue or the new.
 */
import type { Db } from './db.ts';

export type QueueStatus = 'WAITING' | 'GRANTED' | 'REMOVED';

/** Who owns a queue id: a municipality's ATVK, or an institution's partner id. */
export interface QueueKey { reporter: string; queueId: string }

export interface QueueHead extends QueueKey {
  reporterKind: 'municipality' | 'institution';
  municipality: string | null;
  serviceType: string;
  name: string;
  providerRegNo: string | null;
  /** ISO instant with milliseconds, UTC. */
  asOf: string;
  version: number;
  contentSha256: string;
  waiting: number;
  granted: number;
  removed: number;
  updatedAt: string;
}

export interface EntryRow {
  personCode: string;
  status: QueueStatus;
  position: number | null;
  joinedOn: string;
  expectedStart: string | null;
  changedAt: string;
  previousPosition: number | null;
  toldStatus: QueueStatus;
  toldPosition: number | null;
  toldExpectedStart: string | null;
}

export interface HistoryRow {
  personCode: string;
  status: QueueStatus | 'ABSENT';
  position: number | null;
  joinedOn: string | null;
  expectedStart: string | null;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const D = (c: string): string => `to_char(${c}, 'YYYY-MM-DD')`;
const LOCK = 7_301_010;

const HEAD_COLS = `reporter, queue_id, reporter_kind, municipality, service_type, name, provider_reg_no, ${TS('as_of')} AS as_of, version,
  content_sha256, waiting, granted, removed, ${TS('updated_at')} AS updated_at`;

const toHead = (x: Record<string, unknown>): QueueHead => ({
  reporter: x.reporter as string, queueId: x.queue_id as string, reporterKind: x.reporter_kind as QueueHead['reporterKind'],
  municipality: (x.municipality as string) ?? null, serviceType: x.service_type as string, name: x.name as string,
  providerRegNo: (x.provider_reg_no as string) ?? null, asOf: x.as_of as string, version: Number(x.version),
  contentSha256: x.content_sha256 as string, waiting: Number(x.waiting), granted: Number(x.granted), removed: Number(x.removed),
  updatedAt: x.updated_at as string,
});

/** Holds the queue until `tx` ends: the next report of the same queue waits for this one. */
export async function lockQueue(tx: Db, k: QueueKey): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK, `${k.reporter}/${k.queueId}`]);
}

export async function queueHead(db: Db, k: QueueKey): Promise<QueueHead | undefined> {
  const r = await db.query<Record<string, unknown>>(`SELECT ${HEAD_COLS} FROM service_queue WHERE reporter = $1 AND queue_id = $2`, [k.reporter, k.queueId]);
  return r.rows[0] && toHead(r.rows[0]);
}

/** A reporter's queues, by id. */
export async function reporterQueues(db: Db, reporter: string): Promise<QueueHead[]> {
  const r = await db.query<Record<string, unknown>>(`SELECT ${HEAD_COLS} FROM service_queue WHERE reporter = $1 ORDER BY queue_id`, [reporter]);
  return r.rows.map(toHead);
}

const ENTRY_COLS = `person_code, status, position, ${D('joined_on')} AS joined_on, ${D('expected_start')} AS expected_start,
  ${TS('changed_at')} AS changed_at, previous_position, told_status, told_position, ${D('told_expected_start')} AS told_expected_start`;

const toEntry = (x: Record<string, unknown>): EntryRow => ({
  personCode: x.person_code as string, status: x.status as QueueStatus, position: x.position === null ? null : Number(x.position),
  joinedOn: x.joined_on as string, expectedStart: (x.expected_start as string) ?? null, changedAt: x.changed_at as string,
  previousPosition: x.previous_position === null ? null : Number(x.previous_position), toldStatus: x.told_status as QueueStatus,
  toldPosition: x.told_position === null ? null : Number(x.told_position), toldExpectedStart: (x.told_expected_start as string) ?? null,
});

/** The entries of a queue's latest snapshot: waiting by position, then granted, then removed. */
export async function queueEntries(db: Db, k: QueueKey): Promise<EntryRow[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${ENTRY_COLS} FROM service_queue_entry WHERE reporter = $1 AND queue_id = $2
     ORDER BY CASE status WHEN 'WAITING' THEN 0 WHEN 'GRANTED' THEN 1 ELSE 2 END, position, person_code`, [k.reporter, k.queueId]);
  return r.rows.map(toEntry);
}

export interface StoredSnapshot {
  head: Omit<QueueHead, 'updatedAt'>;
  /** The whole new current state of the queue. */
  entries: EntryRow[];
  /** The entries that changed (or left), recorded under head.version. */
  history: HistoryRow[];
}

/** Replaces a queue's current state with `s` (in the caller's transaction, after lockQueue). */
export async function storeSnapshot(tx: Db, s: StoredSnapshot): Promise<void> {
  const h = s.head;
  await tx.query(
    `INSERT INTO service_queue (reporter, queue_id, reporter_kind, municipality, service_type, name, provider_reg_no, as_of, version, content_sha256, waiting, granted, removed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10, $11, $12, $13)
     ON CONFLICT (reporter, queue_id) DO UPDATE SET reporter_kind = EXCLUDED.reporter_kind, municipality = EXCLUDED.municipality,
       service_type = EXCLUDED.service_type, name = EXCLUDED.name, provider_reg_no = EXCLUDED.provider_reg_no, as_of = EXCLUDED.as_of,
       version = EXCLUDED.version, content_sha256 = EXCLUDED.content_sha256, waiting = EXCLUDED.waiting, granted = EXCLUDED.granted,
       removed = EXCLUDED.removed, updated_at = now()`,
    [h.reporter, h.queueId, h.reporterKind, h.municipality, h.serviceType, h.name, h.providerRegNo, h.asOf, h.version, h.contentSha256, h.waiting, h.granted, h.removed],
  );
  await tx.query('DELETE FROM service_queue_entry WHERE reporter = $1 AND queue_id = $2', [h.reporter, h.queueId]);
  if (s.entries.length) {
    await tx.query(
      `INSERT INTO service_queue_entry (reporter, queue_id, person_code, status, position, joined_on, expected_start, changed_at, previous_position,
         told_status, told_position, told_expected_start)
       SELECT $2, $3, x."personCode", x.status, x.position, x."joinedOn"::date, x."expectedStart"::date, x."changedAt"::timestamptz, x."previousPosition",
         x."toldStatus", x."toldPosition", x."toldExpectedStart"::date
       FROM json_to_recordset($1::json) AS x("personCode" text, status text, position int, "joinedOn" text, "expectedStart" text, "changedAt" text,
         "previousPosition" int, "toldStatus" text, "toldPosition" int, "toldExpectedStart" text)`,
      [JSON.stringify(s.entries), h.reporter, h.queueId],
    );
  }
  if (s.history.length) {
    await tx.query(
      `INSERT INTO service_queue_history (reporter, queue_id, person_code, version, as_of, status, position, joined_on, expected_start)
       SELECT $2, $3, x."personCode", $4, $5::timestamptz, x.status, x.position, x."joinedOn"::date, x."expectedStart"::date
       FROM json_to_recordset($1::json) AS x("personCode" text, status text, position int, "joinedOn" text, "expectedStart" text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(s.history), h.reporter, h.queueId, h.version, h.asOf],
    );
  }
}

/** The same content under a newer asOf: only the time moves, so an older retry is still refused. */
export async function touchQueue(tx: Db, k: QueueKey, asOf: string): Promise<void> {
  await tx.query('UPDATE service_queue SET as_of = $3::timestamptz, updated_at = now() WHERE reporter = $1 AND queue_id = $2', [k.reporter, k.queueId, asOf]);
}

/** One of a person's positions, with what the person needs to read it. */
export interface PersonPosition {
  reporter: string;
  reporterKind: QueueHead['reporterKind'];
  municipality: string | null;
  queueId: string;
  queueName: string;
  serviceType: string;
  providerRegNo: string | null;
  status: QueueStatus;
  position: number | null;
  /** Persons waiting in that queue. */
  queueLength: number;
  joinedOn: string;
  expectedStart: string | null;
  changedAt: string;
  previousPosition: number | null;
  asOf: string;
}

/** Every queue entry of one person, across reporters (an index probe on person_code). */
export async function personPositions(db: Db, personCode: string): Promise<PersonPosition[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT q.reporter, q.reporter_kind, q.municipality, q.queue_id, q.name, q.service_type, q.provider_reg_no, e.status, e.position, q.waiting,
       ${D('e.joined_on')} AS joined_on, ${D('e.expected_start')} AS expected_start, ${TS('e.changed_at')} AS changed_at, e.previous_position,
       ${TS('q.as_of')} AS as_of
     FROM service_queue_entry e JOIN service_queue q ON q.reporter = e.reporter AND q.queue_id = e.queue_id
     WHERE e.person_code = $1
     ORDER BY CASE e.status WHEN 'WAITING' THEN 0 WHEN 'GRANTED' THEN 1 ELSE 2 END, q.service_type, q.reporter, q.queue_id`,
    // On every positions request: planned once per connection.
    [personCode], { prepare: true });
  return r.rows.map((x) => ({
    reporter: x.reporter as string, reporterKind: x.reporter_kind as QueueHead['reporterKind'], municipality: (x.municipality as string) ?? null,
    queueId: x.queue_id as string, queueName: x.name as string, serviceType: x.service_type as string, providerRegNo: (x.provider_reg_no as string) ?? null,
    status: x.status as QueueStatus, position: x.position === null ? null : Number(x.position), queueLength: Number(x.waiting),
    joinedOn: x.joined_on as string, expectedStart: (x.expected_start as string) ?? null, changedAt: x.changed_at as string,
    previousPosition: x.previous_position === null ? null : Number(x.previous_position), asOf: x.as_of as string,
  }));
}

/** A person's recorded changes in one queue, oldest first. */
export async function personHistory(db: Db, k: QueueKey, personCode: string): Promise<(HistoryRow & { version: number; asOf: string })[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT version, ${TS('as_of')} AS as_of, status, position, ${D('joined_on')} AS joined_on, ${D('expected_start')} AS expected_start
     FROM service_queue_history WHERE reporter = $1 AND queue_id = $2 AND person_code = $3 ORDER BY version`, [k.reporter, k.queueId, personCode]);
  return r.rows.map((x) => ({
    personCode, version: Number(x.version), asOf: x.as_of as string, status: x.status as HistoryRow['status'],
    position: x.position === null ? null : Number(x.position), joinedOn: (x.joined_on as string) ?? null, expectedStart: (x.expected_start as string) ?? null,
  }));
}

/** The Ministry's view: queue counts per service type, municipality and kind of reporter; no person. */
export interface QueueSummaryRow {
  serviceType: string;
  municipality: string | null;
  reporterKind: QueueHead['reporterKind'];
  queues: number;
  waiting: number;
  granted: number;
  removed: number;
  /** The earliest joinedOn of anyone still waiting. */
  oldestJoinedOn: string | null;
  /** The newest snapshot among these queues. */
  latestAsOf: string;
}

export async function queueSummary(db: Db): Promise<QueueSummaryRow[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT q.service_type, q.municipality, q.reporter_kind, count(*)::int AS queues, sum(q.waiting)::int AS waiting, sum(q.granted)::int AS granted,
       sum(q.removed)::int AS removed, ${D('min(o.oldest)')} AS oldest, ${TS('max(q.as_of)')} AS latest
     FROM service_queue q
     LEFT JOIN LATERAL (SELECT min(e.joined_on) AS oldest FROM service_queue_entry e
       WHERE e.reporter = q.reporter AND e.queue_id = q.queue_id AND e.status = 'WAITING') o ON true
     GROUP BY q.service_type, q.municipality, q.reporter_kind
     ORDER BY q.service_type, q.municipality NULLS LAST, q.reporter_kind`);
  return r.rows.map((x) => ({
    serviceType: x.service_type as string, municipality: (x.municipality as string) ?? null, reporterKind: x.reporter_kind as QueueHead['reporterKind'],
    queues: Number(x.queues), waiting: Number(x.waiting), granted: Number(x.granted), removed: Number(x.removed),
    oldestJoinedOn: (x.oldest as string) ?? null, latestAsOf: x.latest as string,
  }));
}
