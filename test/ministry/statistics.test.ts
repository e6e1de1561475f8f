import assert from 'node:assert/strict';
import { monthlyStatistics, type Indicators } from '../../store/index.ts';
import { BACKENDS } from '../helpers/store.ts';
import { applyRecords, fixtureStore, REGISTER, assistant, status, R, J, D, P } from './fixture.ts';

type Bn = [number, string];
/** Indicators from a compact hand-counted line; benefits in the order GMI, HOUSING, HEALTHCARE, CRISIS, OTHER. */
function ind(needy: [number, number], low: [number, number], b: Bn[], services: Record<string, Partial<Record<string, number>>>, asst: [number, number, number],
  recipients: [number, number | null] = [0, null]): Indicators {
  const types = ['GMI', 'HOUSING', 'HEALTHCARE', 'CRISIS', 'OTHER'] as const;
  const byType = Object.fromEntries(Object.entries(services).map(([t, o]) => [t, { GRANTED: 0, REFUSED: 0, TERMINATED: 0, SUSPENDED: 0, ...o }]));
  return {
    needy: { persons: needy[0], newPersons: needy[1] },
    lowIncome: { persons: low[0], newPersons: low[1] },
    benefits: Object.fromEntries(types.map((t, i) => [t, { recipients: b[i][0], amountEur: b[i][1] }])) as Indicators['benefits'],
    serviceDecisions: { total: Object.values(byType).reduce((s, o) => s + Object.values(o).reduce((a, n) => a + (n ?? 0), 0), 0), byType: byType as Indicators['serviceDecisions']['byType'] },
    assistant: { clients: asst[0], grantedHours: asst[1], usedHours: asst[2] },
    recipients: { granted: recipients[0], byResidence: recipients[1] },
  };
}
const none: Bn = [0, '0.00'];

// October 2026, counted by hand from fixture.ts.
const OCT = {
  // needy: R-S1 {P1,P2}, R-S2 {P3,N1} (new), R-S5 {P8}; low income: P4 (R-S3 then its renewal R-S4).
  [R]: ind([5, 2], [1, 0], [[4, '293.50'], [3, '95.25'], [1, '15.00'], [1, '100.00'], none],
    { HOME_CARE: { GRANTED: 1, REFUSED: 1 }, DAY_CENTRE: { GRANTED: 1 } }, [4, 620, 615.5], [8, null]),
  // needy: J-S1 {P5 new, P6 renewed from J-S0}, J-S2 {P8 new}.
  [J]: ind([3, 2], [0, 0], [[2, '130.00'], none, [1, '25.00'], none, none],
    { HOME_CARE: { GRANTED: 1 }, ASSISTANT: { TERMINATED: 1 } }, [2, 504, 504], [3, null]),
  [D]: ind([2, 0], [0, 0], [[1, '90.00'], [1, '40.00'], none, none, [1, '10.00']], {}, [1, 600, 500], [2, null]),
  // P2 (Rīga and Daugavpils) and P8 (Rīga and Jelgava) are one person each for the country.
  country: ind([8, 4], [1, 0], [[7, '513.50'], [3, '135.25'], [2, '40.00'], [1, '100.00'], [1, '10.00']],
    { HOME_CARE: { GRANTED: 2, REFUSED: 1 }, DAY_CENTRE: { GRANTED: 1 }, ASSISTANT: { TERMINATED: 1 } }, [7, 1724, 1619.5], [11, null]),
};

for (const backend of BACKENDS) {
  describe(`ministry statistics on ${backend}`, function () {
    const t = fixtureStore(backend);

    const pick = (s: Awaited<ReturnType<typeof monthlyStatistics>>, atvk: string): Indicators => {
      const { atvk: _a, name: _n, ...rest } = s.municipalities.find((m) => m.atvk === atvk)!;
      return rest;
    };

    it('counts every indicator of October per municipality and for the country as counted by hand', async () => {
      const s = await monthlyStatistics(t.store.db, { period: '2026-10' });
      assert.deepEqual([s.period, s.from, s.to], ['2026-10', '2026-10-01', '2026-10-31']);
      assert.deepEqual(pick(s, R), OCT[R]);
      assert.deepEqual(pick(s, J), OCT[J]);
      assert.deepEqual(pick(s, D), OCT[D]);
      assert.deepEqual(s.country, OCT.country);
    });

    it('lists every municipality of the classifier, with zeros where nothing was loaded', async () => {
      const s = await monthlyStatistics(t.store.db, { period: '2026-10' });
      assert.equal(s.municipalities.length, 42);
      const tukums = s.municipalities.find((m) => m.atvk === '0052000')!;
      assert.equal(tukums.name, 'Tukuma novads');
      assert.deepEqual(pick(s, '0052000'), ind([0, 0], [0, 0], [none, none, none, none, none], {}, [0, 0, 0]));
    });

    it('counts recipients by declared residence beside the granting municipality once PMLP data are stored', async () => {
      try {
        await t.store.storeRegisterChanges(REGISTER, 'pull');
        const s = await monthlyStatistics(t.store.db, { period: '2026-10' });
        const rec = (atvk: string) => pick(s, atvk).recipients;
        // Granted: Rīga pays 8 persons, 3 of whom live elsewhere (P2 Daugavpils, P6 and P8 Jelgava on
        // 31 Oct); Jelgava pays 3 (P9 is not in the register) and is home to P5, P6, P8.
        assert.deepEqual([rec(R), rec(J), rec(D), rec('0052000')], [
          { granted: 8, byResidence: 5 }, { granted: 3, byResidence: 3 }, { granted: 2, byResidence: 2 }, { granted: 0, byResidence: 0 },
        ]);
        assert.deepEqual(s.country!.recipients, { granted: 11, byResidence: 10 });
        const one = await monthlyStatistics(t.store.db, { period: '2026-10', municipality: J });
        assert.deepEqual(one.municipalities[0].recipients, { granted: 3, byResidence: 3 });
      } finally {
        await t.store.db.exec('DELETE FROM person_register_change');
      }
    });

    it('drops a status that ended mid-October from November, and counts a renewal as not new', async () => {
      const s = await monthlyStatistics(t.store.db, { period: '2026-11', municipality: R });
      const r = s.municipalities[0];
      // R-S5 (P8) ended 10 Oct and R-S3 15 Oct; R-S4 (P4) goes on. Nothing starts in November.
      assert.deepEqual([r.needy, r.lowIncome], [{ persons: 4, newPersons: 0 }, { persons: 1, newPersons: 0 }]);
      assert.equal(r.benefits.GMI.recipients, 0);
    });

    it('counts September on its own: the status starting 5 October is not in it', async () => {
      const s = await monthlyStatistics(t.store.db, { period: '2026-09', municipality: R });
      const r = s.municipalities[0];
      assert.deepEqual([r.needy, r.lowIncome, r.benefits.GMI], [{ persons: 3, newPersons: 0 }, { persons: 1, newPersons: 0 }, { recipients: 1, amountEur: '120.50' }]);
      assert.deepEqual([r.assistant, r.serviceDecisions.total], [{ clients: 1, grantedHours: 80, usedHours: 70 }, 1]);
    });

    it('answers for one municipality without the country', async () => {
      const s = await monthlyStatistics(t.store.db, { period: '2026-10', municipality: J });
      assert.equal(s.country, undefined);
      assert.deepEqual(s.municipalities.map((m) => [m.atvk, m.name]), [[J, 'Jelgava']]);
      assert.deepEqual(pick(s, J), OCT[J]);
    });

    it('reflects a correction at once: hours corrected down, a member taken out of a household', async () => {
      await applyRecords(t.store, [
        assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 75),
        status(R, 'R-S1', 'NEEDY', '2026-08-01', '2027-01-31', 'HR1', [P.P1]),
      ]);
      const s = await monthlyStatistics(t.store.db, { period: '2026-10' });
      assert.equal(pick(s, R).assistant.usedHours, 595.5);
      assert.equal(s.country!.assistant.usedHours, 1599.5);
      // P2 leaves Rīga's needy persons but stays one of the country's, through Daugavpils.
      assert.equal(pick(s, R).needy.persons, 4);
      assert.equal(s.country!.needy.persons, 8);
    });
  });
}
