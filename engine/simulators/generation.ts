/**
 * What every bulk-load simulator shares, whatever its partner's format: a seeded PRNG, Latvian
 * names, personal codes (valid, and broken on purpose), month arithmetic, batch sizing and the
 * bookkeeping that plants errors in a load and records their truth. A connector keeps only what is
 * its own: element and attribute names, codes, spellings of dates and amounts, rendering, and the
 * ways its records can be broken.
 */
import type { GenerateOptions, PlantedError } from '../components/specs.ts';
import { checkDigit, isNewStyle, makePersonCode, normalizePersonCode, personCodeProblem } from '../validation/person-code.ts';

/** A seeded source of randomness; the same seed gives the same sequence on every machine. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/**
 * mulberry32: tiny and fast, and the same seed must give byte-identical loads everywhere.
 * @example createRng(7).int(1, 28) // the same day on every run
 */
export function createRng(seed: number): Rng {
  let s = Math.trunc(seed) >>> 0;
  const next = (): number => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

/** Given names by gender, and surnames as [male, female]: Latvian surnames inflect by gender. */
export interface NamePool {
  male: readonly string[];
  female: readonly string[];
  surnames: readonly (readonly [male: string, female: string])[];
}
export interface PersonName { given: string; surname: string }

/** Common Latvian names, with the letters (ā, ē, ģ, ķ, ļ, ņ, š, ž…) that encodings must carry. */
export const LATVIAN_NAMES: NamePool = {
  male: ['Jānis', 'Andris', 'Edgars', 'Māris', 'Kārlis', 'Ģirts', 'Artūrs', 'Oļegs', 'Roberts', 'Ivars', 'Aleksandrs', 'Dmitrijs'],
  female: ['Anna', 'Ļubova', 'Inese', 'Līga', 'Ilze', 'Kristīne', 'Māra', 'Ērika', 'Zane', 'Baiba', 'Gunta', 'Olga'],
  surnames: [
    ['Bērziņš', 'Bērziņa'], ['Ozoliņš', 'Ozoliņa'], ['Kalniņš', 'Kalniņa'], ['Jansons', 'Jansone'],
    ['Liepiņš', 'Liepiņa'], ['Krūmiņš', 'Krūmiņa'], ['Šuškovs', 'Šuškova'], ['Vītols', 'Vītola'],
    ['Kļaviņš', 'Kļaviņa'], ['Eglītis', 'Eglīte'], ['Pētersons', 'Pētersone'], ['Ivanovs', 'Ivanova'],
    ['Zariņš', 'Zariņa'], ['Grīnbergs', 'Grīnberga'], ['Lāce', 'Lāce'], ['Žagars', 'Žagare'],
  ],
};

/**
 * `size` members of one family: one surname, inflected by each member's gender.
 * @example familyNames(rng, 2) // [{ given: 'Inese', surname: 'Kalniņa' }, { given: 'Jānis', surname: 'Kalniņš' }]
 */
export function familyNames(rng: Rng, size: number, pool: NamePool = LATVIAN_NAMES): PersonName[] {
  const [male, female] = rng.pick(pool.surnames);
  return Array.from({ length: size }, () => {
    const isFemale = rng.chance(0.55);
    return { given: rng.pick(isFemale ? pool.female : pool.male), surname: isFemale ? female : male };
  });
}

export interface PersonCodeStyle {
  /** Share of new-style codes (32…39, no birth date). @defaultValue 0.1 */
  newStyle?: number;
  /** Share of old-style codes written with the hyphen after the sixth digit. @defaultValue 0 */
  hyphen?: number;
}

const hyphenate = (code: string): string => `${code.slice(0, 6)}-${code.slice(6)}`;
/**
 * A valid personal code, written as a partner writes them.
 * @example personCodeFor(rng, { hyphen: 0.2 }) // '161175-19997', '16117519997' or '32579461005'
 */
export function personCodeFor(rng: Rng, style: PersonCodeStyle = {}): string {
  if (rng.chance(style.newStyle ?? 0.1)) return `3${rng.int(2, 9)}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
  const year = rng.int(1930, 2024);
  const month = rng.int(1, 12);
  const code = makePersonCode({ year, month, day: rng.int(1, lastDay(year, month)) }, rng.int(0, 999));
  return rng.chance(style.hyphen ?? 0) ? hyphenate(code) : code;
}

/** DDMM pairs that no year has. */
const IMPOSSIBLE_DDMM = ['3102', '3002', '3104', '3106', '3109', '3111', '1513', '0005'];

/**
 * `code` (valid, either style) broken so that personCodeProblem rejects it: a wrong check digit, or
 * a birth date that cannot exist. The hyphen, if the code had one, stays.
 * @example corruptPersonCode(rng, '161175-19997') // '161175-19993' or '310275-11034'
 */
export function corruptPersonCode(rng: Rng, code: string): string {
  const digits = normalizePersonCode(code);
  if (digits === null) throw new Error(`not a personal code: ${code}`);
  // Any other digit is wrong: an old-style code has exactly one check digit.
  const wrongCheck = !isNewStyle(digits) && rng.chance(0.5) ? digits.slice(0, 10) + ((Number(digits[10]) + rng.int(1, 9)) % 10) : null;
  const ten = `${rng.pick(IMPOSSIBLE_DDMM)}${digits.slice(4, 6)}1${digits.slice(7, 10)}`;
  const broken = wrongCheck !== null && personCodeProblem(wrongCheck) !== null ? wrongCheck : ten + (checkDigit(ten) % 10);
  return code.includes('-') ? hyphenate(broken) : broken;
}

/** A calendar date as numbers, for isoDate() or a partner's own spelling. */
export type DateParts = [year: number, month: number, day: number];

export const pad2 = (n: number): string => String(n).padStart(2, '0');
/** ISO 8601 date: YYYY-MM-DD. */
export const isoDate = ([y, m, d]: DateParts): string => `${y}-${pad2(m)}-${pad2(d)}`;
/** ISO 8601 month: YYYY-MM. */
export const isoMonth = ([y, m]: readonly [number, number]): string => `${y}-${pad2(m)}`;
const lastDay = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
/**
 * Euro cents as a decimal amount.
 * @example formatCents(8940) // '89.40'; formatCents(8940, ',') // '89,40'
 */
export const formatCents = (cents: number, separator = '.'): string => `${Math.floor(cents / 100)}${separator}${pad2(cents % 100)}`;

/** Dates relative to the month a load is for. */
export interface MonthDates {
  year: number;
  month: number;
  /** The month `k` months on (k may be negative), as [year, month]. */
  shift(k: number): [number, number];
  /** A day from `from` to the 28th: every month has it, and the load's creation stays after it. */
  day(rng: Rng, from?: number): DateParts;
  /** The last day of the month `k` months on. */
  endOf(k: number): DateParts;
  /** A day this year's calendar lacks, such as 30 February. */
  impossible(rng: Rng): DateParts;
}

const IMPOSSIBLE_DAYS: readonly [number, number][] = [[2, 30], [2, 31], [4, 31], [6, 31], [9, 31], [11, 31]];

/**
 * The dates of a load's period (YYYY-MM); throws on any other spelling.
 * @example datesInMonth('2026-10').endOf(-1) // [2026, 9, 30]
 */
export function datesInMonth(period: string): MonthDates {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new Error(`period must be YYYY-MM, got ${period}`);
  const [year, month] = period.split('-').map(Number);
  const shift = (k: number): [number, number] => {
    const i = year * 12 + (month - 1) + k;
    return [Math.floor(i / 12), (i % 12) + 1];
  };
  return {
    year, month, shift,
    day: (rng, from = 1) => [year, month, rng.int(from, 28)],
    endOf: (k) => { const [y, m] = shift(k); return [y, m, lastDay(y, m)]; },
    impossible: (rng) => [year, ...rng.pick(IMPOSSIBLE_DAYS)],
  };
}

/**
 * The mix of a municipality's month: a quarter statuses, 40 % benefits, 20 % services and 15 %
 * assistant months, given in that order in the partner's own names.
 */
export function pickRecordKind<T>(rng: Rng, [status, benefit, service, assistant]: readonly [T, T, T, T]): T {
  const x = rng.next();
  return x < 0.25 ? status : x < 0.65 ? benefit : x < 0.85 ? service : assistant;
}

/** A social service provider's register number (SPS-NNNNNN), given for half of the services. */
export const providerRegNo = (rng: Rng): string | undefined =>
  (rng.chance(0.5) ? `SPS-${String(rng.int(1, 999_999)).padStart(6, '0')}` : undefined);

/** One way a record is broken: the code and the field the pipeline must reject it with. */
export interface PlantVariant { code: PlantedError['code']; field: string }
export type PlantOptions = Pick<GenerateOptions, 'errorRate' | 'everyCode'>;

/**
 * Variants by position, one in each even stretch of `n` records so that they spread over batches.
 * With everyCode, the first variant of each code is planted (every variant once the load has room
 * for four of each); at most every other record is planted, so a DUPLICATE finds an original.
 */
export function planSchedule<V extends PlantVariant>(rng: Rng, n: number, variants: readonly V[], opts: PlantOptions): Map<number, V> {
  const firsts = variants.filter((v, i) => variants.findIndex((w) => w.code === v.code) === i);
  const forced = opts.everyCode ? (n >= 4 * variants.length ? variants : firsts) : [];
  const count = Math.min(Math.floor(n / 2), Math.max(forced.length, Math.round(n * (opts.errorRate ?? 0.02))));
  const chosen = forced.slice(0, count);
  while (chosen.length < count) chosen.push(rng.pick(variants));
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  const slots = new Map<number, V>();
  const stretch = n / Math.max(count, 1);
  chosen.forEach((v, k) => slots.set(Math.floor(k * stretch + rng.next() * stretch), v));
  return slots;
}

/** A record per position (a DUPLICATE is its original's very item), and the planted positions in order. */
export interface Planting<V, T> { records: T[]; planted: { pos: number; variant: V }[] }

/**
 * Builds `opts.records` records: `make(variant)` gives one broken by `variant`, or a valid one for
 * `undefined`. A DUPLICATE repeats an earlier valid record, each original at most once; one due
 * before any valid record exists moves to the next free position.
 */
export function plantRecords<V extends PlantVariant, T>(
  rng: Rng, variants: readonly V[], opts: PlantOptions & Pick<GenerateOptions, 'records'>, make: (variant: V | undefined) => T,
): Planting<V, T> {
  const n = Math.max(0, Math.floor(opts.records));
  const schedule = planSchedule(rng, n, variants, opts);
  const duplicate = variants.find((v) => v.code === 'DUPLICATE');
  const records: T[] = new Array(n);
  const planted: { pos: number; variant: V }[] = [];
  const originals: number[] = [];
  let pendingDuplicates = 0;
  for (let pos = 0; pos < n; pos++) {
    let v = schedule.get(pos);
    if (v && v === duplicate && !originals.length) {
      pendingDuplicates++;
      v = undefined;
    } else if (!v && pendingDuplicates > 0 && originals.length > 0) {
      pendingDuplicates--;
      v = duplicate;
    }
    if (v && v === duplicate) {
      const i = rng.int(0, originals.length - 1);
      records[pos] = records[originals[i]];
      originals[i] = originals[originals.length - 1];
      originals.pop();
    } else {
      records[pos] = make(v);
      if (!v) originals.push(pos);
    }
    if (v) planted.push({ pos, variant: v });
  }
  return { records, planted };
}

/**
 * The truth of a load cut into batches of `recordCounts`: each planted record's batch (from 1) and
 * index in it. `indexInBatch` is for formats that reorder records within a document.
 */
export function plantedTruth(
  planted: readonly { pos: number; variant: PlantVariant }[], recordCounts: readonly number[],
  indexInBatch: (pos: number, batchStart: number) => number = (pos, start) => pos - start,
): PlantedError[] {
  const truth: PlantedError[] = [];
  let batch = 0;
  let start = 0;
  for (const { pos, variant } of planted) {
    while (pos >= start + recordCounts[batch]) start += recordCounts[batch++];
    truth.push({ batch: batch + 1, index: indexInBatch(pos, start), code: variant.code, field: variant.field });
  }
  return truth.sort((a, b) => a.batch - b.batch || a.index - b.index);
}

/** Even batch sizes; the first `n % b` batches take one record more. */
function splitEvenly(n: number, b: number): number[] {
  return Array.from({ length: b }, (_, i) => Math.floor(n / b) + (i < n % b ? 1 : 0));
}

/**
 * Records per batch: `batches` even batches when given, else the fewest even batches whose
 * records fit in `room` bytes each.
 * @example batchSizes([10, 10, 10], 25) // [2, 1]
 */
export function batchSizes(recordBytes: readonly number[], room: number, batches?: number): number[] {
  if (batches && batches > 0) return splitEvenly(recordBytes.length, Math.floor(batches));
  const total = recordBytes.reduce((a, b) => a + b, 0);
  for (let b = Math.max(1, Math.ceil(total / room)); ; b++) {
    const sizes = splitEvenly(recordBytes.length, b);
    let at = 0;
    if (sizes.every((size) => {
      let sum = 0;
      for (const end = at + size; at < end; at++) sum += recordBytes[at];
      return sum <= room;
    })) return sizes;
  }
}

/** `items` cut into consecutive runs of `counts`. */
export function inBatches<T>(items: readonly T[], counts: readonly number[]): T[][] {
  let start = 0;
  return counts.map((size) => items.slice(start, (start += size)));
}

/** The JSON Schema of GenerateOptions as a simulator's route config offers it. */
export const SIMULATOR_CONFIG = {
  type: 'object',
  additionalProperties: false,
  properties: {
    records: { type: 'integer', minimum: 0 },
    batches: { type: 'integer', minimum: 1, description: 'Default: as many as keep each document at most 3.5 MB.' },
    errorRate: { type: 'number', minimum: 0, maximum: 0.5, default: 0.02 },
    seed: { type: 'integer', default: 1 },
    everyCode: { type: 'boolean', default: false },
  },
} as const;
