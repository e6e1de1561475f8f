/**
 * The annual state statistical report (issue 13.5; docs/partners/portal-state-reports.md): a
 * municipality's report pre-filled from its records, counted here by hand from the fixture below;
 * submitted with corrections; the Ministry's findings where the figures differ from the records.
 * The fixture is dated in the current year (the report of a past year is closed after its
 * deadline), with records of the year before and after it that must not count.
 */
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import type { ServiceDecision } from '../../schemas/canonical/model.ts';
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { currentYear } from '../../eservices/state-reports/calendar.ts';
import { INDICATORS, PLACES, stateReportRecords, stateReportSubmissions, storeStateReport } from '../../store/state-reports.ts';
import { BACKENDS, openTestStore, type TestStore } from '../helpers/store.ts';
import { startTestHub, eservicePartners, testSigningIdentity, KEYS, ESERVICE_KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { status, benefit, assistant, applyRecords, P, R, J } from '../ministry/fixture.ts';

const Y = currentYear();
const PREV = Y - 1, NEXT = Y + 1;
const m = (n: number): string => String(n).padStart(2, '0');
const ym = (month: number, year = Y): string => `${year}-${m(month)}`;

const service = (atvk: string, id: string, type: string, outcome: ServiceDecision['outcome'], person: string, date: string): ServiceDecision => ({
  kind: 'service-decision', municipality: atvk, source: 'sopa', decisionId: id, decisionDate: date, personCode: person, outcome, serviceType: type, from: date,
});

const FIXTURE = [
  // Rīga. HR1 is needy all year through a renewal (one household, its members not new); HR3 is newly
  // needy; HR5 ended the year before; HR6 (low-income) runs into January, so it counts and is not new.
  status(R, 'R-S1', 'NEEDY', `${PREV}-10-01`, `${Y}-03-31`, 'HR1', [P.P1, P.P2]),
  status(R, 'R-S2', 'NEEDY', `${Y}-04-01`, `${Y}-09-30`, 'HR1', [P.P1, P.P2]),
  status(R, 'R-S3', 'NEEDY', `${Y}-06-01`, `${NEXT}-05-31`, 'HR3', [P.P3, P.N1, P.P4]),
  status(R, 'R-S4', 'LOW_INCOME', `${Y}-02-01`, `${Y}-07-31`, 'HR4', [P.P5]),
  status(R, 'R-S5', 'NEEDY', `${PREV}-01-01`, `${PREV}-12-31`, 'HR5', [P.P6]),
  status(R, 'R-S6', 'LOW_INCOME', `${PREV}-06-01`, `${Y}-01-15`, 'HR6', [P.P7, P.P8]),
  // GMI: P1 twice (one recipient), P3 once; P4's December of the year before does not count.
  benefit(R, 'R-B1', 'GMI', P.P1, '100.00', ym(1)),
  benefit(R, 'R-B1', 'GMI', P.P1, '100.00', ym(2)),
  benefit(R, 'R-B2', 'GMI', P.P3, '80.50', ym(7)),
  benefit(R, 'R-B3', 'GMI', P.P4, '50.00', ym(12, PREV)),
  benefit(R, 'R-B4', 'HOUSING', P.P2, '45.25', ym(3)),
  benefit(R, 'R-B5', 'HOUSING', P.P5, '30.00', ym(5)),
  benefit(R, 'R-B6', 'CRISIS', P.P6, '150.00', ym(2)),
  // Services: P1 granted home care twice (one person); a refusal and last year's grant do not count;
  // the first and the last day of the year do.
  service(R, 'R-SV1', 'HOME_CARE', 'GRANTED', P.P1, `${Y}-02-10`),
  service(R, 'R-SV2', 'HOME_CARE', 'GRANTED', P.P1, `${Y}-09-10`),
  service(R, 'R-SV3', 'HOME_CARE', 'GRANTED', P.P2, `${Y}-03-01`),
  service(R, 'R-SV4', 'DAY_CENTRE', 'REFUSED', P.P3, `${Y}-04-01`),
  service(R, 'R-SV5', 'SHELTER', 'GRANTED', P.P6, `${PREV}-12-31`),
  service(R, 'R-SV6', 'ASSISTANT', 'GRANTED', P.N1, `${Y}-01-01`),
  service(R, 'R-SV7', 'SOCIAL_WORK', 'GRANTED', P.P3, `${Y}-12-31`),
  assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 70, ym(1)),
  assistant(R, 'R-A1', P.N1, P.A1, 'CHILD', 80, 75.5, ym(2)),
  assistant(R, 'R-A2', P.P4, P.A2, 'ADULT', 40, 40, ym(6)),
  assistant(R, 'R-A3', P.P1, P.A3, 'ADULT', 20, 20, ym(12, PREV)),
  // Jelgava: its own, never in Rīga's report.
  status(J, 'J-S1', 'NEEDY', `${Y}-05-01`, `${Y}-12-31`, 'HJ1', [P.P9, P.P10]),
  benefit(J, 'J-B1', 'GMI', P.P9, '60.00', ym(6)),
  service(J, 'J-SV1', 'HOME_CARE', 'GRANTED', P.P9, `${Y}-05-05`),
];

const ZERO: Record<string, number | string> = Object.fromEntries(INDICATORS.map((d) => [d.code, d.unit === 'eur' ? '0.00' : 0]));

/** Rīga's year, counted by hand from FIXTURE. */
const RIGA: Record<string, number | string> = {
  ...ZERO,
  R01: 2, R02: 5, R03: 2, R04: 3, R05: 3, R06: 1,
  R10: 2, R11: '280.50', R12: 2, R13: '75.25', R16: 1, R17: '150.00',
  R20: 4, R21: 1, R22: 2, R31: 1,
  R40: 2, R41: 200, R42: 185.5,
};
const JELGAVA: Record<string, number | string> = { ...ZERO, R01: 1, R02: 2, R05: 2, R10: 1, R11: '60.00', R20: 1, R22: 1 };

const PERSON = '32579461005';
const PROVIDER = { personCode: PERSON, org: '40003000001' };
const path = (year = Y): string => `/api/v1/state-reports/${year}`;
const FINDINGS = `/api/v1/spolis/state-report-findings?year=${Y}`;

describe('e-services: the annual state statistical report', function () {
  this.timeout(120_000);
  let t: TestHub;
  let portal: PortalSimulator;

  before(async () => {
    portal = await startPortalSimulator({ identity: await testSigningIdentity() });
    t = await startTestHub({ partners: eservicePartners({ portalCertPem: portal.certPem }) });
    await applyRecords(t.hub.store, FIXTURE);
  });
  after(async () => { await t?.stop(); });

  const get = (key: string, p: string) => call(t.url, 'GET', p, { key });
  const put = (key: string, body: unknown, year = Y) => call(t.url, 'PUT', path(year), { key, json: body });
  const versions = async (atvk: string): Promise<number[]> =>
    (await t.hub.store.db.query<{ version: number }>('SELECT version FROM state_report_submission WHERE municipality = $1 AND year = $2 ORDER BY version', [atvk, Y])).rows.map((r) => Number(r.version));

  it('pre-fills every indicator of a municipality\'s year from its records, as counted by hand', async () => {
    const r = await get(KEYS['sopa-riga'], path());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.records, RIGA);
    assert.equal(r.body.status, 'draft');
    assert.equal(r.body.atvk, R);
    assert.equal(r.body.deadline, `${NEXT}-02-15`);
    assert.equal(r.body.open, true);
    assert.deepEqual(r.body.history, []);
    assert.deepEqual(r.body.indicators.map((i: { code: string }) => i.code), INDICATORS.map((d) => d.code));
    assert.deepEqual(r.body.indicators.find((i: { code: string }) => i.code === 'R22'), {
      code: 'R22', section: 'services', unit: 'persons', label: 'persons granted home care', labelLv: 'personas, kurām piešķirts pakalpojums: aprūpe mājās', records: 2,
    });
    const j = await get(KEYS['sopa-jelgava'], path());
    assert.deepEqual(j.body.records, JELGAVA);
    // Daugavpils loaded nothing: every figure is zero, not missing.
    assert.deepEqual((await get(KEYS['lietis-daugavpils'], path())).body.records, ZERO);
  });

  it('counts by the monthly statistics\' rules: the year\'s euro and hours are the sum of its months', async () => {
    let gmi = 0, used = 0;
    for (let month = 1; month <= 12; month++) {
      const s = await get(KEYS['lm-analytics'], `/api/v1/spolis/statistics?period=${ym(month)}&municipality=${R}`);
      assert.equal(s.status, 200);
      gmi += Number(s.body.municipalities[0].benefits.GMI.amountEur) * 100;
      used += s.body.municipalities[0].assistant.usedHours * 10;
    }
    assert.equal((gmi / 100).toFixed(2), RIGA.R11);
    assert.equal(used / 10, RIGA.R42);
  });

  it('takes corrected figures; the Ministry sees exactly the differing indicators with their differences', async () => {
    const figures = { ...RIGA, R02: 6, R11: '300.00', R13: 75, R14: 3, R21: '5' };
    const comments = { R02: 'a member added after the load', R14: 'healthcare benefits paid outside SOPA' };
    const r = await put(KEYS['sopa-riga'], { figures, comments });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'submitted');
    assert.equal(r.body.submission.version, 1);
    assert.equal(r.body.submission.submittedBy, 'sopa-riga');
    assert.deepEqual(r.body.submission.figures, { ...RIGA, R02: 6, R11: '300.00', R13: '75.00', R14: 3, R21: 5 });
    assert.deepEqual(r.body.records, RIGA, 'the records are what they are; the submission sits beside them');
    // Jelgava submits its records as they are.
    assert.equal((await put(KEYS['sopa-jelgava'], { figures: JELGAVA })).status, 200);

    const f = await get(KEYS['lm-analytics'], FINDINGS);
    assert.equal(f.status, 200, JSON.stringify(f.body));
    const riga = f.body.municipalities.find((x: { atvk: string }) => x.atvk === R);
    assert.equal(riga.submitted, true);
    assert.equal(riga.version, 1);
    assert.deepEqual(riga.findings.map((x: Record<string, unknown>) => [x.code, x.records, x.submitted, x.difference, x.relativeDifference, x.severity, x.comment]), [
      ['R02', 5, 6, 1, 0.2, 'minor', 'a member added after the load'],
      ['R11', '280.50', '300.00', '19.50', 0.0695, 'major', undefined],
      ['R13', '75.25', '75.00', '-0.25', -0.0033, 'minor', undefined],
      ['R14', 0, 3, 3, null, 'major', 'healthcare benefits paid outside SOPA'],
      ['R21', 1, 5, 4, 4, 'major', undefined],
    ]);
    assert.deepEqual(f.body.municipalities.find((x: { atvk: string }) => x.atvk === J).findings, []);
    assert.deepEqual(f.body.municipalities.find((x: { atvk: string }) => x.atvk === '0002000'), { atvk: '0002000', name: 'Daugavpils', submitted: false });
    assert.deepEqual({ ...f.body.summary, municipalities: undefined }, { municipalities: undefined, submitted: 2, withFindings: 1, findings: 5, major: 3 });

    const csv = await fetch(`${t.url}${FINDINGS}&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines[0], 'year,atvk,municipality,submitted,version,submitted_at,code,indicator,unit,records,submitted_value,difference,relative_difference,severity,comment');
    assert.equal(lines.filter((l) => l.includes(`,${R},`)).length, 5);
    assert.ok(lines.some((l) => l.startsWith(`${Y},${R},`) && l.includes(',R11,') && l.includes(',280.50,300.00,19.50,0.0695,major,')));

    // The same table as a workbook, as the Ministry's other reports: figures are numbers a sheet can sum.
    const xlsx = await fetch(`${t.url}${FINDINGS}&format=xlsx`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.equal(xlsx.status, 200);
    assert.equal(xlsx.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.match(xlsx.headers.get('content-disposition') ?? '', new RegExp(`spolis-state-report-findings-${Y}\\.xlsx`));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    const [sheet, about] = wb.worksheets;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    assert.deepEqual(header, lines[0].split(','));
    const col = (name: string): number => header.indexOf(name) + 1;
    const rows = Array.from({ length: sheet.rowCount - 1 }, (_, i) => sheet.getRow(i + 2));
    assert.equal(rows.length, lines.length - 1, 'a row for each row of the CSV');
    const finding = (code: string): ExcelJS.Row => rows.filter((row) => row.getCell(col('atvk')).value === R && row.getCell(col('code')).value === code)[0];
    assert.deepEqual(['records', 'submitted_value', 'difference', 'relative_difference', 'severity'].map((c) => finding('R11').getCell(col(c)).value), [280.5, 300, 19.5, 0.0695, 'major']);
    assert.equal(finding('R14').getCell(col('relative_difference')).value, null, 'no share of a figure of 0: an empty cell, not 0');
    assert.match(String(about.getRow(3).getCell(1).value), /^severity: major when/);
  });

  it('a resubmission before the deadline replaces the report and keeps the earlier version; the same figures again store nothing', async () => {
    const figures = { ...RIGA, R11: '300.00', R13: 75, R14: 3, R21: 5 };
    const r = await put(KEYS['sopa-riga'], { figures, comments: { R14: 'healthcare benefits paid outside SOPA' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.submission.version, 2);
    assert.equal(r.body.history.length, 1);
    assert.equal(r.body.history[0].version, 1);
    assert.equal(r.body.history[0].figures.R02, 6);
    assert.deepEqual(r.body.history[0].comments, { R02: 'a member added after the load', R14: 'healthcare benefits paid outside SOPA' });
    const again = await put(KEYS['sopa-riga'], { figures, comments: { R14: 'healthcare benefits paid outside SOPA' } });
    assert.equal(again.body.submission.version, 2);
    assert.deepEqual(await versions(R), [1, 2]);

    const f = await get(KEYS['lm-analytics'], FINDINGS);
    const riga = f.body.municipalities.find((x: { atvk: string }) => x.atvk === R);
    assert.equal(riga.version, 2);
    assert.deepEqual(riga.findings.map((x: { code: string }) => x.code), ['R11', 'R13', 'R14', 'R21']);
  });

  it('refuses a submission after the deadline with 409, and a future year with 400; the closed report can still be read', async () => {
    const old = Y - 2;
    const r = await put(KEYS['gvs-tukums'], { figures: ZERO }, old);
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'HUB_ERR_STATE_REPORT_CLOSED');
    assert.match(r.body.error.message, new RegExp(`${old + 1}-02-15`));
    const read = await get(KEYS['gvs-tukums'], path(old));
    assert.equal(read.status, 200);
    assert.equal(read.body.open, false);
    assert.equal(read.body.status, 'draft');
    for (const bad of [String(NEXT), '20x6', '1999']) {
      const g = await get(KEYS['gvs-tukums'], `/api/v1/state-reports/${bad}`);
      assert.equal(g.status, 400, bad);
      assert.equal(g.body.error.code, 'HUB_ERR_STATE_REPORT_YEAR');
      assert.equal(g.body.error.field, 'year');
    }
    assert.equal((await put(KEYS['gvs-tukums'], { figures: ZERO }, NEXT)).body.error.code, 'HUB_ERR_STATE_REPORT_YEAR');
    const stored = await t.hub.store.db.query('SELECT 1 FROM state_report_submission WHERE municipality = $1', ['0052000']);
    assert.equal(stored.rows.length, 0);
  });

  it('refuses invalid figures with 400 naming the field, and stores nothing', async () => {
    const { R42: _dropped, ...missing } = ZERO;
    const cases: [unknown, string][] = [
      [{ figures: { ...ZERO, R99: 1 } }, 'figures.R99'],
      [{ figures: missing }, 'figures.R42'],
      [{ figures: { ...ZERO, R01: -1 } }, 'figures.R01'],
      [{ figures: { ...ZERO, R02: 1.5 } }, 'figures.R02'],
      [{ figures: { ...ZERO, R11: '10.005' } }, 'figures.R11'],
      [{ figures: { ...ZERO, R41: 10.25 } }, 'figures.R41'],
      [{ figures: { ...ZERO, R05: 'many' } }, 'figures.R05'],
      [{ figures: { ...ZERO, R06: null } }, 'figures.R06'],
      [{ figures: ZERO, comments: { R77: 'no such figure' } }, 'comments.R77'],
      [{ figures: ZERO, comments: { R01: '' } }, 'comments.R01'],
      [{ figures: ZERO, remarks: 'x' }, 'remarks'],
      [{ figures: [1, 2] }, 'figures'],
    ];
    for (const [body, field] of cases) {
      const r = await put(KEYS['gvs-tukums'], body);
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'HUB_ERR_STATE_REPORT_INVALID', field);
      assert.equal(r.body.error.field, field);
    }
    const unknown = await put(KEYS['gvs-tukums'], { figures: { ...ZERO, R99: 1 } });
    assert.match(unknown.body.error.message, /R99 is not an indicator/);
    const r = await get(KEYS['gvs-tukums'], path());
    assert.equal(r.body.status, 'draft');
    assert.equal((await t.hub.store.db.query('SELECT 1 FROM state_report_submission WHERE municipality = $1', ['0052000'])).rows.length, 0);
  });

  it('audits the Ministry\'s reads and every submission: who, which municipality, which year', async () => {
    const read = await get(KEYS['lm-analytics'], `${path()}?municipality=${J}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.records, JELGAVA);
    const rows = (await t.hub.store.db.query<{ actor: string; subject: string; purpose: string; outcome: string; details: Record<string, unknown> }>(
      'SELECT actor, subject, purpose, outcome, details FROM audit_log WHERE service = $1 ORDER BY seq', ['eservice:state-reports'])).rows;
    const of = (actor: string, outcome: string) => rows.filter((x) => x.actor === actor && x.outcome === outcome);
    assert.deepEqual(of('sopa-riga', 'submitted').map((x) => [x.subject, x.details.version]), [[`state-report:${R}:${Y}`, 1], [`state-report:${R}:${Y}`, 2]]);
    assert.deepEqual(of('sopa-riga', 'submitted')[0].details.differing, ['R02', 'R11', 'R13', 'R14', 'R21']);
    assert.equal(of('sopa-riga', 'unchanged').length, 1);
    assert.equal(of('gvs-tukums', 'HUB_ERR_STATE_REPORT_CLOSED').length, 1);
    assert.ok(of('gvs-tukums', 'HUB_ERR_STATE_REPORT_INVALID').length >= 12);
    assert.ok(of('lm-analytics', 'answered').some((x) => x.subject === `state-reports:${Y}`));
    assert.ok(of('lm-analytics', 'answered').some((x) => x.subject === `state-report:${J}:${Y}` && x.details.municipality === J));
    // Only the Ministry's reads are audited, not a municipality reading its own figures.
    assert.equal(rows.filter((x) => x.actor === 'sopa-riga' && x.outcome === 'answered').length, 0);
  });

  describe('access: operation × caller', () => {
    type Caller = 'person' | 'provider' | 'municipality' | 'institution' | 'ministry' | 'no key' | 'portal without assertion';
    const CALLERS: Caller[] = ['person', 'provider', 'municipality', 'institution', 'ministry', 'no key', 'portal without assertion'];
    const send = async (who: Caller, method: string, p: string, body?: unknown) => {
      if (who === 'person' || who === 'provider') {
        const r = await portal.call<{ error?: { code: string } }>(t.url, ESERVICE_KEYS.portal, who === 'person' ? { personCode: PERSON } : PROVIDER, method, p, body);
        return { status: r.status, body: r.body };
      }
      const key = { municipality: KEYS['sopa-jelgava'], institution: ESERVICE_KEYS.vsac, ministry: KEYS['lm-analytics'], 'no key': undefined, 'portal without assertion': ESERVICE_KEYS.portal }[who];
      return call(t.url, method, p, { key, ...(body !== undefined ? { json: body } : {}) });
    };
    const OPS: { op: string; method: string; path: string; body?: unknown; allowed: Partial<Record<Caller, number>> }[] = [
      { op: 'read its own report', method: 'GET', path: path(), allowed: { municipality: 200 } },
      { op: 'read a municipality\'s report by ATVK', method: 'GET', path: `${path()}?municipality=${J}`, allowed: { municipality: 200, ministry: 200 } },
      { op: 'read another municipality\'s report', method: 'GET', path: `${path()}?municipality=${R}`, allowed: { ministry: 200 } },
      { op: 'submit its own report', method: 'PUT', path: path(), body: { figures: JELGAVA }, allowed: { municipality: 200 } },
      { op: 'submit another municipality\'s report', method: 'PUT', path: path(), body: { municipality: R, figures: RIGA }, allowed: {} },
      { op: 'read the findings', method: 'GET', path: FINDINGS, allowed: { ministry: 200 } },
    ];
    for (const o of OPS) {
      it(`${o.op}: ${CALLERS.map((c) => `${c} ${o.allowed[c] ?? (c === 'no key' ? 401 : c === 'ministry' && o.op === 'read its own report' ? 400 : 403)}`).join(', ')}`, async () => {
        const before = await versions(R);
        for (const c of CALLERS) {
          const expected = o.allowed[c] ?? (c === 'no key' ? 401 : c === 'ministry' && o.op === 'read its own report' ? 400 : 403);
          const r = await send(c, o.method, o.path, o.body);
          assert.equal(r.status, expected, `${c}: ${JSON.stringify(r.body)}`);
          if (expected === 403) assert.equal((r.body as { error: { code: string } }).error.code, 'HUB_ERR_ACCESS_DENIED', c);
        }
        assert.deepEqual(await versions(R), before, 'nobody but Rīga changes Rīga\'s report');
      });
    }
  });
});

describe('state reports in the store, on either backend', () => {
  for (const backend of BACKENDS) {
    describe(backend, () => {
      let s: TestStore;
      before(async () => { s = await openTestStore(backend); await applyRecords(s.store, FIXTURE); });
      after(() => s?.close());

      it('counts the same figures, and a submission is the next version unless it repeats the current one', async () => {
        const records = await stateReportRecords(s.store.db, Y);
        const asText = (f: Record<string, number | string>): Record<string, string> =>
          Object.fromEntries(INDICATORS.map((d) => [d.code, typeof f[d.code] === 'number' ? (f[d.code] as number).toFixed(PLACES[d.unit]) : String(f[d.code])]));
        assert.deepEqual(records.get(R), asText(RIGA));
        assert.deepEqual(records.get(J), asText(JELGAVA));
        assert.equal(records.has('0002000'), false);
        const item = { municipality: R, year: Y, figures: asText(RIGA), comments: {}, records: asText(RIGA), submittedBy: 'sopa-riga' };
        assert.deepEqual(await s.store.db.transaction((tx) => storeStateReport(tx, item)), { version: 1, changed: true });
        assert.deepEqual(await s.store.db.transaction((tx) => storeStateReport(tx, item)), { version: 1, changed: false });
        assert.deepEqual(await s.store.db.transaction((tx) => storeStateReport(tx, { ...item, comments: { R01: 'checked' } })), { version: 2, changed: true });
        const versions = (await stateReportSubmissions(s.store.db, Y)).get(R)!;
        assert.deepEqual(versions.map((v) => [v.version, v.comments]), [[1, {}], [2, { R01: 'checked' }]]);
      });
    });
  }
});
