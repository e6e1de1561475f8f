import assert from 'node:assert/strict';
import { monthlyChecks, monthlyStatistics, type Store } from '../../store/index.ts';
import { BACKENDS, openTestStore } from '../helpers/store.ts';
import { generateNational, plantCases, NATIONAL, type Planted } from './national.ts';

// The bench's national year at a hundredth of its size (bench/ministry.ts runs it whole).
const SMALL = { ...NATIONAL, households: 500, otherBenefitsPerMonth: 1100, servicesPerMonth: 300, assistantClients: 100, plantedPerRule: 6, registerPersons: 3000 };

const asSet = (x: Planted): string[] => x.map(([rule, keys]) => `${rule} ${[...keys].sort().join(' ')}`).sort();

for (const backend of BACKENDS) {
  describe(`ministry checks on generated national data (${backend})`, function () {
    let store: Store;
    let close: (() => Promise<void>) | undefined;
    let planted: Planted;
    before(async () => {
      ({ store, close } = await openTestStore(backend));
      await generateNational(store.db, SMALL);
      planted = await plantCases(store, SMALL);
    });
    after(() => close?.());

    it('finds every planted case and nothing else in the planted month', async () => {
      const c = await monthlyChecks(store.db, { period: SMALL.plantedMonth });
      assert.equal(planted.length, 8 * 6 + 3); // rules 1, 2, 3, 6, 7, 8, 9 and 9 again per i (rule 8's case is rule 9's too), 3 of rule 5
      assert.deepEqual(asSet(c.findings.map((f) => [f.rule, f.records.map((r) => r.key)])), asSet(planted));
    });

    it('finds nothing in a month without planted cases', async () => {
      const c = await monthlyChecks(store.db, { period: '2026-02' });
      assert.deepEqual(c.findings, []);
    });

    it('adds the municipalities up to the country where a figure is not a count of distinct persons', async () => {
      const s = await monthlyStatistics(store.db, { period: SMALL.plantedMonth });
      const sum = (f: (m: (typeof s.municipalities)[number]) => number) => s.municipalities.reduce((a, m) => a + f(m), 0);
      for (const t of ['GMI', 'HOUSING', 'HEALTHCARE', 'CRISIS', 'OTHER'] as const) {
        assert.equal(sum((m) => Number(m.benefits[t].amountEur)).toFixed(2), s.country!.benefits[t].amountEur, t);
        assert.ok(s.country!.benefits[t].recipients <= sum((m) => m.benefits[t].recipients), t);
        assert.ok(s.country!.benefits[t].recipients > 0, t);
      }
      assert.equal(sum((m) => m.serviceDecisions.total), s.country!.serviceDecisions.total);
      assert.equal(s.country!.serviceDecisions.total, SMALL.servicesPerMonth);
      assert.equal(sum((m) => m.assistant.grantedHours), s.country!.assistant.grantedHours);
      assert.equal(s.country!.assistant.clients, SMALL.assistantClients + 6 + 3 * 5);
      assert.ok(s.country!.needy.persons > 0 && s.country!.lowIncome.persons > 0 && s.country!.needy.newPersons > 0);
    });
  });
}
