/**
 * The end-to-end check every generated load shares: push it, and the hub rejects exactly the
 * planted records, each with its code, field and place, and stores all the others.
 */
import assert from 'node:assert/strict';
import type { GeneratedLoad } from '../../engine/index.ts';
import type { TestHub } from './hub.ts';
import { allRejections, pushLoad } from './api.ts';

export interface TruthCheck {
  /** The finished load as GET /api/v1/loads/:id gives it. */
  load: any;
  rejections: any[];
  /** Records in the load, planted ones included. */
  total: number;
}

/** Records a load stored across the four decision tables. */
async function storedRecords(t: TestHub, loadId: string): Promise<number> {
  const { rows } = await t.hub.store.db.query<{ n: number }>(`SELECT (SELECT count(*) FROM household_status WHERE load_id = $1)
    + (SELECT count(*) FROM benefit_month WHERE load_id = $1) + (SELECT count(*) FROM service_decision WHERE load_id = $1)
    + (SELECT count(*) FROM assistant_month WHERE load_id = $1) AS n`, [loadId]);
  return Number(rows[0].n);
}

/**
 * Asserts that `gen` plants every one of `codes`, pushes it as `load` under `key`, and asserts that
 * the rejections are the truth: same batch, index, code and field, in order, each with a message.
 */
export async function pushAndMatchTruth(
  t: TestHub, key: string, load: { source: string; municipality: string; period: string }, gen: GeneratedLoad, codes: readonly string[],
): Promise<TruthCheck> {
  const planted = new Set<string>(gen.truth.map((p) => p.code));
  for (const c of codes) assert.ok(planted.has(c), `no planted ${c}`);
  const done = await pushLoad(t.url, key, load, gen.batches, gen.contentType);
  assert.equal(done.status, 'done');
  const rejections = await allRejections(t.url, key, done.id);
  const got = rejections.map((r) => ({ batch: r.batch, index: r.index, codes: r.errors.map((e: any) => `${e.code}:${e.field}`) }));
  const want = gen.truth.map((p) => ({ batch: p.batch, index: p.index, codes: [`${p.code}:${p.field}`] }));
  assert.deepEqual(got, want);
  const total = gen.recordCounts.reduce((a, b) => a + b, 0);
  assert.deepEqual(done.records, { received: total, accepted: total - gen.truth.length, rejected: gen.truth.length });
  assert.equal(await storedRecords(t, done.id), total - gen.truth.length);
  for (const r of rejections) for (const e of r.errors) assert.ok(e.message.length > 10, `message for ${e.code} says why`);
  return { load: done, rejections, total };
}
