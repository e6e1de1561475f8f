import assert from 'node:assert/strict';
import { validateDecision } from '../../engine/validation/decision-validator.ts';
import type { Decision, AssistantMonth, Benefit, HouseholdStatus, ServiceDecision } from '../../schemas/canonical/model.ts';
import type { ValidateContext } from '../../engine/components/specs.ts';

const ctx: ValidateContext = {
  load: { loadId: 'l', source: 'sopa', municipality: '0001000', period: '2026-10', createdAt: '2026-11-02T06:00:00.000Z' },
  fieldName: (_k, f) => f,
};
const benefit: Benefit = { kind: 'benefit', municipality: '0001000', source: 'sopa', decisionId: 'P1', decisionDate: '2026-10-03', benefitType: 'GMI', personCode: '16117519997', month: '2026-10', amount: '89.40' };
const status: HouseholdStatus = { kind: 'household-status', municipality: '0001000', source: 'sopa', decisionId: 'S1', decisionDate: '2026-10-01', status: 'NEEDY', validFrom: '2026-10-01', validTo: '2027-03-31', householdId: 'H', members: [{ personCode: '05091515731', givenName: 'J', surname: 'B', role: 'FIRST' }] };
const service: ServiceDecision = { kind: 'service-decision', municipality: '0001000', source: 'sopa', decisionId: 'K1', decisionDate: '2026-10-05', personCode: '27091215963', outcome: 'GRANTED', serviceType: 'HOME_CARE', from: '2026-10-10', to: '2027-10-09' };
const assistant: AssistantMonth = { kind: 'assistant-month', municipality: '0001000', source: 'sopa', decisionId: 'A1', personCode: '15031621371', assistantPersonCode: '14070810920', category: 'CHILD', month: '2026-10', grantedHours: 80, usedHours: 76.5 };

const codes = (d: Decision): string[] => validateDecision(d, ctx).map((e) => `${e.code}:${e.field}`);
const cases: [string, Decision, string[]][] = [
  ['a valid benefit', benefit, []],
  ['a valid status', status, []],
  ['a valid service decision', service, []],
  ['a valid assistant month', assistant, []],
  ['a new-style personal code (no date, no check digit)', { ...benefit, personCode: '32579461005' }, []],
  ['a wrong check digit', { ...benefit, personCode: '16117519998' }, ['PERSON_CODE:personCode']],
  ['an impossible birth date', { ...benefit, personCode: '31029919990' }, ['PERSON_CODE:personCode']],
  ['a code of 10 digits', { ...benefit, personCode: '1611751999' }, ['PERSON_CODE:personCode']],
  ['a member with a wrong code', { ...status, members: [{ ...status.members[0], personCode: '05091515732' }] }, ['PERSON_CODE:members.personCode']],
  ['30 February', { ...benefit, decisionDate: '2026-02-30' }, ['DATE:decisionDate']],
  ['a status ending before it starts', { ...status, validTo: '2026-09-30' }, ['DATE:validTo']],
  ['a service ending before it starts', { ...service, to: '2026-10-01' }, ['DATE:to']],
  ['a decision after the load was created', { ...benefit, decisionDate: '2026-11-03' }, ['DATE:decisionDate']],
  ['a decision on the Riga day the load was created (UTC day before)', { ...benefit, decisionDate: '2026-11-02' }, []],
  ['month 13', { ...benefit, month: '2026-13' }, ['PERIOD:month']],
  ['a month after the load period', { ...benefit, month: '2026-11' }, ['PERIOD:month']],
  ['a correction of an earlier month', { ...benefit, month: '2026-03' }, []],
  ['a negative amount', { ...benefit, amount: '-1.00' }, ['AMOUNT:amount']],
  ['100 000 euro', { ...benefit, amount: '100000.00' }, ['AMOUNT:amount']],
  ['three decimals', { ...benefit, amount: '1.234' }, ['AMOUNT:amount']],
  ['99 999.99 euro', { ...benefit, amount: '99999.99' }, []],
  ['used above granted', { ...assistant, usedHours: 80.5 }, ['HOURS:usedHours']],
  ['granted above 744', { ...assistant, grantedHours: 745, usedHours: 10 }, ['HOURS:grantedHours']],
  ['two decimals of hours', { ...assistant, usedHours: 10.25 }, ['HOURS:usedHours']],
  ['a missing amount', (({ amount: _a, ...rest }) => rest)(benefit) as Decision, ['REQUIRED:amount']],
  ['an unknown benefit type', { ...benefit, benefitType: 'PENSIJA' as never }, ['CLASSIFIER:benefitType']],
  ['an unknown category', { ...assistant, category: 'BERNI' as never }, ['CLASSIFIER:category']],
  ['another municipality', { ...benefit, municipality: '0003000' }, ['MUNICIPALITY:municipality']],
  ['no such municipality', { ...benefit, municipality: '0099000' }, ['MUNICIPALITY:municipality']],
];

describe('canonical/decision validator', () => {
  for (const [title, record, want] of cases) {
    it(`gives ${want.length ? want.join(', ') : 'no error'} for ${title}`, () => assert.deepEqual(codes(record), want));
  }
  it('names the field as the partner spells it and says why', () => {
    const errs = validateDecision({ ...benefit, amount: '-5' }, { ...ctx, fieldName: (_k, f) => (f === 'amount' ? 'Summa' : f) });
    assert.equal(errs[0].field, 'Summa');
    assert.match(errs[0].message, /Summa "-5"/);
  });
});
