/**
 * Issue 15: the hub's own exclusive c14n held to xmlsec1's (libxml2's) on generated documents.
 * Each document is a SOAP Body payload with fuzzed namespaces (default and prefixed, declared high
 * or low, unused, redeclared, shadowed), attributes (namespaced, in any order, values needing
 * escapes: & < > " tab newline carriage return), whitespace, text needing escapes, non-ASCII
 * characters, comments and processing instructions. Both directions:
 * - the hub signs, xmlsec1 verifies: the hub's digest of the Body equals libxml2's c14n of it;
 * - xmlsec1 signs a template holding the same payload, the hub verifies.
 * A seed and a count: C14N_CORPUS_SEED and C14N_CORPUS_COUNT (default 40 each way; the long run
 * used while writing it: 1,000).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createSigningIdentity, signEnvelope, verifyEnvelope, type SigningIdentity } from '../../engine/index.ts';
import { createRng, type Rng } from '../../engine/simulators/index.ts';
import { Scratch, xmlsecSign, xmlsecVerify } from './tools.ts';

const SEED = Number(process.env.C14N_CORPUS_SEED ?? 20261204);
const COUNT = Number(process.env.C14N_CORPUS_COUNT ?? 40);
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const X509 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
const URIS = ['urn:a', 'urn:b', 'http://example.com/ns', 'urn:lv:vsaa:ep:1', ''] as const;
const PREFIXES = ['a', 'b', 'x', 'ns1', 'soap', 'wsu'] as const;
const TEXT = ['Ā', 'š', 'Ļubova', '😀', ' ', '\n  ', '\t', '&amp;', '&lt;', '&gt;', '"', "'", '&#13;', '&#x9;', 'plain', '123', '>', ']]&gt;'] as const;
const ATTR = ['v', '&amp;', '&lt;', '&gt;', '&quot;', "'", '&#9;', '&#10;', '&#13;', 'Ā', ' two  spaces '] as const;

/** A random element; `declared` are the prefixes in scope (prefix → uri). */
function element(rng: Rng, depth: number, declared: Map<string, string>): string {
  const scope = new Map(declared);
  const decls: string[] = [];
  // Namespace declarations: a new default, a new or redeclared prefix, sometimes one never used.
  if (rng.next() < 0.4) { const u = pick(rng, URIS); decls.push(`xmlns="${u}"`); scope.set('', u); }
  for (let i = 0, n = Math.floor(rng.next() * 3); i < n; i++) {
    const p = pick(rng, PREFIXES), u = pick(rng, URIS.filter((x) => x !== ''));
    if (!decls.some((d) => d.startsWith(`xmlns:${p}=`))) { decls.push(`xmlns:${p}="${u}"`); scope.set(p, u); }
  }
  const prefixed = [...scope.keys()].filter((p) => p !== '' && p !== 'xml');
  const name = (rng.next() < 0.5 && prefixed.length ? `${pick(rng, prefixed)}:` : '') + pick(rng, ['E', 'Item', 'Vārds', 'n-1', 'x.y']);
  const attrs: string[] = [];
  const used = new Set<string>();
  for (let i = 0, n = Math.floor(rng.next() * 4); i < n; i++) {
    const q = (rng.next() < 0.4 && prefixed.length ? `${pick(rng, prefixed)}:` : '') + pick(rng, ['a', 'b', 'id', 'Z', 'ā']);
    const local = q.slice(q.indexOf(':') + 1), uri = q.includes(':') ? scope.get(q.slice(0, q.indexOf(':'))) : '';
    if (used.has(`${uri}|${local}`)) continue;
    used.add(`${uri}|${local}`);
    attrs.push(`${q}="${Array.from({ length: 1 + Math.floor(rng.next() * 3) }, () => pick(rng, ATTR)).join('')}"`);
  }
  // Declarations and attributes interleaved in any order: c14n sorts them, the input need not.
  const all = [...decls, ...attrs].sort(() => rng.next() - 0.5);
  const children: string[] = [];
  for (let i = 0, n = depth > 0 ? Math.floor(rng.next() * 4) : 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.5) children.push(element(rng, depth - 1, scope));
    else if (r < 0.8) children.push(pick(rng, TEXT));
    else if (r < 0.9) children.push('<!-- a comment -->');
    else children.push('<?pi data?>');
  }
  const open = `<${name}${all.length ? ' ' + all.join(pick(rng, [' ', '\n    ', '  '])) : ''}`;
  return children.length || rng.next() < 0.5 ? `${open}>${children.join('')}</${name}>` : `${open}${pick(rng, ['/>', ' />'])}`;
}

/** The payload: one element under the Body, in a namespace (SOAP payloads are qualified). */
const payload = (rng: Rng): string => `<p:Request xmlns:p="urn:payload">${element(rng, 3, new Map([['p', 'urn:payload']]))}</p:Request>`;

function template(id: SigningIdentity, body: string): string {
  const token = new X509Certificate(id.certPem).raw.toString('base64');
  const ref = (uri: string) => `<ds:Reference URI="#${uri}"><ds:Transforms><ds:Transform Algorithm="${EXC}"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>`;
  const created = new Date();
  return `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}" xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"><soap:Header><wsse:Security soap:mustUnderstand="1"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>${created.toISOString()}</wsu:Created><wsu:Expires>${new Date(created.getTime() + 300_000).toISOString()}</wsu:Expires></wsu:Timestamp><wsse:BinarySecurityToken EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary" ValueType="${X509}" wsu:Id="X509-1">${token}</wsse:BinarySecurityToken><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC}"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>${ref('Body-1')}${ref('TS-1')}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#X509-1" ValueType="${X509}"/></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security></soap:Header><soap:Body wsu:Id="Body-1">${body}</soap:Body></soap:Envelope>
`;
}

describe(`exclusive c14n held to xmlsec1 on ${COUNT} generated documents each way (seed ${SEED})`, function () {
  this.timeout(120_000);
  let id: SigningIdentity;
  let scratch: Scratch;
  before(async () => { id = await createSigningIdentity('c14n corpus'); scratch = new Scratch(); });
  after(() => scratch.dispose());

  it('xmlsec1 verifies every envelope the hub signs', () => {
    const rng = createRng(SEED);
    const failures: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const body = payload(rng);
      const signed = signEnvelope(`<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP}"><soap:Body>${body}</soap:Body></soap:Envelope>`, id);
      const v = xmlsecVerify(scratch, signed, id.certPem);
      if (!v.ok) failures.push(`#${i}: ${body}\n${v.out.slice(0, 300)}`);
    }
    assert.deepEqual(failures, []);
  });

  it('the hub verifies every envelope xmlsec1 signs', () => {
    const rng = createRng(SEED + 1);
    const failures: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const body = payload(rng);
      const signed = xmlsecSign(scratch, template(id, body), id.keyPem, id.certPem);
      const v = verifyEnvelope(signed, id.certPem);
      if (!v.ok) failures.push(`#${i}: ${body}\n${v.reason}`);
    }
    assert.deepEqual(failures, []);
  });
});
