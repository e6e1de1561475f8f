/**
 * Generates SOPA bulk loads (shared/partners/sopa.md) with planted errors and their truth, so that
 * the pipeline's rejections can be compared with what was planted.
 */
import { defineSimulator, type GenerateOptions, type GeneratedLoad } from '../../engine/index.ts';
import { SIMULATOR_CONFIG, batchSizes, corruptPersonCode, createRng, datesInMonth, familyNames, formatCents, inBatches, isoDate, isoMonth, personCodeFor, pickRecordKind, plantRecords, plantedTruth, providerRegNo, type MonthDates, type PersonName, type PlantVariant, type Rng } from '../../engine/simulators/index.ts';
import {
  ASSISTANT_CATEGORIES, BENEFIT_KINDS, CODE_STYLE, SERVICE_CODES, SERVICE_DECISIONS, STATUS_KINDS, UNKNOWN_CODES, VOLUME_UNITS,
} from './simulator-data.ts';

export const SOPA_NAMESPACE = 'urn:lv:zzdats:sopa:spolis:1';
/** Below the 4 MB limit of sopa.md with room for a partner's own whitespace. */
export const MAX_DOCUMENT_BYTES = 3_500_000;

export type SopaRecordType = 'Statuss' | 'Pabalsts' | 'Pakalpojums' | 'AsistentaMenesis';
export interface SopaPersona { PersonasKods: string; Vards: string; Uzvards: string; Loma: string }
/** One record; leaf keys are SOPA element names, an undefined leaf is left out of the XML. */
export interface SopaRecordSpec {
  type: SopaRecordType;
  lemumaNr: string;
  leaves: Record<string, string | undefined>;
  household?: { id: string; members: SopaPersona[] };
  /** The `vieniba` attribute of Apjoms. */
  unit?: string;
}
export interface SopaHeader { municipality: string; period: string; created: string; count?: number }

/** Record types in the section order of the document; the index of a type here is its section. */
const ALL_TYPES = ['Statuss', 'Pabalsts', 'Pakalpojums', 'AsistentaMenesis'] as const satisfies readonly SopaRecordType[];
const WRAPPERS = ['Statusi', 'Pabalsti', 'Pakalpojumi', 'Asistents'] as const;
const LEAF_ORDER: Record<SopaRecordType, readonly string[]> = {
  Statuss: ['Veids', 'LemumaDatums', 'SpekaNo', 'SpekaLidz', '#household', 'VidejieIenakumi'],
  Pabalsts: ['Veids', 'PersonasKods', 'MajsaimniecibaId', 'LemumaDatums', 'Menesis', 'Summa', 'IzmaksasDatums'],
  Pakalpojums: ['PersonasKods', 'Lemums', 'PakalpojumaKods', 'SniedzejaRegNr', 'LemumaDatums', 'No', 'Lidz', 'Apjoms'],
  AsistentaMenesis: ['PersonasKods', 'AsistentaPersonasKods', 'Kategorija', 'Menesis', 'PieskirtasStundas', 'IzmantotasStundas'],
};

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderSopaRecord(r: SopaRecordSpec): string {
  let out = `    <${r.type} lemumaNr="${esc(r.lemumaNr)}">\n`;
  for (const name of LEAF_ORDER[r.type]) {
    if (name === '#household' && r.household) {
      out += `      <Majsaimnieciba id="${esc(r.household.id)}">\n`;
      for (const p of r.household.members) {
        out += `        <Persona><PersonasKods>${esc(p.PersonasKods)}</PersonasKods><Vards>${esc(p.Vards)}</Vards>`
          + `<Uzvards>${esc(p.Uzvards)}</Uzvards><Loma>${esc(p.Loma)}</Loma></Persona>\n`;
      }
      out += '      </Majsaimnieciba>\n';
      continue;
    }
    const v = r.leaves[name];
    if (v === undefined) continue;
    const attr = name === 'Apjoms' && r.unit ? ` vieniba="${r.unit}"` : '';
    out += `      <${name}${attr}>${esc(v)}</${name}>\n`;
  }
  return out + `    </${r.type}>\n`;
}

/** `sections` holds encoded records per section, in ALL_TYPES order; empty sections are left out. */
function assemble(h: SopaHeader, sections: Buffer[][]): Buffer {
  const count = h.count ?? sections.reduce((n, s) => n + s.length, 0);
  const parts: Buffer[] = [Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<SpolisEksports xmlns="${SOPA_NAMESPACE}" versija="1.0">\n`
    + `  <Galvene>\n    <PasvaldibasATVK>${esc(h.municipality)}</PasvaldibasATVK>\n    <Periods>${esc(h.period)}</Periods>\n`
    + `    <Izveidots>${esc(h.created)}</Izveidots>\n    <IerakstuSkaits>${count}</IerakstuSkaits>\n  </Galvene>\n`)];
  WRAPPERS.forEach((wrapper, i) => {
    if (!sections[i].length) return;
    parts.push(Buffer.from(`  <${wrapper}>\n`));
    for (const record of sections[i]) parts.push(record);
    parts.push(Buffer.from(`  </${wrapper}>\n`));
  });
  parts.push(Buffer.from('</SpolisEksports>\n'));
  return Buffer.concat(parts);
}

export function renderSopaDocument(header: SopaHeader, records: SopaRecordSpec[]): string {
  const sections = ALL_TYPES.map((type) => records.filter((r) => r.type === type).map((r) => Buffer.from(renderSopaRecord(r))));
  return assemble(header, sections).toString('utf8');
}

/** Per-load state shared by the record builders. */
interface Gen { rng: Rng; dates: MonthDates; period: string; prefix: string; seq: number; households: number }

const LETTER: Record<SopaRecordType, string> = { Statuss: 'S', Pabalsts: 'P', Pakalpojums: 'K', AsistentaMenesis: 'A' };
const code = (g: Gen): string => personCodeFor(g.rng, CODE_STYLE);
const member = (g: Gen, p: PersonName, Loma: string): SopaPersona =>
  ({ PersonasKods: code(g), Vards: p.given, Uzvards: p.surname, Loma });

function validRecord(type: SopaRecordType, g: Gen): SopaRecordSpec {
  const { rng, dates } = g;
  const lemumaNr = `${g.prefix}-${LETTER[type]}-${g.period}-${String(++g.seq).padStart(6, '0')}`;
  const r: SopaRecordSpec = { type, lemumaNr, leaves: {} };
  const l = r.leaves;
  if (type === 'Statuss') {
    const members = familyNames(rng, rng.int(1, 4)).map((p, i) => member(g, p, i === 0 ? 'PIRMA' : 'CITA'));
    r.household = { id: `${g.prefix}-H-${++g.households}`, members };
    Object.assign(l, {
      Veids: rng.pick(STATUS_KINDS), LemumaDatums: isoDate(dates.day(rng)), SpekaNo: isoDate(dates.day(rng, 2)),
      SpekaLidz: isoDate(dates.endOf(rng.int(0, 6))), VidejieIenakumi: rng.chance(0.6) ? formatCents(rng.int(0, 60_000)) : undefined,
    });
  } else if (type === 'Pabalsts') {
    const decided = dates.day(rng);
    Object.assign(l, {
      Veids: rng.pick(BENEFIT_KINDS), PersonasKods: code(g),
      MajsaimniecibaId: g.households && rng.chance(0.5) ? `${g.prefix}-H-${rng.int(1, g.households)}` : undefined,
      LemumaDatums: isoDate(decided), Menesis: g.period, Summa: formatCents(rng.int(500, 90_000)),
      IzmaksasDatums: rng.chance(0.6) ? isoDate(dates.day(rng, decided[2])) : undefined,
    });
  } else if (type === 'Pakalpojums') {
    const decided = dates.day(rng);
    const unit = rng.chance(0.5) ? rng.pick(VOLUME_UNITS) : undefined;
    Object.assign(l, {
      PersonasKods: code(g), Lemums: rng.pick(SERVICE_DECISIONS), PakalpojumaKods: rng.pick(SERVICE_CODES),
      SniedzejaRegNr: providerRegNo(rng), LemumaDatums: isoDate(decided), No: isoDate(dates.day(rng, decided[2])),
      Lidz: rng.chance(0.6) ? isoDate(dates.endOf(rng.int(0, 12))) : undefined,
      Apjoms: unit === undefined ? undefined : String(unit === 'VIETA' ? 1 : rng.int(1, unit === 'H_MENESI' ? 160 : 31)),
    });
    r.unit = unit;
  } else {
    const granted = rng.int(10, 160);
    const tenths = rng.int(0, granted * 10);
    Object.assign(l, {
      PersonasKods: code(g), AsistentaPersonasKods: code(g),
      Kategorija: rng.pick(ASSISTANT_CATEGORIES), Menesis: g.period, PieskirtasStundas: String(granted),
      IzmantotasStundas: rng.chance(0.4) ? `${Math.floor(tenths / 10)}.${tenths % 10}` : String(Math.floor(tenths / 10)),
    });
  }
  return r;
}

interface Variant extends PlantVariant { types: readonly SopaRecordType[]; apply(r: SopaRecordSpec, g: Gen): void }
const MONTHLY: readonly SopaRecordType[] = ['Pabalsts', 'AsistentaMenesis'];
/** AsistentaMenesis carries no decision date. */
const DECIDED: readonly SopaRecordType[] = ['Statuss', 'Pabalsts', 'Pakalpojums'];
const set = (field: string, value: (g: Gen, r: SopaRecordSpec) => string | undefined) =>
  (r: SopaRecordSpec, g: Gen) => { r.leaves[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const corrupt = (field: string) => set(field, (g, r) => corruptPersonCode(g.rng, r.leaves[field]!));
const prevMonthEnd = (g: Gen) => isoDate(g.dates.endOf(-1));

/** Every way a record is broken, each with exactly one fault. The first of each code is the one kept when few records leave room. */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'PersonasKods', types: ['Pabalsts', 'Pakalpojums', 'AsistentaMenesis'], apply: corrupt('PersonasKods') },
  { code: 'DATE', field: 'LemumaDatums', types: DECIDED, apply: set('LemumaDatums', (g) => isoDate(g.dates.impossible(g.rng))) },
  { code: 'PERIOD', field: 'Menesis', types: MONTHLY, apply: set('Menesis', (g) => isoMonth(g.dates.shift(1))) },
  { code: 'AMOUNT', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', (g) => `-${formatCents(g.rng.int(1, 90_000))}`) },
  { code: 'HOURS', field: 'IzmantotasStundas', types: ['AsistentaMenesis'], apply: set('IzmantotasStundas', (g, r) => String(Number(r.leaves.PieskirtasStundas) + g.rng.int(1, 20))) },
  { code: 'REQUIRED', field: 'PersonasKods', types: ['Pabalsts'], apply: set('PersonasKods', () => undefined) },
  { code: 'CLASSIFIER', field: 'Veids', types: ['Statuss', 'Pabalsts'], apply: unknown('Veids') },
  { code: 'DUPLICATE', field: 'lemumaNr', types: [], apply: () => undefined },
  {
    code: 'PERSON_CODE', field: 'PersonasKods', types: ['Statuss'],
    apply: (r, g) => { const m = g.rng.pick(r.household!.members); m.PersonasKods = corruptPersonCode(g.rng, m.PersonasKods); },
  },
  { code: 'PERSON_CODE', field: 'AsistentaPersonasKods', types: ['AsistentaMenesis'], apply: corrupt('AsistentaPersonasKods') },
  { code: 'DATE', field: 'LemumaDatums', types: DECIDED, apply: set('LemumaDatums', (g) => isoDate([2099, g.dates.month, g.rng.int(1, 28)])) },
  { code: 'DATE', field: 'SpekaLidz', types: ['Statuss'], apply: set('SpekaLidz', prevMonthEnd) },
  { code: 'DATE', field: 'Lidz', types: ['Pakalpojums'], apply: set('Lidz', prevMonthEnd) },
  { code: 'PERIOD', field: 'Menesis', types: MONTHLY, apply: set('Menesis', (g) => `${g.dates.year}-13`) },
  { code: 'AMOUNT', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', (g) => formatCents(g.rng.int(10_000_000, 50_000_000))) },
  { code: 'AMOUNT', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', (g) => `${g.rng.int(5, 900)}.${String(g.rng.int(1, 999)).padStart(3, '0')}`) },
  { code: 'HOURS', field: 'PieskirtasStundas', types: ['AsistentaMenesis'], apply: set('PieskirtasStundas', (g) => String(g.rng.int(745, 900))) },
  { code: 'REQUIRED', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', () => undefined) },
  { code: 'REQUIRED', field: 'LemumaDatums', types: DECIDED, apply: set('LemumaDatums', () => undefined) },
  { code: 'REQUIRED', field: 'Kategorija', types: ['AsistentaMenesis'], apply: set('Kategorija', () => undefined) },
  { code: 'CLASSIFIER', field: 'Lemums', types: ['Pakalpojums'], apply: unknown('Lemums') },
  { code: 'CLASSIFIER', field: 'PakalpojumaKods', types: ['Pakalpojums'], apply: unknown('PakalpojumaKods') },
  { code: 'CLASSIFIER', field: 'Kategorija', types: ['AsistentaMenesis'], apply: unknown('Kategorija') },
  {
    // A non-first member, so that the household still has its PIRMA and the Loma is the only fault.
    code: 'CLASSIFIER', field: 'Loma', types: ['Statuss'],
    apply: (r, g) => {
      const members = r.household!.members;
      if (members.length === 1) members.push(member(g, familyNames(g.rng, 1)[0], 'CITA'));
      members[members.length - 1].Loma = g.rng.pick(UNKNOWN_CODES.Loma);
    },
  },
];

export function generateSopaLoad(opts: GenerateOptions): GeneratedLoad {
  const dates = datesInMonth(opts.period);
  const rng = createRng(opts.seed ?? 1);
  const g: Gen = { rng, dates, period: opts.period, prefix: `M${opts.municipality}`, seq: 0, households: 0 };
  // Encoded at once: holding 100k strings until the end costs more in GC than it saves.
  const { records, planted } = plantRecords(rng, VARIANTS, opts, (v) => {
    const rec = validRecord(v ? rng.pick(v.types) : pickRecordKind(rng, ALL_TYPES), g);
    v?.apply(rec, g);
    return { section: ALL_TYPES.indexOf(rec.type), bytes: Buffer.from(renderSopaRecord(rec)) };
  });
  // 1 KB of each document is kept for the header and the section wrappers.
  const recordCounts = batchSizes(records.map((r) => r.bytes.length), MAX_DOCUMENT_BYTES - 1024, opts.batches);
  const created = `${isoDate([...dates.shift(1), 2])}T08:00:00+02:00`;
  // A record's index is its place in the document, where the sections put it, not its place in the load.
  const indexOf = new Uint32Array(records.length);
  let start = 0;
  const batches = inBatches(records, recordCounts).map((batch) => {
    const sections: Buffer[][] = ALL_TYPES.map(() => []);
    const inSection = batch.map((r) => sections[r.section].push(r.bytes) - 1);
    const before = sections.map((_, s) => sections.slice(0, s).reduce((a, x) => a + x.length, 0));
    batch.forEach((r, k) => { indexOf[start + k] = before[r.section] + inSection[k]; });
    start += batch.length;
    return assemble({ municipality: opts.municipality, period: opts.period, created, count: batch.length }, sections);
  });
  const truth = plantedTruth(planted, recordCounts, (pos) => indexOf[pos]);
  return { batches, contentType: 'application/xml', truth, recordCounts };
}

export const sopaSimulator = defineSimulator({
  name: 'sopa/simulator',
  source: 'sopa',
  summary: 'Generates SOPA XML bulk loads (Statusi, Pabalsti, Pakalpojumi, Asistents) with planted record errors and their truth.',
  status: 'stable',
  config: SIMULATOR_CONFIG,
  generate: generateSopaLoad,
});
