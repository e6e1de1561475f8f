/**
 * Generates LIETIS bulk loads (shared/partners/lietis.md): windows-1257 XML with planted errors and
 * their truth, so that the pipeline's rejections can be compared with what was planted. Records are
 * written in the order they are generated, so the types are mixed as lietis.md allows, and a
 * record's index is simply its position among Export's children.
 */
import iconv from 'iconv-lite';
import { defineSimulator, type GenerateOptions, type GeneratedLoad } from '../../engine/index.ts';
import { SIMULATOR_CONFIG, batchSizes, corruptPersonCode, createRng, datesInMonth, familyNames, inBatches, pad2, personCodeFor, pickRecordKind, plantRecords, plantedTruth, providerRegNo, type MonthDates, type PersonName, type PlantVariant, type Rng } from '../../engine/simulators/index.ts';
import {
  BENEFIT_CODES, CATEGORIES, CODE_STYLE, DAUGAVPILS_NAMES, KINDS, RESULTS, SERVICE_CODES, UNITS, UNKNOWN_CODES, dmy, money, my,
} from './simulator-data.ts';

export const LIETIS_NAMESPACE = 'urn:lv:daugavpils:lietis:export:2';
export const LIETIS_CONTENT_TYPE = 'application/xml; charset=windows-1257';
/** Below the 4 MB limit of lietis.md with room for a partner's own whitespace. */
export const MAX_DOCUMENT_BYTES = 3_500_000;

export type LietisRecordType = 'Status' | 'Benefit' | 'Service' | 'Assistant';
/** Attributes of one record or member; an undefined value is left out of the XML. */
export type LietisAttrs = Record<string, string | undefined>;
export interface LietisRecordSpec { type: LietisRecordType; attrs: LietisAttrs; members?: LietisAttrs[] }
/** `created` as LIETIS writes it: DD.MM.YYYY HH:MM, Riga local time; `month` MM.YYYY. */
export interface LietisHeader { municipality: string; month: string; created: string; count?: number }

const ATTR_ORDER: Record<LietisRecordType, readonly string[]> = {
  Status: ['no', 'kind', 'decided', 'from', 'to', 'income', 'household'],
  Benefit: ['no', 'code', 'person', 'household', 'decided', 'month', 'amount', 'paid'],
  Service: ['no', 'person', 'result', 'service', 'provider', 'decided', 'from', 'to', 'volume', 'unit'],
  Assistant: ['no', 'person', 'assistant', 'category', 'month', 'granted', 'used'],
};
const MEMBER_ORDER = ['code', 'name', 'surname', 'first'];

/** Every character windows-1257 can carry; any other is written as a character reference. */
const CP1257 = new Set(iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'windows-1257'));
const esc = (s: string): string => [...s].map((c) => (/[&<>"]/.test(c) || !CP1257.has(c) ? `&#${c.codePointAt(0)};` : c)).join('');
const attrs = (a: LietisAttrs, order: readonly string[]): string =>
  order.filter((k) => a[k] !== undefined).map((k) => ` ${k}="${esc(a[k]!)}"`).join('');

export function renderLietisRecord(r: LietisRecordSpec): string {
  const open = `  <lietis:${r.type}${attrs(r.attrs, ATTR_ORDER[r.type])}`;
  if (r.type !== 'Status') return `${open}/>\n`;
  const members = (r.members ?? []).map((m) => `    <lietis:Member${attrs(m, MEMBER_ORDER)}/>\n`).join('');
  return `${open}>\n${members}  </lietis:Status>\n`;
}

const encode = (s: string): Buffer => iconv.encode(s, 'windows-1257');

function assemble(h: LietisHeader, records: Buffer[]): Buffer {
  const count = h.count ?? records.length;
  const head = `<?xml version="1.0" encoding="windows-1257"?>\n<lietis:Export xmlns:lietis="${LIETIS_NAMESPACE}"`
    + ` municipality="${esc(h.municipality)}" month="${esc(h.month)}" created="${esc(h.created)}" count="${count}">\n`;
  return Buffer.concat([encode(head), ...records, encode('</lietis:Export>\n')]);
}

/** One windows-1257 document from record specs (for tests and hand-made fixtures). */
export function renderLietisDocument(header: LietisHeader, records: LietisRecordSpec[]): Buffer {
  return assemble(header, records.map((r) => encode(renderLietisRecord(r))));
}

/** Per-load state shared by the record builders. */
interface Gen { rng: Rng; dates: MonthDates; month: string; prefix: string; seq: number; households: number }

const LETTER: Record<LietisRecordType, string> = { Status: 'S', Benefit: 'P', Service: 'K', Assistant: 'A' };
const ALL = ['Status', 'Benefit', 'Service', 'Assistant'] as const satisfies readonly LietisRecordType[];
const code = (g: Gen): string => personCodeFor(g.rng, CODE_STYLE);
const member = (g: Gen, p: PersonName, first: boolean): LietisAttrs => ({ code: code(g), name: p.given, surname: p.surname, first: String(first) });
/** A decimal comma now and then, as LIETIS writes fractional hours and volumes. */
const tenths = (rng: Rng, t: number): string => (t % 10 && rng.chance(0.5) ? `${Math.floor(t / 10)},${t % 10}` : String(Math.floor(t / 10)));

function validRecord(type: LietisRecordType, g: Gen): LietisRecordSpec {
  const { rng, dates } = g;
  const no = `${g.prefix}/${dates.year}${pad2(dates.month)}/${LETTER[type]}-${String(++g.seq).padStart(6, '0')}`;
  if (type === 'Status') {
    const members = familyNames(rng, rng.int(1, 4), DAUGAVPILS_NAMES).map((p, i) => member(g, p, i === 0));
    return {
      type, members, attrs: {
        no, kind: rng.pick(KINDS), decided: dmy(dates.day(rng)), from: dmy(dates.day(rng, 2)), to: dmy(dates.endOf(rng.int(0, 6))),
        income: rng.chance(0.6) ? money(rng.int(0, 60_000)) : undefined, household: `DH-${++g.households}`,
      },
    };
  }
  if (type === 'Benefit') {
    const decided = dates.day(rng);
    return {
      type, attrs: {
        no, code: rng.pick(BENEFIT_CODES), person: code(g),
        household: g.households && rng.chance(0.5) ? `DH-${rng.int(1, g.households)}` : undefined,
        decided: dmy(decided), month: g.month, amount: money(rng.int(500, 90_000)),
        paid: rng.chance(0.6) ? dmy(dates.day(rng, decided[2])) : undefined,
      },
    };
  }
  if (type === 'Service') {
    const decided = dates.day(rng);
    const unit = rng.chance(0.5) ? rng.pick(UNITS) : undefined;
    return {
      type, attrs: {
        no, person: code(g), result: rng.pick(RESULTS), service: rng.pick(SERVICE_CODES), provider: providerRegNo(rng),
        decided: dmy(decided), from: dmy(dates.day(rng, decided[2])),
        to: rng.chance(0.6) ? dmy(dates.endOf(rng.int(0, 12))) : undefined,
        volume: unit === undefined ? undefined : unit === 'v' ? '1' : tenths(rng, rng.int(10, unit === 'h/m' ? 1600 : 310)),
        unit,
      },
    };
  }
  const granted = rng.int(10, 160);
  return {
    type, attrs: {
      no, person: code(g), assistant: code(g), category: rng.pick(CATEGORIES),
      month: g.month, granted: String(granted), used: tenths(rng, rng.int(0, granted * 10)),
    },
  };
}

interface Variant extends PlantVariant { types: readonly LietisRecordType[]; apply(r: LietisRecordSpec, g: Gen): void }
const MONTHLY: readonly LietisRecordType[] = ['Benefit', 'Assistant'];
/** Assistant carries no decision date. */
const DECIDED: readonly LietisRecordType[] = ['Status', 'Benefit', 'Service'];
const set = (field: string, value: (g: Gen, r: LietisRecordSpec) => string | undefined) =>
  (r: LietisRecordSpec, g: Gen) => { r.attrs[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const corrupt = (field: string) => set(field, (g, r) => corruptPersonCode(g.rng, r.attrs[field]!));
const prevMonthEnd = (g: Gen) => dmy(g.dates.endOf(-1));
const impossibleDay = (g: Gen) => dmy(g.dates.impossible(g.rng));
const randomMember = (r: LietisRecordSpec, g: Gen) => g.rng.pick(r.members!);
/** A volume whose amount is valid, for the variants that break only the unit (or only the amount). */
const withVolume = (r: LietisRecordSpec, g: Gen) => { r.attrs.volume ??= String(g.rng.int(1, 31)); r.attrs.unit ??= 'd/m'; };

/**
 * Every way a record is broken, each with exactly one fault, named as lietisField names it. The
 * first of each code is the one kept when few records leave room.
 */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'person', types: ['Benefit', 'Service', 'Assistant'], apply: corrupt('person') },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', impossibleDay) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => my(g.dates.shift(1))) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => `-${money(g.rng.int(1, 90_000))}`) },
  { code: 'HOURS', field: 'used', types: ['Assistant'], apply: set('used', (g, r) => String(Number(r.attrs.granted) + g.rng.int(1, 20))) },
  { code: 'REQUIRED', field: 'person', types: ['Benefit'], apply: set('person', () => undefined) },
  { code: 'CLASSIFIER', field: 'kind', types: ['Status'], apply: unknown('kind') },
  { code: 'DUPLICATE', field: 'no', types: [], apply: () => undefined },
  { code: 'PERSON_CODE', field: 'Member@code', types: ['Status'], apply: (r, g) => { const m = randomMember(r, g); m.code = corruptPersonCode(g.rng, m.code!); } },
  { code: 'PERSON_CODE', field: 'assistant', types: ['Assistant'], apply: corrupt('assistant') },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => dmy([2099, g.dates.month, g.rng.int(1, 28)])) },
  // Neither a two-digit year nor the canonical YYYY-MM-DD is LIETIS's shape: both must be rejected.
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => `${pad2(g.rng.int(1, 28))}.${pad2(g.dates.month)}.${String(g.dates.year).slice(2)}`) },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => `${g.dates.year}-${pad2(g.dates.month)}-${pad2(g.rng.int(1, 28))}`) },
  { code: 'DATE', field: 'to', types: ['Status', 'Service'], apply: set('to', prevMonthEnd) },
  { code: 'DATE', field: 'paid', types: ['Benefit'], apply: set('paid', impossibleDay) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `13.${g.dates.year}`) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `${g.dates.year}.${pad2(g.dates.month)}`) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => money(g.rng.int(10_000_000, 50_000_000))) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => `${g.rng.int(5, 900)},${String(g.rng.int(1, 999)).padStart(3, '0')}`) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => `${g.rng.int(1, 9)}.${g.rng.int(100, 999)},${pad2(g.rng.int(0, 99))}`) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => `${g.rng.int(5, 900)}.${pad2(g.rng.int(0, 99))}`) },
  { code: 'AMOUNT', field: 'income', types: ['Status'], apply: set('income', (g) => `-${money(g.rng.int(1, 60_000))}`) },
  { code: 'AMOUNT', field: 'volume', types: ['Service'], apply: (r, g) => { withVolume(r, g); r.attrs.volume = `-${g.rng.int(1, 31)}`; } },
  { code: 'HOURS', field: 'granted', types: ['Assistant'], apply: set('granted', (g) => String(g.rng.int(745, 900))) },
  { code: 'HOURS', field: 'used', types: ['Assistant'], apply: set('used', (g, r) => `${Math.floor(Number(r.attrs.granted) / 2)},25`) },
  { code: 'REQUIRED', field: 'no', types: ALL, apply: set('no', () => undefined) },
  { code: 'REQUIRED', field: 'amount', types: ['Benefit'], apply: set('amount', () => undefined) },
  { code: 'REQUIRED', field: 'decided', types: DECIDED, apply: set('decided', () => undefined) },
  { code: 'REQUIRED', field: 'category', types: ['Assistant'], apply: set('category', () => undefined) },
  { code: 'REQUIRED', field: 'Member@surname', types: ['Status'], apply: (r, g) => { randomMember(r, g).surname = undefined; } },
  { code: 'REQUIRED', field: 'unit', types: ['Service'], apply: (r, g) => { withVolume(r, g); r.attrs.unit = undefined; } },
  { code: 'CLASSIFIER', field: 'code', types: ['Benefit'], apply: unknown('code') },
  { code: 'CLASSIFIER', field: 'result', types: ['Service'], apply: unknown('result') },
  { code: 'CLASSIFIER', field: 'service', types: ['Service'], apply: unknown('service') },
  { code: 'CLASSIFIER', field: 'category', types: ['Assistant'], apply: unknown('category') },
  { code: 'CLASSIFIER', field: 'unit', types: ['Service'], apply: (r, g) => { withVolume(r, g); r.attrs.unit = g.rng.pick(UNKNOWN_CODES.unit); } },
  {
    // A non-first member, so that the household still has its first member and `first` is the only fault.
    code: 'CLASSIFIER', field: 'Member@first', types: ['Status'],
    apply: (r, g) => {
      const members = r.members!;
      if (members.length === 1) members.push(member(g, familyNames(g.rng, 1, DAUGAVPILS_NAMES)[0], false));
      members[members.length - 1].first = g.rng.pick(UNKNOWN_CODES['Member@first']);
    },
  },
];

export function generateLietisLoad(opts: GenerateOptions): GeneratedLoad {
  const dates = datesInMonth(opts.period);
  const rng = createRng(opts.seed ?? 1);
  const g: Gen = { rng, dates, month: my([dates.year, dates.month]), prefix: 'DSP', seq: 0, households: 0 };
  // Encoded at once: holding 100k strings until the end costs more in GC than it saves.
  const { records, planted } = plantRecords(rng, VARIANTS, opts, (v) => {
    const rec = validRecord(v ? rng.pick(v.types) : pickRecordKind(rng, ALL), g);
    v?.apply(rec, g);
    return encode(renderLietisRecord(rec));
  });
  // 1 KB of each document is kept for the declaration and the root element with its header attributes.
  const recordCounts = batchSizes(records.map((r) => r.length), MAX_DOCUMENT_BYTES - 1024, opts.batches);
  const header = { municipality: opts.municipality, month: g.month, created: `${dmy([...dates.shift(1), 2])} 09:00` };
  const batches = inBatches(records, recordCounts).map((batch) => assemble({ ...header, count: batch.length }, batch));
  return { batches, contentType: LIETIS_CONTENT_TYPE, truth: plantedTruth(planted, recordCounts), recordCounts };
}

export const lietisSimulator = defineSimulator({
  name: 'lietis/simulator',
  source: 'lietis',
  summary: 'Generates LIETIS windows-1257 XML bulk loads (Status, Benefit, Service, Assistant) with planted record errors and their truth.',
  status: 'stable',
  config: SIMULATOR_CONFIG,
  generate: generateLietisLoad,
});
