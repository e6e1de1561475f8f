/**
 * Issue 15: an XML attack corpus against every XML intake of a real hub process — SOPA and LIETIS
 * batch PUTs and every SOAP endpoint. Each attack must get a clear refusal with a code (a 4xx with
 * `{error: {code}}`, or on SOAP a fault with its ErrorCode), the process must stay alive and
 * answer /health, and its RSS must end within 50 MB of where it started. How long each answer took
 * is printed (measured, not asserted: wall-clock is the bench's business, this machine's speed
 * varies); the issue note carries the figures.
 * Documents that are odd but valid XML (CDATA or comments splitting a value, processing
 * instructions, the SOPA namespace under another prefix) must be taken (202).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import iconv from 'iconv-lite';
import { REDIS_URL, createTestDatabase, testQueuePrefix, type TestDatabase } from '../helpers/env.ts';
import { KEYS } from '../helpers/hub.ts';
import { spawnHub, stopHub, testConfigDir, type HubProcess } from './cluster.ts';
import { rmSync } from 'node:fs';

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const LIETIS = iconv.decode(readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url)), 'windows-1257');
const DECL = /^<\?xml[^>]*\?>/;
const ENVELOPE = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Q xmlns="urn:q"><P>1</P></Q></soap:Body></soap:Envelope>';

/** An attack: how it changes a document (text in, bytes out), and what must come back. */
interface Attack { name: string; make(doc: string, encode: (s: string) => Buffer): Buffer; expect: 'refused' | 'taken' }
const withDoctype = (subset: string, ref = '') => (doc: string, enc: (s: string) => Buffer): Buffer => {
  const root = /<([A-Za-z:]+)[\s>]/.exec(doc.replace(DECL, ''))![1];
  return enc(doc.replace(DECL, (d) => `${d}<!DOCTYPE ${root} [${subset}]>`).replace(/(<\/[A-Za-z:]+>\s*)$/, `${ref}$1`));
};
const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
const many = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}="x"`).join('');
const firstClose = (doc: string) => doc.indexOf('>', doc.replace(DECL, '').indexOf('<') + (doc.match(DECL)?.[0].length ?? 0)) ;
const insertAfterRootTag = (doc: string, s: string) => { const at = firstClose(doc); return doc.slice(0, at + 1) + s + doc.slice(at + 1); };

const ATTACKS: Attack[] = [
  { name: 'external entity', make: withDoctype('<!ENTITY x SYSTEM "file:///etc/passwd">', '&x;'), expect: 'refused' },
  { name: 'parameter entity', make: withDoctype('<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;'), expect: 'refused' },
  { name: 'billion laughs', make: withDoctype(`<!ENTITY l0 "lol">${lol}`, '&l9;'), expect: 'refused' },
  { name: 'quadratic blow-up', make: withDoctype(`<!ENTITY a "${'x'.repeat(50_000)}">`, '&a;'.repeat(20_000)), expect: 'refused' },
  { name: 'DOCTYPE with an internal subset', make: withDoctype('<!ELEMENT x ANY><!ATTLIST x a CDATA "d">'), expect: 'refused' },
  { name: '100,000-deep nesting', make: (d, enc) => enc(insertAfterRootTag(d, '<x>'.repeat(100_000) + '</x>'.repeat(100_000))), expect: 'refused' },
  { name: '100,000 attributes on the root', make: (d, enc) => { const at = firstClose(d); return enc(d.slice(0, at) + many(100_000) + d.slice(at)); }, expect: 'refused' },
  { name: 'a 100 MB element name', make: (d, enc) => enc(insertAfterRootTag(d, `<${'N'.repeat(100_000_000)}/>`)), expect: 'refused' },
  { name: 'a 100 MB text, streamed without a length', make: (d, enc) => Object.assign(enc(insertAfterRootTag(d, `<T>${'t'.repeat(100_000_000)}</T>`)), { chunked: true }), expect: 'refused' },
  // Bytes the document's own encoding does not have: C0 AF for UTF-8, 98 for windows-1257.
  { name: 'bytes invalid in the declared encoding', make: (d, enc) => { const [a, b] = insertAfterRootTag(d, '<!-- -->').split('<!-- -->'); return Buffer.concat([enc(a), Buffer.from(/windows-1257/.test(d) ? [0x98] : [0xc0, 0xaf]), enc(b)]); }, expect: 'refused' },
  { name: 'UTF-16 with a BOM', make: (d) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(d.replace(/encoding="[^"]*"/, 'encoding="UTF-16"'), 'utf16le')]), expect: 'refused' },
  { name: 'UTF-16 without a BOM', make: (d) => Buffer.from(d.replace(/encoding="[^"]*"/, 'encoding="UTF-16"'), 'utf16le'), expect: 'refused' },
  { name: 'a declaration that lies (UTF-8 declared, windows-1257 bytes)', make: (d) => iconv.encode(d.replace(/encoding="[^"]*"/, 'encoding="UTF-8"').replace(/(Ļubova|Anna|Q xmlns)/, (m) => (m === 'Q xmlns' ? 'Q a="Ļ" xmlns' : 'Ļubova')), 'windows-1257'), expect: 'refused' },
  { name: 'a foreign namespace under the partner\'s root name', make: (d, enc) => enc(d.replace(/xmlns(:\w+)?="urn:(lv:zzdats:sopa:spolis:1|lv:daugavpils:lietis:export:2)"/, (m) => m.replace(/urn:[^"]+/, 'urn:example:evil')).replace('xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"', 'xmlns:soap="urn:example:evil"')), expect: 'refused' },
];
/** Valid XML that only looks odd: batches take it; SOAP endpoints still refuse it unsigned. */
const ODD: Attack[] = [
  { name: 'CDATA and comments splitting values', make: (d, enc) => enc(d.replace('<Summa>89.40</Summa>', '<Summa>8<!-- x -->9.<![CDATA[40]]></Summa>').replace('count="4"', 'count=<!---->"4"'.replace('<!---->', ''))), expect: 'taken' },
  { name: 'processing instructions', make: (d, enc) => enc(d.replace(DECL, (x) => `${x}<?xml-stylesheet href="file:///etc/passwd"?>`)), expect: 'taken' },
  { name: 'the partner\'s namespace under another prefix', make: (d, enc) => enc(d.replace('<SpolisEksports xmlns="urn:lv:zzdats:sopa:spolis:1"', '<SpolisEksports xmlns="urn:lv:zzdats:sopa:spolis:1" xmlns:z="urn:lv:zzdats:sopa:spolis:1"')), expect: 'taken' },
];

/**
 * One request over node:http, answered as soon as the server answers. A body over the 4 MB limit
 * is announced whole (Content-Length) but only its first 64 KB are sent: the hub answers 413 from
 * the length alone and closes, and a client still writing megabytes would see the reset before
 * the answer (a race in the test, not in the hub).
 */
function send(url: string, method: string, headers: Record<string, string>, body: Buffer & { chunked?: boolean }): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request(url, { method, headers: { ...headers, ...(body.chunked ? {} : { 'content-length': String(body.length) }) } }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', () => { if (!answered) resolve({ status: 0, text: 'connection closed' }); });
    if (body.chunked) {
      // Chunked: the hub cannot know the size in advance and must stop reading at its limit.
      let at = 0;
      const pump = (): void => {
        while (!answered && at < body.length) {
          const more = req.write(body.subarray(at, at + 65_536));
          at += 65_536;
          if (!more) { req.once('drain', pump); return; }
        }
        if (!answered) req.end();
      };
      req.on('error', () => {});
      pump();
    } else if (body.length <= 4 * 1024 * 1024) req.end(body);
    else {
      req.write(body.subarray(0, 65_536));
      setTimeout(() => { if (!answered) { req.destroy(); resolve({ status: 0, text: 'no answer within 5 s' }); } }, 5_000);
    }
  });
}

interface Intake { name: string; doc: string; encode(s: string): Buffer; send(hub: string, body: Buffer): Promise<{ status: number; code: string }> }

describe('the XML attack corpus against every XML intake of a hub process', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let cfg: string;
  let hub: HubProcess;
  const queue = testQueuePrefix();
  const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hub.child.pid}/status`, 'utf8'))![1]) / 1024;

  before(async () => {
    db = await createTestDatabase();
    cfg = testConfigDir();
    hub = await spawnHub('api', { DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: queue.prefix, HUB_CONFIG_DIR: cfg });
  });
  after(async () => { await stopHub(hub, 'SIGKILL'); await queue.cleanup(); await db?.drop(); rmSync(cfg, { recursive: true, force: true }); });

  const batch = (source: 'sopa' | 'lietis', contentType: string) => async (url: string, body: Buffer) => {
    const key = source === 'sopa' ? KEYS['sopa-riga'] : KEYS['lietis-daugavpils'];
    const auth = { authorization: `Bearer ${key}` };
    const load = await (await fetch(`${url}/api/v1/loads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ source, municipality: source === 'sopa' ? '0001000' : '0002000', period: '2026-10' }) })).json() as { id: string };
    const res = await send(`${url}/api/v1/loads/${load.id}/batches/1`, 'PUT', { ...auth, 'content-type': contentType }, body);
    const text = res.text;
    let code = '';
    try { code = JSON.parse(text).error?.code ?? ''; } catch { /* not JSON */ }
    return { status: res.status, code };
  };
  const soap = (service: string) => async (url: string, body: Buffer) => {
    const res = await send(`${url}/soap/${service}`, 'POST', { 'content-type': 'text/xml; charset=utf-8' }, body);
    const text = res.text;
    return { status: res.status, code: /<ErrorCode[^>]*>([A-Z_]+)</.exec(text)?.[1] ?? (res.status === 413 ? 'HUB_ERR_BATCH_TOO_LARGE' : '') };
  };
  const INTAKES: Intake[] = [
    { name: 'SOPA PUT', doc: SOPA, encode: (s) => Buffer.from(s), send: batch('sopa', 'application/xml') },
    { name: 'LIETIS PUT', doc: LIETIS, encode: (s) => iconv.encode(s, 'windows-1257'), send: batch('lietis', 'application/xml; charset=windows-1257') },
    { name: 'SOAP /soap/vdeavk', doc: `<?xml version="1.0" encoding="UTF-8"?>${ENVELOPE}`, encode: (s) => Buffer.from(s), send: soap('vdeavk') },
    { name: 'SOAP /soap/burvis', doc: `<?xml version="1.0" encoding="UTF-8"?>${ENVELOPE}`, encode: (s) => Buffer.from(s), send: soap('burvis') },
  ];

  it('refuses every attack on every intake with a code, stays alive, and keeps its memory', async () => {
    const url = hub.url!;
    await fetch(`${url}/health`);
    const before = rssMb();
    const rows: string[] = [];
    const wrong: string[] = [];
    for (const intake of INTAKES) {
      for (const attack of [...ATTACKS, ...ODD]) {
        const soapIntake = intake.name.startsWith('SOAP');
        if (attack.expect === 'taken' && !intake.name.startsWith('SOPA')) continue; // the odd-but-valid set is written for SOPA
        const body = attack.make(intake.doc, intake.encode);
        const t0 = performance.now();
        const r = await intake.send(url, body);
        const ms = performance.now() - t0;
        rows.push(`${intake.name.padEnd(18)} ${attack.name.padEnd(62)} ${String(r.status).padEnd(4)} ${r.code.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms`);
        // SOAP answers a fault (HTTP 500, SOAP 1.1) with its ErrorCode; a body over 4 MB never reaches SOAP: 413.
        const refused = r.code !== '' && ((r.status >= 400 && r.status < 500) || (soapIntake && r.status === 500));
        if (attack.expect === 'refused' && !refused) wrong.push(`${intake.name} × ${attack.name}: ${r.status} ${r.code}`);
        if (attack.expect === 'taken' && r.status !== 202) wrong.push(`${intake.name} × ${attack.name}: ${r.status} ${r.code} (valid XML must be taken)`);
        assert.equal((await fetch(`${url}/health`)).status, 200, `alive after ${intake.name} × ${attack.name}`);
      }
    }
    const after = rssMb();
    process.stdout.write(`      ${rows.join('\n      ')}\n      RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB\n`);
    assert.deepEqual(wrong, []);
    assert.equal(hub.child.exitCode, null, 'the process is alive');
    assert.ok(after - before < 50, `RSS grew by ${(after - before).toFixed(0)} MB`);
  });
});
