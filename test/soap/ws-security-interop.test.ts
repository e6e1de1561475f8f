import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createSigningIdentity, signEnvelope, signSoapBody, soapPayload, verifyEnvelope, type SigningIdentity } from '../../engine/index.ts';
import { Scratch, xmlsecSign, xmlsecVerify } from './tools.ts';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const X509 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';

const REQUEST = `<GetDeductionsRequest xmlns="urn:lv:vsaa:ep:1"><RequestId>r-1</RequestId><RequesterId>0001000</RequesterId><Purpose>Lieta Nr. 5 &amp; "Ā"</Purpose><PersonCode>16117519997</PersonCode><PeriodFrom>2026-01</PeriodFrom><PeriodTo>2026-06</PeriodTo></GetDeductionsRequest>`;

/**
 * A WS-Security message as another vendor's stack might write it: indented, commented, wsse and
 * wsu declared on the Envelope, a processing instruction in the Body, and InclusiveNamespaces
 * prefix lists (so the namespace rules of exclusive c14n are exercised against libxml2's).
 */
function template(id: SigningIdentity, created: Date, payload = REQUEST): string {
  const token = new X509Certificate(id.certPem).raw.toString('base64');
  const ref = (uri: string, prefixes: string) => `
          <ds:Reference URI="#${uri}">
            <ds:Transforms>
              <ds:Transform Algorithm="${EXC}"><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="${prefixes}"/></ds:Transform>
            </ds:Transforms>
            <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <ds:DigestValue/>
          </ds:Reference>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- signed by xmlsec1 from this template -->
<soap:Envelope xmlns:soap="${SOAP}" xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}">
  <soap:Header>
    <wsse:Security soap:mustUnderstand="1">
      <wsu:Timestamp wsu:Id="TS-x1">
        <wsu:Created>${created.toISOString()}</wsu:Created>
        <wsu:Expires>${new Date(created.getTime() + 300_000).toISOString()}</wsu:Expires>
      </wsu:Timestamp>
      <wsse:BinarySecurityToken EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary" ValueType="${X509}" wsu:Id="X509-x1">${token}</wsse:BinarySecurityToken>
      <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:SignedInfo>
          <ds:CanonicalizationMethod Algorithm="${EXC}"><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="soap"/></ds:CanonicalizationMethod>
          <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>${ref('Body-x1', 'wsse #default')}${ref('TS-x1', 'soap')}
        </ds:SignedInfo>
        <ds:SignatureValue/>
        <ds:KeyInfo>
          <wsse:SecurityTokenReference><wsse:Reference URI="#X509-x1" ValueType="${X509}"/></wsse:SecurityTokenReference>
        </ds:KeyInfo>
      </ds:Signature>
    </wsse:Security>
  </soap:Header>
  <soap:Body wsu:Id="Body-x1">
    <!-- the request -->
    <?audit partner="vsaa" ?>
    ${payload}
  </soap:Body>
</soap:Envelope>
`;
}

describe('WS-Security interoperability with xmlsec1', function () {
  this.timeout(20_000);
  let hub: SigningIdentity;
  let partner: SigningIdentity;
  let scratch: Scratch;
  before(async () => {
    [hub, partner] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('partner')]);
    scratch = new Scratch();
  });
  after(() => scratch.dispose());

  it('xmlsec1 verifies a message the hub signs, and refuses it altered', () => {
    const signed = signEnvelope(`<soap:Envelope xmlns:soap="${SOAP}"><soap:Body>${REQUEST}</soap:Body></soap:Envelope>`, hub);
    const ok = xmlsecVerify(scratch, signed, hub.certPem);
    assert.ok(ok.ok, ok.out);
    assert.match(ok.out, /SignedInfo References \(ok\/all\): 2\/2/);
    assert.equal(xmlsecVerify(scratch, signed.replace('16117519997', '16117519998'), hub.certPem).ok, false);
    assert.equal(xmlsecVerify(scratch, signed, partner.certPem).ok, false);
  });

  it('xmlsec1 verifies what signSoapBody writes without parsing, escapes included', () => {
    const payload = soapPayload('urn:lv:vsaa:ep:1', 'GetDeductionsRequest', [['Purpose', 'a & b < c > d "e" \r\n Ā 😀'], ['Empty', '']]);
    const ok = xmlsecVerify(scratch, signSoapBody(payload, hub), hub.certPem);
    assert.ok(ok.ok, ok.out);
  });

  it('xmlsec1 verifies the hub\'s signature on a pretty-printed envelope with comments and a default namespace', () => {
    const env = `<?xml version="1.0"?>\n<!-- c -->\n<Envelope xmlns="${SOAP}">\n  <Header/>\n  <Body>\n    <!-- x -->\n    ${REQUEST}\n  </Body>\n</Envelope>\n`;
    const ok = xmlsecVerify(scratch, signEnvelope(env, hub), hub.certPem);
    assert.ok(ok.ok, ok.out);
  });

  it('the hub accepts a message xmlsec1 signed from a template', () => {
    const signed = xmlsecSign(scratch, template(partner, new Date()), partner.keyPem, partner.certPem);
    assert.doesNotMatch(signed, /<ds:SignatureValue\/>/);
    const r = verifyEnvelope(signed, partner.certPem);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.payload?.local, 'GetDeductionsRequest');
    assert.deepEqual(r.signedIds.sort(), ['Body-x1', 'TS-x1']);
    // Checked both ways: xmlsec1 accepts its own output as well.
    assert.ok(xmlsecVerify(scratch, signed, partner.certPem).ok);
  });

  it('the hub refuses an xmlsec1-signed message that is altered, stale, or signed by another key', () => {
    const signed = xmlsecSign(scratch, template(partner, new Date()), partner.keyPem, partner.certPem);
    const altered = verifyEnvelope(signed.replace('Lieta Nr. 5', 'Lieta Nr. 6'), partner.certPem);
    assert.equal(altered.ok, false);
    assert.equal(verifyEnvelope(signed, hub.certPem).ok, false);
    const old = xmlsecSign(scratch, template(partner, new Date(Date.now() - 600_000)), partner.keyPem, partner.certPem);
    const stale = verifyEnvelope(old, partner.certPem);
    assert.ok(!stale.ok && /stale/.test(stale.reason), JSON.stringify(stale));
  });
});
