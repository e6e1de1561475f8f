/**
 * Generates GVS bulk loads (shared/partners/gvs.md: NDJSON, a header line, one record per line)
 * with planted errors and their truth, so that the pipeline's rejections can be compared with
 * what was planted. Documents carry a few blank lines, which are not records and must not shift
 * the index of the records after them.
 */
import { defineSimulator, type GenerateOptions, type GeneratedLoad } from '../../engine/index.ts';
import { SIMULATOR_CONFIG, batchSizes, corruptPersonCode, createRng, datesInMonth, familyNames, inBatches, isoDate, isoMonth, personCodeFor, pickRecordKind, plantRecords, plantedTruth, providerRegNo, type MonthDates, type PersonName, type PlantVariant, type Rng } from '../../engine/simulators/index.ts';
import {
  BENEFIT_CODES, CATEGORY_CODES, CODE_STYLE, DECISION_CODES, SERVICE_CODES, STATUS_CODES, UNITS, UNKNOWN_CODES,
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
interface Gen { rng: Rng; dates: MonthDates; period: string; prefix: string; seq: number; households: number }

const LETTER: Record<GvsRecordType, string> = { status: 'S', benefit: 'P', service: 'K', assistant: 'A' };
const ALL = ['status', 'benefit', 'service', 'assistant'] as const satisfies readonly GvsRecordType[];
const code = (g: Gen): string => personCodeFor(g.rng, CODE_STYLE);
const member = (g: Gen, p: PersonName, firstMember: boolean): GvsMember =>
  ({ personCode: code(g), givenName: p.given, surname: p.surname, firstMember });

function validRecord(type: GvsRecordType, g: Gen): GvsRecord {
  const { rng, dates } = g;
  const decisionId = `${g.prefix}-${LETTER[type]}-${g.period}-${String(++g.seq).padStart(6, '0')}`;
  if (type === 'status') {
    const members = familyNames(rng, rng.int(1, 4)).map((p, i) => member(g, p, i === 0));
    return {
      recordType: type, decisionId, statusCode: rng.pick(STATUS_CODES), decisionDate: isoDate(dates.day(rng)), validFrom: isoDate(dates.day(rng, 2)),
      validTo: isoDate(dates.endOf(rng.int(0, 6))), householdId: `${g.prefix}-H-${++g.households}`, members,
      averageIncomeCents: rng.chance(0.6) ? rng.int(0, 60_000) : undefined,
    };
  }
  if (type === 'benefit') {
    const decided = dates.day(rng);
    return {
      recordType: type, decisionId, benefitCode: rng.pick(BENEFIT_CODES), personCode: code(g),
      householdId: g.households && rng.chance(0.5) ? `${g.prefix}-H-${rng.int(1, g.households)}` : undefined,
      decisionDate: isoDate(decided), month: g.period, amountCents: rng.int(500, 90_000),
      paidOn: rng.chance(0.6) ? isoDate(dates.day(rng, decided[2])) : undefined,
    };
  }
  if (type === 'service') {
    const decided = dates.day(rng);
    const unit = rng.chance(0.5) ? rng.pick(UNITS) : undefined;
    return {
      recordType: type, decisionId, personCode: code(g), decisionCode: rng.pick(DECISION_CODES),
      serviceCode: rng.pick(SERVICE_CODES), providerRegNo: providerRegNo(rng), decisionDate: isoDate(decided), from: isoDate(dates.day(rng, decided[2])),
      to: rng.chance(0.6) ? isoDate(dates.endOf(rng.int(0, 12))) : undefined,
      volume: unit === undefined ? undefined : unit === 'p' ? 1 : rng.int(1, unit === 'h' ? 160 : 31), unit,
    };
  }
  const granted = rng.int(10, 160);
  const tenths = rng.int(0, granted * 10);
  return {
    recordType: type, decisionId, personCode: code(g), assistantPersonCode: code(g),
    categoryCode: rng.pick(CATEGORY_CODES), month: g.period, grantedHours: granted,
    usedHours: rng.chance(0.4) ? tenths / 10 : Math.floor(tenths / 10),
  };
}

/** A planted fault: changes the record, or returns the raw line to write instead of it. */
interface Variant extends PlantVariant { types: readonly GvsRecordType[]; apply(r: GvsRecord, g: Gen): string | void }
const MONTHLY: readonly GvsRecordType[] = ['benefit', 'assistant'];
/** An assistant month carries no decision date. */
const DECIDED: readonly GvsRecordType[] = ['status', 'benefit', 'service'];
const set = (field: string, value: (g: Gen, r: GvsRecord) => unknown) => (r: GvsRecord, g: Gen) => { r[field] = value(g, r); };
const unknown = (field: string) => set(field, (g) => g.rng.pick(UNKNOWN_CODES[field]));
const corrupt = (field: string) => set(field, (g, r) => corruptPersonCode(g.rng, r[field] as string));
const prevMonthEnd = (g: Gen) => isoDate(g.dates.endOf(-1));
const membersOf = (r: GvsRecord) => r.members as GvsMember[];

/** Every way a record is broken, each with exactly one fault. The first of each code is the one kept when few records leave room. */
const VARIANTS: readonly Variant[] = [
  { code: 'PERSON_CODE', field: 'personCode', types: ['benefit', 'service', 'assistant'], apply: corrupt('personCode') },
  { code: 'DATE', field: 'decisionDate', types: DECIDED, apply: set('decisionDate', (g) => isoDate(g.dates.impossible(g.rng))) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => isoMonth(g.dates.shift(1))) },
  { code: 'AMOUNT', field: 'amountCents', types: ['benefit'], apply: set('amountCents', (g) => -g.rng.int(1, 90_000)) },
  { code: 'HOURS', field: 'usedHours', types: ['assistant'], apply: set('usedHours', (g, r) => Number(r.grantedHours) + g.rng.int(1, 20)) },
  { code: 'REQUIRED', field: 'personCode', types: ['benefit'], apply: set('personCode', () => undefined) },
  { code: 'CLASSIFIER', field: 'benefitCode', types: ['benefit'], apply: unknown('benefitCode') },
  { code: 'DUPLICATE', field: 'decisionId', types: [], apply: () => undefined },
  // A record cut off mid-line, as a partner's crashed export writes it.
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r, g) => { const s = JSON.stringify(r); return s.slice(0, g.rng.int(10, s.length - 2)); } },
  {
    code: 'PERSON_CODE', field: 'members[].personCode', types: ['status'],
    apply: (r, g) => { const m = g.rng.pick(membersOf(r)); m.personCode = corruptPersonCode(g.rng, m.personCode); },
  },
  { code: 'PERSON_CODE', field: 'assistantPersonCode', types: ['assistant'], apply: corrupt('assistantPersonCode') },
  { code: 'DATE', field: 'decisionDate', types: DECIDED, apply: set('decisionDate', (g) => isoDate([2099, g.dates.month, g.rng.int(1, 28)])) },
  { code: 'DATE', field: 'validTo', types: ['status'], apply: set('validTo', prevMonthEnd) },
  { code: 'DATE', field: 'to', types: ['service'], apply: set('to', prevMonthEnd) },
  { code: 'PERIOD', field: 'month', types: MONTHLY, apply: set('month', (g) => `${g.dates.year}-13`) },
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
      if (members.length === 1) members.push(member(g, familyNames(g.rng, 1)[0], false));
      members[members.length - 1].firstMember = g.rng.pick(UNKNOWN_CODES.firstMember);
    },
  },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify(r).replace(/}$/, ',}') },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify(Object.values(r)) },
  { code: 'FORMAT', field: 'line', types: ALL, apply: (r) => JSON.stringify({ ...r, note: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }) },
];

export function generateGvsLoad(opts: GenerateOptions): GeneratedLoad {
  const dates = datesInMonth(opts.period);
  const rng = createRng(opts.seed ?? 1);
  const g: Gen = { rng, dates, period: opts.period, prefix: `GVS-${opts.municipality}`, seq: 0, households: 0 };
  // One encoded line per record; about one in a hundred is preceded by a blank (or blank-looking) line.
  const { records, planted } = plantRecords(rng, VARIANTS, opts, (v) => {
    const blank = rng.chance(0.01) ? rng.pick(['\n', '   \n', '\t\r\n']) : '';
    const rec = validRecord(v ? rng.pick(v.types) : pickRecordKind(rng, ALL), g);
    return Buffer.from(`${blank}${v?.apply(rec, g) ?? JSON.stringify(rec)}\n`);
  });
  // 1 KB of each document is kept for the header line and its blank line.
  const recordCounts = batchSizes(records.map((r) => r.length), MAX_DOCUMENT_BYTES - 1024, opts.batches);
  const header: GvsHeader = { municipality: opts.municipality, period: opts.period, created: `${isoDate([...dates.shift(1), 2])}T08:00:00+02:00` };
  // The header is followed by a blank line and the document ends with one: neither is a record.
  const batches = inBatches(records, recordCounts)
    .map((batch) => Buffer.concat([Buffer.from(`${headerLine(header, batch.length)}\n\n`), ...batch, Buffer.from('\n')]));
  return { batches, contentType: 'application/x-ndjson', truth: plantedTruth(planted, recordCounts), recordCounts };
}

export const gvsSimulator = defineSimulator({
  name: 'gvs/simulator',
  source: 'gvs',
  summary: 'Generates GVS NDJSON bulk loads (status, benefit, service, assistant lines) with planted record errors, broken lines among them, and their truth.',
  status: 'stable',
  config: SIMULATOR_CONFIG,
  generate: generateGvsLoad,
});
