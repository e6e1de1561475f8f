/**
 * The route-test runner and the loader's checks of `tests:` blocks, on route files written here:
 * a wrong expectation fails naming file, line and what came out; a tests block that cannot run is
 * refused at load like any other config error; `spolis-hub routes test` exits 1 on a failure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinRegistry } from '../../app/components.ts';
import { ConfigError } from '../../engine/core/errors.ts';
import { lintConfig, loadConfig } from '../../engine/config/loader.ts';
import { RouteTestRunner, routeTestCases, runRouteTests, type RouteTestResult } from '../../engine/runtime/route-tests.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLED = path.join(ROOT, 'routes');
const registry = builtinRegistry();

const SOPA_HEAD = `id: sopa-monthly-load
description: Monthly decisions pushed by SOPA municipalities.
from: { bulkLoad: { source: sopa } }
access: { partners: [sopa-*] }
steps:
  - transform: sopa/export-to-canonical
  - validate: canonical/decision
  - to: spolis/upsert-decisions
`;

/** The 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `"${needle}" is in the route file`);
  return i + 1;
}

describe('route tests: the runner and the checks of tests: blocks', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  /** A routes directory with the bundled partners.yaml, the given route files and the bundled fixtures they name. */
  function routesDir(files: Record<string, string>, fixtures: string[] = []): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spolis-route-tests-'));
    dirs.push(dir);
    copyFileSync(path.join(BUNDLED, 'partners.yaml'), path.join(dir, 'partners.yaml'));
    for (const f of fixtures) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      copyFileSync(path.join(BUNDLED, f), path.join(dir, f));
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  }

  async function run(files: Record<string, string>, fixtures: string[] = []): Promise<RouteTestResult[]> {
    const dir = routesDir(files, fixtures);
    return runRouteTests(loadConfig(dir, registry), registry);
  }

  const fileOf = (dir: string, name: string): string => path.join(dir, name);

  describe('bulk loads', () => {
    it('a rejection expected where the batch has none fails with the line of that expectation; the true list passes', async () => {
      const text = `${SOPA_HEAD}tests:
  - name: broken code
    input: { file: tests/sopa-monthly-load/good.xml }
    expect:
      rejections:
        - { index: 3, code: PERSON_CODE, field: PersonasKods }
  - name: nothing rejected
    input: { file: tests/sopa-monthly-load/good.xml }
    expect:
      rejections: []
`;
      const dir = routesDir({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/good.xml']);
      const [broken, clean] = await runRouteTests(loadConfig(dir, registry), registry);
      assert.deepEqual(broken.failures, [
        `${fileOf(dir, 'sopa-monthly-load.yaml')}:${lineOf(text, 'index: 3')}: tests[0] "broken code": expected rejection PERSON_CODE:PersonasKods at index 3, got none`,
      ]);
      assert.deepEqual(clean.failures, []);
    });

    it('a canonical value that differs is shown field by field, and a YAML number is told to be quoted', async () => {
      const text = `${SOPA_HEAD}tests:
  - name: amounts
    input: { file: tests/sopa-monthly-load/good.xml }
    expect:
      records:
        - key: 0001000/sopa/RIX-P-2026-120044/2026-10
          fields: { benefitType: HOUSING, amount: 89.40 }
        - key: 0001000/sopa/RIX-A-2026-000702/2026-10
          fields: { grantedHours: "80" }
`;
      const [r] = await run({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/good.xml']);
      const at = `:${lineOf(text, '- key:')}: tests[0] "amounts": record 0001000/sopa/RIX-P-2026-120044/2026-10: `;
      assert.equal(r.failures.length, 3, r.failures.join('\n'));
      assert.ok(r.failures[0].endsWith(`${at}benefitType: expected "HOUSING", got "GMI"`), r.failures[0]);
      assert.ok(r.failures[1].endsWith(`${at}amount: expected 89.4 (a number), got "89.40" (a string); in YAML quote it: "89.40"`), r.failures[1]);
      assert.ok(r.failures[2].endsWith(`:${lineOf(text, 'RIX-A-2026')}: tests[0] "amounts": record 0001000/sopa/RIX-A-2026-000702/2026-10: grantedHours: expected "80" (a string), got 80 (a number); in YAML write it without quotes: 80`), r.failures[2]);
    });

    it('a rejection nobody listed fails, and a wrong count says what was rejected', async () => {
      const text = `${SOPA_HEAD}tests:
  - name: planted
    input: { file: tests/sopa-monthly-load/planted-errors.xml }
    expect:
      accepted: 2
      rejections:
        - { index: 0, code: CLASSIFIER, field: Veids }
        - { index: 1, code: PERSON_CODE, field: PersonasKods }
        - { index: 2, code: AMOUNT, field: Summa }
        - { index: 4, code: PERIOD, field: Menesis }
        - { index: 5, code: DATE, field: LemumaDatums }
`;
      const [r] = await run({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/planted-errors.xml']);
      assert.equal(r.failures.length, 2, r.failures.join('\n'));
      assert.match(r.failures[0], new RegExp(`:${lineOf(text, 'accepted: 2')}: tests\\[0\\] "planted": expected 2 record\\(s\\) accepted, got 1; rejected: index 0 CLASSIFIER:Veids .*index 6 HOURS:IzmantotasStundas`));
      assert.match(r.failures[1], new RegExp(`:${lineOf(text, 'rejections:')}: tests\\[0\\] "planted": unexpected rejection HOURS:IzmantotasStundas at index 6 \\(IzmantotasStundas: 81 used hours exceed the 80 granted\\); list it under rejections`));
    });

    it('a batch refused whole where records were expected fails with the batch-level error', async () => {
      const text = `${SOPA_HEAD}tests:
  - name: not even XML
    input: { text: "this is not a SOPA export" }
    expect: { accepted: 1 }
`;
      const [r] = await run({ 'sopa-monthly-load.yaml': text });
      assert.equal(r.failures.length, 1);
      assert.match(r.failures[0], new RegExp(`:${lineOf(text, 'input:')}: tests\\[0\\] "not even XML": the input was refused as a whole: HUB_ERR_XML_MALFORMED: `));
    });
  });

  describe('queries, pulls and pushes', () => {
    const EP51 = `id: vsaa-ep51-query
description: EP51.
from: { query: { service: vsaa-ep51 } }
access: { partners: [sopa-*] }
steps:
  - call: vsaa/get-granted-amounts
    timeout: 8s
tests:
  - name: grants
    input:
      request: { personCode: "161175-19997", purpose: "case 1", periodFrom: "2025-01", periodTo: "2025-12" }
      file: tests/vsaa-ep51-query/grants.xml
    expect:
      answer:
        fields:
          grants: [{ amount: "512.3" }, { amount: "109.00" }]
  - name: not found
    input:
      request: { personCode: "161175-19997", purpose: "case 1", periodFrom: "2025-01", periodTo: "2025-12" }
      fault: { errorCode: PERSON_NOT_FOUND }
    expect:
      answer: { fields: { grants: [] } }
`;

    it('a query runs the call component against a stand-in that signs as the partner; a wrong answer and an unexpected fault fail', async () => {
      const [grants, notFound] = await run({ 'vsaa-ep51-query.yaml': EP51 }, ['tests/vsaa-ep51-query/grants.xml']);
      assert.equal(grants.failures.length, 1, grants.failures.join('\n'));
      assert.ok(grants.failures[0].endsWith(`:${lineOf(EP51, 'fields:')}: tests[0] "grants": answer grants[0].amount: expected "512.3", got "512.30"`), grants.failures[0]);
      assert.equal(notFound.failures.length, 1);
      assert.match(notFound.failures[0], /tests\[1\] "not found": the input was refused as a whole: HUB_ERR_PARTNER_NOT_FOUND: vsaa GetGrantedAmounts: PERSON_NOT_FOUND/);
    });

    it('a reply signed with another key than the partner\'s registered one is refused by the component, as in production', async () => {
      // The stand-in signs with the run's key and the component is given that key's certificate;
      // a captured envelope signed by someone else is re-signed, so only the payload matters.
      const text = EP51.replace(/tests:[\s\S]*/, `tests:
  - name: answer
    input:
      request: { personCode: "161175-19997", purpose: "case 1", periodFrom: "2025-01", periodTo: "2025-12" }
      text: |
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
          <GetGrantedAmountsResponse xmlns="urn:lv:vsaa:ep:1"><Grants/></GetGrantedAmountsResponse>
        </soap:Body></soap:Envelope>
    expect:
      answer: { equals: { personCode: "16117519997", periodFrom: "2025-01", periodTo: "2025-12", grants: [] } }
`);
      const [r] = await run({ 'vsaa-ep51-query.yaml': text });
      assert.deepEqual(r.failures, []);
    });

    it('where a pushed profile goes is checked against partners.yaml', async () => {
      const text = `id: burvis-profiles-push
description: NVA pushes profiling changes.
from: { soap: { service: burvis, operation: SubmitProfilingChanges } }
access: { partners: ["burvis*"] }
steps:
  - deliver: [sopa/notify-profile, lietis/notify-profile]
    timeout: 10s
tests:
  - name: routing
    input: { file: tests/burvis-profiles-push/changes.xml }
    expect:
      deliveries:
        - { key: "16117519997", partner: lietis-daugavpils }
        - { key: "02092710885", partner: sopa-riga }
`;
      const [r] = await run({ 'burvis-profiles-push.yaml': text }, ['tests/burvis-profiles-push/changes.xml']);
      assert.equal(r.failures.length, 2, r.failures.join('\n'));
      assert.ok(r.failures[0].endsWith(`:${lineOf(text, 'lietis-daugavpils')}: tests[0] "routing": expected item 0 (16117519997) to go to lietis-daugavpils; it goes to sopa-riga by sopa/notify-profile`), r.failures[0]);
      assert.match(r.failures[1], /expected item 2 \(02092710885\) to go to sopa-riga; it is undeliverable: Tukuma novads \(0052000\) uses GVS/);
    });

    it('a pull test reads one page through the pull component, cursor included', async () => {
      const text = `id: vdeavk-opinions-pull
description: VDEĀVK's changed opinions.
from: { schedule: { cron: "*/15 * * * *", pull: vdeavk/opinions-changed, pageSize: 500 } }
access: { partners: [] }
steps:
  - to: spolis/store-opinions
tests:
  - name: page
    input: { file: tests/vdeavk-opinions-pull/page.xml }
    expect:
      accepted: 3
      nextCursor: null
`;
      const [r] = await run({ 'vdeavk-opinions-pull.yaml': text }, ['tests/vdeavk-opinions-pull/page.xml']);
      assert.deepEqual(r.failures.map((f) => f.replace(/^.*?: tests\[0\] "page": /, '')), [
        'expected 3 record(s) accepted, got 2',
        'expected nextCursor null, got "c-2026-02-20T14:05:31.250Z-ATZ-2025-00342"',
      ]);
    });
  });

  describe('a tests block that cannot run is refused at load, with file:line: path: what', () => {
    const problemOf = (files: Record<string, string>, fixtures: string[] = []) => {
      const dir = routesDir(files, fixtures);
      return { dir, problems: lintConfig(dir, registry) };
    };

    const cases: { name: string; tests: string; at: string; expect: (file: string, line: number) => string }[] = [
      {
        name: 'an unknown key, with the nearest valid one',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect: { acepted: 5 }\n',
        at: 'acepted',
        expect: (f, l) => `${f}:${l}: tests[0].expect.acepted: unknown key "acepted" (did you mean "accepted"?); allowed: accepted, rejected, records, rejections, deliveries, answer, error, nextCursor`,
      },
      {
        name: 'a missing fixture file',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/gone.xml }\n    expect: { accepted: 5 }\n',
        at: 'gone.xml',
        expect: (f, l) => `${f}:${l}: tests[0].input.file: no such file: ${path.join(path.dirname(f), 'tests/sopa-monthly-load/gone.xml')} (fixture paths are relative to the routes directory, e.g. tests/sopa-monthly-load/good.xml)`,
      },
      {
        name: 'a field the canonical model lacks',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      records:\n        - key: 0001000/sopa/RIX-P-2026-120044/2026-10\n          fields: { kind: benefit, amout: "89.40" }\n',
        at: 'amout',
        expect: (f, l) => `${f}:${l}: tests[0].expect.records[0].fields.amout: a canonical benefit has no field "amout" (did you mean "amount"?); its fields: kind, municipality, source, decisionId, decisionDate, benefitType, personCode, householdId, month, amount, paidOn`,
      },
      {
        name: 'a nested field the canonical model lacks',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      records:\n        - index: 0\n          fields: { members: [{ personCod: "16117519997" }] }\n',
        at: 'personCod',
        expect: (f, l) => `${f}:${l}: tests[0].expect.records[0].fields.members[0].personCod: no canonical decision has a field "personCod" (did you mean "personCode"?); its fields: personCode, givenName, surname, role`,
      },
      {
        name: 'an expectation a bulk load cannot meet',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect: { answer: { fields: { x: 1 } } }\n',
        at: 'expect:',
        expect: (f, l) => `${f}:${l}: tests[0].expect.answer: not something a bulk-load route produces; a bulk-load test may expect: accepted, rejected, records, rejections, error`,
      },
      {
        name: 'a rejection code classifiers.md does not have',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      rejections:\n        - { index: 1, code: PERSONCODE }\n',
        at: 'PERSONCODE',
        expect: (f, l) => `${f}:${l}: tests[0].expect.rejections[0].code: "PERSONCODE" is not allowed; valid: PERSON_CODE, MUNICIPALITY, DATE, PERIOD, AMOUNT, HOURS, REQUIRED, CLASSIFIER, DUPLICATE, FORMAT`,
      },
      {
        name: 'DUPLICATE, which only the store step finds',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      rejections:\n        - { index: 1, code: DUPLICATE }\n',
        at: 'DUPLICATE',
        expect: (f, l) => `${f}:${l}: tests[0].expect.rejections[0].code: DUPLICATE is found by the store step across the whole load, which a route test does not run; test it with the load API`,
      },
      {
        name: 'a count that disagrees with the listed rejections',
        tests: '  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      rejected: 1\n      rejections: [{ index: 1, code: AMOUNT }, { index: 2, code: AMOUNT }]\n',
        at: 'rejected: 1',
        expect: (f, l) => `${f}:${l}: tests[0].expect.rejected: 1 disagrees with rejections, which name 2 record(s) (index 1, 2)`,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const text = `${SOPA_HEAD}tests:\n${c.tests}`;
        const { dir, problems } = problemOf({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/good.xml']);
        assert.deepEqual(problems, [c.expect(fileOf(dir, 'sopa-monthly-load.yaml'), lineOf(text, c.at))]);
        assert.throws(() => loadConfig(dir, registry), (e: unknown) => e instanceof ConfigError && e.problems.length === 1);
      });
    }

    it('a query test without its request, and a partner fault on a route no partner answers', () => {
      const query = `id: vsaa-ep51-query
description: EP51.
from: { query: { service: vsaa-ep51 } }
access: { partners: [sopa-*] }
steps:
  - call: vsaa/get-granted-amounts
tests:
  - name: no request
    input: { fault: { errorCode: UNAVAILABLE } }
    expect: { error: { code: HUB_ERR_PARTNER_UNAVAILABLE } }
`;
      const bulk = `${SOPA_HEAD}tests:\n  - name: t\n    input: { fault: { errorCode: X } }\n    expect: { accepted: 1 }\n`;
      const { dir, problems } = problemOf({ 'vsaa-ep51-query.yaml': query, 'sopa-monthly-load.yaml': bulk });
      assert.deepEqual(problems, [
        `${fileOf(dir, 'sopa-monthly-load.yaml')}:${lineOf(bulk, 'fault')}: tests[0].input.fault: only query and pull routes have a partner that answers; a bulk-load test gives the batch as file or text`,
        `${fileOf(dir, 'vsaa-ep51-query.yaml')}:${lineOf(query, 'input:')}: tests[0].input.request: required for a query route: the question asked, e.g. { personCode: "161175-19997", purpose: "case 17" }`,
      ]);
    });

    it('a route started by http says it cannot be tested offline', () => {
      const text = `id: burvis-coparticipation
description: Co-participation duties to BURVIS.
from: { http: { path: /api/v1/coparticipation } }
access: { partners: [sopa-*] }
steps:
  - deliver: burvis/submit-coparticipation
tests:
  - name: t
    input: { text: "{}" }
    expect: { accepted: 1 }
`;
      const { dir, problems } = problemOf({ 'burvis-coparticipation.yaml': text });
      assert.deepEqual(problems, [
        `${fileOf(dir, 'burvis-coparticipation.yaml')}:${lineOf(text, 'tests:')}: tests: a route started by http cannot be tested offline: its input is read by the hub's HTTP API, not by route steps (the API's own tests cover it); remove tests:`,
      ]);
    });

    it('the loaded route keeps the line of every expectation', () => {
      const text = `${SOPA_HEAD}tests:\n  - name: t\n    input: { file: tests/sopa-monthly-load/good.xml }\n    expect:\n      accepted: 5\n      rejections: []\n`;
      const config = loadConfig(routesDir({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/good.xml']), registry);
      const [c] = routeTestCases(config);
      assert.equal(c.test.line, lineOf(text, '- name: t'));
      assert.equal(c.test.lines['expect.accepted'], lineOf(text, 'accepted: 5'));
      assert.equal(c.test.lines['expect.rejections'], lineOf(text, 'rejections: []'));
    });
  });

  describe('spolis-hub routes test and routes lint', () => {
    const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app/cli.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

    it('routes test exits 1 on a failing example, printing its file:line and the totals', async () => {
      const text = `${SOPA_HEAD}tests:
  - name: good
    input: { file: tests/sopa-monthly-load/good.xml }
    expect: { accepted: 5 }
  - name: wrong
    input: { file: tests/sopa-monthly-load/good.xml }
    expect: { accepted: 4 }
`;
      const dir = routesDir({ 'sopa-monthly-load.yaml': text }, ['tests/sopa-monthly-load/good.xml']);
      const r = await cli(['routes', 'test', '--dir', dir, '--route', 'sopa-monthly-load']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /1 route tests passed, 1 failed\n$/);
      assert.ok(r.stderr.includes(`${fileOf(dir, 'sopa-monthly-load.yaml')}:${lineOf(text, 'accepted: 4')}: tests[1] "wrong": expected 4 record(s) accepted, got 5`), r.stderr);
    });

    it('routes lint refuses a bad tests block with exit 1 and file:line', async () => {
      const text = `${SOPA_HEAD}tests:\n  - name: t\n    input: { file: tests/nowhere.xml }\n    expect: { accepted: 5 }\n`;
      const dir = routesDir({ 'sopa-monthly-load.yaml': text });
      const r = await cli(['routes', 'lint', '--dir', dir]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`${fileOf(dir, 'sopa-monthly-load.yaml')}:${lineOf(text, 'nowhere')}: tests[0].input.file: no such file`), r.stderr);
    });
  });

  it('runs each example once per call and releases the stand-in partner on close', async () => {
    const config = loadConfig(BUNDLED, registry);
    const runner = new RouteTestRunner(config, registry);
    const cases = routeTestCases(config, 'vsaa-ep51-query');
    assert.ok(cases.length >= 2);
    const results = [];
    for (const c of cases) results.push(await runner.run(c));
    await runner.close();
    assert.deepEqual(results.map((r) => r.failures), cases.map(() => []));
    // A second close, and a run after close (which starts a new stand-in), are both fine.
    await runner.close();
    assert.deepEqual((await runner.run(cases[0])).failures, []);
    await runner.close();
  });
});
