/**
 * Generates LIETIS bulk loads (shared/partners/lietis.md): windows-1257 XML with planted errors and
 * their truth, so that the pipeline's rejections can be compared with what was planted. Records are
 * written in the order they are generated, so the types are mixed as lietis.md allows, and a
 * record's index is simply its position among Export's children.
 */
import iconv from 'iconv-lite';
import { defineSimulator, type GenerateOptions, type GeneratedLoad, type PlantedError } from '../../engine/index.ts';
import {
  BENEFIT_CODES, CATEGORIES, KINDS, RESULTS, Rng, SERVICE_CODES, UNITS, UNKNOWN_CODES, autoBatchCount, dmy, familyName,
  invalidPersonCode, lastOf, money, my, pad2, person, shiftMonth, split, validPersonCode,
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
interface Gen { rng: Rng; y: number; m: number; prefix: string; seq: number; households: number }

const LETTER: Record<LietisRecordType, string> = { Status: 'S', Benefit: 'P', Service: 'K', Assistant: 'A' };
/** Decision dates stop at the 28th so that every month (and the load's creation) stays ahead of them. */
const dayInPeriod = (g: Gen, from = 1): string => dmy(g.y, g.m, g.rng.int(from, 28));
/** A decimal comma now and then, as LIETIS writes fractional hours and volumes. */
const tenths = (rng: Rng, t: number): string => (t % 10 && rng.chance(0.5) ? `${Math.floor(t / 10)},${t % 10}` : String(Math.floor(t / 10)));

function validRecord(type: LietisRecordType, g: Gen): LietisRecordSpec {
  const { rng } = g;
  const no = `${g.prefix}/${g.y}${pad2(g.m)}/${LETTER[type]}-${String(++g.seq).padStart(6, '0')}`;
  if (type === 'Status') {
    const family = familyName(rng);
    const members = Array.from({ length: rng.int(1, 4) }, (_, i) => {
      const p = person(rng, family);
      return { code: validPersonCode(rng), name: p.given, surname: p.surname, first: i === 0 ? 'true' : 'false' };
    });
    return {
      type, members, attrs: {
        no, kind: rng.pick(KINDS), decided: dayInPeriod(g), from: dayInPeriod(g, 2), to: dmy(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 6)))),
        income: rng.chance(0.6) ? money(rng.int(0, 60_000)) : undefined, household: `DH-${++g.households}`,
      },
    };
  }
  if (type === 'Benefit') {
    const day = rng.int(1, 28);
    return {
      type, attrs: {
        no, code: rng.pick(BENEFIT_CODES), person: validPersonCode(rng),
        household: g.households && rng.chance(0.5) ? `DH-${rng.int(1, g.households)}` : undefined,
        decided: dmy(g.y, g.m, day), month: my(g.y, g.m), amount: money(rng.int(500, 90_000)),
        paid: rng.chance(0.6) ? dayInPeriod(g, day) : undefined,
      },
    };
  }
  if (type === 'Service') {
    const day = rng.int(1, 28);
    const unit = rng.chance(0.5) ? rng.pick(UNITS) : undefined;
    return {
      type, attrs: {
        no, person: validPersonCode(rng), result: rng.pick(RESULTS), service: rng.pick(SERVICE_CODES),
        provider: rng.chance(0.5) ? `SPS-${String(rng.int(1, 999_999)).padStart(6, '0')}` : undefined,
        decided: dmy(g.y, g.m, day), from: dayInPeriod(g, day),
        to: rng.chance(0.6) ? dmy(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 12)))) : undefined,
        volume: unit === undefined ? undefined : unit === 'v' ? '1' : tenths(rng, rng.int(10, unit === 'h/m' ? 1600 : 310)),
        unit,
      },
    };
  }
  const granted = rng.int(10, 160);
  return {
    type, attrs: {
      no, person: validPersonCode(rng), assistant: validPersonCode(rng), category: rng.pick(CATEGORIES),
      month: my(g.y, g.m), granted: String(granted), used: tenths(rng, rng.int(0, granted * 10)),
    },
  };
}

interface Variant { code: PlantedError['code']; field: string; types: readonly LietisRecordType[]; apply(r: LietisRecordSpec, g: Gen): void }
const MONTHLY: readonly LietisRecordType[] = ['Benefit', 'Assistant'];
/** Assistant carries no decision date. */
const DECIDED: readonly LietisRecordType[] = ['Status', 'Benefit', 'Service'];
const ALL: readonly LietisRecordType[] = ['Status', 'Benefit', 'Service', 'Assistant'];
const set = (field: string, value: (g: Gen, r: LietisRecordSpec) => string | undefined) =>
  (r: LietisRecordSpec, g: Gen) => { r.attrs[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const prevMonthEnd = (g: Gen) => dmy(...lastOf(shiftMonth(g.y, g.m, -1)));
const impossibleDay = (g: Gen) => `${g.rng.pick(['30.02', '31.02', '31.04', '31.06', '31.09', '31.11'])}.${g.y}`;
const randomMember = (r: LietisRecordSpec, g: Gen) => g.rng.pick(r.members!);
/** A volume whose amount is valid, for the variants that break only the unit (or only the amount). */
const withVolume = (r: LietisRecordSpec, g: Gen) => { r.attrs.volume ??= String(g.rng.int(1, 31)); r.attrs.unit ??= 'd/m'; };

/**
 * Every way a record is broken, each with exactly one fault, named as lietisField names it. The
 * first of each code is the one kept when few records leave room.
 */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'person', types: ['Benefit', 'Service', 'Assistant'], apply: set('person', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', impossibleDay) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => my(...shiftMonth(g.y, g.m, 1))) },
  { code: 'AMOUNT', field: 'amount', types: ['Benefit'], apply: set('amount', (g) => `-${money(g.rng.int(1, 90_000))}`) },
  { code: 'HOURS', field: 'used', types: ['Assistant'], apply: set('used', (g, r) => String(Number(r.attrs.granted) + g.rng.int(1, 20))) },
  { code: 'REQUIRED', field: 'person', types: ['Benefit'], apply: set('person', () => undefined) },
  { code: 'CLASSIFIER', field: 'kind', types: ['Status'], apply: unknown('kind') },
  { code: 'DUPLICATE', field: 'no', types: [], apply: () => undefined },
  { code: 'PERSON_CODE', field: 'Member@code', types: ['Status'], apply: (r, g) => { randomMember(r, g).code = invalidPersonCode(g.rng); } },
  { code: 'PERSON_CODE', field: 'assistant', types: ['Assistant'], apply: set('assistant', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => dmy(2099, g.m, g.rng.int(1, 28))) },
  // Neither a two-digit year nor the canonical YYYY-MM-DD is LIETIS's shape: both must be rejected.
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => `${pad2(g.rng.int(1, 28))}.${pad2(g.m)}.${String(g.y).slice(2)}`) },
  { code: 'DATE', field: 'decided', types: DECIDED, apply: set('decided', (g) => `${g.y}-${pad2(g.m)}-${pad2(g.rng.int(1, 28))}`) },
  { code: 'DATE', field: 'to', types: ['Status', 'Service'], apply: set('to', prevMonthEnd) },
  { code: 'DATE', field: 'paid', types: ['Benefit'], apply: set('paid', impossibleDay) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `13.${g.y}`) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `${g.y}.${pad2(g.m)}`) },
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
      if (members.length === 1) {
        const p = person(g.rng, familyName(g.rng));
        members.push({ code: validPersonCode(g.rng), name: p.given, surname: p.surname, first: 'false' });
      }
      members[members.length - 1].first = g.rng.pick(UNKNOWN_CODES['Member@first']);
    },
  },
];
const DISTINCT_CODES = new Set(VARIANTS.map((v) => v.code)).size;

function pickType(rng: Rng): LietisRecordType {
  const x = rng.next();
  return x < 0.25 ? 'Status' : x < 0.65 ? 'Benefit' : x < 0.85 ? 'Service' : 'Assistant';
}

/** Planted variants by position, one per even stretch of the load so that they spread over batches. */
function planSlots(n: number, opts: GenerateOptions, rng: Rng): Map<number, Variant> {
  const forced = opts.everyCode ? VARIANTS.slice(0, n >= 4 * VARIANTS.length ? VARIANTS.length : DISTINCT_CODES) : [];
  // At most every other record is planted, so that a DUPLICATE always finds a valid record before it.
  const count = Math.min(Math.floor(n / 2), Math.max(forced.length, Math.round(n * (opts.errorRate ?? 0.02))));
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

export function generateLietisLoad(opts: GenerateOptions): GeneratedLoad {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.period)) throw new Error(`period must be YYYY-MM, got ${opts.period}`);
  const n = Math.max(0, Math.floor(opts.records));
  const [y, m] = opts.period.split('-').map(Number);
  const rng = new Rng(opts.seed ?? 1);
  const g: Gen = { rng, y, m, prefix: 'DSP', seq: 0, households: 0 };
  const slots = planSlots(n, opts, rng);
  // Encoded at once: holding 100k strings until the end costs more in GC than it saves.
  const frags: Buffer[] = new Array(n);
  const planted: { pos: number; v: Variant }[] = [];
  const validPool: number[] = [];
  const duplicate = VARIANTS.find((x) => x.code === 'DUPLICATE')!;
  let pendingDuplicates = 0;
  for (let pos = 0; pos < n; pos++) {
    let v = slots.get(pos);
    if (v === duplicate && validPool.length === 0) {
      pendingDuplicates++;
      v = undefined;
    } else if (!v && pendingDuplicates > 0 && validPool.length > 0) {
      pendingDuplicates--;
      v = duplicate;
    }
    if (v === duplicate) {
      // Removed from the pool so that no record is the original of two duplicates.
      const i = rng.int(0, validPool.length - 1);
      const orig = validPool[i];
      validPool[i] = validPool[validPool.length - 1];
      validPool.pop();
      frags[pos] = frags[orig];
      planted.push({ pos, v });
      continue;
    }
    const rec = validRecord(v ? rng.pick(v.types) : pickType(rng), g);
    if (v) {
      v.apply(rec, g);
      planted.push({ pos, v });
    } else validPool.push(pos);
    frags[pos] = encode(renderLietisRecord(rec));
  }

  // 1 KB of each document is kept for the declaration and the root element with its header attributes.
  const batchCount = opts.batches && opts.batches > 0 ? Math.floor(opts.batches) : autoBatchCount(frags.map((f) => f.length), MAX_DOCUMENT_BYTES - 1024);
  const recordCounts = split(n, batchCount);
  const created = `${dmy(...shiftMonth(y, m, 1), 2)} 09:00`;
  const batchOf = new Uint32Array(n);
  const batches: Buffer[] = [];
  let start = 0;
  recordCounts.forEach((size, b) => {
    for (let pos = start; pos < start + size; pos++) batchOf[pos] = b + 1;
    batches.push(assemble({ municipality: opts.municipality, month: my(y, m), created, count: size }, frags.slice(start, start + size)));
    start += size;
  });
  const firstOf = (batch: number) => recordCounts.slice(0, batch - 1).reduce((a, c) => a + c, 0);
  const truth: PlantedError[] = planted
    .map(({ pos, v }) => ({ batch: batchOf[pos], index: pos - firstOf(batchOf[pos]), code: v.code, field: v.field }))
    .sort((a, b) => a.batch - b.batch || a.index - b.index);
  return { batches, contentType: LIETIS_CONTENT_TYPE, truth, recordCounts };
}

export const lietisSimulator = defineSimulator({
  name: 'lietis/simulator',
  source: 'lietis',
  summary: 'Generates LIETIS windows-1257 XML bulk loads (Status, Benefit, Service, Assistant) with planted record errors and their truth.',
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
  generate: generateLietisLoad,
});
