/**
 * Debian's libxml2 and xmlsec1 command-line tools, used as implementations independent of the
 * hub's own XML code: xmllint validates against the XSDs, xmlsec1 signs and verifies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { childElements, excC14n, isHubError, parseXmlTree, type ConnectorError } from '../../engine/index.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const XSD = (name: string): string => join(ROOT, 'schemas/xsd', name);

export interface ToolResult { ok: boolean; out: string }

export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'soap-test-'));
  private n = 0;
  file(content: string, ext = 'xml'): string {
    const p = join(this.dir, `f${++this.n}.${ext}`);
    writeFileSync(p, content);
    return p;
  }
  dispose(): void { rmSync(this.dir, { recursive: true, force: true }); }
}

export function run(cmd: string, args: string[]): ToolResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** Validates a document (a path or XML text) with `xmllint --schema`. */
export function xmllint(scratch: Scratch, schemaPath: string, xml: string): ToolResult {
  return run('xmllint', ['--noout', '--nonet', '--schema', schemaPath, xml.startsWith('<') ? scratch.file(xml) : xml]);
}

/** The Body's first element of a SOAP message, as a standalone document (its canonical form). */
export function soapPayloadOf(envelope: string): string {
  const root = parseXmlTree(envelope);
  const body = childElements(root).find((e) => e.local === 'Body')!;
  return excC14n(childElements(body)[0]);
}

const ID_ATTRS = [
  '--id-attr:Id', 'http://schemas.xmlsoap.org/soap/envelope/:Body',
  '--id-attr:Id', 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd:Timestamp',
];

export function xmlsecVerify(scratch: Scratch, xml: string, certPem: string): ToolResult {
  return run('xmlsec1', ['--verify', ...ID_ATTRS, '--pubkey-cert-pem', scratch.file(certPem, 'pem'), scratch.file(xml)]);
}

/** Signs a template (empty DigestValue and SignatureValue) with xmlsec1; returns the signed XML. */
export function xmlsecSign(scratch: Scratch, template: string, keyPem: string, certPem: string): string {
  const out = join(scratch.dir, `signed-${Date.now()}-${Math.random()}.xml`);
  const r = run('xmlsec1', ['--sign', ...ID_ATTRS, '--privkey-pem', `${scratch.file(keyPem, 'pem')},${scratch.file(certPem, 'pem')}`, '--output', out, scratch.file(template)]);
  if (!r.ok) throw new Error(`xmlsec1 --sign failed: ${r.out}`);
  return readFileSync(out, 'utf8');
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isHubError(e), String(e));
    return e as ConnectorError;
  }
  assert.fail('expected a rejection');
}
