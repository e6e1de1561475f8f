/**
 * Issue 15: the published families of XML signature wrapping and reference tricks, each against
 * the hub's own verifyEnvelope. Two kinds of attacker:
 * - one who holds a message the partner signed and rearranges it (SignedInfo untouched, so the
 *   signature value still verifies): the structure must be refused;
 * - one whose SignedInfo says something the profile does not allow (XPointer, other transforms,
 *   a signature over a wrapper): here the SignedInfo is re-signed with the partner's own key, so
 *   only the verifier's rules, not a broken signature value, can refuse it.
 * Every case must come back SIGNATURE_INVALID; none may hand over a payload.
 */
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import {
  createSigningIdentity, excC14n, parseXmlTree, signEnvelope, verifyEnvelope, type SigningIdentity, type XElement,
} from '../../engine/index.ts';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENVELOPE = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}"><soap:Body><Q xmlns="urn:q"><P>16117519997</P></Q></soap:Body></soap:Envelope>`;
const FORGED = '<Q xmlns="urn:q"><P>01010112345</P></Q>';

function refused(xml: string, certPem: string, reason: RegExp): void {
  const r = verifyEnvelope(xml, certPem);
  assert.equal(r.ok, false, 'the message must be refused');
  if (r.ok) return;
  assert.equal(r.code, 'SIGNATURE_INVALID');
  assert.match(r.reason, reason);
}

/** The element of `root` with this local name, depth first. */
function find(el: XElement, local: string): XElement | undefined {
  if (el.local === local) return el;
  for (const c of el.children) if (typeof c === 'object' && 'local' in c) { const f = find(c, local); if (f) return f; }
  return undefined;
}

/** Signs the message's SignedInfo again with `keyPem`, as the holder of the partner's key could. */
function resign(xml: string, keyPem: string): string {
  const signedInfo = find(parseXmlTree(xml), 'SignedInfo')!;
  const value = sign('sha256', Buffer.from(excC14n(signedInfo), 'utf8'), keyPem).toString('base64');
  return xml.replace(/<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, `<ds:SignatureValue>${value}</ds:SignatureValue>`);
}

describe('WS-Security: signature wrapping and reference tricks are refused', () => {
  let partner: SigningIdentity;
  let stranger: SigningIdentity;
  let signed: string;
  let bodyId: string;
  let body: string;
  before(async () => {
    [partner, stranger] = await Promise.all([createSigningIdentity('partner'), createSigningIdentity('stranger')]);
    signed = signEnvelope(ENVELOPE, partner);
    bodyId = /<soap:Body [^>]*wsu:Id="([^"]+)"/.exec(signed)![1];
    body = /<soap:Body [^>]*>.*<\/soap:Body>/s.exec(signed)![0];
  });

  it('accepts the untouched message and resign keeps it valid (the harness itself is sound)', () => {
    assert.equal(verifyEnvelope(signed, partner.certPem).ok, true);
    assert.equal(verifyEnvelope(resign(signed, partner.keyPem), partner.certPem).ok, true);
  });

  it('moved Body: the signed Body hidden in the header, a forged one in its place', () => {
    const forged = signed.replace(body, `<soap:Body>${FORGED}</soap:Body>`).replace('</wsse:Security>', `</wsse:Security><W xmlns="urn:w">${body}</W>`);
    refused(forged, partner.certPem, /does not cover the soap:Body/);
  });

  it('duplicated Body: a forged second Body beside the signed one, before it or after it', () => {
    refused(signed.replace(body, `${body}<soap:Body>${FORGED}</soap:Body>`), partner.certPem, /Body|Envelope/);
    refused(signed.replace(body, `<soap:Body>${FORGED}</soap:Body>${body}`), partner.certPem, /Body|Envelope/);
  });

  it('duplicated Id: the forged Body carries the signed id, the signed one hides elsewhere', () => {
    const forged = signed.replace(body, body.replace(/<Q xmlns="urn:q">.*<\/Q>/s, FORGED)).replace('</wsse:Security>', `</wsse:Security><W xmlns="urn:w">${body}</W>`);
    refused(forged, partner.certPem, /used twice/);
  });

  it('shadowed Id: the same id as a plain Id attribute on another element', () => {
    refused(signed.replace('<soap:Header>', `<soap:Header><W xmlns="urn:w" Id="${bodyId}"/>`), partner.certPem, /used twice/);
  });

  it('Timestamp outside Security: moved into the Header beside it', () => {
    const ts = /<wsu:Timestamp [^>]*>.*?<\/wsu:Timestamp>/s.exec(signed)![0];
    const moved = signed.replace(ts, '').replace('</wsse:Security>', `</wsse:Security>${ts.replace('<wsu:Timestamp ', `<wsu:Timestamp xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" `)}`);
    refused(moved, partner.certPem, /no wsu:Timestamp/);
  });

  it('a second Security header or a second Signature carrying the forged message', () => {
    const security = /<wsse:Security .*<\/wsse:Security>/s.exec(signed)![0];
    refused(signed.replace('</soap:Header>', `${security}</soap:Header>`), partner.certPem, /more than one wsse:Security/);
    const signature = /<ds:Signature .*<\/ds:Signature>/s.exec(signed)![0];
    refused(signed.replace('</wsse:Security>', `${signature}</wsse:Security>`), partner.certPem, /more than one ds:Signature/);
  });

  it('signature over a wrapper: the signed element is a wrapper holding a copy of the Body, not the Body', () => {
    const wrapped = signed
      .replace(`URI="#${bodyId}"`, 'URI="#Wrapper-1"')
      .replace('</wsse:Security>', `</wsse:Security><W xmlns="urn:w" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="Wrapper-1">${body.replace(/ wsu:Id="[^"]+"/, '')}</W>`)
      .replace(body, `<soap:Body>${FORGED}</soap:Body>`);
    refused(resign(wrapped, partner.keyPem), partner.certPem, /digest|does not cover the soap:Body/);
  });

  it('a reference to the whole document (URI="") or by XPointer instead of by id', () => {
    refused(resign(signed.replace(`URI="#${bodyId}"`, 'URI=""'), partner.keyPem), partner.certPem, /does not name an element/);
    refused(resign(signed.replace(`URI="#${bodyId}"`, `URI="#xpointer(id('${bodyId}'))"`), partner.keyPem), partner.certPem, /does not name an element/);
    refused(resign(signed.replace(`URI="#${bodyId}"`, 'URI="#xpointer(/)"'), partner.keyPem), partner.certPem, /does not name an element/);
  });

  it('transforms other than one exclusive c14n: enveloped-signature, XPath, XSLT, inclusive c14n, two transforms', () => {
    const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
    const others = [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/TR/1999/REC-xpath-19991116',
      'http://www.w3.org/TR/1999/REC-xslt-19991116', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
    ];
    const bodyRef = new RegExp(`(<ds:Reference URI="#${bodyId}"><ds:Transforms>)<ds:Transform Algorithm="${EXC}"></ds:Transform>`);
    for (const alg of others) {
      refused(resign(signed.replace(bodyRef, `$1<ds:Transform Algorithm="${alg}"></ds:Transform>`), partner.keyPem), partner.certPem, /exactly the exclusive c14n transform/);
    }
    refused(resign(signed.replace(bodyRef, `$1<ds:Transform Algorithm="${others[0]}"></ds:Transform><ds:Transform Algorithm="${EXC}"></ds:Transform>`), partner.keyPem),
      partner.certPem, /exactly the exclusive c14n transform/);
    refused(resign(signed.replace(`<ds:CanonicalizationMethod Algorithm="${EXC}">`, `<ds:CanonicalizationMethod Algorithm="${others[3]}">`), partner.keyPem),
      partner.certPem, /SignedInfo must use exclusive c14n/);
  });

  it('KeyInfo pointing elsewhere: a stranger\'s token named by the reference changes nothing about whose key must have signed', () => {
    const token = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    const strangerToken = `<wsse:BinarySecurityToken EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3" wsu:Id="X509-stranger">${token(stranger.certPem)}</wsse:BinarySecurityToken>`;
    const pointed = signed.replace('<ds:Signature ', `${strangerToken}<ds:Signature `).replace(/(<wsse:Reference URI=")#X509-[^"]+"/, '$1#X509-stranger"');
    // Signed by the partner: still the partner's message, whatever KeyInfo names.
    assert.equal(verifyEnvelope(pointed, partner.certPem).ok, true);
    // Signed by the stranger and pointing at the partner's own token: refused, the key decides.
    const byStranger = signEnvelope(ENVELOPE, stranger);
    const partnerToken = `<wsse:BinarySecurityToken EncodingType="x" ValueType="x" wsu:Id="X509-partner">${token(partner.certPem)}</wsse:BinarySecurityToken>`;
    const lying = byStranger.replace('<ds:Signature ', `${partnerToken}<ds:Signature `).replace(/(<wsse:Reference URI=")#X509-[^"]+"/, '$1#X509-partner"');
    refused(lying, partner.certPem, /does not verify|signed with a certificate other/);
  });
});
