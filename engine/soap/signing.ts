/**
 * The hub's signing identity (RSA-2048 key + self-signed X.509 certificate) and enveloped
 * XML-DSig (RSA-SHA256, exclusive c14n) of the documents it issues, such as load receipts.
 * Configured with HUB_SIGNING_KEY_FILE / HUB_SIGNING_CERT_FILE (PEM); otherwise a key is made on
 * first start and kept under <dataDir>/keys, so receipts stay verifiable across restarts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

export interface SigningIdentity {
  keyPem: string;
  certPem: string;
}

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export async function createSigningIdentity(commonName = 'spolis-hub'): Promise<SigningIdentity> {
  // Loaded only when a key pair is made (once per data directory), not at every start.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Labklājības ministrija' }, { name: 'countryName', value: 'LV' }], {
    keySize: 2048, days: 3650, algorithm: 'sha256',
  } as Parameters<typeof generate>[1]);
  return { keyPem: pems.private, certPem: pems.cert };
}

export async function loadSigningIdentity(dataDir: string): Promise<SigningIdentity> {
  const keyFile = process.env.HUB_SIGNING_KEY_FILE;
  const certFile = process.env.HUB_SIGNING_CERT_FILE;
  if (keyFile && certFile) return { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
  const dir = join(dataDir, 'keys');
  const k = join(dir, 'hub-signing-key.pem');
  const c = join(dir, 'hub-signing-cert.pem');
  if (existsSync(k) && existsSync(c)) return { keyPem: readFileSync(k, 'utf8'), certPem: readFileSync(c, 'utf8') };
  const id = await createSigningIdentity();
  mkdirSync(dir, { recursive: true });
  writeFileSync(k, id.keyPem, { mode: 0o600 });
  writeFileSync(c, id.certPem);
  return id;
}

/** Appends an enveloped signature over the whole document (Reference URI="") to its root. */
export function signEnveloped(xml: string, id: SigningIdentity): string {
  const sig = new SignedXml({ privateKey: id.keyPem, publicCert: id.certPem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath: '/*', transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256, isEmptyUri: true });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
  return sig.getSignedXml();
}
