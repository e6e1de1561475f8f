import assert from 'node:assert/strict';
import { personCodeProblem } from '../../engine/index.ts';
import { batchSizes, corruptPersonCode, createRng, datesInMonth, familyNames, inBatches, personCodeFor, planSchedule, plantRecords, plantedTruth, LATVIAN_NAMES, type PlantVariant } from '../../engine/simulators/index.ts';

const VARIANTS: PlantVariant[] = [
  { code: 'PERSON_CODE', field: 'a' }, { code: 'DUPLICATE', field: 'no' }, { code: 'DATE', field: 'b' }, { code: 'PERSON_CODE', field: 'c' },
];

describe('engine/simulation', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => { const r = createRng(seed); return Array.from({ length: 20 }, () => r.int(0, 1000)); };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('writes valid personal codes in the style asked for, and corrupts each into an invalid one that keeps its hyphen', () => {
    const rng = createRng(1);
    for (let i = 0; i < 5000; i++) {
      const code = personCodeFor(rng, { hyphen: 0.5 });
      assert.equal(personCodeProblem(code), null, code);
      const bad = corruptPersonCode(rng, code);
      assert.notEqual(personCodeProblem(bad), null, `${code} → ${bad}`);
      assert.equal(bad.includes('-'), code.includes('-'));
    }
    const plain = Array.from({ length: 500 }, () => personCodeFor(rng, { newStyle: 0 }));
    assert.ok(plain.every((c) => /^\d{11}$/.test(c) && !/^3[2-9]/.test(c)));
  });

  it('gives a family one surname, inflected by gender', () => {
    const members = familyNames(createRng(3), 40);
    const pair = LATVIAN_NAMES.surnames.find(([m, f]) => members.every((p) => p.surname === m || p.surname === f));
    assert.ok(pair, JSON.stringify(members));
  });

  it('reckons the dates of a period and refuses any other spelling', () => {
    const d = datesInMonth('2026-01');
    assert.deepEqual(d.shift(-1), [2025, 12]);
    assert.deepEqual(d.endOf(1), [2026, 2, 28]);
    const rng = createRng(2);
    for (let i = 0; i < 50; i++) {
      const [, m, day] = d.impossible(rng);
      assert.ok(day > new Date(Date.UTC(2026, m, 0)).getUTCDate());
      assert.ok(d.day(rng, 10)[2] >= 10 && d.day(rng)[2] <= 28);
    }
    assert.throws(() => datesInMonth('2026-13'), /period must be YYYY-MM/);
  });

  it('plants the first variant of each code with everyCode, and never more than every other record', () => {
    const schedule = planSchedule(createRng(4), 12, VARIANTS, { everyCode: true, errorRate: 0 });
    assert.deepEqual([...schedule.values()].map((v) => v.field).sort(), ['a', 'b', 'no']);
    assert.equal(planSchedule(createRng(4), 10, VARIANTS, { errorRate: 0.5 }).size, 5);
  });

  it('makes a DUPLICATE the very record of an earlier valid one, each original once', () => {
    let made = 0;
    const { records, planted } = plantRecords(createRng(5), VARIANTS, { records: 400, errorRate: 0.3 }, (v) => ({ id: made++, v }));
    const dups = planted.filter((p) => p.variant.code === 'DUPLICATE');
    assert.ok(dups.length > 10);
    const originals = dups.map(({ pos }) => records.indexOf(records[pos]));
    for (const [k, { pos }] of dups.entries()) {
      assert.ok(originals[k] < pos);
      assert.equal(records[originals[k]].v, undefined, 'the original is valid');
    }
    assert.equal(new Set(originals).size, originals.length);
  });

  it('sizes batches to fit and places each planted record in its batch', () => {
    assert.deepEqual(batchSizes([10, 10, 10], 25), [2, 1]);
    assert.deepEqual(batchSizes([10, 10, 10, 10, 10], 1, 2), [3, 2]);
    assert.deepEqual(inBatches(['a', 'b', 'c'], [2, 1]), [['a', 'b'], ['c']]);
    const planted = [{ pos: 0, variant: VARIANTS[0] }, { pos: 3, variant: VARIANTS[2] }, { pos: 4, variant: VARIANTS[3] }];
    assert.deepEqual(plantedTruth(planted, [3, 2]), [
      { batch: 1, index: 0, code: 'PERSON_CODE', field: 'a' }, { batch: 2, index: 0, code: 'DATE', field: 'b' },
      { batch: 2, index: 1, code: 'PERSON_CODE', field: 'c' },
    ]);
    assert.deepEqual(plantedTruth(planted, [3, 2], (pos, start) => 1 - (pos - start)).map((t) => t.index), [1, 0, 1]);
  });
});
