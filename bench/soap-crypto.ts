/**
 * `run(argv)`: the per-message cost of WS-Security on a 2 KB SOAP envelope: the hub's
 * signSoapBody (the path its own messages take), signEnvelope (any envelope) and verifyEnvelope, xml-crypto doing the same job (KeyObjects cached, as STACK-NOTES
 * configures it), and the floor, node:crypto RSA-SHA256 (2048-bit) over the same bytes, all in one
 * run and interleaved round by round so that the ratios hold on a noisy machine.
 * Then a whole exchange: the hub's VSAA client against the VSAA simulator in this process, both
 * legs signed and verified (four signature operations per call), 16 calls in flight.
 * Options: --rounds N (default 9), --ops N per round and case (default 300), --calls N (default 3000).
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { createSigningIdentity, signEnvelope, signSoapBody, soapEnvelope, soapPayload, verifyEnvelope, type CanonicalXml } from '../engine/index.ts';
import { EXC_C14N, RSA_SHA256, SHA256 } from '../engine/soap/signing.ts';
import { createVsaaClient } from '../connectors/vsaa/index.ts';
import { startVsaaSimulator } from '../connectors/vsaa/sandbox.ts';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

function option(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

/** An EP52 answer with a year of payments: a 2 KB envelope, the size the issue measures. */
function payload(): CanonicalXml {
  const months = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`);
  return soapPayload('urn:lv:vsaa:ep:1', 'GetPaymentsSentResponse', [['Payments', months.map((m, i) => ['Payment', [
    ['Month', m], ['BenefitType', 'OLD_AGE_PENSION'], ['Amount', `${412 + i}.35`], ['SentOn', `${m}-1${i % 10}`], ['Channel', 'BANK'],
  ]] as const)]]);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(argv: string[]): Promise<void> {
  const rounds = option(argv, 'rounds', 9);
  const ops = option(argv, 'ops', 300);
  const id = await createSigningIdentity('bench');
  const key = createPrivateKey(id.keyPem);
  const pub = new X509Certificate(id.certPem).publicKey;
  const body = payload();
  const env = soapEnvelope(body);
  const bytes = Buffer.from(env);
  const rawSig = sign('sha256', bytes, key);
  const hubSigned = signEnvelope(env, id);

  // xml-crypto gets the same header the hub writes (Timestamp with wsu:Id, Body with wsu:Id) and signs both.
  const created = new Date().toISOString();
  const prepared = env
    .replace('<soap:Body>', `<soap:Header><wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>${created}</wsu:Created></wsu:Timestamp></wsse:Security></soap:Header><soap:Body xmlns:wsu="${WSU}" wsu:Id="Body-1">`);
  const xmlCryptoSign = (): string => {
    const s = new SignedXml({ privateKey: key, publicCert: id.certPem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N, idMode: 'wssecurity' });
    s.addReference({ xpath: `//*[local-name()='Timestamp']`, transforms: [EXC_C14N], digestAlgorithm: SHA256 });
    s.addReference({ xpath: `//*[local-name()='Body']`, transforms: [EXC_C14N], digestAlgorithm: SHA256 });
    s.computeSignature(prepared, { prefix: 'ds', location: { reference: `//*[local-name()='Security']`, action: 'append' } });
    return s.getSignedXml();
  };
  const xcSigned = xmlCryptoSign();
  const xmlCryptoVerify = (xml: string): boolean => {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const s = new SignedXml({ publicCert: pub, idMode: 'wssecurity' });
    s.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as unknown as Node);
    return s.checkSignature(xml) && s.getSignedReferences().length === 2;
  };

  const cases: Record<string, () => unknown> = {
    rawRsaSign: () => sign('sha256', bytes, key),
    rawRsaVerify: () => { if (!verify('sha256', bytes, pub, rawSig)) throw new Error('raw verify failed'); },
    hubSign: () => signSoapBody(body, id),
    hubSignEnvelope: () => signEnvelope(env, id),
    hubVerify: () => { if (!verifyEnvelope(hubSigned, id.certPem).ok) throw new Error('hub verify failed'); },
    xmlCryptoSign,
    xmlCryptoVerify: () => { if (!xmlCryptoVerify(xcSigned)) throw new Error('xml-crypto verify failed'); },
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) for (let i = 0; i < 50; i++) fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) fn();
      samples[name].push((performance.now() - t0) / ops);
    }
  }
  const exchange = await roundTrip(option(argv, 'calls', 3000));
  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Number(median(v).toFixed(4))]));
  const ratio = (a: string, b: string): number => Number((ms[a] / ms[b]).toFixed(2));
  const result = {
    benchmark: 'soap-crypto',
    date: new Date().toISOString(),
    envelopeBytes: bytes.length,
    signedBytes: Buffer.byteLength(hubSigned),
    rounds, opsPerRound: ops,
    medianMsPerMessage: ms,
    ratios: {
      hubSignToRawSign: ratio('hubSign', 'rawRsaSign'),
      hubSignEnvelopeToRawSign: ratio('hubSignEnvelope', 'rawRsaSign'),
      hubVerifyToRawVerify: ratio('hubVerify', 'rawRsaVerify'),
      xmlCryptoSignToRawSign: ratio('xmlCryptoSign', 'rawRsaSign'),
      xmlCryptoVerifyToHubVerify: ratio('xmlCryptoVerify', 'hubVerify'),
    },
    vsaaRoundTrip: exchange,
    targets: { hubSignWithin2xRaw: ms.hubSign <= 2 * ms.rawRsaSign, hubVerifyUnder1ms: ms.hubVerify < 1 },
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  const line = (label: string, k: string, extra = '') => `  ${label.padEnd(34)} ${ms[k].toFixed(3).padStart(8)} ms  ${String(Math.round(1000 / ms[k])).padStart(6)}/s${extra}`;
  process.stdout.write(`WS-Security per message, ${bytes.length}-byte envelope (${Buffer.byteLength(hubSigned)} signed), median of ${rounds} rounds × ${ops}\n`
    + `${line('raw RSA-SHA256 sign (node:crypto)', 'rawRsaSign')}\n`
    + `${line('hub signSoapBody (its own messages)', 'hubSign', `   ${result.ratios.hubSignToRawSign}× raw`)}\n`
    + `${line('hub signEnvelope (any envelope)', 'hubSignEnvelope', `   ${result.ratios.hubSignEnvelopeToRawSign}× raw`)}\n`
    + `${line('xml-crypto sign (KeyObject)', 'xmlCryptoSign', `   ${result.ratios.xmlCryptoSignToRawSign}× raw`)}\n`
    + `${line('raw RSA-SHA256 verify (node:crypto)', 'rawRsaVerify')}\n`
    + `${line('hub verifyEnvelope', 'hubVerify', `   ${result.ratios.hubVerifyToRawVerify}× raw`)}\n`
    + `${line('xml-crypto verify (KeyObject)', 'xmlCryptoVerify', `   ${result.ratios.xmlCryptoVerifyToHubVerify}× hub`)}\n`
    + `VSAA client -> simulator, one process, signed and verified both ways: ${exchange.callsPerSecond} calls/s, ${exchange.cpuMsPerCall} ms CPU per call\n`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('soap-crypto.json', dir), `${JSON.stringify(result, null, 2)}\n`);
}

/** EP52 calls through the real client and simulator (no rate limit), 16 in flight. */
async function roundTrip(calls: number): Promise<{ calls: number; callsPerSecond: number; cpuMsPerCall: number }> {
  const hub = await createSigningIdentity('bench hub');
  const sim = await startVsaaSimulator({ hubCertPem: hub.certPem, rateLimitPerSecond: Number.MAX_SAFE_INTEGER });
  const client = createVsaaClient({ baseUrl: sim.url, identity: hub, vsaaCertPem: sim.certPem });
  const q = { requesterId: '0001000', purpose: 'bench', period: { from: '2026-01', to: '2026-12' } };
  const code = sim.data.samples.full;
  try {
    for (let i = 0; i < 100; i++) await client.ep52(code, q);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let inflight: Promise<unknown>[] = [];
    for (let i = 0; i < calls; i++) {
      inflight.push(client.ep52(code, q));
      if (inflight.length >= 16) { await Promise.all(inflight); inflight = []; }
    }
    await Promise.all(inflight);
    const cpu = process.cpuUsage(cpu0);
    return { calls, callsPerSecond: Math.round(calls / ((performance.now() - t0) / 1000)), cpuMsPerCall: Number(((cpu.user + cpu.system) / 1000 / calls).toFixed(3)) };
  } finally {
    client.close();
    await sim.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
