import assert from 'node:assert/strict';
import { isRealDate, personCodeProblem, type GenerateOptions } from '../../engine/index.ts';
import { MAX_DOCUMENT_BYTES, renderSopaDocument, sopaSimulator } from '../../connectors/sopa/simulator.ts';

const BASE: GenerateOptions = { municipality: '0001000', period: '2026-10', records: 3000, batches: 3 };
const RECORD = /<(Statuss|Pabalsts|Pakalpojums|AsistentaMenesis) lemumaNr="([^"]*)">[\s\S]*?<\/\1>/g;
const ALL_CODES = ['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE'];
const CLASSIFIERS: Record<string, string[]> = {
  'Statuss/Veids': ['TRUCIGA', 'MAZNODROSINATA'],
  'Pabalsts/Veids': ['GMI', 'MAJOKLA', 'VESELIBAS', 'KRIZES', 'CITS'],
  'Pakalpojums/Lemums': ['PIESKIRTS', 'ATTEIKTS', 'IZBEIGTS', 'PARTRAUKTS'],
  'Pakalpojums/PakalpojumaKods': ['SOCIALAIS_DARBS', 'APRUPE_MAJAS', 'DIENAS_CENTRS', 'GRUPU_MAJA', 'ILGSTOSA_APRUPE',
    'REHABILITACIJA', 'KRIZES_CENTRS', 'PATVERSME', 'ZUPAS_VIRTUVE', 'SPECIALIZETA_DARBNICA', 'ASISTENTS'],
  'AsistentaMenesis/Kategorija': ['BERNS', 'PIEAUGUSAIS', 'STUDENTS'],
  'Statuss/Loma': ['PIRMA', 'CITA'],
};
const REQUIRED: Record<string, string[]> = {
  Statuss: ['Veids', 'LemumaDatums', 'SpekaNo', 'SpekaLidz'],
  Pabalsts: ['Veids', 'PersonasKods', 'LemumaDatums', 'Menesis', 'Summa'],
  Pakalpojums: ['PersonasKods', 'Lemums', 'PakalpojumaKods', 'LemumaDatums', 'No'],
  AsistentaMenesis: ['PersonasKods', 'AsistentaPersonasKods', 'Kategorija', 'Menesis', 'PieskirtasStundas', 'IzmantotasStundas'],
};

const docs = (batches: Buffer[]) => batches.map((b) => b.toString('utf8'));
const recordsOf = (doc: string) => [...doc.matchAll(RECORD)].map((m) => ({ type: m[1], nr: m[2], xml: m[0] }));
const all = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);
const one = (xml: string, name: string): string | undefined => all(xml, name)[0];
const realDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isRealDate(+s.slice(0, 4), +s.slice(5, 7), +s.slice(8, 10));

/** A regex-only reading of classifiers.md, independent of the generator, for the period 2026-10. */
function problems(rec: { type: string; xml: string }, seen: Set<string>): string[] {
  const out: string[] = [];
  const { type, xml } = rec;
  for (const f of ['PersonasKods', 'AsistentaPersonasKods']) {
    if (all(xml, f).some((c) => personCodeProblem(c) !== null)) out.push(`PERSON_CODE/${f}`);
  }
  for (const f of REQUIRED[type]) if (one(xml, f) === undefined) out.push(`REQUIRED/${f}`);
  for (const [key, allowed] of Object.entries(CLASSIFIERS)) {
    const [t, f] = key.split('/');
    if (t === type && all(xml, f).some((v) => !allowed.includes(v))) out.push(`CLASSIFIER/${f}`);
  }
  const decided = one(xml, 'LemumaDatums');
  if (decided !== undefined && (!realDate(decided) || decided > '2026-11-02')) out.push('DATE/LemumaDatums');
  for (const [from, to] of [['SpekaNo', 'SpekaLidz'], ['No', 'Lidz']]) {
    const a = one(xml, from), b = one(xml, to);
    if (a !== undefined && b !== undefined && (!realDate(a) || !realDate(b) || b < a)) out.push(`DATE/${to}`);
  }
  const month = one(xml, 'Menesis');
  if (month !== undefined && (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month) || month > '2026-10')) out.push('PERIOD/Menesis');
  const sum = one(xml, 'Summa');
  if (sum !== undefined && (!/^\d+(\.\d{1,2})?$/.test(sum) || Number(sum) >= 100_000)) out.push('AMOUNT/Summa');
  const granted = Number(one(xml, 'PieskirtasStundas')), used = Number(one(xml, 'IzmantotasStundas'));
  if (granted > 744) out.push('HOURS/PieskirtasStundas');
  if (used > granted || used < 0) out.push('HOURS/IzmantotasStundas');
  const key = `${type}/${type === 'Pabalsts' || type === 'AsistentaMenesis' ? `${one(xml, 'Menesis')}/` : ''}${/lemumaNr="([^"]*)"/.exec(xml)![1]}`;
  if (out.length === 0) {
    if (seen.has(key)) out.push('DUPLICATE/lemumaNr');
    seen.add(key);
  }
  return out;
}

describe('sopa/simulator', () => {
  it('gives byte-identical loads for the same seed and different ones for another seed', () => {
    const a = sopaSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const b = sopaSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const c = sopaSimulator.generate({ ...BASE, seed: 43, everyCode: true });
    assert.equal(a.batches.length, b.batches.length);
    a.batches.forEach((buf, i) => assert.ok(buf.equals(b.batches[i]), `batch ${i + 1} differs`));
    assert.deepEqual(a.truth, b.truth);
    assert.ok(a.batches.some((buf, i) => !buf.equals(c.batches[i])));
  });

  it('writes the header of sopa.md and an IerakstuSkaits equal to the records of each document', () => {
    const load = sopaSimulator.generate({ ...BASE, seed: 5, everyCode: true });
    assert.equal(load.contentType, 'application/xml');
    assert.equal(load.batches.length, 3);
    assert.equal(load.recordCounts.reduce((x, y) => x + y, 0), BASE.records);
    docs(load.batches).forEach((doc, i) => {
      assert.match(doc, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<SpolisEksports xmlns="urn:lv:zzdats:sopa:spolis:1" versija="1.0">/);
      assert.equal(one(doc, 'PasvaldibasATVK'), '0001000');
      assert.equal(one(doc, 'Periods'), '2026-10');
      assert.equal(one(doc, 'Izveidots'), '2026-11-02T08:00:00+02:00');
      const count = doc.match(/<(Statuss|Pabalsts|Pakalpojums|AsistentaMenesis) /g)?.length ?? 0;
      assert.equal(Number(one(doc, 'IerakstuSkaits')), count);
      assert.equal(load.recordCounts[i], count);
      assert.match(doc, /<\/Statusi>\s*<Pabalsti>[\s\S]*<\/Pabalsti>\s*<Pakalpojumi>[\s\S]*<\/Pakalpojumi>\s*<Asistents>/);
    });
  });

  it('plants every code with everyCode, each planted record carrying exactly that one fault', () => {
    const load = sopaSimulator.generate({ ...BASE, seed: 9, everyCode: true });
    assert.deepEqual(new Set(load.truth.map((t) => t.code)), new Set(ALL_CODES));
    const planted = new Map(load.truth.map((t) => [`${t.batch}/${t.index}`, `${t.code}/${t.field}`]));
    const seen = new Set<string>();
    docs(load.batches).forEach((doc, b) => recordsOf(doc).forEach((rec, index) => {
      const expected = planted.get(`${b + 1}/${index}`);
      assert.deepEqual(problems(rec, seen), expected ? [expected] : [], `batch ${b + 1} record ${index}:\n${rec.xml}`);
    }));
    for (const t of load.truth) {
      assert.ok(t.batch >= 1 && t.batch <= load.batches.length);
      assert.ok(t.index >= 0 && t.index < load.recordCounts[t.batch - 1]);
    }
    assert.equal(new Set(load.truth.map((t) => t.batch)).size, 3, 'planted errors spread over the batches');
  });

  it('writes only valid personal codes, hyphenated ones among them, when errorRate is 0', () => {
    const load = sopaSimulator.generate({ ...BASE, seed: 3, errorRate: 0 });
    assert.deepEqual(load.truth, []);
    const codes = docs(load.batches).flatMap((d) => [...all(d, 'PersonasKods'), ...all(d, 'AsistentaPersonasKods')]);
    assert.ok(codes.length > BASE.records);
    for (const c of codes) assert.equal(personCodeProblem(c), null, c);
    assert.ok(codes.some((c) => c.includes('-')));
    assert.ok(codes.some((c) => /^3[2-9]\d{9}$/.test(c)));
    const seen = new Set<string>();
    docs(load.batches).forEach((doc) => recordsOf(doc).forEach((rec) => assert.deepEqual(problems(rec, seen), [], rec.xml)));
  });

  it('plants about errorRate of the records and keeps default documents within 3.5 MB', () => {
    const load = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 20_000, seed: 1 });
    assert.ok(load.batches.length >= 2);
    assert.ok(load.batches.every((b) => b.length <= MAX_DOCUMENT_BYTES));
    assert.ok(Math.max(...load.recordCounts) - Math.min(...load.recordCounts) <= 1);
    assert.equal(load.truth.length, 400);
  });

  it('renders a single document from record specs', () => {
    const xml = renderSopaDocument({ municipality: '0001000', period: '2026-10', created: '2026-11-02T07:30:00+02:00' }, [
      { type: 'Pabalsts', lemumaNr: 'RIX-P-1', leaves: { Veids: 'GMI', PersonasKods: '161175-19997', Summa: '89.40' } },
      { type: 'Statuss', lemumaNr: 'RIX-S-1', leaves: { Veids: 'TRUCIGA' },
        household: { id: 'H1', members: [{ PersonasKods: '16117519997', Vards: 'Anna', Uzvards: 'Bērziņa', Loma: 'PIRMA' }] } },
    ]);
    assert.equal(one(xml, 'IerakstuSkaits'), '2');
    assert.ok(xml.indexOf('<Statusi>') < xml.indexOf('<Pabalsti>'));
    assert.ok(!xml.includes('<Pakalpojumi>'));
    assert.match(xml, /<Majsaimnieciba id="H1">\s*<Persona><PersonasKods>16117519997<\/PersonasKods><Vards>Anna<\/Vards><Uzvards>Bērziņa<\/Uzvards>/);
  });
});
