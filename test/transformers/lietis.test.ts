import assert from 'node:assert/strict';
import type { Decision, PartnerRecord, TransformContext } from '../../engine/index.ts';
import { validateDecision } from '../../engine/validation/decision-validator.ts';
import { lietisExportToCanonical as lietis } from '../../transformers/lietis/export-to-canonical.ts';
import { code, date, decimal, hours, month, BENEFIT, CATEGORY, OUTCOME, ROLE, SERVICE, STATUS, UNIT } from '../../transformers/lietis/codes.ts';

const LOAD = { loadId: 'l1', source: 'lietis' as const, municipality: '0002000', period: '2026-10', createdAt: '2026-11-02T07:10:00Z' };
const CTX: TransformContext = { load: LOAD, header: { municipality: '0002000', period: '2026-10', created: '2026-11-02T09:10:00+02:00', count: 1 } };
const run = (type: string, data: Record<string, unknown>): Decision => lietis.transform({ type, data } as PartnerRecord, CTX);
/** The rejections of one LIETIS record after transform and validate, as `CODE:field`. */
const reasons = (type: string, data: Record<string, unknown>): string[] =>
  validateDecision(run(type, data), { load: LOAD, fieldName: lietis.partnerField }).map((e) => `${e.code}:${e.field}`);

const MEMBER = { code: '110350-10748', name: 'Ļubova', surname: 'Šuškova', first: 'true' };
const STATUS_REC = { no: 'DSP/2026/101', kind: '1', decided: '01.10.2026', from: '01.10.2026', to: '31.03.2027', income: '98,00', household: 'DH-19', Member: [MEMBER] };
const BENEFIT_REC = { no: 'DSP/2026/555', code: 'P01', person: '110350-10748', household: 'DH-19', decided: '03.10.2026', month: '10.2026', amount: '68,00', paid: '15.10.2026' };
const SERVICE_REC = { no: 'DSP/2026/S-77', person: '18070719703', result: 'G', service: 'S03', provider: 'SPS-000451', decided: '05.10.2026', from: '12.10.2026', volume: '20', unit: 'd/m' };
const ASSISTANT_REC = { no: 'DSP/2026/A-9', person: '12053117156', assistant: '25041015374', category: 'A', month: '10.2026', granted: '60', used: '38,5' };

describe('lietis/export-to-canonical', () => {
  describe('value spellings', () => {
    const table: [string, (v: string | undefined) => unknown, string | undefined, unknown][] = [
      ['date', date, '01.10.2026', '2026-10-01'],
      ['date', date, '31.02.2026', '2026-02-31'], // shape converted; the validator rejects the day as DATE
      ['date', date, '1.10.2026', '1.10.2026'],
      ['date', date, '05.10.26', '05.10.26'],
      ['date', date, '2026-10-01', '"2026-10-01"'], // canonical already, not LIETIS's: quoted, so it cannot slip through
      ['date', date, undefined, undefined],
      ['month', month, '10.2026', '2026-10'],
      ['month', month, '13.2026', '2026-13'],
      ['month', month, '2026.10', '2026.10'],
      ['month', month, '10/2026', '10/2026'],
      ['month', month, '2026-10', '"2026-10"'],
      ['decimal', decimal, '89,40', '89.40'],
      ['decimal', decimal, '68', '68'],
      ['decimal', decimal, '0,5', '0.5'],
      ['decimal', decimal, '-12,30', '-12.30'],
      ['decimal', decimal, '12,345', '12.345'],
      ['decimal', decimal, '89.40', '"89.40"'],
      ['decimal', decimal, '1.234,50', '1.234,50'],
      ['decimal', decimal, '1 234,50', '1 234,50'],
      ['decimal', decimal, 'EUR 5', 'EUR 5'],
      ['hours', hours, '60', 60],
      ['hours', hours, '38,5', 38.5],
      ['hours', hours, '0', 0],
      ['hours', hours, '-5', -5],
      ['hours', hours, '38.5', '38.5'],
      ['hours', hours, 'sešdesmit', 'sešdesmit'],
    ];
    for (const [name, fn, input, expected] of table) {
      it(`${name}(${JSON.stringify(input)}) gives ${JSON.stringify(expected)}`, () => assert.deepEqual(fn(input), expected));
    }
  });

  describe('classifier codes of classifiers.md', () => {
    const table: [Record<string, string>, string, string][] = [
      [STATUS, '1', 'NEEDY'], [STATUS, '2', 'LOW_INCOME'], [STATUS, '3', '3'], [STATUS, 'NEEDY', '"NEEDY"'],
      [ROLE, 'true', 'FIRST'], [ROLE, 'false', 'OTHER'], [ROLE, 'TRUE', 'TRUE'], [ROLE, '1', '1'],
      [BENEFIT, 'P01', 'GMI'], [BENEFIT, 'P02', 'HOUSING'], [BENEFIT, 'P03', 'HEALTHCARE'], [BENEFIT, 'P04', 'CRISIS'], [BENEFIT, 'P99', 'OTHER'], [BENEFIT, 'P05', 'P05'], [BENEFIT, 'GMI', '"GMI"'],
      [OUTCOME, 'G', 'GRANTED'], [OUTCOME, 'R', 'REFUSED'], [OUTCOME, 'T', 'TERMINATED'], [OUTCOME, 'S', 'SUSPENDED'], [OUTCOME, 'g', 'g'],
      [SERVICE, 'S01', 'SOCIAL_WORK'], [SERVICE, 'S06', 'REHABILITATION'], [SERVICE, 'S10', 'SPECIALISED_WORKSHOP'], [SERVICE, 'S11', 'ASSISTANT'], [SERVICE, 'S12', 'S12'],
      [UNIT, 'h/m', 'HOURS_PER_MONTH'], [UNIT, 'd/m', 'DAYS_PER_MONTH'], [UNIT, 'v', 'PLACE'], [UNIT, 'h', 'h'],
      [CATEGORY, 'C', 'CHILD'], [CATEGORY, 'A', 'ADULT'], [CATEGORY, 'S', 'STUDENT'], [CATEGORY, 'c', 'c'],
      [STATUS, 'toString', 'toString'], // not mistaken for a property every object has
    ];
    for (const [t, input, expected] of table) {
      it(`maps ${input} to ${expected}`, () => assert.equal(code(t, input), expected));
    }
  });

  it('maps the four records of the partner example to canonical decisions', () => {
    const base = { municipality: '0002000', source: 'lietis' };
    assert.deepEqual(run('Status', STATUS_REC), {
      kind: 'household-status', ...base, decisionId: 'DSP/2026/101', decisionDate: '2026-10-01', status: 'NEEDY',
      validFrom: '2026-10-01', validTo: '2027-03-31', householdId: 'DH-19', averageIncome: '98.00',
      members: [{ personCode: '11035010748', givenName: 'Ļubova', surname: 'Šuškova', role: 'FIRST' }],
    });
    assert.deepEqual(run('Benefit', BENEFIT_REC), {
      kind: 'benefit', ...base, decisionId: 'DSP/2026/555', decisionDate: '2026-10-03', benefitType: 'GMI', personCode: '11035010748',
      householdId: 'DH-19', month: '2026-10', amount: '68.00', paidOn: '2026-10-15',
    });
    assert.deepEqual(run('Service', SERVICE_REC), {
      kind: 'service-decision', ...base, decisionId: 'DSP/2026/S-77', decisionDate: '2026-10-05', personCode: '18070719703',
      outcome: 'GRANTED', serviceType: 'DAY_CENTRE', providerRegNo: 'SPS-000451', from: '2026-10-12', volume: { amount: '20', unit: 'DAYS_PER_MONTH' },
    });
    assert.deepEqual(run('Assistant', ASSISTANT_REC), {
      kind: 'assistant-month', ...base, decisionId: 'DSP/2026/A-9', personCode: '12053117156', assistantPersonCode: '25041015374',
      category: 'ADULT', month: '2026-10', grantedHours: 60, usedHours: 38.5,
    });
    for (const [t, r] of [['Status', STATUS_REC], ['Benefit', BENEFIT_REC], ['Service', SERVICE_REC], ['Assistant', ASSISTANT_REC]] as const) {
      assert.deepEqual(reasons(t, r), [], t);
    }
  });

  it('takes the municipality from the header and drops absent optional attributes', () => {
    const d = run('Benefit', { ...BENEFIT_REC, household: undefined, paid: '' });
    assert.equal(d.municipality, '0002000');
    assert.ok(!('householdId' in d) && !('paidOn' in d));
  });

  it('normalises personal codes with or without the hyphen and passes an unreadable one through', () => {
    assert.equal((run('Benefit', { ...BENEFIT_REC, person: ' 110350-10748 ' }) as { personCode: string }).personCode, '11035010748');
    assert.equal((run('Benefit', { ...BENEFIT_REC, person: '11035010748' }) as { personCode: string }).personCode, '11035010748');
    assert.equal((run('Benefit', { ...BENEFIT_REC, person: '1103-5010748' }) as { personCode: string }).personCode, '1103-5010748');
  });

  it('makes a volume of either half, so that the missing half is reported', () => {
    assert.deepEqual((run('Service', { ...SERVICE_REC, volume: '38,5', unit: 'h/m' }) as { volume: unknown }).volume, { amount: '38.5', unit: 'HOURS_PER_MONTH' });
    assert.deepEqual((run('Service', { ...SERVICE_REC, volume: undefined, unit: 'v' }) as { volume: unknown }).volume, { unit: 'PLACE' });
    assert.ok(!('volume' in run('Service', { ...SERVICE_REC, volume: undefined, unit: undefined })));
  });

  it('throws a TransformError for an element it does not know', () => {
    assert.throws(() => run('Pabalsts', {}), (e: Error & { code?: string }) => e.code === 'HUB_ERR_TRANSFORM_FAILED');
  });

  describe('rejections name the LIETIS attribute', () => {
    const table: [string, string, Record<string, unknown>, string[]][] = [
      ['a broken personal code', 'Benefit', { ...BENEFIT_REC, person: '110350-10749' }, ['PERSON_CODE:person']],
      ['a member with a broken code', 'Status', { ...STATUS_REC, Member: [{ ...MEMBER, code: '31025010748' }] }, ['PERSON_CODE:Member@code']],
      ['a broken assistant code', 'Assistant', { ...ASSISTANT_REC, assistant: '25041015375' }, ['PERSON_CODE:assistant']],
      ['a day that does not exist', 'Benefit', { ...BENEFIT_REC, decided: '31.09.2026' }, ['DATE:decided']],
      ['a date in another shape', 'Service', { ...SERVICE_REC, decided: '05.10.26' }, ['DATE:decided']],
      ['an end before the start', 'Status', { ...STATUS_REC, to: '30.09.2026' }, ['DATE:to']],
      ['a payment day that does not exist', 'Benefit', { ...BENEFIT_REC, paid: '31.04.2026' }, ['DATE:paid']],
      ['a month after the load', 'Assistant', { ...ASSISTANT_REC, month: '11.2026' }, ['PERIOD:month']],
      ['month 13', 'Benefit', { ...BENEFIT_REC, month: '13.2026' }, ['PERIOD:month']],
      ['a negative amount', 'Benefit', { ...BENEFIT_REC, amount: '-68,00' }, ['AMOUNT:amount']],
      ['three decimals', 'Benefit', { ...BENEFIT_REC, amount: '68,001' }, ['AMOUNT:amount']],
      ['a thousands separator', 'Benefit', { ...BENEFIT_REC, amount: '1.068,00' }, ['AMOUNT:amount']],
      ['a negative income', 'Status', { ...STATUS_REC, income: '-1,00' }, ['AMOUNT:income']],
      ['a negative volume', 'Service', { ...SERVICE_REC, volume: '-2' }, ['AMOUNT:volume']],
      ['more hours used than granted', 'Assistant', { ...ASSISTANT_REC, used: '60,5' }, ['HOURS:used']],
      ['hours with two decimals', 'Assistant', { ...ASSISTANT_REC, used: '12,25' }, ['HOURS:used']],
      ['hours with a decimal point', 'Assistant', { ...ASSISTANT_REC, used: '38.5' }, ['HOURS:used']],
      ['more than 744 hours granted', 'Assistant', { ...ASSISTANT_REC, granted: '745' }, ['HOURS:granted']],
      ['no decision number', 'Service', { ...SERVICE_REC, no: '' }, ['REQUIRED:no']],
      ['no person', 'Benefit', { ...BENEFIT_REC, person: undefined }, ['REQUIRED:person']],
      ['a member without a surname', 'Status', { ...STATUS_REC, Member: [{ ...MEMBER, surname: undefined }] }, ['REQUIRED:Member@surname']],
      ['a volume without a unit', 'Service', { ...SERVICE_REC, unit: undefined }, ['REQUIRED:unit']],
      ['a status without a household (optional in lietis.md)', 'Status', { ...STATUS_REC, household: undefined }, []],
      ['an unknown kind', 'Status', { ...STATUS_REC, kind: '3' }, ['CLASSIFIER:kind']],
      ['an unknown benefit code', 'Benefit', { ...BENEFIT_REC, code: 'P05' }, ['CLASSIFIER:code']],
      ['an unknown result', 'Service', { ...SERVICE_REC, result: 'g' }, ['CLASSIFIER:result']],
      ['an unknown service', 'Service', { ...SERVICE_REC, service: 'S12' }, ['CLASSIFIER:service']],
      ['an unknown unit', 'Service', { ...SERVICE_REC, unit: 'h' }, ['CLASSIFIER:unit']],
      ['an unknown category', 'Assistant', { ...ASSISTANT_REC, category: 'c' }, ['CLASSIFIER:category']],
      ['a decimal point', 'Benefit', { ...BENEFIT_REC, amount: '68.00' }, ['AMOUNT:amount']],
      ['a date in canonical spelling', 'Benefit', { ...BENEFIT_REC, decided: '2026-10-03' }, ['DATE:decided']],
      ['a month in canonical spelling', 'Benefit', { ...BENEFIT_REC, month: '2026-10' }, ['PERIOD:month']],
      ['a canonical benefit code', 'Benefit', { ...BENEFIT_REC, code: 'GMI' }, ['CLASSIFIER:code']],
      ['a canonical role', 'Status', { ...STATUS_REC, Member: [{ ...MEMBER, first: 'FIRST' }] }, ['CLASSIFIER:Member@first']],
      ['an unknown first', 'Status', { ...STATUS_REC, Member: [{ ...MEMBER, first: 'yes' }] }, ['CLASSIFIER:Member@first']],
    ];
    for (const [what, type, data, expected] of table) {
      it(`gives ${expected.join(', ')} for ${what}`, () => assert.deepEqual(reasons(type, data), expected));
    }
  });

  it('gives the partner spelling of every canonical field, DUPLICATE\'s decisionId as `no`', () => {
    const f = (k: Decision['kind'], c: string) => lietis.partnerField(k, c);
    assert.equal(f('benefit', 'decisionId'), 'no');
    assert.equal(f('household-status', 'status'), 'kind');
    assert.equal(f('household-status', 'members.role'), 'Member@first');
    assert.equal(f('benefit', 'householdId'), 'household');
    assert.equal(f('service-decision', 'volume.unit'), 'unit');
    assert.equal(f('assistant-month', 'usedHours'), 'used');
    assert.equal(f('benefit', 'municipality'), 'Export@municipality');
  });
});
