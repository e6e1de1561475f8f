/**
 * The data-quality report of a load, in the six dimensions the Ministry names, each with counts
 * and rates by record kind:
 * - accuracy: values that break a value rule (PERSON_CODE, MUNICIPALITY, DATE, PERIOD, AMOUNT,
 *   HOURS) or could not be read at all (FORMAT);
 * - completeness: required fields missing (REQUIRED);
 * - admissibility: values outside their classifier (CLASSIFIER);
 * - uniqueness: a natural key repeated within the load (DUPLICATE);
 * - consistency: an accepted benefit whose household is not known from a status decision of the
 *   same municipality, or whose month lies outside that status's validity;
 * - timeliness: days from the decision to its arrival at the hub, and the share that arrived after
 *   the 15th of the month following the month it reports (the benefit's or assistant month, or
 *   the decision's month).
 * A record counts once per dimension however many of its fields fail; rates are per received
 * record of the kind.
 */
import type { Db } from './db.ts';
import type { Decision } from '../schemas/canonical/model.ts';

export const DIMENSION_OF_CODE: Record<string, 'accuracy' | 'completeness' | 'admissibility' | 'uniqueness'> = {
  PERSON_CODE: 'accuracy', MUNICIPALITY: 'accuracy', DATE: 'accuracy', PERIOD: 'accuracy', AMOUNT: 'accuracy',
  HOURS: 'accuracy', FORMAT: 'accuracy', REQUIRED: 'completeness', CLASSIFIER: 'admissibility', DUPLICATE: 'uniqueness',
};

/** Figures one batch contributes; kept on the batch row and summed when the load finishes. */
export interface BatchQuality {
  acceptedByKind: Record<string, number>;
  timeliness: Record<string, { checked: number; late: number; daysSum: number; dated?: number }>;
}

const DAY = 86_400_000;

/** 15th of the month after `month` (YYYY-MM), as epoch ms (UTC midnight of the 16th: "beyond the 15th"). */
function deadline(month: string): number {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return Date.UTC(y, m, 16);
}

/** One record's part in timeliness: whether it has a month to judge by, late, and days to arrival (-1: no decision date). */
export function recordTimeliness(d: Decision, arrived: number): { checked: boolean; late: boolean; days: number } {
  const month = 'month' in d ? d.month : d.decisionDate?.slice(0, 7);
  if (!month) return { checked: false, late: false, days: -1 };
  // Assistant months carry no decision date: they count for lateness, not for days to arrival.
  const days = d.decisionDate ? Math.max(0, Math.floor((arrived - Date.parse(d.decisionDate)) / DAY)) : -1;
  return { checked: true, late: arrived >= deadline(month), days };
}

/** A batch's figures from the rows it wrote, each kind's rows in `rows` (see decision-rows.ts); `skip` says which were not written. */
export function batchQualityOf(kinds: { kind: string; timeliness: { checked: Uint8Array; late: Uint8Array; days: Int32Array } }[], skip: (kind: string, row: number) => boolean): BatchQuality {
  const q: BatchQuality = { acceptedByKind: {}, timeliness: {} };
  for (const k of kinds) {
    const { checked, late, days } = k.timeliness;
    const t = { checked: 0, late: 0, daysSum: 0, dated: 0 };
    let accepted = 0;
    for (let i = 0; i < checked.length; i++) {
      if (skip(k.kind, i)) continue;
      accepted++;
      if (!checked[i]) continue;
      t.checked++;
      t.late += late[i];
      if (days[i] >= 0) { t.daysSum += days[i]; t.dated++; }
    }
    if (accepted) { q.acceptedByKind[k.kind] = (q.acceptedByKind[k.kind] ?? 0) + accepted; q.timeliness[k.kind] = t; }
  }
  return q;
}

interface Dim { failed: number; rate: number }
const rate = (n: number, of: number): number => (of ? Math.round((n / of) * 10_000) / 10_000 : 0);

export async function qualityReport(tx: Db, loadId: string): Promise<Record<string, unknown>> {
  const batches = (await tx.query<{ quality: BatchQuality | null }>('SELECT quality FROM batches WHERE load_id = $1', [loadId])).rows;
  const accepted: Record<string, number> = {};
  const timely: Record<string, { checked: number; late: number; daysSum: number; dated: number }> = {};
  for (const b of batches) {
    if (!b.quality) continue;
    for (const [k, n] of Object.entries(b.quality.acceptedByKind)) accepted[k] = (accepted[k] ?? 0) + n;
    for (const [k, v] of Object.entries(b.quality.timeliness)) {
      const t = (timely[k] ??= { checked: 0, late: 0, daysSum: 0, dated: 0 });
      t.checked += v.checked; t.late += v.late; t.daysSum += v.daysSum; t.dated += v.dated ?? 0;
    }
  }
  // One row per rejected record: its kind and the distinct codes it got.
  const rejectedRows = (await tx.query<{ kind: string; codes: string[] }>(
    `SELECT coalesce(r.kind, 'unknown') AS kind, array_agg(DISTINCT e->>'code') AS codes
     FROM rejections r, jsonb_array_elements(r.errors) e WHERE r.load_id = $1 GROUP BY r.batch_seq, r.idx, r.kind`, [loadId])).rows;
  const rejected: Record<string, number> = {};
  const failed: Record<string, Record<string, number>> = { accuracy: {}, completeness: {}, admissibility: {}, uniqueness: {} };
  const byCode: Record<string, number> = {};
  for (const r of rejectedRows) {
    rejected[r.kind] = (rejected[r.kind] ?? 0) + 1;
    const dims = new Set<string>();
    for (const c of r.codes) {
      byCode[c] = (byCode[c] ?? 0) + 1;
      dims.add(DIMENSION_OF_CODE[c] ?? 'accuracy');
    }
    for (const d of dims) failed[d][r.kind] = (failed[d][r.kind] ?? 0) + 1;
  }
  const consistency = (await tx.query<{ checked: number; unknown_household: number; outside_validity: number }>(
    `SELECT count(*)::int AS checked,
            count(*) FILTER (WHERE NOT known)::int AS unknown_household,
            count(*) FILTER (WHERE known AND NOT covered)::int AS outside_validity
     FROM (
       SELECT b.decision_id, b.month,
              count(h.decision_id) > 0 AS known,
              coalesce(bool_or(h.valid_from <= (b.month + interval '1 month' - interval '1 day')::date AND h.valid_to >= b.month), false) AS covered
       FROM benefit_month b
       LEFT JOIN household_status h ON h.municipality = b.municipality AND h.household_id = b.household_id
       WHERE b.load_id = $1 AND b.household_id IS NOT NULL
       GROUP BY b.decision_id, b.month
     ) x`, [loadId])).rows[0];

  const kinds = [...new Set([...Object.keys(accepted), ...Object.keys(rejected)])].sort();
  const received = (k: string): number => (accepted[k] ?? 0) + (rejected[k] ?? 0);
  const total = kinds.reduce((a, k) => a + received(k), 0);
  const dimension = (name: string): Dim & { byKind: Record<string, Dim> } => {
    const f = failed[name];
    const n = Object.values(f).reduce((a, b) => a + b, 0);
    return { failed: n, rate: rate(n, total), byKind: Object.fromEntries(kinds.map((k) => [k, { failed: f[k] ?? 0, rate: rate(f[k] ?? 0, received(k)) }])) };
  };
  const timeliness = Object.fromEntries(Object.entries(timely).map(([k, t]) => [k, {
    checked: t.checked, late: t.late, lateRate: rate(t.late, t.checked), meanDaysToArrival: t.dated ? Math.round((t.daysSum / t.dated) * 10) / 10 : null,
  }]));
  const tAll = Object.values(timely).reduce((a, t) => ({ checked: a.checked + t.checked, late: a.late + t.late }), { checked: 0, late: 0 });
  const c = { checked: Number(consistency.checked), unknownHousehold: Number(consistency.unknown_household), outsideValidity: Number(consistency.outside_validity) };
  const cFailed = c.unknownHousehold + c.outsideValidity;
  return {
    records: { received: total, byKind: Object.fromEntries(kinds.map((k) => [k, { received: received(k), accepted: accepted[k] ?? 0, rejected: rejected[k] ?? 0 }])) },
    accuracy: dimension('accuracy'),
    completeness: dimension('completeness'),
    admissibility: dimension('admissibility'),
    uniqueness: dimension('uniqueness'),
    consistency: { ...c, failed: cFailed, rate: rate(cFailed, c.checked), byKind: { benefit: { failed: cFailed, rate: rate(cFailed, c.checked) } } },
    timeliness: { checked: tAll.checked, late: tAll.late, lateRate: rate(tAll.late, tAll.checked), byKind: timeliness },
    rejectionsByCode: byCode,
  };
}
