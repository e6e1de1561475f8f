import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';
import { call, pushLoad } from '../helpers/api.ts';
import { ROOT, build, routesWithKeys, scratchDir, startHub, type HubProcess } from './compiled.ts';

const KEY = 'key-build-sopa-riga-0000000000000000';
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

/**
 * The layout of an installation: bin/spolis-hub.js beside dist/, and no sources. The bin runs
 * dist/app/cli.js when it exists, else ../app/cli.ts through tsx; there is no app/cli.ts here and
 * no .ts anywhere in the tree, and Node 20 has no TypeScript of its own, so a hub that answers
 * here runs the compiled modules, its prep threads included.
 */
describe('production build (npm run build): the hub as JavaScript on plain node', function () {
  this.timeout(90_000);
  let dir: string;
  let db: TestDatabase;
  let queues: ReturnType<typeof testQueuePrefix>;
  let hub: HubProcess | undefined;

  before(async function () {
    dir = scratchDir('spolis-build-test');
    [db] = await Promise.all([createTestDatabase(), build(join(dir, 'dist'))]);
    queues = testQueuePrefix();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'spolis-hub.js'), join(dir, 'bin', 'spolis-hub.js'));
  });

  after(async () => {
    await hub?.stop();
    await queues?.cleanup();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles every module to JavaScript and carries the data files the code reads', () => {
    const files = walk(join(dir, 'dist')).map((f) => f.slice(dir.length + '/dist/'.length));
    assert.deepEqual(files.filter((f) => f.endsWith('.ts')), []);
    for (const f of ['app/cli.js', 'app/prep-thread.js', 'store/migrations/001_loads_and_decisions.sql', 'schemas/route.schema.json', 'console/static/index.html']) {
      assert.ok(files.includes(f), `${f} in the build`);
    }
  });

  it('starts through bin/spolis-hub.js on plain node, and a SOPA load goes through the compiled prep threads and pipeline', async () => {
    const config = routesWithKeys(join(dir, 'routes'), { 'sopa-riga': KEY });
    // The working directory is the installation (the signing key goes to its ./data), not the repository.
    hub = await startHub([join(dir, 'bin', 'spolis-hub.js'), 'start', '--role', 'all'],
      { DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queues.prefix, HUB_CONFIG_DIR: config }, dir);
    assert.ok(!/tsx/.test(readFileSync(`/proc/${hub.child.pid}/cmdline`, 'utf8')), 'no tsx on the command line');

    const gen = sopaSimulator.generate({ municipality: RIGA.municipality, period: RIGA.period, records: 400, batches: 2, seed: 16 });
    assert.ok(gen.truth.length > 0, 'the load has planted errors, so validation in the threads is exercised');
    const load = await pushLoad(hub.url, KEY, RIGA, gen.batches, gen.contentType);
    const total = gen.recordCounts.reduce((a, b) => a + b, 0);
    assert.equal(load.status, 'done', hub.output());
    assert.deepEqual(load.records, { received: total, accepted: total - gen.truth.length, rejected: gen.truth.length });
  });

  it('serves the files it reads at run time from the build: console page, XSD, WSDL, OpenAPI version', async () => {
    assert.ok(hub, 'the hub of the previous test runs');
    const page = await fetch(`${hub.url}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), readFileSync(join(ROOT, 'console', 'static', 'index.html'), 'utf8'));
    const xsd = await call(hub.url, 'GET', '/xsd/hub-burvis.xsd');
    assert.equal(xsd.status, 200);
    assert.equal(xsd.body, readFileSync(join(ROOT, 'schemas', 'xsd', 'hub-burvis.xsd'), 'utf8'));
    const wsdl = await call(hub.url, 'GET', '/soap/burvis?wsdl');
    assert.equal(wsdl.status, 200);
    assert.match(wsdl.body, new RegExp(`location="${hub.url}/soap/burvis"`));
    const api = await call(hub.url, 'GET', '/openapi.json');
    assert.equal(api.status, 200);
    assert.equal(api.body.info.version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    assert.ok(hub, 'the hub of the previous test runs');
    const code = await hub.stop();
    assert.equal(code, 0, hub.output());
  });

  it('without a build, bin/spolis-hub.js runs the sources through tsx, its prep threads included', async () => {
    // A checkout with no dist/: the bin beside the sources (app/ links to this repository's).
    const checkout = join(dir, 'checkout');
    mkdirSync(join(checkout, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'bin', 'spolis-hub.js'), join(checkout, 'bin', 'spolis-hub.js'));
    symlinkSync(join(ROOT, 'app'), join(checkout, 'app'));
    // /ready comes after every prep thread has loaded its module (Hub.start warms the pool first).
    const sources = await startHub([join(checkout, 'bin', 'spolis-hub.js'), 'start', '--role', 'all'],
      { DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queues.prefix, HUB_CONFIG_DIR: join(dir, 'routes') }, checkout);
    assert.equal(await sources.stop(), 0, sources.output());
  });
});
