/**
 * A small fixed data set for the Ministry's statistics and checks, three municipalities around
 * October 2026, written through the store's own load path (store.applyBatch), so a resend is a
 * real correction. The expected figures in statistics.test.ts and checks.test.ts are counted by
 * hand from this file; the comments say which record is there for which case.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLoad, putBatch, commitLoad, type Store } from '../../store/index.ts';
import type { AssistantMonth, Benefit, Decision, HouseholdStatus, RegisterChange, ServiceDecision } from '../../schemas/canonical/model.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import { openTestStore, type Backend, type TestStore } from '../helpers/store.ts';

export const R = '0001000'; // Rīga, SOPA
export const D = '0002000'; // Daugavpils, LIETIS
export const J = '0003000'; // Jelgava, SOPA

export const P = {
  P1: '16117519997', P2: '05091515731', P3: '01018010018', P4: '02028210018', P5: '15039010006',
  P6: '22076510005', P7: '31129910008', P8: '08049510009', P9: '12100010002', P10: '29062010001',
  /** New-style code (since July 2017): no birth date, no check digit. */
  N1: '32579461005',
  // Assistants.
  A1: '01116910001', A2: '17054410007', A3: '24027310006', A4: '03067710001',
} as const;

/** The system that reports for the municipality (Daugavpils LIETIS, Tukums GVS, the rest SOPA). */
const source = (m: string): Decision['source'] => municipalities().get(m)!.system as Decision['source'];

export function status(m: string, id: string, kind: HouseholdStatus['status'], from: string, to: string, household: string, members: string[]): HouseholdStatus {
  return {
    kind: 'household-status', municipality: m, source: source(m), decisionId: id, decisionDate: from, status: kind,
    validFrom: from, validTo: to, householdId: household,
    members: members.map((personCode, i) => ({ personCode, givenName: 'Vārds', surname: 'Uzvārds', role: i ? 'OTHER' : 'FIRST' })),
  };
}

export function benefit(m: string, id: string, type: Benefit['benefitType'], person: string, amount: string, month = '2026-10'): Benefit {
  return { kind: 'benefit', municipality: m, source: source(m), decisionId: id, decisionDate: `${month}-02`, benefitType: type, personCode: person, month, amount };
}

function service(m: string, id: string, type: string, outcome: ServiceDecision['outcome'], person: string, date: string): ServiceDecision {
  return { kind: 'service-decision', municipality: m, source: source(m), decisionId: id, decisionDate: date, personCode: person, outcome, serviceType: type, from: date };
}

export function assistant(m: string, id: string, client: string, helper: string, category: AssistantMonth['category'], granted: number, used: number, month = '2026-10'): AssistantMonth {
  return { kind: 'assistant-month', municipality: m, source: source(m), decisionId: id, personCode: client, assistantPersonCode: helper, category, month, grantedHours: granted, usedHours: used };
}

export const FIXTURE: Decision[] = [
  // Statuses. R-S3 ends mid-October and R-S4 renews it the next day (not new); R-S5 ends 10 Oct and
  // J-S2 starts 11 Oct for P8 (a move: no overlap); J-S0 ends 30 Sep and J-S1 renews it for P6;
  // D-S1 holds P2, who is also in Rīga's R-S1 (overlap: rule 6).
  status(R, 'R-S1', 'NEEDY', '2026-08-01', '2027-01-31', 'HR1', [P.P1, P.P2]),
  status(R, 'R-S2', 'NEEDY', '2026-10-05', '2027-03-31', 'HR2', [P.P3, P.N1]),
  status(R, 'R-S3', 'LOW_INCOME', '2026-04-01', '2026-10-15', 'HR3', [P.P4]),
  status(R, 'R-S4', 'LOW_INCOME', '2026-10-16', '2027-04-15', 'HR3', [P.P4]),
  status(R, 'R-S5', 'NEEDY', '2026-05-01', '2026-10-10', 'HR5', [P.P8]),
  status(J, 'J-S0', 'NEEDY', '2026-04-01', '2026-09-30', 'HJ0', [P.P6]),
  status(J, 'J-S1', 'NEEDY', '2026-10-01', '2026-12-31', 'HJ1', [P.P5, P.P6]),
  status(J, 'J-S2', 'NEEDY', '2026-10-11', '2027-03-31', 'HJ2', [P.P8]),
  status(D, 'D-S1', 'NEEDY', '2026-09-01', '2027-02-28', 'HD1', [P.P2, P.P7]),
  // Benefits for October, and one for September.
  benefit(R, 'R-B1', 'GMI', P.P1, '120.50'),
  benefit(R, 'R-B9', 'GMI', P.P1, '10.00'), // a second GMI decision: one recipient, two amounts
  benefit(R, 'R-B2', 'HOUSING', P.P1, '45.00'),
  benefit(R, 'R-B3', 'HOUSING', P.P2, '30.25'), // rule 1 with D-B3
  benefit(R, 'R-B4', 'GMI', P.N1, '80.00'),
  benefit(R, 'R-B5', 'GMI', P.P4, '50.00'),
  benefit(R, 'R-B6', 'HOUSING', P.P8, '20.00'), // covered by R-S5 ending 10 Oct; rule 1 with J-B1
  benefit(R, 'R-B7', 'HEALTHCARE', P.P3, '15.00'),
  benefit(R, 'R-B8', 'CRISIS', P.P10, '100.00'), // no status, but not GMI or housing: no finding
  benefit(R, 'R-B10', 'GMI', P.P6, '33.00'), // rule 2: P6's status is Jelgava's
  benefit(R, 'R-B1', 'GMI', P.P1, '120.50', '2026-09'),
  benefit(J, 'J-B1', 'GMI', P.P8, '60.00'),
  benefit(J, 'J-B2', 'GMI', P.P9, '70.00'), // rule 2: no status at all
  benefit(J, 'J-B3', 'HEALTHCARE', P.P5, '25.00'),
  benefit(D, 'D-B1', 'OTHER', P.P7, '10.00'),
  benefit(D, 'D-B2', 'GMI', P.P7, '90.00'),
  benefit(D, 'D-B3', 'HOUSING', P.P2, '40.00'),
  // Service decisions: the first and last day of October count, 30 Sep and 1 Nov do not.
  service(R, 'R-SV1', 'HOME_CARE', 'GRANTED', P.P1, '2026-10-03'),
  service(R, 'R-SV2', 'HOME_CARE', 'REFUSED', P.P2, '2026-10-20'),
  service(R, 'R-SV3', 'DAY_CENTRE', 'GRANTED', P.P3, '2026-10-31'),
  service(R, 'R-SV4', 'HOME_CARE', 'GRANTED', P.P4, '2026-09-30'),
  service(J, 'J-SV1', 'HOME_CARE', 'GRANTED', P.P5, '2026-10-01'),
  service(J, 'J-SV2', 'ASSISTANT', 'TERMINATED', P.P6, '2026-10-15'),
  service(D, 'D-SV1', 'SHELTER', 'SUSPENDED', P.P7, '2026-11-01'),
  // Assistant months. R-A1 uses more than granted (rule 3; corrected later). A2 works 110.5 + 160 +
  // 500 = 770.5 hours in three municipalities (rule 5); A4 exactly 744 (no finding).
  assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 95),
  assistant(R, 'R-A4', P.P1, P.A3, 'ADULT', 20, 10),
  assistant(R, 'R-A2', P.P3, P.A2, 'ADULT', 120, 110.5),
  assistant(R, 'R-A5', P.P10, P.A4, 'ADULT', 400, 400),
  assistant(J, 'J-A1', P.P5, P.A2, 'ADULT', 160, 160),
  assistant(J, 'J-A2', P.P9, P.A4, 'ADULT', 344, 344),
  assistant(D, 'D-A1', P.P7, P.A2, 'ADULT', 600, 500),
  assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 70, '2026-09'),
];

let recorded = 0;
const at = (): string => new Date(Date.UTC(2026, 10, 1, 8, 0, recorded++)).toISOString();
const residence = (id: string, person: string, m: string, from: string): RegisterChange =>
  ({ changeId: id, personCode: person, kind: 'RESIDENCE', effectiveOn: from, municipality: m, addressCode: `1000${m.slice(0, 5)}`, recordedAt: at() });
const death = (id: string, person: string, on: string): RegisterChange => ({ changeId: id, personCode: person, kind: 'DEATH', effectiveOn: on, recordedAt: at() });

/**
 * PMLP's changes for the fixture's persons. P2 lives in Daugavpils (Rīga pays P2's housing and has
 * P2 in HR1: rules 8 and 9); P3 died on 20 September (Rīga's October records of P3: rule 7); P5 died
 * on 20 October (not before October: nothing in October; J-SV1 in November); P6 lives in Jelgava
 * (Rīga's GMI: rule 8); P8 moved from Rīga to Jelgava on 11 October (both may pay October: nothing);
 * P10 died in November; P9 is not in the register (not judged).
 */
export const REGISTER: RegisterChange[] = [
  residence('C1', P.P1, R, '2020-03-01'), residence('C2', P.P2, D, '2019-06-01'), residence('C3', P.P3, R, '2018-01-10'),
  residence('C4', P.P4, R, '2015-05-05'), residence('C5', P.N1, R, '2021-02-01'), residence('C6', P.P5, J, '2022-01-01'),
  residence('C7', P.P6, J, '2023-04-01'), residence('C8', P.P7, D, '2010-01-01'), residence('C9', P.P8, R, '2016-01-01'),
  residence('C10', P.P10, R, '2012-01-01'), death('C11', P.P3, '2026-09-20'), residence('C12', P.P8, J, '2026-10-11'),
  death('C13', P.P5, '2026-10-20'), death('C14', P.P10, '2026-11-05'),
];

/** Writes records as the partners would: one load per municipality, one batch each. */
export async function applyRecords(store: Store, records: Decision[]): Promise<void> {
  const groups = new Map<string, Decision[]>();
  for (const r of records) groups.set(`${r.municipality}|${r.source}`, [...(groups.get(`${r.municipality}|${r.source}`) ?? []), r]);
  for (const recs of groups.values()) {
    const { municipality, source: src } = recs[0];
    const load = await createLoad(store.db, { source: src, municipality, period: '2026-10', partnerId: `${src}-test`, routeId: `${src}-monthly-load` });
    await putBatch(store.db, load.id, 1, Buffer.from(randomUUID()), 'application/xml', recs.length);
    assert.equal((await commitLoad(store.db, load.id, 1)).kind, 'committed');
    const r = await store.applyBatch({ loadId: load.id, batchSeq: 1, accepted: recs.map((record, index) => ({ index, record })), rejected: [] });
    assert.equal(r.accepted, recs.length);
  }
}

/** A store holding FIXTURE on `backend`, opened before the calling suite and dropped after it. */
export function fixtureStore(backend: Backend): { readonly store: Store } {
  const t = {} as Partial<TestStore>;
  before(async () => {
    Object.assign(t, await openTestStore(backend));
    await applyRecords(t.store!, FIXTURE);
  });
  after(() => t.close?.());
  return t as { store: Store };
}
