/**
 * Applies one processed batch to the store in a single transaction: the decisions (upserts by
 * natural key, earlier versions to history), the rejections, and the batch's and load's status.
 * Running the same batch twice (stalled lock, crash before ack, replay) changes nothing the second
 * time: the batch row is locked first and a batch already done is skipped whole.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import type { Decision, HouseholdStatus, RecordError } from '../schemas/canonical/model.ts';
import { naturalKey } from '../schemas/canonical/model.ts';
import { batchQuality, qualityReport } from './quality.ts';

export interface ApplyInput {
  loadId: string;
  batchSeq: number;
  /** json/hash: the record's encodeDecision(), when a prep thread already made it. */
  accepted: { index: number; record: Decision; json?: string; hash?: string }[];
  rejected: { index: number; naturalKey: string | null; kind: string | null; errors: RecordError[] }[];
}

export interface ApplyResult {
  skipped: boolean;
  accepted: number;
  rejected: number;
  loadFinished: boolean;
}

interface Column {
  name: string;
  type: string;
  /** Where the value sits in the canonical record ("volume.amount"). */
  path: string;
  /** Canonical months (YYYY-MM) are stored as the month's first day. */
  month?: boolean;
  /** The value as the store keeps it, read from a canonical record. */
  get: (d: Decision) => unknown;
  /** The same, as SQL over the record's jsonb `i.record`. */
  sql: string;
}

interface KindTable {
  kind: Decision['kind'];
  table: string;
  key: string[];
  columns: Column[];
}

function col(name: string, type: string, path: string, opts: { month?: boolean } = {}): Column {
  const parts = path.split('.');
  const json = parts.length === 1 ? `i.record->>'${path}'` : `i.record->'${parts[0]}'->>'${parts[1]}'`;
  return {
    name, type, path, month: opts.month,
    get: (d) => {
      let v: unknown = d;
      for (const p of parts) v = (v as Record<string, unknown> | undefined)?.[p];
      return v === undefined ? null : opts.month ? `${v}-01` : v;
    },
    sql: opts.month ? `((${json}) || '-01')::date` : `(${json})::${type}`,
  };
}

const base = (): Column[] => [col('municipality', 'text', 'municipality'), col('source', 'text', 'source'), col('decision_id', 'text', 'decisionId')];
const decisionDate = col('decision_date', 'date', 'decisionDate');

const TABLES: Record<Decision['kind'], KindTable> = {
  'household-status': {
    kind: 'household-status', table: 'household_status', key: ['municipality', 'source', 'decision_id'],
    columns: [...base(), decisionDate, col('status', 'text', 'status'), col('valid_from', 'date', 'validFrom'), col('valid_to', 'date', 'validTo'),
      col('household_id', 'text', 'householdId'), col('average_income', 'numeric', 'averageIncome')],
  },
  benefit: {
    kind: 'benefit', table: 'benefit_month', key: ['municipality', 'source', 'decision_id', 'month'],
    columns: [...base(), decisionDate, col('month', 'date', 'month', { month: true }), col('benefit_type', 'text', 'benefitType'),
      col('person_code', 'text', 'personCode'), col('household_id', 'text', 'householdId'), col('amount', 'numeric', 'amount'), col('paid_on', 'date', 'paidOn')],
  },
  'service-decision': {
    kind: 'service-decision', table: 'service_decision', key: ['municipality', 'source', 'decision_id'],
    columns: [...base(), decisionDate, col('person_code', 'text', 'personCode'), col('outcome', 'text', 'outcome'), col('service_type', 'text', 'serviceType'),
      col('provider_reg_no', 'text', 'providerRegNo'), col('valid_from', 'date', 'from'), col('valid_to', 'date', 'to'),
      col('volume_amount', 'numeric', 'volume.amount'), col('volume_unit', 'text', 'volume.unit')],
  },
  'assistant-month': {
    kind: 'assistant-month', table: 'assistant_month', key: ['municipality', 'source', 'decision_id', 'month'],
    columns: [...base(), col('month', 'date', 'month', { month: true }), col('person_code', 'text', 'personCode'),
      col('assistant_person_code', 'text', 'assistantPersonCode'), col('category', 'text', 'category'),
      col('granted_hours', 'numeric', 'grantedHours'), col('used_hours', 'numeric', 'usedHours')],
  },
};


/**
 * The batch travels as one JSON document of `{record, content_hash, idx}` rows, and PostgreSQL
 * takes the typed columns out of each record itself: the main thread only concatenates strings
 * that the prep threads already made (see encodeDecision), instead of building row objects.
 */
const ROWS = `json_to_recordset($1::json) AS i(record jsonb, content_hash text, idx int)`;
const statements = new Map<string, string>();

function statement(t: KindTable, which: 'insert' | 'upsert'): string {
  const cacheKey = `${t.table}:${which}`;
  let sql = statements.get(cacheKey);
  if (sql) return sql;
  const cols = t.columns.map((c) => c.name);
  const select = `SELECT ${t.columns.map((c) => c.sql).join(', ')}, i.record, i.content_hash, $2, $3, i.idx FROM ${ROWS}`;
  const insert = `INSERT INTO ${t.table} (${cols.join(', ')}, record, content_hash, load_id, batch_seq, idx)\n${select}`;
  if (which === 'insert') {
    // Keys the store has never seen (most of a monthly load): no history to keep, no conflict.
    sql = insert;
  } else {
    const keyJoin = t.key.map((k) => `o.${k} = ${t.columns.find((c) => c.name === k)!.sql}`).join(' AND ');
    const setCols = [...cols.filter((c) => !t.key.includes(c)), 'record', 'content_hash', 'load_id', 'batch_seq', 'idx']
      .map((c) => `${c} = excluded.${c}`).join(', ');
    sql = `WITH hist AS (
  INSERT INTO decision_history (kind, natural_key, version, record, load_id, replaced_by)
  SELECT $4, concat_ws('/', ${t.key.map((k) => (k === 'month' ? `to_char(o.month, 'YYYY-MM')` : `o.${k}`)).join(', ')}), o.version, o.record, o.load_id, $2
  FROM ${ROWS} JOIN ${t.table} o ON ${keyJoin}
  WHERE o.content_hash <> i.content_hash
  ON CONFLICT DO NOTHING
)
${insert}
ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET ${setCols}, updated_at = now(),
  version = ${t.table}.version + CASE WHEN ${t.table}.content_hash <> excluded.content_hash THEN 1 ELSE 0 END`;
  }
  statements.set(cacheKey, sql);
  return sql;
}

/** The canonical JSON of a record and its sha1: pure CPU, done in the prep threads. */
export function encodeDecision(d: Decision): { json: string; hash: string } {
  const json = JSON.stringify(d);
  return { json, hash: createHash('sha1').update(json).digest('hex') };
}

type Encodable = { index: number; record: Decision; json?: string; hash?: string };

function rowsJson(recs: Encodable[]): string {
  const parts = new Array<string>(recs.length);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    const e = r.json !== undefined && r.hash !== undefined ? { json: r.json, hash: r.hash } : encodeDecision(r.record);
    parts[i] = `{"record":${e.json},"content_hash":"${e.hash}","idx":${r.index}}`;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Which of the incoming keys the store already holds, and whether this load wrote them in an
 * earlier batch (then the later occurrence is a DUPLICATE). Indexes into `recs`.
 */
async function existingKeys(tx: Db, t: KindTable, loadId: string, seq: number, recs: Decision[]): Promise<{ existing: Set<number>; duplicate: Set<number> }> {
  const keyDefs = t.key.map((k) => `${k} ${t.columns.find((c) => c.name === k)!.type}`).join(', ');
  const getters = t.key.map((k) => t.columns.find((c) => c.name === k)!.get);
  const keys = recs.map((r, ord) => {
    const o: Record<string, unknown> = { ord };
    t.key.forEach((k, i) => { o[k] = getters[i](r); });
    return o;
  });
  const r = await tx.query<{ ord: number; dup: boolean }>(
    `SELECT i.ord, (o.load_id = $2 AND o.batch_seq <> $3) AS dup FROM json_to_recordset($1::json) AS i(${keyDefs}, ord int)
     JOIN ${t.table} o ON ${t.key.map((k) => `o.${k} = i.${k}`).join(' AND ')}`,
    [JSON.stringify(keys), loadId, seq],
  );
  const existing = new Set<number>();
  const duplicate = new Set<number>();
  for (const x of r.rows) (x.dup ? duplicate : existing).add(Number(x.ord));
  return { existing, duplicate };
}

function duplicateError(d: Decision, where: string): RecordError {
  return { field: 'decisionId', code: 'DUPLICATE', message: `decision ${naturalKey(d)} appears earlier in this load (${where}); the first occurrence wins` };
}

export async function applyBatch(db: Db, input: ApplyInput, partnerField: (kind: Decision['kind'], f: string) => string = (_k, f) => f): Promise<ApplyResult> {
  return db.transaction(async (tx) => {
    const b = await tx.query<{ status: string; received_at: Date }>('SELECT status, received_at FROM batches WHERE load_id = $1 AND seq = $2 FOR UPDATE', [input.loadId, input.batchSeq]);
    if (!b.rows[0]) throw new Error(`batch ${input.loadId}/${input.batchSeq} not found`);
    if (b.rows[0].status !== 'pending') return { skipped: true, accepted: 0, rejected: 0, loadFinished: false };
    // Keys never cross municipalities; two loads of one municipality write one at a time, so
    // "is this key new?" stays true until this transaction commits.
    const municipality = input.accepted[0]?.record.municipality;
    if (municipality) await tx.query('SELECT pg_advisory_xact_lock(7301002, $1::int)', [Number(municipality)]);

    const rejected = [...input.rejected];
    const seen = new Map<string, number>();
    const byKind = new Map<Decision['kind'], { index: number; record: Decision }[]>();
    for (const a of input.accepted) {
      const key = `${a.record.kind}|${naturalKey(a.record)}`;
      const first = seen.get(key);
      if (first !== undefined) {
        const e = duplicateError(a.record, `record ${first} of this batch`);
        rejected.push({ index: a.index, kind: a.record.kind, naturalKey: naturalKey(a.record), errors: [{ ...e, field: partnerField(a.record.kind, 'decisionId') }] });
        continue;
      }
      seen.set(key, a.index);
      const list = byKind.get(a.record.kind) ?? [];
      list.push(a);
      byKind.set(a.record.kind, list);
    }

    let accepted = 0;
    const written: Decision[] = [];
    for (const [kind, list] of byKind) {
      const t = TABLES[kind];
      const { existing, duplicate } = await existingKeys(tx, t, input.loadId, input.batchSeq, list.map((x) => x.record));
      const fresh: typeof list = [];
      const known: typeof list = [];
      list.forEach((x, i) => {
        if (duplicate.has(i)) {
          const e = duplicateError(x.record, 'an earlier batch');
          rejected.push({ index: x.index, kind, naturalKey: naturalKey(x.record), errors: [{ ...e, field: partnerField(kind, 'decisionId') }] });
        } else (existing.has(i) ? known : fresh).push(x);
      });
      const freshRows = fresh.length ? rowsJson(fresh) : '';
      if (fresh.length) await tx.query(statement(t, 'insert'), [freshRows, input.loadId, input.batchSeq]);
      if (known.length) await tx.query(statement(t, 'upsert'), [rowsJson(known), input.loadId, input.batchSeq, kind]);
      const keep = [...fresh, ...known];
      if (kind === 'household-status') {
        if (known.length) await deleteMembers(tx, known.map((x) => x.record) as HouseholdStatus[]);
        await insertMembers(tx, fresh.length && !known.length ? freshRows : rowsJson(keep));
      }
      accepted += keep.length;
      for (const x of keep) written.push(x.record);
    }

    if (rejected.length) {
      await tx.query(
        `INSERT INTO rejections (load_id, batch_seq, idx, kind, natural_key, errors)
         SELECT $1, $2, idx, kind, nk, errors::jsonb FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS r(idx, kind, nk, errors)
         ON CONFLICT DO NOTHING`,
        [input.loadId, input.batchSeq, rejected.map((r) => r.index), rejected.map((r) => r.kind), rejected.map((r) => r.naturalKey), rejected.map((r) => JSON.stringify(r.errors))],
      );
    }
    await tx.query(
      `UPDATE batches SET status = 'done', accepted = $3, rejected = $4, processed_at = now(), quality = $5::jsonb WHERE load_id = $1 AND seq = $2`,
      [input.loadId, input.batchSeq, accepted, rejected.length, JSON.stringify(batchQuality(written, new Date(b.rows[0].received_at)))],
    );
    const loadFinished = await finishLoadIfComplete(tx, input.loadId);
    return { skipped: false, accepted, rejected: rejected.length, loadFinished };
  });
}

/** A household's members are replaced with its decision: a correction may add or drop a member. */
async function deleteMembers(tx: Db, recs: HouseholdStatus[]): Promise<void> {
  await tx.query(
    `DELETE FROM household_member m USING unnest($1::text[], $2::text[], $3::text[]) AS k(municipality, source, decision_id)
     WHERE m.municipality = k.municipality AND m.source = k.source AND m.decision_id = k.decision_id`,
    [recs.map((r) => r.municipality), recs.map((r) => r.source), recs.map((r) => r.decisionId)],
  );
}

/** Members come out of the records' jsonb in SQL, from the rows document already sent. */
async function insertMembers(tx: Db, rows: string): Promise<void> {
  await tx.query(
    `INSERT INTO household_member (municipality, source, decision_id, member_no, person_code, given_name, surname, role)
     SELECT i.record->>'municipality', i.record->>'source', i.record->>'decisionId', m.ord, m.value->>'personCode',
            m.value->>'givenName', m.value->>'surname', m.value->>'role'
     FROM ${ROWS}, jsonb_array_elements(i.record->'members') WITH ORDINALITY AS m(value, ord)`,
    [rows],
  );
}

/** When no batch of a committed load is pending, the load is done (or failed, if one went dead). */
export async function finishLoadIfComplete(tx: Db, loadId: string): Promise<boolean> {
  const s = (await tx.query<{ pending: number; dead: number; accepted: number; rejected: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'dead')::int AS dead,
            coalesce(sum(accepted), 0)::int AS accepted, coalesce(sum(rejected), 0)::int AS rejected
     FROM batches WHERE load_id = $1`, [loadId])).rows[0];
  if (Number(s.pending) > 0) return false;
  const quality = await qualityReport(tx, loadId);
  const r = await tx.query(
    `UPDATE loads SET status = $2, accepted = $3, rejected = $4, finished_at = now(), quality = $5::jsonb
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
