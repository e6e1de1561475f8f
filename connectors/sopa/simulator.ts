/**
 * Generates SOPA bulk loads (shared/partners/sopa.md) with planted errors and their truth, so that
 * the pipeline's rejections can be compared with what was planted.
 */
import { defineSimulator, type GenerateOptions, type GeneratedLoad, type PlantedError } from '../../engine/index.ts';
import {
  ASSISTANT_CATEGORIES, BENEFIT_KINDS, Rng, SERVICE_CODES, SERVICE_DECISIONS, STATUS_KINDS, UNKNOWN_CODES,
  VOLUME_UNITS, familyName, invalidPersonCode, lastOf, money, pad2, person, shiftMonth, validPersonCode, ymd,
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

/** Section order of the document; the index of a type here is its section. */
const SECTIONS: readonly [string, SopaRecordType][] = [
  ['Statusi', 'Statuss'], ['Pabalsti', 'Pabalsts'], ['Pakalpojumi', 'Pakalpojums'], ['Asistents', 'AsistentaMenesis'],
];
const ALL_TYPES: readonly SopaRecordType[] = SECTIONS.map(([, t]) => t);
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

/** `sections` holds encoded records per section, in SECTIONS order; empty sections are left out. */
function assemble(h: SopaHeader, sections: Buffer[][]): Buffer {
  const count = h.count ?? sections.reduce((n, s) => n + s.length, 0);
  const parts: Buffer[] = [Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<SpolisEksports xmlns="${SOPA_NAMESPACE}" versija="1.0">\n`
    + `  <Galvene>\n    <PasvaldibasATVK>${esc(h.municipality)}</PasvaldibasATVK>\n    <Periods>${esc(h.period)}</Periods>\n`
    + `    <Izveidots>${esc(h.created)}</Izveidots>\n    <IerakstuSkaits>${count}</IerakstuSkaits>\n  </Galvene>\n`)];
  SECTIONS.forEach(([wrapper], i) => {
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
interface Gen { rng: Rng; y: number; m: number; period: string; prefix: string; seq: number; households: number }

const LETTER: Record<SopaRecordType, string> = { Statuss: 'S', Pabalsts: 'P', Pakalpojums: 'K', AsistentaMenesis: 'A' };
/** Decision dates stop at the 28th so that every month (and the creation time) stays ahead of them. */
const dayInPeriod = (g: Gen, from = 1): string => ymd(g.y, g.m, g.rng.int(from, 28));

function validRecord(type: SopaRecordType, g: Gen): SopaRecordSpec {
  const { rng } = g;
  const lemumaNr = `${g.prefix}-${LETTER[type]}-${g.period}-${String(++g.seq).padStart(6, '0')}`;
  const r: SopaRecordSpec = { type, lemumaNr, leaves: {} };
  const l = r.leaves;
  if (type === 'Statuss') {
    const family = familyName(rng);
    const size = rng.int(1, 4);
    const members: SopaPersona[] = [];
    for (let i = 0; i < size; i++) {
      const p = person(rng, family);
      members.push({ PersonasKods: validPersonCode(rng), Vards: p.given, Uzvards: p.surname, Loma: i === 0 ? 'PIRMA' : 'CITA' });
    }
    r.household = { id: `${g.prefix}-H-${++g.households}`, members };
    Object.assign(l, {
      Veids: rng.pick(STATUS_KINDS), LemumaDatums: dayInPeriod(g), SpekaNo: dayInPeriod(g, 2),
      SpekaLidz: ymd(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 6)))),
      VidejieIenakumi: rng.chance(0.6) ? money(rng.int(0, 60_000)) : undefined,
    });
  } else if (type === 'Pabalsts') {
    const day = rng.int(1, 28);
    Object.assign(l, {
      Veids: rng.pick(BENEFIT_KINDS), PersonasKods: validPersonCode(rng),
      MajsaimniecibaId: g.households && rng.chance(0.5) ? `${g.prefix}-H-${rng.int(1, g.households)}` : undefined,
      LemumaDatums: ymd(g.y, g.m, day), Menesis: g.period, Summa: money(rng.int(500, 90_000)),
      IzmaksasDatums: rng.chance(0.6) ? dayInPeriod(g, day) : undefined,
    });
  } else if (type === 'Pakalpojums') {
    const day = rng.int(1, 28);
    const unit = rng.chance(0.5) ? rng.pick(VOLUME_UNITS) : undefined;
    Object.assign(l, {
      PersonasKods: validPersonCode(rng), Lemums: rng.pick(SERVICE_DECISIONS), PakalpojumaKods: rng.pick(SERVICE_CODES),
      SniedzejaRegNr: rng.chance(0.5) ? `SPS-${String(rng.int(1, 999_999)).padStart(6, '0')}` : undefined,
      LemumaDatums: ymd(g.y, g.m, day), No: dayInPeriod(g, day),
      Lidz: rng.chance(0.6) ? ymd(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 12)))) : undefined,
      Apjoms: unit === undefined ? undefined : String(unit === 'VIETA' ? 1 : rng.int(1, unit === 'H_MENESI' ? 160 : 31)),
    });
    r.unit = unit;
  } else {
    const granted = rng.int(10, 160);
    const tenths = rng.int(0, granted * 10);
    Object.assign(l, {
      PersonasKods: validPersonCode(rng), AsistentaPersonasKods: validPersonCode(rng),
      Kategorija: rng.pick(ASSISTANT_CATEGORIES), Menesis: g.period, PieskirtasStundas: String(granted),
      IzmantotasStundas: rng.chance(0.4) ? `${Math.floor(tenths / 10)}.${tenths % 10}` : String(Math.floor(tenths / 10)),
    });
  }
  return r;
}

interface Variant { code: PlantedError['code']; field: string; types: readonly SopaRecordType[]; apply(r: SopaRecordSpec, g: Gen): void }
const MONTHLY: readonly SopaRecordType[] = ['Pabalsts', 'AsistentaMenesis'];
/** AsistentaMenesis carries no decision date. */
const DECIDED: readonly SopaRecordType[] = ['Statuss', 'Pabalsts', 'Pakalpojums'];
const set = (field: string, value: (g: Gen, r: SopaRecordSpec) => string | undefined) =>
  (r: SopaRecordSpec, g: Gen) => { r.leaves[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const prevMonthEnd = (g: Gen) => ymd(...lastOf(shiftMonth(g.y, g.m, -1)));

/** Every way a record is broken, each with exactly one fault. The first of each code is the one kept when few records leave room. */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'PersonasKods', types: ['Pabalsts', 'Pakalpojums', 'AsistentaMenesis'], apply: set('PersonasKods', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'LemumaDatums', types: DECIDED, apply: set('LemumaDatums', (g) => `${g.y}-${g.rng.pick(['02-30', '02-31', '04-31', '06-31', '09-31', '11-31'])}`) },
  { code: 'PERIOD', field: 'Menesis', types: MONTHLY, apply: set('Menesis', (g) => { const [y, m] = shiftMonth(g.y, g.m, 1); return `${y}-${pad2(m)}`; }) },
  { code: 'AMOUNT', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', (g) => `-${money(g.rng.int(1, 90_000))}`) },
  { code: 'HOURS', field: 'IzmantotasStundas', types: ['AsistentaMenesis'], apply: set('IzmantotasStundas', (g, r) => String(Number(r.leaves.PieskirtasStundas) + g.rng.int(1, 20))) },
  { code: 'REQUIRED', field: 'PersonasKods', types: ['Pabalsts'], apply: set('PersonasKods', () => undefined) },
  { code: 'CLASSIFIER', field: 'Veids', types: ['Statuss', 'Pabalsts'], apply: unknown('Veids') },
  { code: 'DUPLICATE', field: 'lemumaNr', types: [], apply: () => undefined },
  {
    code: 'PERSON_CODE', field: 'PersonasKods', types: ['Statuss'],
    apply: (r, g) => { g.rng.pick(r.household!.members).PersonasKods = invalidPersonCode(g.rng); },
  },
  { code: 'PERSON_CODE', field: 'AsistentaPersonasKods', types: ['AsistentaMenesis'], apply: set('AsistentaPersonasKods', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'LemumaDatums', types: DECIDED, apply: set('LemumaDatums', (g) => ymd(2099, g.m, g.rng.int(1, 28))) },
  { code: 'DATE', field: 'SpekaLidz', types: ['Statuss'], apply: set('SpekaLidz', prevMonthEnd) },
  { code: 'DATE', field: 'Lidz', types: ['Pakalpojums'], apply: set('Lidz', prevMonthEnd) },
  { code: 'PERIOD', field: 'Menesis', types: MONTHLY, apply: set('Menesis', (g) => `${g.y}-13`) },
  { code: 'AMOUNT', field: 'Summa', types: ['Pabalsts'], apply: set('Summa', (g) => money(g.rng.int(10_000_000, 50_000_000))) },
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
      if (members.length === 1) {
        const p = person(g.rng, familyName(g.rng));
        members.push({ PersonasKods: validPersonCode(g.rng), Vards: p.given, Uzvards: p.surname, Loma: 'CITA' });
      }
      members[members.length - 1].Loma = g.rng.pick(UNKNOWN_CODES.Loma);
    },
  },
];
const DISTINCT_CODES = new Set(VARIANTS.map((v) => v.code)).size;

function pickType(rng: Rng): SopaRecordType {
  const x = rng.next();
  return x < 0.25 ? 'Statuss' : x < 0.65 ? 'Pabalsts' : x < 0.85 ? 'Pakalpojums' : 'AsistentaMenesis';
}

/** Planted variants by position, one per even stretch of the load so that they spread over batches. */
function planSlots(n: number, opts: GenerateOptions, rng: Rng): Map<number, Variant> {
  const forced = opts.everyCode ? VARIANTS.slice(0, n >= 4 * VARIANTS.length ? VARIANTS.length : DISTINCT_CODES) : [];
  // At most every other record is planted, so that a DUPLICATE always finds a valid record before it.
  const cap = Math.floor(n / 2);
  const count = Math.min(cap, Math.max(forced.length, Math.round(n * (opts.errorRate ?? 0.02))));
  const chosen = forced.slice(0, count);
  while (chosen.length < count) chosen.push(rng.pick(VARIANTS));
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  const slots = new Map<number, Variant>();
  const stretch = n / Math.max(count, 1);
  chosen.forEach((v, k) => slots.set(Math.floor(k * stretch + rng.next() * stretch), v));
  return slots;
}

/** Even batch sizes; the first `n % b` batches take one record more. */
function split(n: number, b: number): number[] {
  return Array.from({ length: b }, (_, i) => Math.floor(n / b) + (i < n % b ? 1 : 0));
}

function autoBatchCount(bytes: number[]): number {
  const room = MAX_DOCUMENT_BYTES - 1024; // header and section wrappers
  const total = bytes.reduce((a, b) => a + b, 0);
  for (let b = Math.max(1, Math.ceil(total / room)); ; b++) {
    let at = 0;
    if (split(bytes.length, b).every((size) => {
      let sum = 0;
      for (const end = at + size; at < end; at++) sum += bytes[at];
      return sum <= room;
    })) return b;
  }
}

export function generateSopaLoad(opts: GenerateOptions): GeneratedLoad {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.period)) throw new Error(`period must be YYYY-MM, got ${opts.period}`);
  const n = Math.max(0, Math.floor(opts.records));
  const [y, m] = opts.period.split('-').map(Number);
  const rng = new Rng(opts.seed ?? 1);
  const g: Gen = { rng, y, m, period: opts.period, prefix: `M${opts.municipality}`, seq: 0, households: 0 };
  const slots = planSlots(n, opts, rng);
  // Encoded at once: holding 100k concatenated strings until the end costs more in GC than it saves.
  const frags: Buffer[] = new Array(n);
  const section = new Uint8Array(n);
  const planted: { pos: number; v: Variant }[] = [];
  const validPool: number[] = [];
  let pendingDuplicates = 0;
  for (let pos = 0; pos < n; pos++) {
    let v = slots.get(pos);
    if (v?.code === 'DUPLICATE' && validPool.length === 0) {
      pendingDuplicates++;
      v = undefined;
    } else if (!v && pendingDuplicates > 0 && validPool.length > 0) {
      pendingDuplicates--;
      v = VARIANTS.find((x) => x.code === 'DUPLICATE');
    }
    if (v?.code === 'DUPLICATE') {
      // Removed from the pool so that no record is the original of two duplicates.
      const i = rng.int(0, validPool.length - 1);
      const orig = validPool[i];
      validPool[i] = validPool[validPool.length - 1];
      validPool.pop();
      frags[pos] = frags[orig];
      section[pos] = section[orig];
      planted.push({ pos, v });
      continue;
    }
    const rec = validRecord(v ? rng.pick(v.types) : pickType(rng), g);
    if (v) {
      v.apply(rec, g);
      planted.push({ pos, v });
    } else validPool.push(pos);
    frags[pos] = Buffer.from(renderSopaRecord(rec));
    section[pos] = ALL_TYPES.indexOf(rec.type);
  }

  const batchCount = opts.batches && opts.batches > 0
    ? Math.floor(opts.batches)
    : autoBatchCount(frags.map((f) => f.length));
  const recordCounts = split(n, batchCount);
  const [cy, cm] = shiftMonth(y, m, 1);
  const created = `${ymd(cy, cm, 2)}T08:00:00+02:00`;
  const batchOf = new Uint32Array(n);
  const indexOf = new Uint32Array(n);
  const batches: Buffer[] = [];
  let start = 0;
  recordCounts.forEach((size, b) => {
    const sections: Buffer[][] = [[], [], [], []];
    for (let pos = start; pos < start + size; pos++) sections[section[pos]].push(frags[pos]);
    let index = 0;
    for (let s = 0; s < 4; s++) {
      for (let pos = start; pos < start + size; pos++) {
        if (section[pos] !== s) continue;
        batchOf[pos] = b + 1;
        indexOf[pos] = index++;
      }
    }
    batches.push(assemble({ municipality: opts.municipality, period: opts.period, created, count: size }, sections));
    start += size;
  });
  const truth: PlantedError[] = planted
    .map(({ pos, v }) => ({ batch: batchOf[pos], index: indexOf[pos], code: v.code, field: v.field }))
    .sort((a, b) => a.batch - b.batch || a.index - b.index);
  return { batches, contentType: 'application/xml', truth, recordCounts };
}

export const sopaSimulator = defineSimulator({
  name: 'sopa/simulator',
  source: 'sopa',
  summary: 'Generates SOPA XML bulk loads (Statusi, Pabalsti, Pakalpojumi, Asistents) with planted record errors and their truth.',
  status: 'stable',
  config: {
    type: 'object',
    additionalProperties: false,
    properties: {
      records: { type: 'integer', minimum: 0 },
      batches: { type: 'integer', minimum: 1, description: 'Default: as many as keep each document at most 3.5 MB.' },
      errorRate: { type: 'number', minimum: 0, maximum: 0.5, default: 0.02 },
      seed: { type: 'integer', default: 1 },
      everyCode: { type: 'boolean', default: false },
    },
  },
  generate: generateSopaLoad,
});
