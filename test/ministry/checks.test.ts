import assert from 'node:assert/strict';
import { monthlyChecks, OPINIONS_NOT_LOADED, REGISTER_NOT_LOADED, type MonthlyChecks } from '../../store/index.ts';
import { PROVIDERS_NOT_LOADED } from '../../store/checks.ts';
import { BACKENDS } from '../helpers/store.ts';
import { applyRecords, fixtureStore, REGISTER, assistant, status, R, J, D, P } from './fixture.ts';

/** Each finding as [rule, keys of its records]. */
const keys = (c: MonthlyChecks): [number, string[]][] => c.findings.map((f) => [f.rule, f.records.map((r) => r.key)]);
const reasonOf = (c: MonthlyChecks, rule: number): string => c.findings.filter((f) => f.rule === rule).map((f) => f.reason).join('\n');

// October 2026, found by hand in fixture.ts.
const OCT: [number, string[]][] = [
  [1, [`${R}/sopa/R-B3/2026-10`, `${D}/lietis/D-B3/2026-10`]], // P2: housing from Rīga and Daugavpils
  [1, [`${R}/sopa/R-B6/2026-10`, `${J}/sopa/J-B1/2026-10`]], // P8: housing from Rīga, GMI from Jelgava (moved 11 Oct)
  [2, [`${R}/sopa/R-B10/2026-10`]], // P6's status is Jelgava's
  [2, [`${J}/sopa/J-B2/2026-10`]], // P9 has no status
  [3, [`${R}/sopa/R-A1/2026-10`]], // 95 used of 80 granted
  [5, [`${R}/sopa/R-A2/2026-10`, `${D}/lietis/D-A1/2026-10`, `${J}/sopa/J-A1/2026-10`]], // A2: 770.5 hours
  [6, [`${R}/sopa/R-S1`, `${D}/lietis/D-S1`]], // P2 in Rīga's and Daugavpils' households
];

for (const backend of BACKENDS) {
  describe(`ministry checks on ${backend}`, function () {
    const t = fixtureStore(backend);

    it('finds exactly the October cases of rules 1, 2, 3, 5 and 6 counted by hand', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-10' });
      assert.deepEqual(keys(c), OCT);
      assert.deepEqual(c.findings[0].records.map((r) => [r.kind, r.municipality]), [['benefit', R], ['benefit', D]]);
      assert.deepEqual(c.findings[6].records.map((r) => r.kind), ['household-status', 'household-status']);
      assert.deepEqual(c.rules.map((r) => [r.rule, r.findings]), [[1, 2], [2, 2], [3, 1], [4, 0], [5, 1], [6, 1], [7, 0], [8, 0], [9, 0], [10, 0]]);
    });

    it('says rule 4 and the CHILD part of rule 3 are unavailable until VDEĀVK opinions are loaded', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-10' });
      const rule = (n: number) => c.rules.find((r) => r.rule === n)!;
      assert.equal(OPINIONS_NOT_LOADED, 'unavailable: VDEĀVK opinions are not loaded yet');
      assert.equal(rule(4).status, OPINIONS_NOT_LOADED);
      assert.equal(rule(3).status, 'partial');
      assert.deepEqual(rule(3).parts.map((p) => [p.part, p.status]), [['used-above-granted', 'ran'], ['child-above-opinion-maximum', OPINIONS_NOT_LOADED]]);
      for (const n of [1, 2, 5, 6]) assert.equal(rule(n).status, 'ran');
    });

    it('explains each finding in plain language with personal codes masked, the new-style one too', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-10' });
      const all = c.findings.map((f) => f.reason).join('\n');
      for (const code of Object.values(P)) assert.ok(!all.includes(code), `${code} appears unmasked`);
      assert.match(reasonOf(c, 3), /^Assistant service of person 325794-\*{5} in Rīga \(0001000\), 2026-10: 95 hours used, above the 80 hours granted/);
      assert.match(reasonOf(c, 1), /Person 050915-\*{5} was paid for 2026-10 by 2 municipalities: Rīga \(0001000\) HOUSING; Daugavpils \(0002000\) HOUSING/);
      assert.match(reasonOf(c, 2), /Rīga \(0001000\) paid GMI of 33\.00 EUR for 2026-10 to person 220765-\*{5}, but no NEEDY or LOW_INCOME status .* \(one from Jelgava \(0003000\) is\)\./);
      assert.match(reasonOf(c, 5), /Assistant 170544-\*{5} billed 770\.5 hours in 2026-10 for 3 client\(s\) in Rīga \(0001000\), Daugavpils \(0002000\), Jelgava \(0003000\): more than 744/);
      assert.match(reasonOf(c, 6), /household HR1 in Rīga \(0001000; NEEDY 2026-08-01…2027-01-31\) and of household HD1 in Daugavpils \(0002000; NEEDY 2026-09-01…2027-02-28\); the periods overlap 2026-09-01…2027-01-31/);
    });

    it('finds nothing for a move mid-month (statuses that touch but do not overlap), 744 hours exactly, or used = granted', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-10' });
      const rulesOf = (key: string) => c.findings.filter((f) => f.records.some((r) => r.key === key)).map((f) => f.rule);
      assert.deepEqual(rulesOf(`${R}/sopa/R-S5`), []); // P8 left Rīga on 10 Oct ...
      assert.deepEqual(rulesOf(`${J}/sopa/J-S2`), []); // ... and came to Jelgava on 11 Oct
      assert.deepEqual(rulesOf(`${R}/sopa/R-A5/2026-10`), []); // A4: 400 + 344 = 744 hours
      assert.deepEqual(rulesOf(`${J}/sopa/J-A1/2026-10`), [5]); // 160 of 160: only A2's total
    });

    it('checks September on its own', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-09' });
      assert.deepEqual(keys(c), [[6, [`${R}/sopa/R-S1`, `${D}/lietis/D-S1`]]]);
    });

    it('keeps, for one municipality, only the findings with a record of it', async () => {
      const c = await monthlyChecks(t.store.db, { period: '2026-10', municipality: J });
      assert.equal(c.municipality, J);
      assert.deepEqual(keys(c), OCT.filter(([, k]) => k.some((x) => x.startsWith(J))));
    });

    it('runs the opinion parts once VDEĀVK opinions are stored', async () => {
      try {
        assert.equal((await monthlyChecks(t.store.db, { period: '2026-10' })).rules[3].status, OPINIONS_NOT_LOADED, 'an empty table is not loaded opinions');
        const o = (id: string, person: string, kind: string, from: string, to: string, max: number | undefined, revoked: boolean) => ({
          opinionId: id, personCode: person, disabilityGroup: kind === 'CHILD_SPECIAL_CARE' ? 'CHILD' as const : 'II' as const, kind: kind as 'ADULT_MOBILITY',
          issuedOn: from, validFrom: from, validTo: to, ...(max ? { maxHoursPerMonth: max } : {}), revoked, changedAt: '2026-11-01T08:00:00.000Z',
        });
        await t.store.upsertOpinions([
          o('O1', P.N1, 'CHILD_SPECIAL_CARE', '2026-01-01', '2026-12-31', 80, false), o('O2', P.P1, 'ADULT_MOBILITY', '2025-01-01', '2030-12-31', undefined, false),
          o('O3', P.P3, 'ADULT_MOBILITY', '2026-10-31', '2027-12-31', undefined, false), o('O4', P.P10, 'ADULT_VISUAL', '2024-01-01', '2026-09-30', undefined, false),
          o('O5', P.P5, 'ADULT_MENTAL', '2026-01-01', '2026-12-31', undefined, true), o('O6', P.P9, 'ADULT_MENTAL', '2026-01-01', '2026-12-31', undefined, false),
        ], 'push');
        const c = await monthlyChecks(t.store.db, { period: '2026-10' });
        assert.deepEqual(c.rules.map((r) => r.status), ['ran', 'ran', 'ran', 'ran', 'ran', 'ran', REGISTER_NOT_LOADED, REGISTER_NOT_LOADED, REGISTER_NOT_LOADED, PROVIDERS_NOT_LOADED]);
        // N1 (CHILD) used 95 of an 80-hour maximum; P10's opinion ended in September, P5's is revoked, P7 has none.
        assert.deepEqual(keys(c).filter(([r]) => r === 3 || r === 4), [
          [3, [`${R}/sopa/R-A1/2026-10`]], [3, [`${R}/sopa/R-A1/2026-10`]],
          [4, [`${R}/sopa/R-A5/2026-10`]], [4, [`${D}/lietis/D-A1/2026-10`]], [4, [`${J}/sopa/J-A1/2026-10`]],
        ]);
        assert.match(reasonOf(c, 3), /child 325794-\*{5} .* above the 80 hours a month of the VDEĀVK opinion/);
      } finally {
        await t.store.db.exec('DELETE FROM assistant_opinion');
      }
    });

    it('runs rules 7, 8 and 9 once PMLP register changes are stored, and finds exactly the cases planted in them', async () => {
      assert.equal((await monthlyChecks(t.store.db, { period: '2026-10' })).rules[6].status, REGISTER_NOT_LOADED);
      try {
        assert.equal(await t.store.storeRegisterChanges(REGISTER, 'pull'), REGISTER.length);
        assert.equal(await t.store.storeRegisterChanges(REGISTER.slice(3, 9), 'pull'), 0, 'a page pulled again adds nothing');
        const c = await monthlyChecks(t.store.db, { period: '2026-10' });
        assert.deepEqual(c.rules.slice(6, 9).map((r) => [r.rule, r.status, r.findings]), [[7, 'ran', 3], [8, 'ran', 2], [9, 'ran', 1]]);
        assert.deepEqual(keys(c).filter(([r]) => r >= 7), [
          [7, [`${R}/sopa/R-A2/2026-10`]], [7, [`${R}/sopa/R-B7/2026-10`]], [7, [`${R}/sopa/R-SV3`]], // P3 died 20 Sep
          [8, [`${R}/sopa/R-B10/2026-10`]], [8, [`${R}/sopa/R-B3/2026-10`]], // P6 lives in Jelgava, P2 in Daugavpils
          [9, [`${R}/sopa/R-S1`]], // P2 in Rīga's household
        ]);
        assert.match(reasonOf(c, 7), /^Assistant service of person 010180-\*{5} from Rīga \(0001000\) for 2026-10, but the population register \(PMLP\) records the person's death on 2026-09-20, before that month began/);
        assert.match(reasonOf(c, 7), /Service DAY_CENTRE of person 010180-\*{5} from Rīga \(0001000\) is granted and in force in 2026-10/);
        assert.match(reasonOf(c, 8), /Housing benefit for 2026-10 of person 050915-\*{5} was paid by Rīga \(0001000\), but the person's declared residence in that month was in Daugavpils \(0002000\) \(PMLP\)/);
        assert.match(reasonOf(c, 9), /NEEDY status of household HR1 granted by Rīga \(0001000\), in force in 2026-10: member 050915-\*{5} had declared residence in Daugavpils \(0002000\)/);
        const all = c.findings.map((f) => f.reason).join('\n');
        for (const code of Object.values(P)) assert.ok(!all.includes(code), `${code} appears unmasked`);

        // November: P5 (died 20 Oct) still has Jelgava's open home care; P3's day centre goes on too.
        const nov = await monthlyChecks(t.store.db, { period: '2026-11' });
        assert.deepEqual(keys(nov).filter(([r]) => r === 7), [[7, [`${R}/sopa/R-SV3`]], [7, [`${J}/sopa/J-SV1`]]]);
      } finally {
        await t.store.db.exec('DELETE FROM person_register_change');
      }
    });

    it('drops findings that a correction removes, and finds what the correction exposes', async () => {
      await applyRecords(t.store, [
        assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 75),
        status(R, 'R-S1', 'NEEDY', '2026-08-01', '2027-01-31', 'HR1', [P.P1]),
      ]);
      const c = await monthlyChecks(t.store.db, { period: '2026-10' });
      assert.deepEqual(keys(c), [
        OCT[0], OCT[1],
        [2, [`${R}/sopa/R-B10/2026-10`]], [2, [`${R}/sopa/R-B3/2026-10`]], OCT[3], // P2 no longer in Rīga's household
        OCT[5], // no rule 3 after the hours were corrected; no rule 6 after P2 left HR1
      ]);
    });
  });
}
