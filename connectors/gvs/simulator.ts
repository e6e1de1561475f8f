/**
 * Generates GVS bulk loads (shared/partners/gvs.md: NDJSON, a header line, one record per line)
 * with planted errors and their truth, so that the pipeline's rejections can be compared with
 * what was planted. Documents carry a few blank lines, which are not records and must not shift
 * the index of the records after them.
 */
import { defineSimulator, type GenerateOptions, type GeneratedLoad, type PlantedError } from '../../engine/index.ts';
import {
  BENEFIT_CODES, CATEGORY_CODES, DECISION_CODES, Rng, SERVICE_CODES, STATUS_CODES, UNITS, UNKNOWN_CODES,
  familyName, invalidPersonCode, lastOf, pad2, person, shiftMonth, validPersonCode, ymd,
} from './simulator-data.ts';

/** Below the 4 MB limit of gvs.md with room to spare. */
export const MAX_DOCUMENT_BYTES = 3_500_000;

export type GvsRecordType = 'status' | 'benefit' | 'service' | 'assistant';
export interface GvsMember { personCode: string; givenName?: string; surname: string; firstMember: unknown }
/** One record line as an object; undefined members are left out by JSON.stringify. */
export type GvsRecord = { recordType: string; [field: string]: unknown };
export interface GvsHeader { municipality: string; period: string; created: string; count?: number }

const headerLine = (h: GvsHeader, count: number): string =>
  JSON.stringify({ recordType: 'header', municipality: h.municipality, period: h.period, created: h.created, count });

/** A document from record objects and raw lines (a string is written as is, e.g. a broken line). */
export function renderGvsDocument(header: GvsHeader, records: (GvsRecord | string)[]): string {
  const lines = records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
  return `${headerLine(header, header.count ?? lines.length)}\n\n${lines.join('\n')}\n`;
}

/** Per-load state shared by the record builders. */
interface Gen { rng: Rng; y: number; m: number; period: string; prefix: string; seq: number; households: number }

const LETTER: Record<GvsRecordType, string> = { status: 'S', benefit: 'P', service: 'K', assistant: 'A' };
/** Decision dates stop at the 28th so that every month (and the creation time) stays ahead of them. */
const dayInPeriod = (g: Gen, from = 1): string => ymd(g.y, g.m, g.rng.int(from, 28));

function validRecord(type: GvsRecordType, g: Gen): GvsRecord {
  const { rng } = g;
  const decisionId = `${g.prefix}-${LETTER[type]}-${g.period}-${String(++g.seq).padStart(6, '0')}`;
  if (type === 'status') {
    const family = familyName(rng);
    const members: GvsMember[] = [];
    for (let i = 0, size = rng.int(1, 4); i < size; i++) {
      const p = person(rng, family);
      members.push({ personCode: validPersonCode(rng), givenName: p.given, surname: p.surname, firstMember: i === 0 });
    }
    return {
      recordType: type, decisionId, statusCode: rng.pick(STATUS_CODES), decisionDate: dayInPeriod(g), validFrom: dayInPeriod(g, 2),
      validTo: ymd(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 6)))), householdId: `${g.prefix}-H-${++g.households}`, members,
      averageIncomeCents: rng.chance(0.6) ? rng.int(0, 60_000) : undefined,
    };
  }
  if (type === 'benefit') {
    const day = rng.int(1, 28);
    return {
      recordType: type, decisionId, benefitCode: rng.pick(BENEFIT_CODES), personCode: validPersonCode(rng),
      householdId: g.households && rng.chance(0.5) ? `${g.prefix}-H-${rng.int(1, g.households)}` : undefined,
      decisionDate: ymd(g.y, g.m, day), month: g.period, amountCents: rng.int(500, 90_000),
      paidOn: rng.chance(0.6) ? dayInPeriod(g, day) : undefined,
    };
  }
  if (type === 'service') {
    const day = rng.int(1, 28);
    const unit = rng.chance(0.5) ? rng.pick(UNITS) : undefined;
    return {
      recordType: type, decisionId, personCode: validPersonCode(rng), decisionCode: rng.pick(DECISION_CODES),
      serviceCode: rng.pick(SERVICE_CODES), providerRegNo: rng.chance(0.5) ? `SPS-${String(rng.int(1, 999_999)).padStart(6, '0')}` : undefined,
      decisionDate: ymd(g.y, g.m, day), from: dayInPeriod(g, day),
      to: rng.chance(0.6) ? ymd(...lastOf(shiftMonth(g.y, g.m, rng.int(0, 12)))) : undefined,
      volume: unit === undefined ? undefined : unit === 'p' ? 1 : rng.int(1, unit === 'h' ? 160 : 31), unit,
    };
  }
  const granted = rng.int(10, 160);
  const tenths = rng.int(0, granted * 10);
  return {
    recordType: type, decisionId, personCode: validPersonCode(rng), assistantPersonCode: validPersonCode(rng),
    categoryCode: rng.pick(CATEGORY_CODES), month: g.period, grantedHours: granted,
    usedHours: rng.chance(0.4) ? tenths / 10 : Math.floor(tenths / 10),
  };
}

/** A planted fault: changes the record, or returns the raw line to write instead of it. */
interface Variant { code: PlantedError['code']; field: string; types: readonly GvsRecordType[]; apply(r: GvsRecord, g: Gen): string | void }
const MONTHLY: readonly GvsRecordType[] = ['benefit', 'assistant'];
/** An assistant month carries no decision date. */
const DECIDED: readonly GvsRecordType[] = ['status', 'benefit', 'service'];
const ALL: readonly GvsRecordType[] = ['status', 'benefit', 'service', 'assistant'];
const set = (field: string, value: (g: Gen, r: GvsRecord) => unknown) => (r: GvsRecord, g: Gen) => { r[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const prevMonthEnd = (g: Gen) => ymd(...lastOf(shiftMonth(g.y, g.m, -1)));
const membersOf = (r: GvsRecord) => r.members as GvsMember[];

/** Every way a record is broken, each with exactly one fault. The first of each code is the one kept when few records leave room. */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'personCode', types: ['benefit', 'service', 'assistant'], apply: set('personCode', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'decisionDate', types: DECIDED, apply: set('decisionDate', (g) => `${g.y}-${g.rng.pick(['02-30', '02-31', '04-31', '06-31', '09-31', '11-31'])}`) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => { const [y, m] = shiftMonth(g.y, g.m, 1); return `${y}-${pad2(m)}`; }) },
  { code: 'AMOUNT', field: 'amountCents', types: ['benefit'], apply: set('amountCents', (g) => -g.rng.int(1, 90_000)) },
  { code: 'HOURS', field: 'usedHours', types: ['assistant'], apply: set('usedHours', (g, r) => Number(r.grantedHours) + g.rng.int(1, 20)) },
  { code: 'REQUIRED', field: 'personCode', types: ['benefit'], apply: set('personCode', () => undefined) },
  { code: 'CLASSIFIER', field: 'benefitCode', types: ['benefit'], apply: unknown('benefitCode') },
  { code: 'DUPLICATE', field: 'decisionId', types: [], apply: () => undefined },
  // A record cut off mid-line, as a partner's crashed export writes it.
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r, g) => { const s = JSON.stringify(r); return s.slice(0, g.rng.int(10, s.length - 2)); } },
  { code: 'PERSON_CODE', field: 'members[].personCode', types: ['status'], apply: (r, g) => { g.rng.pick(membersOf(r)).personCode = invalidPersonCode(g.rng); } },
  { code: 'PERSON_CODE', field: 'assistantPersonCode', types: ['assistant'], apply: set('assistantPersonCode', (g) => invalidPersonCode(g.rng)) },
  { code: 'DATE', field: 'decisionDate', types: DECIDED, apply: set('decisionDate', (g) => ymd(2099, g.m, g.rng.int(1, 28))) },
  { code: 'DATE', field: 'validTo', types: ['status'], apply: set('validTo', prevMonthEnd) },
  { code: 'DATE', field: 'to', types: ['service'], apply: set('to', prevMonthEnd) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `${g.y}-13`) },
  { code: 'AMOUNT', field: 'amountCents', types: ['benefit'], apply: set('amountCents', (g) => g.rng.int(10_000_000, 50_000_000)) },
  { code: 'AMOUNT', field: 'amountCents', types: ['benefit'], apply: set('amountCents', (g) => g.rng.int(500, 90_000) + 0.5) },
  { code: 'AMOUNT', field: 'amountCents', types: ['benefit'], apply: set('amountCents', (g) => String(g.rng.int(500, 90_000))) },
  { code: 'AMOUNT', field: 'averageIncomeCents', types: ['status'], apply: set('averageIncomeCents', (g) => -g.rng.int(1, 60_000)) },
  { code: 'HOURS', field: 'grantedHours', types: ['assistant'], apply: set('grantedHours', (g) => g.rng.int(745, 900)) },
  { code: 'REQUIRED', field: 'amountCents', types: ['benefit'], apply: set('amountCents', () => undefined) },
  { code: 'REQUIRED', field: 'decisionDate', types: DECIDED, apply: set('decisionDate', () => undefined) },
  { code: 'REQUIRED', field: 'categoryCode', types: ['assistant'], apply: set('categoryCode', () => undefined) },
  { code: 'REQUIRED', field: 'members[].givenName', types: ['status'], apply: (r, g) => { delete g.rng.pick(membersOf(r)).givenName; } },
  { code: 'REQUIRED', field: 'recordType', types: ALL, apply: (r) => JSON.stringify({ ...r, recordType: undefined }) },
  { code: 'CLASSIFIER', field: 'statusCode', types: ['status'], apply: unknown('statusCode') },
  { code: 'CLASSIFIER', field: 'decisionCode', types: ['service'], apply: unknown('decisionCode') },
  { code: 'CLASSIFIER', field: 'serviceCode', types: ['service'], apply: unknown('serviceCode') },
  { code: 'CLASSIFIER', field: 'categoryCode', types: ['assistant'], apply: unknown('categoryCode') },
  { code: 'CLASSIFIER', field: 'unit', types: ['service'], apply: (r, g) => { r.volume = g.rng.int(1, 31); r.unit = g.rng.pick(UNKNOWN_CODES.unit); } },
  { code: 'CLASSIFIER', field: 'recordType', types: ALL, apply: unknown('recordType') },
  {
    // A non-first member, so that the household still has its first member and firstMember is the only fault.
    code: 'CLASSIFIER', field: 'members[].firstMember', types: ['status'],
    apply: (r, g) => {
      const members = membersOf(r);
      if (members.length === 1) {
        const p = person(g.rng, familyName(g.rng));
        members.push({ personCode: validPersonCode(g.rng), givenName: p.given, surname: p.surname, firstMember: false });
      }
      members[members.length - 1].firstMember = g.rng.pick(UNKNOWN_CODES.firstMember);
    },
  },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify(r).replace(/}$/, ',}') },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify(Object.values(r)) },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify({ ...r, note: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }) },
];
const DISTINCT_CODES = new Set(VARIANTS.map((v) => v.code)).size;

function pickType(rng: Rng): GvsRecordType {
  const x = rng.next();
  return x < 0.25 ? 'status' : x < 0.65 ? 'benefit' : x < 0.85 ? 'service' : 'assistant';
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

/** Even batch sizes; the first `n % b` batches take one record more. */
function split(n: number, b: number): number[] {
  return Array.from({ length: b }, (_, i) => Math.floor(n / b) + (i < n % b ? 1 : 0));
}

function autoBatchCount(bytes: number[]): number {
  const room = MAX_DOCUMENT_BYTES - 1024; // the header line and its blank line
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

export function generateGvsLoad(opts: GenerateOptions): GeneratedLoad {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.period)) throw new Error(`period must be YYYY-MM, got ${opts.period}`);
  const n = Math.max(0, Math.floor(opts.records));
  const [y, m] = opts.period.split('-').map(Number);
  const rng = new Rng(opts.seed ?? 1);
  const g: Gen = { rng, y, m, period: opts.period, prefix: `GVS-${opts.municipality}`, seq: 0, households: 0 };
  const slots = planSlots(n, opts, rng);
  // One encoded line per record; about one in a hundred is preceded by a blank (or blank-looking) line.
  const frags: Buffer[] = new Array(n);
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
    const blank = rng.chance(0.01) ? rng.pick(['\n', '   \n', '\t\r\n']) : '';
    if (v?.code === 'DUPLICATE') {
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
    const raw = v?.apply(rec, g);
    if (v) planted.push({ pos, v });
    else validPool.push(pos);
    frags[pos] = Buffer.from(`${blank}${raw ?? JSON.stringify(rec)}\n`);
  }

  const batchCount = opts.batches && opts.batches > 0 ? Math.floor(opts.batches) : autoBatchCount(frags.map((f) => f.length));
  const recordCounts = split(n, batchCount);
  const [cy, cm] = shiftMonth(y, m, 1);
  const header: GvsHeader = { municipality: opts.municipality, period: opts.period, created: `${ymd(cy, cm, 2)}T08:00:00+02:00` };
  const batchOf = new Uint32Array(n);
  const batches: Buffer[] = [];
  let start = 0;
  recordCounts.forEach((size, b) => {
    for (let pos = start; pos < start + size; pos++) batchOf[pos] = b + 1;
    // The header is followed by a blank line and the document ends with one: neither is a record.
    batches.push(Buffer.concat([Buffer.from(`${headerLine(header, size)}\n\n`), ...frags.slice(start, start + size), Buffer.from('\n')]));
    start += size;
  });
  const firstOf = (b: number) => recordCounts.slice(0, b - 1).reduce((a, c) => a + c, 0);
  const truth: PlantedError[] = planted
    .map(({ pos, v }) => ({ batch: batchOf[pos], index: pos - firstOf(batchOf[pos]), code: v.code, field: v.field }))
    .sort((a, b) => a.batch - b.batch || a.index - b.index);
  return { batches, contentType: 'application/x-ndjson', truth, recordCounts };
}

export const gvsSimulator = defineSimulator({
  name: 'gvs/simulator',
  source: 'gvs',
  summary: 'Generates GVS NDJSON bulk loads (status, benefit, service, assistant lines) with planted record errors, broken lines among them, and their truth.',
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
  generate: generateGvsLoad,
});
