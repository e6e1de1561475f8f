/**
 * Applies one processed batch to the store in a single transaction: the decisions (new keys by
 * COPY, known keys upserted with their earlier versions kept in history), the rejections, and the
 * batch's and load's status. Running the same batch twice (stalled lock, crash before ack, replay)
 * changes nothing the second time: the batch row is locked first and a batch already done is
 * skipped whole.
 */
import type { Db } from './db.ts';
import type { Decision, RecordError } from '../schemas/canonical/model.ts';
import { naturalKeyOf } from '../schemas/canonical/model.ts';
import { batchQualityOf, qualityReport } from './quality.ts';
import {
  TABLES, MEMBER_COLUMNS, copyColumns, duplicateError, encodeDecisionRows, selectLines,
  type DecisionRows, type KindRows, type KindTable,
} from './decision-rows.ts';


export interface ApplyInput {
  loadId: string;
  batchSeq: number;
  /** The accepted records as a DecisionRowsEncoder made them (in a prep thread)… */
  rows?: DecisionRows;
  /** …or as records, encoded here. */
  accepted?: { index: number; record: Decision }[];
  rejected: { index: number; naturalKey: string | null; kind: string | null; errors: RecordError[] }[];
}

export interface ApplyResult {
  skipped: boolean;
  accepted: number;
  rejected: number;
  loadFinished: boolean;
}

type Rejection = ApplyInput['rejected'][number];

const keyOf = (rows: KindRows, municipality: string, source: string, i: number): string =>
  naturalKeyOf(municipality, source, rows.decisionId[i], rows.month?.[i].slice(0, 7));

/**
 * Which rows' keys the store already holds, and which of those this load wrote in an earlier
 * batch (then the later occurrence is a DUPLICATE). One index probe per key: a join the planner
 * may turn into a scan of the whole table (it did, on tables that grew faster than their
 * statistics) cannot be allowed on the path of every batch. Row numbers into `rows`.
 */
async function probeKeys(tx: Db, t: KindTable, rows: KindRows, loadId: string, seq: number, municipality: string, source: string): Promise<{ known: Set<number>; duplicate: Set<number> }> {
  const monthly = rows.month !== undefined;
  const r = await tx.query<{ ord: number; dup: boolean }>(
    `SELECT k.ord, (o.load_id = $3 AND o.batch_seq <> $4) AS dup
     FROM unnest($5::text[]${monthly ? ', $6::date[]' : ''}) WITH ORDINALITY AS k(decision_id${monthly ? ', month' : ''}, ord)
     CROSS JOIN LATERAL (SELECT load_id, batch_seq FROM ${t.table} o
       WHERE o.municipality = $1 AND o.source = $2 AND o.decision_id = k.decision_id${monthly ? ' AND o.month = k.month' : ''} LIMIT 1) o`,
    monthly ? [municipality, source, loadId, seq, rows.decisionId, rows.month] : [municipality, source, loadId, seq, rows.decisionId],
  );
  const known = new Set<number>();
  const duplicate = new Set<number>();
  for (const x of r.rows) (x.dup ? duplicate : known).add(Number(x.ord) - 1);
  return { known, duplicate };
}

/**
 * Known keys: their rows go through a stage private to the transaction, then replace the current
 * ones, keeping history. The stage is dropped at commit (about 1 ms a batch): one kept for the
 * session would stay on a pooler's server connection after this process is gone, and a later
 * process, after a migration changed the table, would COPY into the old shape.
 */
async function upsertKnown(tx: Db, t: KindTable, text: Uint8Array, loadId: string): Promise<void> {
  const stage = `stage_${t.table}`;
  await tx.query(`CREATE TEMP TABLE ${stage} (LIKE ${t.table} INCLUDING DEFAULTS) ON COMMIT DROP`);
  const cols = copyColumns(t);
  await tx.copyIn(stage, cols, text);
  const keyMatch = t.key.map((k) => `o.${k} = s.${k}`).join(' AND ');
  // LATERAL: one key-index probe per staged row, whatever the planner thinks of a fresh temp table.
  await tx.query(
    `INSERT INTO decision_history (kind, natural_key, version, record, load_id, replaced_by)
     SELECT $1, concat_ws('/', ${t.key.map((k) => (k === 'month' ? `to_char(o.month, 'YYYY-MM')` : `o.${k}`)).join(', ')}), o.version, o.record, o.load_id, $2
     FROM ${stage} s CROSS JOIN LATERAL (SELECT * FROM ${t.table} o WHERE ${keyMatch} LIMIT 1) o
     WHERE o.content_hash <> s.content_hash
     ON CONFLICT DO NOTHING`, [t.kind, loadId]);
  const set = cols.filter((c) => !t.key.includes(c)).map((c) => `${c} = excluded.${c}`).join(', ');
  await tx.query(
    `INSERT INTO ${t.table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${stage}
     ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET ${set}, updated_at = now(),
       version = ${t.table}.version + CASE WHEN ${t.table}.content_hash <> excluded.content_hash THEN 1 ELSE 0 END`);
}

export async function applyBatch(db: Db, input: ApplyInput, partnerField: (kind: Decision['kind'], f: string) => string = (_k, f) => f): Promise<ApplyResult> {
  return db.transaction(async (tx) => {
    const b = await tx.query<{ status: string; received_at: Date }>('SELECT status, received_at FROM batches WHERE load_id = $1 AND seq = $2 FOR UPDATE', [input.loadId, input.batchSeq]);
    if (!b.rows[0]) throw new Error(`batch ${input.loadId}/${input.batchSeq} not found`);
    if (b.rows[0].status !== 'pending') return { skipped: true, accepted: 0, rejected: 0, loadFinished: false };
    const rows = input.rows ?? encodeDecisionRows(input.accepted ?? [], {
      receivedAt: new Date(b.rows[0].received_at).toISOString(), loadId: input.loadId, batchSeq: input.batchSeq, fieldName: partnerField,
    });
    const rejected: Rejection[] = [...input.rejected, ...rows.duplicates];
    const dropped = new Map<string, Set<number>>();
    let accepted = 0;
    if (rows.municipality !== null && rows.source !== null) {
      const { municipality, source } = rows;
      // Keys never cross municipalities; two loads of one municipality write one at a time, so
      // "is this key new?" stays true until this transaction commits.
      await tx.query('SELECT pg_advisory_xact_lock(7301002, $1::int)', [Number(municipality)]);
      for (const k of rows.kinds) {
        const t = TABLES[k.kind];
        const { known, duplicate } = await probeKeys(tx, t, k, input.loadId, input.batchSeq, municipality, source);
        for (const i of duplicate) {
          const key = keyOf(k, municipality, source, i);
          rejected.push({ index: k.index[i], kind: k.kind, naturalKey: key, errors: [duplicateError(key, 'an earlier batch', partnerField(k.kind, 'decisionId'))] });
        }
        dropped.set(k.kind, duplicate);
        const cols = copyColumns(t);
        if (!known.size && !duplicate.size) await tx.copyIn(t.table, cols, k.copy);
        else {
          const fresh = selectLines(k.copy, k.lineEnds, (i) => !known.has(i) && !duplicate.has(i));
          if (fresh.length) await tx.copyIn(t.table, cols, fresh);
          if (known.size) await upsertKnown(tx, t, selectLines(k.copy, k.lineEnds, (i) => known.has(i)), input.loadId);
        }
        if (k.members) {
          // A household's members are replaced with its decision: a correction may add or drop a member.
          if (known.size) {
            const ids = [...known].map((i) => k.decisionId[i]);
            await tx.query('DELETE FROM household_member WHERE municipality = $1 AND source = $2 AND decision_id = ANY($3::text[])', [municipality, source, ids]);
          }
          const m = k.members;
          const text = duplicate.size ? selectLines(m.copy, m.lineEnds, (i) => !duplicate.has(m.row[i])) : m.copy;
          if (text.length) await tx.copyIn('household_member', MEMBER_COLUMNS, text);
        }
        accepted += k.index.length - duplicate.size;
      }
    }

    if (rejected.length) {
      await tx.query(
        `INSERT INTO rejections (load_id, batch_seq, idx, kind, natural_key, errors)
         SELECT $1, $2, idx, kind, nk, errors::jsonb FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS r(idx, kind, nk, errors)
         ON CONFLICT DO NOTHING`,
        [input.loadId, input.batchSeq, rejected.map((r) => r.index), rejected.map((r) => r.kind), rejected.map((r) => r.naturalKey), rejected.map((r) => JSON.stringify(r.errors))],
      );
    }
    const quality = batchQualityOf(rows.kinds, (kind, i) => dropped.get(kind)?.has(i) ?? false);
    await tx.query(
      `UPDATE batches SET status = 'done', accepted = $3, rejected = $4, processed_at = now(), quality = $5::jsonb WHERE load_id = $1 AND seq = $2`,
      [input.loadId, input.batchSeq, accepted, rejected.length, JSON.stringify(quality)],
    );
    const loadFinished = await finishLoadIfComplete(tx, input.loadId);
    return { skipped: false, accepted, rejected: rejected.length, loadFinished };
  });
}

/** When no batch of a committed load is pending, the load is done (or failed, if one went dead). */
export async function finishLoadIfComplete(tx: Db, loadId: string): Promise<boolean> {
  // The load's row lock orders the transactions that end its batches: without it, a batch written
  // while another went dead could each see the other still pending, and the load would never end.
  await tx.query('SELECT 1 FROM loads WHERE id = $1 FOR UPDATE', [loadId]);
  const s = (await tx.query<{ pending: number; dead: number; accepted: number; rejected: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'dead')::int AS dead,
            coalesce(sum(accepted), 0)::int AS accepted, coalesce(sum(rejected), 0)::int AS rejected
     FROM batches WHERE load_id = $1`, [loadId])).rows[0];
  if (Number(s.pending) > 0) return false;
  const quality = await qualityReport(tx, loadId);
  // clock_timestamp(), not now(): the moment the last batch is written, not when its transaction began.
  const r = await tx.query(
    `UPDATE loads SET status = $2, accepted = $3, rejected = $4, finished_at = clock_timestamp(), quality = $5::jsonb
     WHERE id = $1 AND status IN ('committed','processing')`,
    [loadId, Number(s.dead) > 0 ? 'failed' : 'done', s.accepted, s.rejected, JSON.stringify(quality)],
  );
  return r.rowCount > 0;
}

export async function markProcessing(db: Db, loadId: string): Promise<void> {
  await db.query(`UPDATE loads SET status = 'processing' WHERE id = $1 AND status = 'committed'`, [loadId]);
}

/** A batch whose job exhausted its retries: the rest of the load goes on without it. */
export async function markBatchDead(db: Db, loadId: string, seq: number, error: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.query(`UPDATE batches SET status = 'dead', error = $3, processed_at = now() WHERE load_id = $1 AND seq = $2 AND status = 'pending'`, [loadId, seq, error]);
    if (!r.rowCount) return false;
    return finishLoadIfComplete(tx, loadId);
  });
}

/** Current version and history of one key, for tests and operators. */
export async function decisionVersions(db: Db, kind: Decision['kind'], key: string): Promise<{ current: Decision | null; version: number; history: { version: number; record: Decision }[] }> {
  const t = TABLES[kind];
  const parts = key.split('/');
  const where = t.key.map((k, i) => `${k} = $${i + 1}${t.columns.find((c) => c.name === k)!.type === 'date' ? '::date' : ''}`).join(' AND ');
  const vals = t.key.map((k, i) => (k === 'month' ? `${parts[i]}-01` : parts[i]));
  const cur = (await db.query<{ record: Decision; version: number }>(`SELECT record, version FROM ${t.table} WHERE ${where}`, vals)).rows[0];
  const hist = (await db.query<{ record: Decision; version: number }>(
    'SELECT record, version FROM decision_history WHERE kind = $1 AND natural_key = $2 ORDER BY version', [kind, key])).rows;
  return { current: cur?.record ?? null, version: cur ? Number(cur.version) : 0, history: hist.map((h) => ({ version: Number(h.version), record: h.record })) };
}
