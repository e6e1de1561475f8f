import assert from 'node:assert/strict';
import type { Decision, LoadContext, PartnerRecord, TransformContext } from '../../engine/index.ts';
import { gvsExportToCanonical } from '../../transformers/gvs/index.ts';
import { centsToEuro } from '../../transformers/gvs/export-to-canonical.ts';
import { validateDecision } from '../../engine/validation/decision-validator.ts';

const LOAD: LoadContext = { loadId: 'l1', source: 'gvs', municipality: '0052000', period: '2026-10', createdAt: '2026-11-02T06:00:00Z' };
const CTX: TransformContext = { load: LOAD, header: { municipality: '0052000', period: '2026-10', created: '2026-11-02T08:00:00+02:00', count: 1 } };
const t = gvsExportToCanonical;
const map = (type: string, data: Record<string, unknown>): Decision => t.transform({ type, data } as PartnerRecord, CTX);
const errorsOf = (d: Decision) => validateDecision(d, { load: LOAD, fieldName: t.partnerField }).map((e) => `${e.code}:${e.field}`);

const STATUS = {
  recordType: 'status', decisionId: 'GVS-TUK-2026-17', statusCode: 2, decisionDate: '2026-10-01', validFrom: '2026-10-01', validTo: '2027-03-31',
  householdId: 'TUK-H-5', members: [{ personCode: '02092710885', givenName: 'Ilze', surname: 'Kalniņa', firstMember: true }], averageIncomeCents: 41000,
};
const BENEFIT = {
  recordType: 'benefit', decisionId: 'GVS-TUK-2026-18', benefitCode: 2, personCode: '02092710885', householdId: 'TUK-H-5',
  decisionDate: '2026-10-04', month: '2026-10', amountCents: 7550, paidOn: '2026-10-20',
};
const SERVICE = {
  recordType: 'service', decisionId: 'GVS-TUK-2026-19', personCode: '02092710885', decisionCode: 1, serviceCode: 102, providerRegNo: 'SPS-000001',
  decisionDate: '2026-10-05', from: '2026-10-06', to: '2026-12-31', volume: 20, unit: 'h',
};
const ASSISTANT = {
  recordType: 'assistant', decisionId: 'GVS-TUK-2026-03', personCode: '22040521378', assistantPersonCode: '18120816334', categoryCode: 3,
  month: '2026-10', grantedHours: 40, usedHours: 38.5,
};
const BASE = { municipality: '0052000', source: 'gvs' };

describe('gvs/export-to-canonical', () => {
  it('maps each record type of the partner example to its canonical decision', () => {
    assert.deepEqual(map('status', STATUS), {
      kind: 'household-status', ...BASE, decisionId: 'GVS-TUK-2026-17', decisionDate: '2026-10-01', status: 'LOW_INCOME',
      validFrom: '2026-10-01', validTo: '2027-03-31', householdId: 'TUK-H-5', averageIncome: '410.00',
      members: [{ personCode: '02092710885', givenName: 'Ilze', surname: 'Kalniņa', role: 'FIRST' }],
    });
    assert.deepEqual(map('benefit', BENEFIT), {
      kind: 'benefit', ...BASE, decisionId: 'GVS-TUK-2026-18', decisionDate: '2026-10-04', benefitType: 'HOUSING', personCode: '02092710885',
      householdId: 'TUK-H-5', month: '2026-10', amount: '75.50', paidOn: '2026-10-20',
    });
    assert.deepEqual(map('service', SERVICE), {
      kind: 'service-decision', ...BASE, decisionId: 'GVS-TUK-2026-19', decisionDate: '2026-10-05', personCode: '02092710885', outcome: 'GRANTED',
      serviceType: 'HOME_CARE', providerRegNo: 'SPS-000001', from: '2026-10-06', to: '2026-12-31', volume: { amount: '20', unit: 'HOURS_PER_MONTH' },
    });
    assert.deepEqual(map('assistant', ASSISTANT), {
      kind: 'assistant-month', ...BASE, decisionId: 'GVS-TUK-2026-03', personCode: '22040521378', assistantPersonCode: '18120816334',
      category: 'STUDENT', month: '2026-10', grantedHours: 40, usedHours: 38.5,
    });
    for (const d of [STATUS, BENEFIT, SERVICE, ASSISTANT]) assert.deepEqual(errorsOf(map(d.recordType, d)), [], d.recordType);
  });

  it('takes the municipality from the header, not from the record', () => {
    assert.equal(map('benefit', { ...BENEFIT, municipality: '0001000' }).municipality, '0052000');
  });

  const cents: [unknown, string | undefined][] = [
    [7550, '75.50'], [0, '0.00'], [5, '0.05'], [100, '1.00'], [9_999_999, '99999.99'], [10_000_000, '100000.00'],
    [-100, '-1.00'], [-5, '-0.05'], [75.5, '0.755'], [1e21, '1e+21'], ['7550', '"7550"'], [true, 'true'], [null, undefined], [undefined, undefined],
  ];
  for (const [input, want] of cents) {
    it(`writes cents ${JSON.stringify(input)} as euro ${JSON.stringify(want)}`, () => assert.equal(centsToEuro(input), want));
  }

  const codes: [string, Record<string, unknown>, string, unknown][] = [
    ['status', { statusCode: 1 }, 'status', 'NEEDY'], ['status', { statusCode: '2' }, 'status', 'LOW_INCOME'], ['status', { statusCode: 3 }, 'status', '3'],
    ['benefit', { benefitCode: 1 }, 'benefitType', 'GMI'], ['benefit', { benefitCode: 9 }, 'benefitType', 'OTHER'], ['benefit', { benefitCode: ' 4 ' }, 'benefitType', 'CRISIS'],
    ['benefit', { benefitCode: 5 }, 'benefitType', '5'], ['benefit', { benefitCode: 'GMI' }, 'benefitType', '"GMI"'],
    ['service', { decisionCode: 4 }, 'outcome', 'SUSPENDED'], ['service', { decisionCode: 0 }, 'outcome', '0'],
    ['service', { serviceCode: 101 }, 'serviceType', 'SOCIAL_WORK'], ['service', { serviceCode: '111' }, 'serviceType', 'ASSISTANT'],
    ['service', { serviceCode: 112 }, 'serviceType', '112'], ['service', { serviceCode: 'HOME_CARE' }, 'serviceType', '"HOME_CARE"'],
    ['assistant', { categoryCode: 1 }, 'category', 'CHILD'], ['assistant', { categoryCode: 4 }, 'category', '4'],
    ['benefit', { personCode: '020927-10885' }, 'personCode', '02092710885'], ['benefit', { personCode: '0209271088' }, 'personCode', '0209271088'],
    ['benefit', { personCode: 2092710885 }, 'personCode', '2092710885'], ['benefit', { decisionId: 18 }, 'decisionId', '18'],
    ['benefit', { decisionId: '  ' }, 'decisionId', undefined], ['benefit', { decisionDate: '2026-02-30' }, 'decisionDate', '2026-02-30'],
    ['benefit', { month: 202610 }, 'month', '202610'], ['benefit', { householdId: null }, 'householdId', undefined],
    ['assistant', { usedHours: '12.5' }, 'usedHours', 12.5], ['assistant', { usedHours: 'many' }, 'usedHours', 'many'],
  ];
  const base: Record<string, Record<string, unknown>> = { status: STATUS, benefit: BENEFIT, service: SERVICE, assistant: ASSISTANT };
  for (const [type, patch, field, want] of codes) {
    it(`maps ${type} ${JSON.stringify(patch)} to ${field} ${JSON.stringify(want)}`, () => {
      assert.deepEqual((map(type, { ...base[type], ...patch }) as unknown as Record<string, unknown>)[field], want);
    });
  }

  it('maps firstMember true/false to FIRST/OTHER and passes any other value on', () => {
    const roles = (values: unknown[]) => (map('status', { ...STATUS, members: values.map((firstMember) => ({ ...STATUS.members[0], firstMember })) }) as { members: { role: unknown }[] }).members.map((m) => m.role);
    assert.deepEqual(roles([true, false, 'true', 'yes', 1, 'FIRST']), ['FIRST', 'OTHER', 'FIRST', 'yes', '1', '"FIRST"']);
  });

  // What the validator makes of a mapped value: the code and the GVS field the partner reads.
  const verdicts: [string, Record<string, unknown>, string[]][] = [
    ['benefit', { amountCents: -100 }, ['AMOUNT:amountCents']],
    ['benefit', { amountCents: 75.5 }, ['AMOUNT:amountCents']],
    ['benefit', { amountCents: '7550' }, ['AMOUNT:amountCents']],
    ['benefit', { amountCents: 10_000_000 }, ['AMOUNT:amountCents']],
    ['benefit', { amountCents: undefined }, ['REQUIRED:amountCents']],
    ['benefit', { benefitCode: 5 }, ['CLASSIFIER:benefitCode']],
    ['benefit', { benefitCode: 'GMI' }, ['CLASSIFIER:benefitCode']],
    ['benefit', { personCode: '02092710886' }, ['PERSON_CODE:personCode']],
    ['benefit', { month: '2026-11' }, ['PERIOD:month']],
    ['benefit', { decisionDate: true }, ['DATE:decisionDate']],
    ['status', { averageIncomeCents: -1 }, ['AMOUNT:averageIncomeCents']],
    ['status', { statusCode: 3 }, ['CLASSIFIER:statusCode']],
    ['status', { members: [{ ...STATUS.members[0], personCode: '02092710886' }] }, ['PERSON_CODE:members[].personCode']],
    ['status', { members: [{ ...STATUS.members[0], firstMember: 'yes' }] }, ['CLASSIFIER:members[].firstMember']],
    ['status', { members: [{ ...STATUS.members[0], givenName: '' }] }, ['REQUIRED:members[].givenName']],
    ['status', { members: [] }, ['FORMAT:members']],
    ['status', { members: undefined }, ['REQUIRED:members']],
    ['service', { serviceCode: 112 }, ['CLASSIFIER:serviceCode']],
    ['service', { unit: 'PLACE' }, ['CLASSIFIER:unit']],
    ['service', { volume: undefined }, ['REQUIRED:volume']],
    ['service', { volume: -3 }, ['AMOUNT:volume']],
    ['service', { to: '2026-10-01' }, ['DATE:to']],
    ['assistant', { usedHours: 41 }, ['HOURS:usedHours']],
    ['assistant', { grantedHours: 745, usedHours: 1 }, ['HOURS:grantedHours']],
    ['assistant', { categoryCode: undefined }, ['REQUIRED:categoryCode']],
    ['assistant', { assistantPersonCode: 18120816334 }, []],
  ];
  for (const [type, patch, want] of verdicts) {
    it(`rejects ${type} ${JSON.stringify(patch)} as ${want.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(errorsOf(map(type, { ...base[type], ...patch })), want);
    });
  }

  it('names fields in GVS spelling, decisionId for a DUPLICATE', () => {
    const names = ['decisionId', 'status', 'members.personCode', 'members.role', 'benefitType', 'amount', 'averageIncome', 'outcome',
      'serviceType', 'volume.amount', 'volume.unit', 'category', 'usedHours', 'municipality'];
    assert.deepEqual(names.map((f) => t.partnerField('benefit', f)), ['decisionId', 'statusCode', 'members[].personCode', 'members[].firstMember',
      'benefitCode', 'amountCents', 'averageIncomeCents', 'decisionCode', 'serviceCode', 'volume', 'unit', 'categoryCode', 'usedHours', 'header.municipality']);
  });

  it('throws a TransformError for a record type it does not know', () => {
    assert.throws(() => map('payment', {}), { code: 'HUB_ERR_TRANSFORM_FAILED' });
  });

  it('throws a TransformError for members that are not a list of objects, which gvs/batch never lets through', () => {
    for (const members of [{ personCode: '02092710885' }, 'Ilze', [null]]) {
      assert.throws(() => map('status', { ...STATUS, members }), { code: 'HUB_ERR_TRANSFORM_FAILED' });
    }
  });
});
