import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { FIXTURE, applyRecords, R, J } from './fixture.ts';
import type { Indicators, MonthlyStatistics } from '../../store/index.ts';

/** RFC 4180, enough for the hub's own CSV: quoted fields may hold commas, quotes and line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\r') continue;
    else if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; } else f += c;
  }
  return rows;
}

/** What a table row must say for these indicators, column by column, written from the JSON shape. */
function expected(i: Indicators): Record<string, string | number> {
  const out: Record<string, string | number> = {
    needy_persons: i.needy.persons, needy_new_persons: i.needy.newPersons,
    low_income_persons: i.lowIncome.persons, low_income_new_persons: i.lowIncome.newPersons,
    service_decisions: i.serviceDecisions.total,
    assistant_clients: i.assistant.clients, assistant_hours_granted: i.assistant.grantedHours, assistant_hours_used: i.assistant.usedHours,
    recipients_granted: i.recipients.granted,
  };
  if (i.recipients.byResidence !== null) out.recipients_by_residence = i.recipients.byResidence;
  for (const [t, b] of Object.entries(i.benefits)) Object.assign(out, { [`${t.toLowerCase()}_recipients`]: b.recipients, [`${t.toLowerCase()}_eur`]: b.amountEur });
  for (const [t, o] of Object.entries(i.serviceDecisions.byType)) {
    for (const [k, n] of Object.entries(o)) out[`service_${t.toLowerCase()}_${k.toLowerCase()}`] = n;
  }
  return out;
}

/** Asserts a table (header + rows) carries the JSON's numbers; `num` says how a cell compares. */
function assertSameNumbers(table: (string | number)[][], json: MonthlyStatistics, num: (cell: string | number, want: string | number) => boolean): void {
  const [head, ...rows] = table;
  const col = (name: string) => head.indexOf(name);
  const units = [...json.municipalities.map((m) => [m.atvk, m] as const), ['LV', json.country!] as const];
  assert.equal(rows.length, units.length);
  for (const [atvk, ind] of units) {
    const row = rows.find((r) => r[col('atvk')] === atvk)!;
    assert.ok(row, `a row for ${atvk}`);
    for (const [name, want] of Object.entries(expected(ind))) {
      assert.ok(col(name) >= 0, `column ${name}`);
      assert.ok(num(row[col(name)], want), `${atvk} ${name}: ${row[col(name)]} ≠ ${want}`);
    }
    // Columns the JSON leaves out (a service type nobody decided on) are zeros.
    for (const name of head) if (String(name).startsWith('service_') && !(String(name) in expected(ind))) assert.ok(num(row[col(String(name))], 0), `${atvk} ${name}`);
  }
}

describe('ministry API', function () {
  let t: TestHub;
  before(async () => {
    t = await startTestHub();
    await applyRecords(t.hub.store, FIXTURE);
  });
  after(async () => { await t?.stop(); });

  const get = (path: string, key?: string) => call(t.url, 'GET', path, { key });

  it('refuses a municipality\'s key with 403 and no key with 401', async () => {
    for (const path of ['/api/v1/spolis/statistics?period=2026-10', '/api/v1/spolis/checks?period=2026-10']) {
      const r = await get(path, KEYS['sopa-riga']);
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'HUB_ERR_ACCESS_DENIED');
      assert.equal((await get(path)).status, 401);
    }
  });

  it('answers 400 naming the field for a bad period, municipality or format', async () => {
    for (const [query, field] of [['period=2026-13', 'period'], ['', 'period'], ['period=2026-10&municipality=0010000', 'municipality'], ['period=2026-10&format=pdf', 'format']]) {
      const r = await get(`/api/v1/spolis/statistics?${query}`, KEYS['lm-analytics']);
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.field, field, query);
    }
    const r = await get('/api/v1/spolis/checks?period=October', KEYS['lm-analytics']);
    assert.deepEqual([r.status, r.body.error.field], [400, 'period']);
  });

  it('gives the Ministry\'s key the month\'s statistics and checks as JSON', async () => {
    const s = await get('/api/v1/spolis/statistics?period=2026-10', KEYS['lm-analytics']);
    assert.equal(s.status, 200);
    assert.equal(s.body.country.benefits.GMI.amountEur, '513.50');
    assert.equal(s.body.municipalities.find((m: { atvk: string }) => m.atvk === R).needy.persons, 5);
    const one = await get(`/api/v1/spolis/statistics?period=2026-10&municipality=${J}`, KEYS['lm-analytics']);
    assert.deepEqual([one.body.country, one.body.municipalities.length], [undefined, 1]);
    const c = await get('/api/v1/spolis/checks?period=2026-10', KEYS['lm-analytics']);
    assert.equal(c.status, 200);
    assert.deepEqual(c.body.findings.map((f: { rule: number }) => f.rule), [1, 1, 2, 2, 3, 5, 6]);
    assert.equal(c.body.rules[3].status, 'unavailable: VDEĀVK opinions are not loaded yet');
  });

  it('gives CSV with the same numbers as the JSON', async () => {
    const json = (await get('/api/v1/spolis/statistics?period=2026-10', KEYS['lm-analytics'])).body as MonthlyStatistics;
    const res = await fetch(`${t.url}/api/v1/spolis/statistics?period=2026-10&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.match(res.headers.get('content-disposition')!, /spolis-statistics-2026-10\.csv/);
    assertSameNumbers(parseCsv(await res.text()), json, (cell, want) => cell === String(want));
  });

  it('gives XLSX that exceljs reads back with the same numbers as the JSON', async () => {
    const json = (await get('/api/v1/spolis/statistics?period=2026-10', KEYS['lm-analytics'])).body as MonthlyStatistics;
    const res = await fetch(`${t.url}/api/v1/spolis/statistics?period=2026-10&format=xlsx`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.equal(res.status, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const ws = wb.getWorksheet('statistics')!;
    const table: (string | number)[][] = [];
    ws.eachRow((row) => { table.push((row.values as (string | number)[]).slice(1)); });
    assertSameNumbers(table, json, (cell, want) => typeof cell === 'number' && cell === Number(want));
  });

  it('prints the same report from `spolis-hub report` on the store DATABASE_URL names', async () => {
    const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'app/cli.ts', 'report', ...args], { env: { ...process.env, DATABASE_URL: t.db.url }, encoding: 'utf8' });
    const api = (await get('/api/v1/spolis/statistics?period=2026-10', KEYS['lm-analytics'])).body;
    const out = cli('statistics', '--period', '2026-10');
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual({ ...JSON.parse(out.stdout), computedAt: null }, { ...api, computedAt: null });
    const csv = cli('checks', '--period', '2026-10', '--format', 'csv');
    assert.equal(csv.stdout.trim().split('\n').length, 1 + 9 + 3 + 1, 'a header, 7 findings, 2 opinion parts, 3 register parts and the providers part that could not run');
    const bad = cli('checks', '--period', '2026-1');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--period: period "2026-1" must be a month YYYY-MM/);
  });

  it('gives the checks as CSV, one row per finding and per part that could not run', async () => {
    const res = await fetch(`${t.url}/api/v1/spolis/checks?period=2026-10&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    const [head, ...rows] = parseCsv(await res.text());
    assert.deepEqual(head, ['period', 'rule', 'status', 'municipalities', 'records', 'reason']);
    assert.deepEqual(rows.map((r) => [r[1], r[2].split(' ')[0]]), [
      ['1', 'finding'], ['1', 'finding'], ['2', 'finding'], ['2', 'finding'],
      ['3', 'child-above-opinion-maximum'], ['3', 'finding'], ['4', 'assistant-without-opinion'], ['5', 'finding'], ['6', 'finding'],
      ['7', 'after-death'], ['8', 'paid-outside-declared-residence'], ['9', 'household-member-resides-elsewhere'],
      ['10', 'provider-not-registered-for-service'],
    ]);
    assert.match(rows[4][2], /unavailable: VDEĀVK opinions are not loaded yet/);
    assert.match(rows[9][2], /unavailable: PMLP population register data are not loaded yet/);
  });
});
