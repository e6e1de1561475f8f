/**
 * WS-Security 1.1 for SOAP 1.1 messages (partners/README.md): an X.509 BinarySecurityToken, a
 * wsu:Timestamp, and an XML signature (RSA-SHA256, exclusive c14n) over soap:Body and the
 * Timestamp, referenced by wsu:Id, with a SecurityTokenReference to the token.
 *
 * Signing and verifying are done here rather than through xml-crypto because of cost: xml-crypto
 * spends most of a message's time in xmldom and XPath (bench/soap-crypto.ts has the figures). The
 * signer knows the shape it writes, so it canonicalizes only the Body it was given and writes the
 * Timestamp and SignedInfo directly in canonical form; the verifier walks one parsed tree. Both are
 * byte-compatible with xmlsec1 and xml-crypto (test/soap/ws-security-interop.test.ts).
 */
import { createHash, createPrivateKey, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { excC14n } from '../xml/c14n.ts';
import { EXC_C14N, RSA_SHA256, SHA256, type SigningIdentity } from './signing.ts';
import {
  attrValue, childElement, childElements, lookupNamespace, parseXmlTree, textOf, XmlTreeError, type XElement,
} from '../xml/tree.ts';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const X509V3_TOKEN = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
export const BASE64_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface SignEnvelopeOptions {
  now?: Date;
  /** Lifetime written into wsu:Expires. @defaultValue 300 */
  ttlSeconds?: number;
}

/**
 * XML that is already its own exclusive canonical form inside a soap:Body, as soapPayload and
 * soapFault build it (engine/soap/exchange.ts). Only those builders make one, which is what lets
 * signSoapBody skip parsing.
 */
export type CanonicalXml = string & { readonly __canonical: unique symbol };

export interface VerifyEnvelopeOptions {
  now?: Date;
  /** A Timestamp created longer ago than this is stale. @defaultValue 300 */
  maxSkewSeconds?: number;
  /** Clock difference between hosts tolerated for a Created in the future. @defaultValue 5 */
  maxFutureSeconds?: number;
}

export type VerifyEnvelopeResult =
  | {
    ok: true;
    /** The soap:Body that was signed; read the message from here and nowhere else. */
    body: XElement;
    /** The Body's first child element (the operation's request or response), if any. */
    payload: XElement | undefined;
    created: string;
    expires?: string;
    /** The wsu:Id values the signature covers (Body and Timestamp among them). */
    signedIds: string[];
  }
  | { ok: false; code: 'SIGNATURE_INVALID'; reason: string };

// Keys and certificates are parsed once: PEM parsing costs about as much as an RSA verify.
const privateKeys = new Map<string, KeyObject>();
const certificates = new Map<string, { publicKey: KeyObject; derBase64: string }>();

function privateKeyOf(pem: string): KeyObject {
  let k = privateKeys.get(pem);
  if (!k) {
    if (privateKeys.size > 64) privateKeys.clear();
    privateKeys.set(pem, (k = createPrivateKey(pem)));
  }
  return k;
}

function certificateOf(pem: string): { publicKey: KeyObject; derBase64: string } {
  let c = certificates.get(pem);
  if (!c) {
    const x = new X509Certificate(pem);
    if (certificates.size > 256) certificates.clear();
    certificates.set(pem, (c = { publicKey: x.publicKey, derBase64: x.raw.toString('base64') }));
  }
  return c;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('base64');

const reference = (id: string, digest: string): string =>
  `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>`
  + `<ds:DigestMethod Algorithm="${SHA256}"></ds:DigestMethod><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;

/** The Envelope's Header (if any) and Body, or an error naming what is wrong with its shape. */
function envelopeParts(root: XElement): { header?: XElement; body: XElement } {
  if (root.uri !== SOAP11_NS || root.local !== 'Envelope') throw new Error('the document is not a SOAP 1.1 Envelope');
  const kids = childElements(root);
  const [first, second] = kids;
  if (kids.length === 1 && first.uri === SOAP11_NS && first.local === 'Body') return { body: first };
  if (kids.length === 2 && first.uri === SOAP11_NS && first.local === 'Header' && second.uri === SOAP11_NS && second.local === 'Body') {
    return { header: first, body: second };
  }
  throw new Error('a SOAP 1.1 Envelope holds an optional Header and then a Body, nothing else');
}

/** The wsse:Security header signing the Body (by its id and the digest of its canonical form) and a new Timestamp. */
function securityHeader(identity: SigningIdentity, opts: SignEnvelopeOptions, suffix: string, bodyId: string, bodyDigest: string, mustUnderstand: string): string {
  const key = privateKeyOf(identity.keyPem);
  const token = certificateOf(identity.certPem).derBase64;
  const tsId = `TS-${suffix}`;
  const tokenId = `X509-${suffix}`;
  const now = opts.now ?? new Date();
  const created = now.toISOString();
  const expires = new Date(now.getTime() + (opts.ttlSeconds ?? 300) * 1000).toISOString();
  const tsInner = `<wsu:Created>${created}</wsu:Created><wsu:Expires>${expires}</wsu:Expires></wsu:Timestamp>`;
  // The Timestamp's and SignedInfo's canonical forms are written rather than computed: their shape is ours.
  const tsDigest = sha256(`<wsu:Timestamp xmlns:wsu="${WSU_NS}" wsu:Id="${tsId}">${tsInner}`);
  const siInner = `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>`
    + `<ds:SignatureMethod Algorithm="${RSA_SHA256}"></ds:SignatureMethod>`
    + reference(tsId, tsDigest) + reference(bodyId, bodyDigest);
  const signature = sign('sha256', Buffer.from(`<ds:SignedInfo xmlns:ds="${DS_NS}">${siInner}</ds:SignedInfo>`, 'utf8'), key).toString('base64');
  return `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"${mustUnderstand}>`
    + `<wsu:Timestamp wsu:Id="${tsId}">${tsInner}`
    + `<wsse:BinarySecurityToken EncodingType="${BASE64_ENCODING}" ValueType="${X509V3_TOKEN}" wsu:Id="${tokenId}">${token}</wsse:BinarySecurityToken>`
    + `<ds:Signature xmlns:ds="${DS_NS}"><ds:SignedInfo>${siInner}</ds:SignedInfo><ds:SignatureValue>${signature}</ds:SignatureValue>`
    + `<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${X509V3_TOKEN}"/></wsse:SecurityTokenReference></ds:KeyInfo>`
    + '</ds:Signature></wsse:Security>';
}

/**
 * A signed SOAP 1.1 message around `content` (a payload or a fault from soapPayload/soapFault).
 * The hub's own path: the content is canonical by construction, so nothing is parsed and the
 * cost is two SHA-256 digests and one RSA signature. Same output shape as signEnvelope.
 */
export function signSoapBody(content: CanonicalXml, identity: SigningIdentity, opts: SignEnvelopeOptions = {}): string {
  const suffix = randomBytes(8).toString('hex');
  const bodyId = `Body-${suffix}`;
  const bodyAttrs = ` xmlns:wsu="${WSU_NS}" wsu:Id="${bodyId}"`;
  const bodyDigest = sha256(`<soap:Body xmlns:soap="${SOAP11_NS}"${bodyAttrs}>${content}</soap:Body>`);
  const security = securityHeader(identity, opts, suffix, bodyId, bodyDigest, ' soap:mustUnderstand="1"');
  return `<soap:Envelope xmlns:soap="${SOAP11_NS}"><soap:Header>${security}</soap:Header><soap:Body${bodyAttrs}>${content}</soap:Body></soap:Envelope>`;
}

/**
 * Signs a SOAP 1.1 envelope: adds a wsse:Security header (Timestamp, BinarySecurityToken,
 * Signature) and a wsu:Id on the Body, leaving every other byte of `envelopeXml` as it was.
 * Throws for a document that is not a SOAP 1.1 envelope or that already carries wsse:Security.
 */
export function signEnvelope(envelopeXml: string, identity: SigningIdentity, opts: SignEnvelopeOptions = {}): string {
  const root = parseXmlTree(envelopeXml);
  const { header, body } = envelopeParts(root);
  if (header && childElement(header, WSSE_NS, 'Security')) throw new Error('the envelope already has a wsse:Security header');
  const suffix = randomBytes(8).toString('hex');
  let bodyId = attrValue(body, WSU_NS, 'Id');
  let bodyAttrs = '';
  if (bodyId === undefined) {
    bodyId = `Body-${suffix}`;
    const bound = lookupNamespace(body, 'wsu');
    if (bound === undefined) {
      (body.ns ??= {}).wsu = WSU_NS;
      bodyAttrs += ` xmlns:wsu="${WSU_NS}"`;
    } else if (bound !== WSU_NS) {
      throw new Error('the prefix wsu is bound to another namespace than WS-Security utility');
    }
    body.attrs.push({ qname: 'wsu:Id', prefix: 'wsu', local: 'Id', uri: WSU_NS, value: bodyId });
    bodyAttrs += ` wsu:Id="${bodyId}"`;
  }
  const envPrefix = root.prefix;
  const mustUnderstand = envPrefix && lookupNamespace(header ?? root, envPrefix) === SOAP11_NS
    ? ` ${envPrefix}:mustUnderstand="1"` : ` xmlns:soapenv="${SOAP11_NS}" soapenv:mustUnderstand="1"`;
  const security = securityHeader(identity, opts, suffix, bodyId, sha256(excC14n(body)), mustUnderstand);

  // Splice from the end backwards so that earlier offsets stay valid.
  const bodyAt = body.openEnd - (body.selfClosing ? 2 : 1);
  let out = envelopeXml.slice(0, bodyAt) + bodyAttrs + envelopeXml.slice(bodyAt);
  if (!header) {
    const h = envPrefix ? `${envPrefix}:Header` : 'Header';
    out = out.slice(0, root.openEnd) + `<${h}>${security}</${h}>` + out.slice(root.openEnd);
  } else if (header.selfClosing) {
    out = out.slice(0, header.openEnd - 2) + `>${security}</${header.qname}>` + out.slice(header.openEnd);
  } else {
    out = out.slice(0, header.openEnd) + security + out.slice(header.openEnd);
  }
  return out;
}

class Rejected extends Error {}
function reject(reason: string): never {
  throw new Rejected(reason);
}

/**
 * Verifies a signed SOAP 1.1 message against the partner's registered certificate (the token the
 * message carries is never trusted). Valid only if the signature covers both this Envelope's Body
 * and this Security header's Timestamp, every reference digest matches, and the Timestamp is
 * fresh. Never throws: anything unverifiable, malformed XML and DOCTYPEs included, is a rejection.
 */
export function verifyEnvelope(xml: string, trustedCertPem: string, opts: VerifyEnvelopeOptions = {}): VerifyEnvelopeResult {
  try {
    return verifyOrThrow(xml, trustedCertPem, opts);
  } catch (e) {
    const reason = e instanceof Rejected ? e.message
      : e instanceof XmlTreeError ? `the message is not acceptable XML: ${e.message}`
        : `the message could not be verified: ${(e as Error).message}`;
    return { ok: false, code: 'SIGNATURE_INVALID', reason };
  }
}

function verifyOrThrow(xml: string, trustedCertPem: string, opts: VerifyEnvelopeOptions): VerifyEnvelopeResult {
  const trusted = certificateOf(trustedCertPem);
  const root = parseXmlTree(xml);
  let parts: { header?: XElement; body: XElement };
  try { parts = envelopeParts(root); } catch (e) { return reject((e as Error).message); }
  const { header, body } = parts;
  const securities = header ? childElements(header).filter((e) => e.uri === WSSE_NS && e.local === 'Security') : [];
  if (securities.length === 0) reject('the message is unsigned: no wsse:Security header');
  if (securities.length > 1) reject('more than one wsse:Security header');
  const security = securities[0];
  const timestamps = childElements(security).filter((e) => e.uri === WSU_NS && e.local === 'Timestamp');
  const signatures = childElements(security).filter((e) => e.uri === DS_NS && e.local === 'Signature');
  if (signatures.length !== 1) reject(signatures.length ? 'more than one ds:Signature' : 'the message is unsigned: no ds:Signature');
  if (timestamps.length !== 1) reject(timestamps.length ? 'more than one wsu:Timestamp' : 'no wsu:Timestamp');
  const timestamp = timestamps[0];

  const ids = new Map<string, XElement>();
  collectIds(root, ids);
  const [signedInfo, signatureValue] = childElements(signatures[0]);
  if (!isDs(signedInfo, 'SignedInfo')) reject('ds:Signature has no SignedInfo');
  if (!isDs(signatureValue, 'SignatureValue')) reject('ds:Signature has no SignatureValue');
  const siChildren = childElements(signedInfo);
  const c14nMethod = siChildren[0];
  if (!isDs(c14nMethod, 'CanonicalizationMethod') || attrValue(c14nMethod, '', 'Algorithm') !== EXC_C14N) reject('SignedInfo must use exclusive c14n');
  if (!isDs(siChildren[1], 'SignatureMethod') || attrValue(siChildren[1], '', 'Algorithm') !== RSA_SHA256) reject('the signature method must be RSA-SHA256');

  const signed = new Set<XElement>();
  const signedIds: string[] = [];
  for (const ref of siChildren.slice(2)) {
    if (!isDs(ref, 'Reference')) reject(`unexpected ${ref.qname} in SignedInfo`);
    const uri = attrValue(ref, '', 'URI') ?? '';
    const target = uri.startsWith('#') ? ids.get(uri.slice(1)) : undefined;
    if (!target) reject(`reference ${JSON.stringify(uri)} does not name an element of the message`);
    const [transforms, digestMethod, digestValue, extra] = childElements(ref);
    const transformList = isDs(transforms, 'Transforms') ? childElements(transforms) : [];
    if (transformList.length !== 1 || !isDs(transformList[0], 'Transform') || attrValue(transformList[0], '', 'Algorithm') !== EXC_C14N) {
      reject(`reference ${uri} must have exactly the exclusive c14n transform`);
    }
    if (!isDs(digestMethod, 'DigestMethod') || attrValue(digestMethod, '', 'Algorithm') !== SHA256) reject(`reference ${uri} must use SHA-256`);
    if (!isDs(digestValue, 'DigestValue') || extra) reject(`reference ${uri} must end with its DigestValue`);
    const digest = createHash('sha256').update(excC14n(target!, inclusivePrefixes(transformList[0])), 'utf8').digest();
    if (!digest.equals(Buffer.from(textOf(digestValue).trim(), 'base64'))) {
      reject(`the digest of ${target!.qname} does not match: the ${target === body ? 'Body' : target === timestamp ? 'Timestamp' : 'element'} was altered`);
    }
    signed.add(target!);
    signedIds.push(uri.slice(1));
  }
  if (!signed.has(body)) reject('the signature does not cover the soap:Body');
  if (!signed.has(timestamp)) reject('the signature does not cover the wsu:Timestamp');

  const sigBytes = Buffer.from(textOf(signatureValue).replace(/\s+/g, ''), 'base64');
  const siC14n = excC14n(signedInfo, inclusivePrefixes(c14nMethod));
  if (!verify('sha256', Buffer.from(siC14n, 'utf8'), trusted.publicKey, sigBytes)) {
    const tokens = childElements(security).filter((e) => e.uri === WSSE_NS && e.local === 'BinarySecurityToken');
    const other = tokens.length > 0 && tokens.every((t) => textOf(t).replace(/\s+/g, '') !== trusted.derBase64);
    reject(other ? 'the message is signed with a certificate other than the one registered for this partner'
      : 'the signature value does not verify with the registered certificate');
  }

  const created = textOf(childElement(timestamp, WSU_NS, 'Created') ?? reject('wsu:Timestamp has no Created')).trim();
  const expiresEl = childElement(timestamp, WSU_NS, 'Expires');
  const expires = expiresEl ? textOf(expiresEl).trim() : undefined;
  const now = (opts.now ?? new Date()).getTime();
  const createdMs = instant(created);
  if (createdMs > now + (opts.maxFutureSeconds ?? 5) * 1000) reject(`the Timestamp is from the future (Created ${created})`);
  if (now - createdMs > (opts.maxSkewSeconds ?? 300) * 1000) reject(`the Timestamp is stale (Created ${created})`);
  if (expires !== undefined && now > instant(expires)) reject(`the Timestamp has expired (Expires ${expires})`);

  const payload = childElements(body)[0];
  return { ok: true, body, payload, created, ...(expires === undefined ? {} : { expires }), signedIds };
}

const isDs = (el: XElement | undefined, local: string): boolean => el !== undefined && el.uri === DS_NS && el.local === local;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function instant(s: string): number {
  const ms = DATE_TIME.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? reject(`${JSON.stringify(s)} is not a date-time with an offset`) : ms;
}

function inclusivePrefixes(transform: XElement): string[] {
  const ns = childElement(transform, EXC_C14N, 'InclusiveNamespaces');
  const list = ns ? attrValue(ns, '', 'PrefixList') : undefined;
  return list ? list.trim().split(/\s+/) : [];
}

/** Every wsu:Id (and plain Id) in the message; an id used twice is refused, which defeats wrapping. */
function collectIds(el: XElement, ids: Map<string, XElement>): void {
  for (const a of el.attrs) {
    if (a.local === 'Id' && (a.uri === WSU_NS || a.uri === '')) {
      if (ids.has(a.value)) reject(`the id ${JSON.stringify(a.value)} is used twice`);
      ids.set(a.value, el);
    }
  }
  for (const c of el.children) if (typeof c === 'object' && 'local' in c) collectIds(c, ids);
}
