import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import type { FormatSpec, GeneratedLoad, PartnerRecord } from '../../engine/index.ts';
import { sopaFormat } from '../../connectors/sopa/index.ts';
import { sopaSimulator } from '../../connectors/sopa/sandbox.ts';
import { lietisFormat } from '../../connectors/lietis/index.ts';
import { lietisSimulator } from '../../connectors/lietis/sandbox.ts';
import { gvsFormat } from '../../connectors/gvs/index.ts';
import { gvsSimulator } from '../../connectors/gvs/sandbox.ts';
import { renderSopaDocument, type SopaRecordSpec } from '../../connectors/sopa/simulator.ts';

const MAX = 200_000;

/** A record as it can be compared across documents: a reader's line numbers differ between them. */
function comparable(r: PartnerRecord): unknown {
  if (!r.errors) return { type: r.type, data: r.data };
  const { line: _line, ...data } = r.data;
  return { type: r.type, data, errors: r.errors.map((e) => ({ field: e.field, code: e.code })) };
}

const cases: [string, FormatSpec, () => GeneratedLoad][] = [
  ['SOPA', sopaFormat, () => sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 3000, batches: 1, seed: 5, everyCode: true })],
  ['LIETIS', lietisFormat, () => lietisSimulator.generate({ municipality: '0002000', period: '2026-10', records: 3000, batches: 1, seed: 5, everyCode: true })],
  ['GVS', gvsFormat, () => gvsSimulator.generate({ municipality: '0052000', period: '2026-10', records: 3000, batches: 1, seed: 5, everyCode: true })],
];

for (const [name, format, generate] of cases) {
  describe(`${name} split`, () => {
    const gen = generate();
    const body = gen.batches[0];
    const original = format.parse(body, gen.contentType);

    it(`splits a 3,000-record document into parts of at most ${MAX} bytes that each parse, with their own count, records in order`, () => {
      assert.ok(body.length > 3 * MAX, `the document is ${body.length} bytes`);
      const parts = format.split!(body, MAX);
      assert.ok(parts.length >= 3, `${parts.length} parts`);
      const records: PartnerRecord[] = [];
      for (const [i, part] of parts.entries()) {
        assert.ok(part.length <= MAX, `part ${i + 1} is ${part.length} bytes`);
        const p = format.parse(part, gen.contentType); // throws on a count mismatch or malformed part
        assert.equal(p.header.count, p.records.length);
        assert.deepEqual({ ...p.header, count: 0 }, { ...original.header, count: 0 });
        assert.ok(p.records.length > 0);
        records.push(...p.records);
      }
      assert.equal(records.length, 3000);
      assert.deepEqual(records.map(comparable), original.records.map(comparable));
      // Greedy: every part but the last is full enough that the next record would not have fitted.
      assert.ok(parts.slice(0, -1).every((p) => p.length > MAX * 0.95));
    });

    it('is deterministic: the same input gives byte-identical parts', () => {
      const a = format.split!(body, MAX);
      const b = format.split!(Buffer.from(body), MAX);
      assert.equal(a.length, b.length);
      a.forEach((p, i) => assert.ok(p.equals(b[i]), `part ${i + 1} differs`));
    });

    it('returns a document that already fits as it is', () => {
      const small = format.split!(body, body.length);
      assert.equal(small.length, 1);
      assert.equal(small[0], body);
    });

    it('refuses a record that cannot fit in a batch of its own, naming it', () => {
      // The decision id and the line, so that the municipality can find the record in its export.
      assert.throws(() => format.split!(body, 600), (e: Error) => /^record .*(lemumaNr="|no="|decisionId ").* is \d+ bytes/.test(e.message) && /line \d+/.test(e.message));
    });
  });
}

describe('split details', () => {
  it('GVS: keeps a line that is not JSON as a record, and drops blank lines', () => {
    const gen = gvsSimulator.generate({ municipality: '0052000', period: '2026-10', records: 3000, batches: 1, seed: 9, everyCode: true });
    const lines = (b: Buffer) => b.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(1);
    const parts = gvsFormat.split!(gen.batches[0], MAX);
    assert.deepEqual(parts.flatMap(lines), lines(gen.batches[0]));
    assert.ok(parts.flatMap(lines).some((l) => { try { JSON.parse(l); return false; } catch { return true; } }), 'a broken line was planted and kept');
  });

  it('LIETIS: parts stay windows-1257 with their declaration, and names arrive intact', () => {
    const example = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url));
    const parts = lietisFormat.split!(example, 700);
    assert.ok(parts.length >= 2);
    for (const p of parts) assert.match(p.subarray(0, 60).toString('latin1'), /encoding="windows-1257"/);
    const status = lietisFormat.parse(parts[0], 'application/xml').records[0];
    assert.deepEqual((status.data.Member as { name: string }[])[0].name, 'Ļubova');
    assert.ok(iconv.decode(parts[0], 'windows-1257').includes('Šuškova'));
    assert.equal(parts.reduce((n, p) => n + lietisFormat.parse(p, 'application/xml').records.length, 0), 4);
  });

  it('SOPA: markup inside comments and CDATA is not taken for records or sections', () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 400, batches: 1, seed: 2 });
    let text = gen.batches[0].toString('utf8');
    // A comment holding a whole fake record, and a name whose CDATA holds end tags.
    text = text.replace('<Pabalsti>\n', '<Pabalsti>\n<!-- <Pabalsts lemumaNr="X"><Summa>1</Summa></Pabalsts> </Pabalsti> -->\n');
    text = text.replace(/<Vards>([^<]*)<\/Vards>/, '<Vards><![CDATA[$1</Persona></Statuss></Statusi>]]></Vards>');
    const doc = Buffer.from(text);
    const original = sopaFormat.parse(doc, 'application/xml');
    assert.match(JSON.stringify(original.records[0].data), /<\/Statusi>/);
    const parts = sopaFormat.split!(doc, 30_000);
    assert.ok(parts.length >= 4);
    const records = parts.flatMap((p) => sopaFormat.parse(p, 'application/xml').records);
    assert.deepEqual(records, original.records);
  });

  it('SOPA: keeps the sections in their order and writes each part\'s own IerakstuSkaits', () => {
    const rec = (type: SopaRecordSpec['type'], n: number): SopaRecordSpec => ({ type, lemumaNr: `${type}-${n}`, leaves: { PersonasKods: '16117519997', Menesis: '2026-10' } });
    const records = [...Array.from({ length: 30 }, (_, i) => rec('Pabalsts', i)), ...Array.from({ length: 30 }, (_, i) => rec('AsistentaMenesis', i))];
    const doc = Buffer.from(renderSopaDocument({ municipality: '0001000', period: '2026-10', created: '2026-11-02T08:00:00+02:00' }, records));
    const parts = sopaFormat.split!(doc, 2_500);
    const order = parts.flatMap((p) => sopaFormat.parse(p, 'application/xml').records.map((r) => r.data.lemumaNr));
    assert.deepEqual(order, records.map((r) => r.lemumaNr));
    const counts = parts.map((p) => Number(/<IerakstuSkaits>(\d+)</.exec(p.toString())![1]));
    assert.equal(counts.reduce((a, b) => a + b, 0), 60);
    assert.ok(parts.some((p) => p.includes('<Pabalsti>') && p.includes('<Asistents>')), 'a part spanning both sections has both wrappers');
  });

  it('refuses to split a document whose count does not match its records (it was cut)', () => {
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 50, batches: 1, seed: 2 });
    const cut = Buffer.from(gen.batches[0].toString().replace('<IerakstuSkaits>50<', '<IerakstuSkaits>51<'));
    assert.throws(() => sopaFormat.split!(cut, 5_000), { code: 'HUB_ERR_BATCH_COUNT_MISMATCH' });
    const unclosed = gen.batches[0].subarray(0, gen.batches[0].length - 40);
    assert.throws(() => sopaFormat.split!(unclosed, 5_000), { code: 'HUB_ERR_XML_MALFORMED' });
  });
});
