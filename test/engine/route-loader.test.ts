import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../engine/core/errors.ts';
import { Registry } from '../../engine/components/registry.ts';
import { lintConfig, loadConfig, parseDuration } from '../../engine/config/loader.ts';
import type { FormatSpec, OutboundSpec, TransformerSpec, ValidatorSpec } from '../../engine/components/specs.ts';

const HASH = `sha256:${'a'.repeat(64)}`;
const PARTNERS = `partners:
  - id: sopa-riga
    system: sopa
    municipality: "0001000"
    keyHashes: [${HASH}]
  - id: vsaa
    system: vsaa
    keyHashes: []
`;
const ROUTE = `id: sopa-monthly-load
description: Monthly decisions pushed by SOPA municipalities into SPOLIS.
from: { bulkLoad: { source: sopa } }
access: { partners: [sopa-*, vsaa] }
steps:
  - transform: sopa/export-to-canonical
  - validate: canonical/decision
  - to: spolis/upsert-decisions
`;

function registry(): Registry {
  return new Registry()
    .register('format', { name: 'sopa/batch', source: 'sopa', contentTypes: ['application/xml'], summary: '', read() { throw new Error('not in tests'); } } as unknown as FormatSpec)
    .register('transformer', { name: 'sopa/export-to-canonical', summary: '' } as TransformerSpec)
    .register('validator', { name: 'canonical/decision', summary: '' } as ValidatorSpec)
    .register('outbound', { name: 'spolis/upsert-decisions', summary: '' } as OutboundSpec);
}

describe('route-loader', () => {
  const dirs: string[] = [];
  /** A fresh routes dir holding the given files (partners.yaml defaults to a valid one). */
  function routesDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spolis-routes-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries({ 'partners.yaml': PARTNERS, ...files })) writeFileSync(path.join(dir, name), text);
    return dir;
  }
  const problemsOf = (files: Record<string, string>) => {
    const dir = routesDir(files);
    return { dir, problems: lintConfig(dir, registry()) };
  };

  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('loads a valid config and fills onError with the defaults', () => {
    const dir = routesDir({ 'sopa-monthly-load.yaml': ROUTE });
    const config = loadConfig(dir, registry());
    assert.equal(config.routes.length, 1);
    const r = config.routes[0];
    assert.equal(r.id, 'sopa-monthly-load');
    assert.equal(r.file, path.join(dir, 'sopa-monthly-load.yaml'));
    assert.deepEqual(r.from, { bulkLoad: { source: 'sopa' } });
    assert.deepEqual(r.steps[2], { to: 'spolis/upsert-decisions' });
    assert.deepEqual(r.onError, { retry: { attempts: 8, backoff: 'exponential', delayMs: 2000, maxDelayMs: 300000 }, deadLetter: true });
    assert.deepEqual(config.partners.map((p) => [p.id, p.municipality]), [['sopa-riga', '0001000'], ['vsaa', undefined]]);
  });

  it('keeps the onError and options a route gives', () => {
    const text = ROUTE.replace('  - to: spolis/upsert-decisions', '  - to: spolis/upsert-decisions\n    options: { batchSize: 500 }')
      + 'onError: { retry: { attempts: 3, backoff: fixed, delay: 500ms }, deadLetter: false }\n';
    const [r] = loadConfig(routesDir({ 'sopa-monthly-load.yaml': text }), registry()).routes;
    assert.deepEqual(r.steps[2], { to: 'spolis/upsert-decisions', options: { batchSize: 500 } });
    assert.deepEqual(r.onError, { retry: { attempts: 3, backoff: 'fixed', delayMs: 500, maxDelayMs: 300000 }, deadLetter: false });
  });

  it('names file, line and a near name when a transformer is misspelled', () => {
    const { dir, problems } = problemsOf({ 'sopa-monthly-load.yaml': ROUTE.replace('sopa/export-to-canonical', 'sopa/export-to-canonicl') });
    assert.equal(problems.length, 1);
    assert.equal(problems[0], `${path.join(dir, 'sopa-monthly-load.yaml')}:6: steps[0].transform: unknown transformer "sopa/export-to-canonicl" (did you mean "sopa/export-to-canonical"?); valid: sopa/export-to-canonical`);
  });

  it('throws a ConfigError carrying the same problems that lint returns', () => {
    const dir = routesDir({ 'sopa-monthly-load.yaml': ROUTE.replace('canonical/decision', 'canonical/decisoin') });
    assert.throws(() => loadConfig(dir, registry()), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, lintConfig(dir, registry()));
      assert.match(e.problems[0], /:7: steps\[1\]\.validate: unknown validator "canonical\/decisoin" \(did you mean "canonical\/decision"\?\)/);
      return true;
    });
  });

  it('names the line and the allowed keys of an unknown key', () => {
    const { problems } = problemsOf({ 'sopa-monthly-load.yaml': ROUTE + 'onError:\n  retry:\n    atempts: 3\n' });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /sopa-monthly-load\.yaml:11: onError\.retry\.atempts: unknown key "atempts" \(did you mean "attempts"\?\); allowed: attempts, backoff, delay, maxDelay$/);
  });

  it('says to quote an unquoted municipality, on its line', () => {
    const { dir, problems } = problemsOf({ 'partners.yaml': PARTNERS.replace('"0001000"', '0001000') });
    assert.equal(problems.length, 1);
    assert.equal(problems[0], `${path.join(dir, 'partners.yaml')}:4: partners[0].municipality: must be a string, but YAML read 0001000 as the number 1000; quote it: "0001000"`);
  });

  it('reports the problems of several broken files at once', () => {
    const { dir, problems } = problemsOf({
      'a.yaml': ROUTE.replace('sopa-monthly-load', 'a').replace('source: sopa', 'source: sopq'),
      'b.yaml': ROUTE.replace('sopa-monthly-load', 'b').replace('  - to: spolis/upsert-decisions\n', '  - to: spolis/upsert\n    timeout: 2s\n'),
      'c.yaml': 'id: c\ndescription: [unclosed\n',
      'partners.yaml': PARTNERS.replace('system: vsaa', 'system: vsa'),
    });
    const brief = problems.map((p) => p.slice(dir.length + 1).replace(/(:\d+: [^:]+):.*/s, '$1'));
    assert.deepEqual(brief, [
      'a.yaml:3: from.bulkLoad.source',
      'b.yaml:8: steps[2].to',
      'b.yaml:9: steps[2].timeout',
      'c.yaml:3: (yaml)',
      'partners.yaml:7: partners[1].system',
    ]);
    assert.match(problems[1], /unknown outbound "spolis\/upsert"/);
    assert.match(problems[2], /not allowed on a to step; allowed: to, options/);
    assert.match(problems[4], /"vsa" is not allowed; valid: sopa, lietis, gvs, vdeavk, vsaa, burvis, pmlp, vzd, spolis, lm/);
  });

  it('reports an id that is not the file stem', () => {
    const { problems } = problemsOf({ 'sopa-load.yaml': ROUTE });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /sopa-load\.yaml:1: id: "sopa-monthly-load" must equal the file name; set id: sopa-load/);
  });

  it('reports an unknown partner in access with the valid ids', () => {
    const { problems } = problemsOf({ 'sopa-monthly-load.yaml': ROUTE.replace('vsaa]', 'sopa-rga]') });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /:4: access\.partners\[1\]: unknown partner "sopa-rga" \(did you mean "sopa-riga"\?\); valid: sopa-riga, vsaa/);
  });

  it('reports a missing required key on the line of its parent, and a step with two kinds', () => {
    const text = ROUTE.replace('from: { bulkLoad: { source: sopa } }', 'from:\n  soap: { service: x }')
      .replace('  - validate: canonical/decision', '  - validate: canonical/decision\n    transform: sopa/export-to-canonical');
    const { problems } = problemsOf({ 'sopa-monthly-load.yaml': text });
    assert.equal(problems.length, 2);
    assert.match(problems[0], /:4: from\.soap\.operation: required but missing/);
    assert.match(problems[1], /:8: steps\[1\]: a step has exactly one of transform, validate, to, call; found validate, transform/);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1m'), 60000);
    assert.equal(parseDuration('1h'), 3600000);
    assert.throws(() => parseDuration('2 sec'), /"2 sec" is not a duration/);
  });
});
