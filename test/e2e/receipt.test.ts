import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad } from '../helpers/api.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
const key = KEYS['sopa-riga'];

/** Debian's xmlsec1, an implementation independent of the hub's xml-crypto. */
function xmlsecVerify(dir: string, xml: string, certPem: string): { ok: boolean; out: string } {
  const doc = join(dir, `r-${Math.random()}.xml`);
  const cert = join(dir, 'hub.pem');
  writeFileSync(doc, xml);
  writeFileSync(cert, certPem);
  const r = spawnSync('xmlsec1', ['--verify', '--pubkey-cert-pem', cert, doc], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

describe('signed load receipt', function () {
  let t: TestHub;
  let dir: string;
  before(async () => { t = await startTestHub(); dir = mkdtempSync(join(tmpdir(), 'receipt-')); });
  after(async () => { await t?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('carries the counts and every batch sha256, and xmlsec1 verifies it with the published certificate', async () => {
    const load = await pushLoad(t.url, key, { source: 'sopa', municipality: '0001000', period: '2026-10' }, [EXAMPLE]);
    const r = await call(t.url, 'GET', `/api/v1/loads/${load.id}/receipt`, { key });
    assert.equal(r.status, 200);
    const xml = r.body as string;
    assert.match(xml, /<Records received="5" accepted="5" rejected="0"\/>/);
    const sha = (await call(t.url, 'PUT', `/api/v1/loads/${load.id}/batches/1`, { key, body: EXAMPLE })).body.sha256;
    assert.match(xml, new RegExp(`<Batch seq="1" sha256="${sha}"`));
    assert.match(xml, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/);
    assert.match(xml, /CanonicalizationMethod Algorithm="http:\/\/www\.w3\.org\/2001\/10\/xml-exc-c14n#"/);
    const cert = await call(t.url, 'GET', '/api/v1/certificate');
    assert.match(cert.body as string, /^-----BEGIN CERTIFICATE-----/);
    const v = xmlsecVerify(dir, xml, cert.body as string);
    assert.ok(v.ok, v.out);

    const altered = xml.replace('accepted="5" rejected="0"', 'accepted="6" rejected="0"');
    assert.notEqual(altered, xml);
    assert.equal(xmlsecVerify(dir, altered, cert.body as string).ok, false, 'a receipt altered by one byte must not verify');
  });

  it('is not issued before the load is done (409)', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: '2026-10' } });
    const r = await call(t.url, 'GET', `/api/v1/loads/${created.body.id}/receipt`, { key });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'HUB_ERR_RECEIPT_NOT_READY');
  });
});
