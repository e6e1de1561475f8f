import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import {
  childElements, createSigningIdentity, excC14n, parseXmlTree, signEnvelope, signSoapBody, soapFault, soapPayload, textOf,
  verifyEnvelope, type SigningIdentity,
} from '../../engine/index.ts';
import { EXC_C14N, RSA_SHA256, SHA256 } from '../../engine/soap/signing.ts';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENVELOPE = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}">
  <soap:Body>
    <GetDeductionsRequest xmlns="urn:lv:vsaa:ep:1"><RequestId>r-1</RequestId><RequesterId>0001000</RequesterId><Purpose>Lieta Nr. 5 &amp; "Ā" &lt;x&gt;</Purpose><PersonCode>16117519997</PersonCode><PeriodFrom>2026-01</PeriodFrom><PeriodTo>2026-06</PeriodTo></GetDeductionsRequest>
  </soap:Body>
</soap:Envelope>
`;

/** xml-crypto, configured as STACK-NOTES.md says xmlsec1 agrees with, checking the hub's output. */
function xmlCryptoVerifies(xml: string, certPem: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sig = new SignedXml({ publicCert: certPem, idMode: 'wssecurity' });
  sig.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as unknown as Node);
  return sig.checkSignature(xml) && sig.getSignedReferences().length === 2;
}

function rejected(xml: string, certPem: string, reason: RegExp, opts = {}): void {
  const r = verifyEnvelope(xml, certPem, opts);
  assert.equal(r.ok, false, 'the message must be rejected');
  if (r.ok) return;
  assert.equal(r.code, 'SIGNATURE_INVALID');
  assert.match(r.reason, reason);
}

describe('WS-Security: signEnvelope / verifyEnvelope', () => {
  let hub: SigningIdentity;
  let other: SigningIdentity;
  before(async () => { [hub, other] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('someone else')]); });

  it('round-trips: the signature covers Body and Timestamp and the payload comes back', () => {
    const now = new Date();
    const signed = signEnvelope(ENVELOPE, hub, { now });
    const r = verifyEnvelope(signed, hub.certPem);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.payload?.local, 'GetDeductionsRequest');
    assert.equal(r.created, now.toISOString());
    assert.equal(r.signedIds.length, 2);
    assert.ok(r.signedIds.some((id) => id.startsWith('TS-')) && r.signedIds.some((id) => id.startsWith('Body-')));
    assert.match(signed, /<wsse:BinarySecurityToken EncodingType="[^"]+#Base64Binary" ValueType="[^"]+#X509v3"/);
    assert.match(signed, /<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#X509-/);
    assert.ok(signed.includes(`<ds:SignatureMethod Algorithm="${RSA_SHA256}">`) && signed.includes(`<ds:DigestMethod Algorithm="${SHA256}">`));
  });

  it('leaves every byte of the caller\'s envelope in place apart from the header and the Body\'s id', () => {
    const signed = signEnvelope(ENVELOPE, hub);
    const stripped = signed.replace(/<soap:Header>.*<\/soap:Header>/s, '').replace(/ xmlns:wsu="[^"]+" wsu:Id="[^"]+"/, '');
    assert.equal(stripped, ENVELOPE);
  });

  it('is accepted by xml-crypto as well (a third implementation)', () => {
    assert.ok(xmlCryptoVerifies(signEnvelope(ENVELOPE, hub), hub.certPem));
  });

  for (const [name, env] of [
    ['an existing Header', `<s:Envelope xmlns:s="${SOAP}"><s:Header><x:Trace xmlns:x="urn:t">1</x:Trace></s:Header><s:Body><a xmlns="urn:a">1</a></s:Body></s:Envelope>`],
    ['an empty self-closing Header', `<s:Envelope xmlns:s="${SOAP}"><s:Header/><s:Body><a xmlns="urn:a">1</a></s:Body></s:Envelope>`],
    ['SOAP as the default namespace', `<Envelope xmlns="${SOAP}"><Body><a xmlns="urn:a" b="1"/></Body></Envelope>`],
    ['an empty Body', `<soap:Envelope xmlns:soap="${SOAP}"><soap:Body/></soap:Envelope>`],
  ]) {
    it(`signs an envelope with ${name}`, () => {
      const signed = signEnvelope(env, hub);
      const r = verifyEnvelope(signed, hub.certPem);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.ok(xmlCryptoVerifies(signed, hub.certPem));
    });
  }

  it('signs a built payload without parsing it (signSoapBody), with text that needs escaping', () => {
    const tricky = 'Lieta & <x> "q" \'a\' \t tab, \r\n CRLF, ]]> Ā 😀';
    const payload = soapPayload('urn:lv:vsaa:ep:1', 'GetDeductionsRequest', [['RequestId', 'r-1'], ['Purpose', tricky], ['Empty', ''], ['Skipped', undefined], ['List', [['Item', 1], ['Item', true]]]]);
    const signed = signSoapBody(payload, hub);
    const r = verifyEnvelope(signed, hub.certPem);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(textOf(childElements(r.payload!)[1]), tricky, 'the text arrives exactly as sent');
    assert.deepEqual(childElements(r.payload!).map((e) => e.local), ['RequestId', 'Purpose', 'Empty', 'List']);
    assert.ok(xmlCryptoVerifies(signed, hub.certPem));
    const fault = signSoapBody(soapFault('urn:lv:vsaa:ep:1', { faultcode: 'Client', faultstring: tricky, errorCode: 'INVALID_REQUEST' }), hub);
    assert.ok(verifyEnvelope(fault, hub.certPem).ok);
    assert.throws(() => soapPayload('urn:x', 'A', [['B', 'bell\u0007']]), /control character/);
  });

  it('refuses to sign what is not a SOAP 1.1 envelope, or is signed already', () => {
    assert.throws(() => signEnvelope('<a/>', hub), /not a SOAP 1.1 Envelope/);
    assert.throws(() => signEnvelope(signEnvelope(ENVELOPE, hub), hub), /already has a wsse:Security/);
  });

  it('rejects an altered Body', () => {
    const signed = signEnvelope(ENVELOPE, hub);
    rejected(signed.replace('<PersonCode>16117519997', '<PersonCode>16117519998'), hub.certPem, /Body was altered/);
    rejected(signed.replace('<RequestId>r-1</RequestId>', '<RequestId>r-1</RequestId><Extra/>'), hub.certPem, /Body was altered/);
  });

  it('rejects an altered Timestamp', () => {
    const signed = signEnvelope(ENVELOPE, hub, { now: new Date() });
    const expires = /<wsu:Expires>([^<]+)</.exec(signed)![1];
    const later = new Date(Date.parse(expires) + 3_600_000).toISOString();
    rejected(signed.replace(expires, later), hub.certPem, /Timestamp was altered/);
  });

  it('rejects an altered SignatureValue and an altered SignedInfo', () => {
    const signed = signEnvelope(ENVELOPE, hub);
    const value = /<ds:SignatureValue>([^<]+)</.exec(signed)![1];
    const flipped = (value[10] === 'A' ? 'B' : 'A');
    rejected(signed.replace(value, value.slice(0, 10) + flipped + value.slice(11)), hub.certPem, /does not verify/);
    rejected(signed.replace('<ds:SignedInfo>', '<ds:SignedInfo> '), hub.certPem, /does not verify/);
  });

  it('rejects a message signed with another certificate than the registered one, whatever token it carries', () => {
    rejected(signEnvelope(ENVELOPE, other), hub.certPem, /certificate other than the one registered/);
    // A forger who copies the registered certificate into the token still cannot make the signature verify.
    const forged = signEnvelope(ENVELOPE, { keyPem: other.keyPem, certPem: hub.certPem });
    rejected(forged, hub.certPem, /does not verify with the registered certificate/);
  });

  it('rejects an unsigned message', () => {
    rejected(ENVELOPE, hub.certPem, /unsigned: no wsse:Security/);
    const noSignature = signEnvelope(ENVELOPE, hub).replace(/<ds:Signature .*<\/ds:Signature>/s, '');
    rejected(noSignature, hub.certPem, /unsigned: no ds:Signature/);
  });

  it('rejects a stale Timestamp (older than 5 minutes) and one from the future', () => {
    const now = Date.now();
    rejected(signEnvelope(ENVELOPE, hub, { now: new Date(now - 301_000), ttlSeconds: 3600 }), hub.certPem, /stale/);
    rejected(signEnvelope(ENVELOPE, hub, { now: new Date(now + 60_000) }), hub.certPem, /future/);
    const fresh = signEnvelope(ENVELOPE, hub, { now: new Date(now) });
    assert.ok(verifyEnvelope(fresh, hub.certPem, { now: new Date(now + 299_000) }).ok);
    rejected(fresh, hub.certPem, /stale/, { now: new Date(now + 301_000) });
    rejected(fresh, hub.certPem, /future/, { now: new Date(now - 60_000) });
  });

  it('rejects a Timestamp past its Expires', () => {
    const now = Date.now();
    rejected(signEnvelope(ENVELOPE, hub, { now: new Date(now - 20_000), ttlSeconds: 10 }), hub.certPem, /expired/);
  });

  it('rejects a signature that does not cover the Timestamp', () => {
    const withHeader = signEnvelope(ENVELOPE, hub);
    const sig = new SignedXml({ privateKey: hub.keyPem, publicCert: hub.certPem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N, idMode: 'wssecurity' });
    sig.addReference({ xpath: `//*[local-name()='Body']`, transforms: [EXC_C14N], digestAlgorithm: SHA256 });
    const bodyOnly = withHeader.replace(/<ds:Signature .*<\/ds:Signature>/s, '');
    sig.computeSignature(bodyOnly, { prefix: 'ds', location: { reference: `//*[local-name()='Security']`, action: 'append' } });
    rejected(sig.getSignedXml(), hub.certPem, /does not cover the wsu:Timestamp/);
  });

  it('rejects a wrapped message whose signed Body was moved aside for another', () => {
    const signed = signEnvelope(ENVELOPE, hub);
    const body = /<soap:Body [^>]*>.*<\/soap:Body>/s.exec(signed)![0];
    const evil = body.replace(/ wsu:Id="[^"]+"/, '').replace('16117519997', '01010112345');
    // The signed Body hidden in the header, a forged one in its place.
    const moved = signed.replace(body, evil).replace('</wsse:Security>', `</wsse:Security><Wrapper xmlns="urn:w">${body}</Wrapper>`);
    rejected(moved, hub.certPem, /does not cover the soap:Body/);
    // The same with the forged Body carrying the signed id: ids must be unique.
    const dup = signed.replace(body, body.replace('16117519997', '01010112345')).replace('</wsse:Security>', `</wsse:Security><Wrapper xmlns="urn:w">${body}</Wrapper>`);
    rejected(dup, hub.certPem, /used twice/);
  });

  it('rejects a DOCTYPE (entity expansion) and malformed XML', () => {
    const signed = signEnvelope(ENVELOPE, hub);
    rejected(signed.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'), hub.certPem, /DOCTYPE/);
    rejected(signed.slice(0, -30), hub.certPem, /not acceptable XML/);
    rejected('<a>', hub.certPem, /not acceptable XML/);
  });

  it('parses correctly again after a refused document (the parser is reused only after a clean parse)', () => {
    assert.throws(() => parseXmlTree('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'), /DOCTYPE/);
    assert.throws(() => parseXmlTree('<a><b></a>'), /not well-formed/);
    const doc = '<a xmlns="urn:a"><b x="1">t</b><c/></a>';
    const root = parseXmlTree(doc);
    const [b, c] = childElements(root);
    assert.deepEqual([root.uri, b.local, textOf(b), c.selfClosing, doc.slice(0, b.openEnd)], ['urn:a', 'b', 't', true, '<a xmlns="urn:a"><b x="1">']);
    assert.throws(() => parseXmlTree(`${'<a>'.repeat(70)}${'</a>'.repeat(70)}`), /deeper than 64/);
    assert.equal(parseXmlTree('<z/>').local, 'z');
  });

  it('canonicalizes like xml-crypto\'s exclusive c14n on namespaces, attributes and escapes', () => {
    const doc = `<s:E xmlns:s="S" xmlns:w="W" xmlns:u="U" xmlns="D"><s:B w:Id="1" z="&#9;t&#10;" a="&lt;&quot;&amp;" xml:lang="lv"><p:q xmlns:p="P" xmlns:w="W2" w:a="1" p:b="2"><r>t &amp; &lt; &gt; &#13;</r></p:q><x xmlns="X"><y xmlns="X"/><z xmlns=""/></x><n>Ā😀<![CDATA[<&>]]></n></s:B></s:E>`;
    const mine = parseXmlTree(doc);
    const theirs = new DOMParser().parseFromString(doc, 'text/xml').documentElement!;
    const b = childElements(mine)[0];
    assert.equal(excC14n(mine), new ExclusiveCanonicalization().process(theirs as unknown as Element, {}).toString());
    assert.equal(excC14n(b), new ExclusiveCanonicalization().process(theirs.firstChild as unknown as Element, {}).toString());
  });
});
