import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinRegistry } from '../../app/components.ts';
import { lintConfig, loadConfig } from '../../engine/config/loader.ts';
import { partnerPolicies } from '../../engine/config/partners.ts';

/** routes/ copied into a temporary directory, each named file rewritten by its function. */
function variant(edits: Record<string, (text: string) => string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spolis-query-routes-'));
  cpSync('routes', dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const f = path.join(dir, file);
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { /* a new file */ }
    writeFileSync(f, edit(text));
  }
  return dir;
}

describe('query routes and the partners they call (load-time checks)', () => {
  const dirs: string[] = [];
  const lint = (edits: Record<string, (text: string) => string>): string[] => {
    const dir = variant(edits);
    dirs.push(dir);
    return lintConfig(dir, builtinRegistry());
  };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('loads the bundled query routes, with the vsaa partner\'s policies', () => {
    const config = loadConfig('routes', builtinRegistry());
    const services = config.routes.flatMap((r) => ('query' in r.from ? [r.from.query.service] : [])).sort();
    assert.deepEqual(services, ['burvis-profile', 'pmlp-person', 'vdeavk-opinions', 'vsaa-ep50', 'vsaa-ep51', 'vsaa-ep52', 'vzd-property']);
    const vsaa = config.partners.find((p) => p.id === 'vsaa')!;
    assert.deepEqual(partnerPolicies(vsaa), { rateLimit: { perSecond: 20, maxWaitMs: 2000 }, circuitBreaker: { failures: 5, openMs: 30_000 }, timeoutMs: 10_000 });
  });

  it('names a misspelled call component with the near name and the valid ones', () => {
    const p = lint({ 'vsaa-ep51-query.yaml': (t) => t.replace('call: vsaa/get-granted-amounts', 'call: vsaa/get-granted-amount') });
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0], /vsaa-ep51-query\.yaml:6: steps\[0\]\.call: unknown call "vsaa\/get-granted-amount" \(did you mean "vsaa\/get-granted-amounts"\?\); valid: burvis\/get-profile, lietis\/open-applications, pmlp\/get-person, sopa\/open-applications, vdeavk\/get-opinions, vsaa\/get-deductions, vsaa\/get-granted-amounts, vsaa\/get-payments, vzd\/get-property/);
  });

  it('refuses a call step outside a query route, other steps in a query route, and two routes of one service', () => {
    const p = lint({
      'sopa-monthly-load.yaml': (t) => t.replace('  - to: spolis/upsert-decisions', '  - call: vsaa/get-payments'),
      'vsaa-ep50-query.yaml': (t) => t.replace('steps:\n', 'steps:\n  - validate: canonical/decision\n'),
      'vsaa-ep52-query.yaml': (t) => t.replace('service: vsaa-ep52', 'service: vsaa-ep51'),
    });
    assert.equal(p.length, 3, p.join('\n'));
    assert.match(p.join('\n'), /sopa-monthly-load\.yaml:\d+: steps\[2\]\.call: a call: step runs only in a route with from: \{query: …\}/);
    assert.match(p.join('\n'), /vsaa-ep50-query\.yaml:6: steps\[0\]: a query route's steps are one call: step/);
    assert.match(p.join('\n'), /vsaa-ep52-query\.yaml:1: from\.query\.service: "vsaa-ep51" is already the service of route vsaa-ep51-query/);
  });

  it('names a certificate that cannot be read or is not a certificate, and an agency without endpoint', () => {
    // Only the vsaa entry's certificate (the one after "id: vsaa").
    const cert = (text: string) => (t: string) => t.replace(/(id: vsaa\n(?: {4}.*\n)*? {4})certificate: \|\n(?: {6}.*\n)+/, `$1certificate: ${text}\n`);
    const missing = lint({ 'partners.yaml': cert('certs/vsa.pem') });
    assert.match(missing.join('\n'), /partners\.yaml:\d+: partners\[5\]\.certificate: cannot read the certificate file "certs\/vsa\.pem" \(ENOENT\)/);
    const notPem = lint({ 'partners.yaml': cert('partners.yaml') });
    assert.match(notPem.join('\n'), /partners\[5\]\.certificate: "partners\.yaml" is not a PEM X\.509 certificate/);
    const noEndpoint = lint({ 'partners.yaml': (t) => t.replace(/ {4}endpoint: https:\/\/vsaa.*\n/, '') });
    assert.equal(noEndpoint.length, 3, noEndpoint.join('\n'));
    assert.match(noEndpoint[0], /vsaa-ep50-query\.yaml:6: steps\[0\]\.call: vsaa\/get-deductions calls the vsaa partner, and partners\.yaml's vsaa lacks endpoint or certificate/);
    const badUrl = lint({ 'partners.yaml': (t) => t.replace('endpoint: https://', 'endpoint: ftp://') });
    assert.match(badUrl.join('\n'), /partners\[5\]\.endpoint: "ftp:\/\/vsaa\.invalid\/ep\/PensionInfo" must be a URL starting with https:\/\//);
  });

  it('checks the policies against the partners schema', () => {
    const p = lint({ 'partners.yaml': (t) => t.replace('rateLimit: { perSecond: 20, maxWait: 2s }', 'rateLimit: { perSecnd: 20 }') });
    assert.match(p.join('\n'), /partners\[5\]\.policies\.rateLimit\.perSecond: required but missing/);
    assert.match(p.join('\n'), /partners\[5\]\.policies\.rateLimit\.perSecnd: unknown key "perSecnd" \(did you mean "perSecond"\?\)/);
  });
});
