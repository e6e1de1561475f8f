/**
 * The bundled route files' own examples (`tests:` in routes/*.yaml), one mocha test each, so that a
 * route change that breaks an example fails npm test naming the file, the line and what came out.
 * The same check as `spolis-hub routes lint` runs first: CI refuses a route file start-up would.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { builtinRegistry } from '../../app/components.ts';
import { lintConfig, loadConfig } from '../../engine/config/loader.ts';
import type { HubConfig } from '../../engine/config/types.ts';
import { RouteTestRunner, routeTestCases } from '../../engine/runtime/route-tests.ts';

const ROUTES = fileURLToPath(new URL('../../routes', import.meta.url));
const registry = builtinRegistry();

describe('route files: routes lint and the examples in routes/*.yaml', () => {
  // Loaded while mocha collects the tests, so that each example is its own test.
  const problems = lintConfig(ROUTES, registry);
  const config: HubConfig | undefined = problems.length ? undefined : loadConfig(ROUTES, registry);
  let runner: RouteTestRunner | undefined;
  after(async () => { await runner?.close(); });

  it('routes lint finds no problem in the bundled route files (tests: blocks included)', () => {
    assert.deepEqual(problems, []);
  });

  it('every bulk-load route has an example of a good batch and one of a batch with rejections', () => {
    assert.ok(config, 'the route files load');
    for (const r of config.routes.filter((x) => 'bulkLoad' in x.from)) {
      assert.ok(r.tests.some((t) => t.expect.rejected === 0 && (t.expect.records?.length ?? 0) > 0), `${r.file}: an example whose records all pass, with the canonical records expected`);
      assert.ok(r.tests.some((t) => (t.expect.rejections?.length ?? 0) > 0), `${r.file}: an example with planted errors and the rejection codes expected`);
    }
  });

  for (const c of config ? routeTestCases(config) : []) {
    it(`${c.route.id} tests[${c.index}]: ${c.test.name}`, async () => {
      runner ??= new RouteTestRunner(config!, registry);
      const result = await runner.run(c);
      assert.deepEqual(result.failures, [], result.failures.join('\n'));
    });
  }
});
