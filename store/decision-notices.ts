/**
 * What decision notices read and write (eservices/applications/notices.ts; migration 008): the
 * batches not yet scanned for notices, the decisions a batch wrote, and a person's notices. The
 * bulk path (decisions.ts) knows nothing of notices: the planner finds a batch's decisions by the
 * batch's own marks on them (load_id, batch_seq, and updated_at within the batch's processing).
 */
import type { Db } from './db.ts';

/** One decision of a batch that may get a notice, for one recipient. */
export interface NoticeDecision {
  kind: 'household-status' | 'benefit' | 'service-decision';
  municipality: string;
  source: string;
  decisionId: string;
  /** YYYY-MM-DD */
  decisionDate: string;
  /** The recipient: the person the decision concerns (each member, for a household status). */
  personCode: string;
  /** household-status: NEEDY | LOW_INCOME; benefit: its benefitType; service-decision: its serviceType. */
  code: string;
  /** service-decision only. */
  outcome?: string;
  /** household-status: validFrom/validTo; service-decision: from/to; benefit: first and last month (YYYY-MM) in the batch. */
  from?: string;
  to?: string;
}

export interface ClaimedBatch {
  loadId: string;
  seq: number;
  /** Another worker scanned it between this worker's look and its lock: nothing to plan. */
  alreadyScanned?: boolean;
}

/**
 * A done batch not yet scanned, locked for this transaction; undefined when there is none free.
 * SKIP LOCKED: another worker planning a batch takes the next one instead of waiting for it.
 */
export async function claimUnscannedBatch(tx: Db): Promise<ClaimedBatch | undefined> {
  const r = await tx.query<{ load_id: string; seq: number }>(
    `SELECT b.load_id, b.seq FROM batches b
     WHERE b.status = 'done' AND NOT EXISTS (SELECT 1 FROM decision_notice_scan s WHERE s.load_id = b.load_id AND s.batch_seq = b.seq)
     ORDER BY b.processed_at, b.load_id, b.seq LIMIT 1
     FOR NO KEY UPDATE OF b SKIP LOCKED`);
  const row = r.rows[0];
  if (!row) return undefined;
  // The statement above saw the scans committed when it began; one committed since (another worker
  // that held this very batch until a moment ago) is seen by a new statement.
  const done = await tx.query('SELECT 1 FROM decision_notice_scan WHERE load_id = $1 AND batch_seq = $2', [row.load_id, row.seq]);
  return { loadId: row.load_id, seq: Number(row.seq), ...(done.rows.length ? { alreadyScanned: true } : {}) };
}

/** Records the batch as scanned; false when another transaction already had. */
export async function markBatchScanned(tx: Db, b: ClaimedBatch, notices: number): Promise<boolean> {
  const r = await tx.query('INSERT INTO decision_notice_scan (load_id, batch_seq, notices) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [b.loadId, b.seq, notices]);
  return (r.rowCount ?? 0) === 1;
}

const BRIN_INDEXES = ['household_status_updated_brin', 'benefit_month_updated_brin', 'service_decision_updated_brin'];

/**
 * Summarizes the block ranges written since the last call, so that finding a batch's rows reads
 * its own ranges instead of every page written since autovacuum last came by (measured on 1M rows:
 * 213 ms a batch unsummarized, 2 ms summarized; summarizing 16,000 new pages once took 150 ms).
 * Best effort: a lock held by a vacuum (250 ms at most) or a missing right only make the scan slower.
 */
export async function summarizeNewDecisionRanges(db: Db): Promise<void> {
  for (const index of BRIN_INDEXES) {
    try {
      await db.transaction(async (tx) => {
        await tx.query("SET LOCAL lock_timeout = '250ms'");
        await tx.query('SELECT brin_summarize_new_values($1::regclass)', [index]);
      });
    } catch { /* see above: the scan still finds the rows */ }
  }
}

const D = (c: string): string => `to_char(${c}, 'YYYY-MM-DD')`;

/**
 * The decisions batch `b` wrote whose decision date is at most `windowDays` before the batch
 * reached the hub: household statuses (one row per member), service decisions, and benefits (one
 * row per decision and person, however many months). Assistant months are reports, not decisions.
 * A row a later batch has since rewritten belongs to that batch (its load_id and batch_seq), and
 * that batch's scan finds it.
 */
export async function decisionsOfBatch(tx: Db, b: ClaimedBatch, windowDays: number): Promise<NoticeDecision[]> {
  // Initplans, evaluated once: the BRIN indexes on updated_at take them as index conditions.
  const lo = `(SELECT received_at FROM batches WHERE load_id = $1 AND seq = $2)`;
  const hi = `(SELECT processed_at FROM batches WHERE load_id = $1 AND seq = $2)`;
  const since = `((SELECT received_at FROM batches WHERE load_id = $1 AND seq = $2) AT TIME ZONE 'UTC')::date - $3::int`;
  const mine = (t: string): string => `${t}.load_id = $1 AND ${t}.batch_seq = $2 AND ${t}.updated_at BETWEEN ${lo} AND ${hi} AND ${t}.decision_date >= ${since}`;
  const r = await tx.query<Record<string, string | null>>(
    `SELECT 'household-status' AS kind, h.municipality, h.source, h.decision_id, ${D('h.decision_date')} AS decision_date, m.person_code,
            h.status AS code, NULL AS outcome, ${D('h.valid_from')} AS from_, ${D('h.valid_to')} AS to_
       FROM household_status h JOIN household_member m ON m.municipality = h.municipality AND m.source = h.source AND m.decision_id = h.decision_id
      WHERE ${mine('h')}
     UNION ALL
     SELECT 'service-decision', s.municipality, s.source, s.decision_id, ${D('s.decision_date')}, s.person_code,
            s.service_type, s.outcome, ${D('s.valid_from')}, ${D('s.valid_to')}
       FROM service_decision s
      WHERE ${mine('s')}
     UNION ALL
     SELECT 'benefit', p.municipality, p.source, p.decision_id, ${D('min(p.decision_date)')}, p.person_code,
            min(p.benefit_type), NULL, to_char(min(p.month), 'YYYY-MM'), to_char(max(p.month), 'YYYY-MM')
       FROM benefit_month p
      WHERE ${mine('p')}
      GROUP BY p.municipality, p.source, p.decision_id, p.person_code
     ORDER BY 2, 3, 4, 6`,
    [b.loadId, b.seq, windowDays]);
  return r.rows.map((x) => ({
    kind: x.kind as NoticeDecision['kind'], municipality: x.municipality!, source: x.source!, decisionId: x.decision_id!,
    decisionDate: x.decision_date!, personCode: x.person_code!, code: x.code!,
    ...(x.outcome ? { outcome: x.outcome } : {}), ...(x.from_ ? { from: x.from_ } : {}), ...(x.to_ ? { to: x.to_ } : {}),
  }));
}

/** One notice as its person sees it. */
export interface PersonNotice {
  id: string;
  status: 'pending' | 'delivered' | 'dead' | 'undeliverable';
  subject: string;
  municipality: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** The e-address's reference, once delivered. */
  ref: string | null;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The notices of one route sent (or being sent) to `personCode`, newest first. */
export async function noticesOfPerson(db: Db, routeId: string, personCode: string, limit = 200): Promise<PersonNotice[]> {
  const r = await db.query<Record<string, string | null>>(
    `SELECT id, status, payload->>'subject' AS subject, municipality, ref, ${TS('created_at')} AS created_at, ${TS('delivered_at')} AS delivered_at
       FROM deliveries WHERE route_id = $1 AND subject = $2 ORDER BY created_at DESC, id LIMIT $3`,
    [routeId, personCode, limit]);
  return r.rows.map((x) => ({
    id: x.id!, status: x.status as PersonNotice['status'], subject: x.subject ?? '', municipality: x.municipality,
    createdAt: x.created_at!, deliveredAt: x.delivered_at, ref: x.ref,
  }));
}
