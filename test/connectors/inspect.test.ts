import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { readSopaBatch, sopaFormat } from '../../connectors/sopa/inbound.ts';
import { readLietisBatch, lietisFormat } from '../../connectors/lietis/inbound.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';

/**
 * The PUT path counts records with the byte outline and reads only the document's skeleton with
 * the full reader (engine/xml/outline.ts). A partner must not be able to tell: for every document
 * here, inspect() accepts what the full reader accepts, with the same header and count, and
 * refuses what it refuses with the same code, status and message.
 */
type Verdict = { ok: true; header: unknown; recordCount: number } | { ok: false; code: string; status: number; message: string };

function verdict(f: () => { header: unknown; recordCount: number }): Verdict {
  try {
    const r = f();
    return { ok: true, header: r.header, recordCount: r.recordCount };
  } catch (e) {
    const h = e as { code: string; httpStatus: number; message: string };
    return { ok: false, code: h.code, status: h.httpStatus, message: h.message };
  }
}

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const LIETIS = iconv.decode(readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url)), 'windows-1257');
const LIETIS_CT = 'application/xml; charset=windows-1257';

function sameAsFullReader(name: string, body: Buffer, fast: () => { header: unknown; recordCount: number }, full: () => { header: unknown; recordCount: number }): Verdict {
  const a = verdict(fast);
  const b = verdict(full);
  assert.deepEqual(a, b, `${name}: the outline's verdict differs from the full reader's`);
  return a;
}

const sopa = (name: string, text: string): Verdict => {
  const body = Buffer.from(text, 'utf8');
  return sameAsFullReader(name, body, () => sopaFormat.inspect!(body, 'application/xml'), () => {
    const header = readSopaBatch(body);
    return { header, recordCount: header.count };
  });
};
const lietis = (name: string, text: string): Verdict => {
  const body = iconv.encode(text, 'windows-1257');
  return sameAsFullReader(name, body, () => lietisFormat.inspect!(body, LIETIS_CT), () => {
    const header = readLietisBatch(body, LIETIS_CT);
    return { header, recordCount: header.count };
  });
};

describe('batch inspection at PUT (byte outline + skeleton)', () => {
  it('reads the SOPA example like the full reader', () => {
    const v = sopa('example', SOPA);
    assert.ok(v.ok);
    assert.equal(v.recordCount, 5);
  });

  it('refuses SOPA documents exactly as the full reader does', () => {
    const cases: [string, string, string][] = [
      ['count one too many', SOPA.replace('<IerakstuSkaits>5<', '<IerakstuSkaits>6<'), 'HUB_ERR_BATCH_COUNT_MISMATCH'],
      ['count not a number', SOPA.replace('<IerakstuSkaits>5<', '<IerakstuSkaits>five<'), 'HUB_ERR_BATCH_HEADER'],
      ['header field missing', SOPA.replace(/<Periods>.*<\/Periods>/, ''), 'HUB_ERR_BATCH_HEADER'],
      ['wrong root namespace', SOPA.replace('urn:lv:zzdats:sopa:spolis:1', 'urn:other'), 'HUB_ERR_BATCH_ROOT'],
      ['unknown section', SOPA.replace(/<Pabalsti>/, '<Pabalstiii>').replace(/<\/Pabalsti>/, '</Pabalstiii>'), 'HUB_ERR_BATCH_SECTION'],
      ['wrong record element', SOPA.replace(/<Pabalsts /, '<Pakalpojums ').replace(/<\/Pabalsts>/, '</Pakalpojums>'), 'HUB_ERR_BATCH_SECTION'],
      ['DOCTYPE', SOPA.replace('?>', '?><!DOCTYPE x [<!ENTITY a "a">]>'), 'HUB_ERR_XML_DOCTYPE'],
      ['cut short', SOPA.slice(0, SOPA.length - 40), 'HUB_ERR_XML_MALFORMED'],
      ['end tag mismatch', SOPA.replace('</Veids>', '</Veid>'), 'HUB_ERR_XML_MALFORMED'],
    ];
    for (const [name, text, code] of cases) {
      const v = sopa(name, text);
      assert.ok(!v.ok && v.code === code, `${name}: ${JSON.stringify(v)}`);
    }
  });

  it('finds a wrong record name anywhere in a large generated SOPA batch, not only in the first records', () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 3000, seed: 7, errorRate: 0 });
    const text = gen.batches[0].toString('utf8');
    const at = text.lastIndexOf('<Pabalsts ');
    const bad = `${text.slice(0, at)}<Pabalst ${text.slice(at + '<Pabalsts '.length).replace('</Pabalsts>', '</Pabalst>')}`;
    const v = sopa('late wrong name', bad);
    assert.ok(!v.ok && v.code === 'HUB_ERR_BATCH_SECTION', JSON.stringify(v));
    const ok = sopa('generated', text);
    assert.ok(ok.ok && ok.recordCount === gen.recordCounts[0]);
  });

  it('does not count markup inside comments and CDATA as records', () => {
    const v = sopa('comment and CDATA', SOPA
      .replace('<Pabalsti>', '<Pabalsti><!-- <Pabalsts lemumaNr="x"></Pabalsts> -->')
      .replace('<Summa>89.40</Summa>', '<Summa><![CDATA[89.40]]></Summa>'));
    assert.ok(v.ok && v.recordCount === 5);
  });

  it('reads the LIETIS example like the full reader, and refuses what it refuses', () => {
    const v = lietis('example', LIETIS);
    assert.ok(v.ok && v.recordCount === 4);
    const cases: [string, string, string][] = [
      ['count', LIETIS.replace('count="4"', 'count="3"'), 'HUB_ERR_BATCH_COUNT_MISMATCH'],
      ['month', LIETIS.replace('month="10.2026" created', 'month="2026-10" created'), 'HUB_ERR_BATCH_HEADER'],
      ['unknown record', LIETIS.replace('<lietis:Assistant ', '<lietis:Helper ').replace('</lietis:Export>', '</lietis:Export>'), 'HUB_ERR_BATCH_SECTION'],
      ['record in another namespace', LIETIS.replace('<lietis:Benefit ', '<other:Benefit xmlns:other="urn:other" ').replace('paid="15.10.2026"/>', 'paid="15.10.2026"/>'), 'HUB_ERR_BATCH_SECTION'],
      ['unbound prefix', LIETIS.replace('<lietis:Service ', '<x:Service '), 'HUB_ERR_XML_MALFORMED'],
    ];
    for (const [name, text, code] of cases) {
      const r = lietis(name, text);
      assert.ok(!r.ok && r.code === code, `${name}: ${JSON.stringify(r)}`);
    }
  });

  it('takes a record that redeclares the namespace prefix as the full reader does', () => {
    const v = lietis('redeclared', LIETIS.replace('<lietis:Benefit ', '<lietis:Benefit xmlns:lietis="urn:lv:daugavpils:lietis:export:2" '));
    assert.ok(v.ok && v.recordCount === 4);
  });
});
