/**
 * Building blocks of the LIETIS simulator: a seeded PRNG, Daugavpils names (which need the Baltic
 * code page: Ļ, Š, Ž, ņ, ū…), LIETIS classifier spellings and near misses, personal codes (valid
 * and deliberately broken) and LIETIS's date and number spellings.
 */
import { checkDigit, makePersonCode, personCodeProblem } from '../../engine/index.ts';

/** mulberry32: tiny and fast, and the same seed must give byte-identical loads on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = Math.trunc(seed) >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** LIETIS spellings of classifiers.md. */
export const KINDS = ['1', '2'] as const;
export const BENEFIT_CODES = ['P01', 'P02', 'P03', 'P04', 'P99'] as const;
export const RESULTS = ['G', 'R', 'T', 'S'] as const;
export const SERVICE_CODES = ['S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08', 'S09', 'S10', 'S11'] as const;
export const UNITS = ['h/m', 'd/m', 'v'] as const;
export const CATEGORIES = ['C', 'A', 'S'] as const;

/**
 * Near misses of real codes, keyed by LIETIS attribute: another table's code (P01 as a service,
 * S01 as a benefit), the wrong case, SOPA's spelling, and the canonical spelling, which the
 * transformer must not let through just because the canonical schema knows it.
 */
export const UNKNOWN_CODES: Record<string, readonly string[]> = {
  kind: ['0', '3', 'TRUCIGA', 'NEEDY'],
  code: ['P05', 'P00', 'P1', 'S01', 'GMI'],
  result: ['g', 'A', 'PIESKIRTS', 'GRANTED'],
  service: ['S12', 'S00', 'S1', 'P01', 'DAY_CENTRE'],
  category: ['c', 'B', 'BERNS', 'CHILD'],
  'Member@first': ['TRUE', 'yes', 'jā', 'FIRST'],
  unit: ['H/M', 'h', 'd/n', 'PLACE'],
};

const MALE = ['Jānis', 'Staņislavs', 'Jevgeņijs', 'Vjačeslavs', 'Oļegs', 'Aleksandrs', 'Dmitrijs', 'Ģirts', 'Artūrs', 'Kārlis', 'Juris', 'Valērijs'];
const FEMALE = ['Ļubova', 'Žanna', 'Nataļja', 'Aļona', 'Jūlija', 'Olga', 'Ludmila', 'Ērika', 'Līga', 'Inese', 'Tatjana', 'Svetlana'];
/** Latvian surnames inflect by gender: [male, female]. */
const SURNAMES: readonly (readonly [string, string])[] = [
  ['Šuškovs', 'Šuškova'], ['Ivanovs', 'Ivanova'], ['Petrovs', 'Petrova'], ['Žukovs', 'Žukova'], ['Vasiļjevs', 'Vasiļjeva'],
  ['Jakovļevs', 'Jakovļeva'], ['Čuhnovs', 'Čuhnova'], ['Kozlovskis', 'Kozlovska'], ['Kļaviņš', 'Kļaviņa'], ['Bērziņš', 'Bērziņa'],
  ['Pauniņš', 'Pauniņa'], ['Kūliņš', 'Kūliņa'], ['Smirnovs', 'Smirnova'], ['Ļeonovs', 'Ļeonova'], ['Zeļenkovs', 'Zeļenkova'],
];

export function familyName(rng: Rng): readonly [string, string] {
  return rng.pick(SURNAMES);
}

export function person(rng: Rng, family: readonly [string, string]): { given: string; surname: string } {
  const female = rng.chance(0.55);
  return { given: rng.pick(female ? FEMALE : MALE), surname: female ? family[1] : family[0] };
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');
/** LIETIS's date: DD.MM.YYYY. */
export const dmy = (y: number, m: number, d: number): string => `${pad2(d)}.${pad2(m)}.${y}`;
/** LIETIS's month: MM.YYYY. */
export const my = (y: number, m: number): string => `${pad2(m)}.${y}`;
export const lastDay = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** [year, month, last day of that month], ready for dmy(...). */
export const lastOf = ([y, m]: [number, number]): [number, number, number] => [y, m, lastDay(y, m)];
/** Euro cents in LIETIS's spelling, with a decimal comma: 8940 → "89,40". */
export const money = (cents: number): string => `${Math.floor(cents / 100)},${pad2(cents % 100)}`;

/** The month `k` months after y-m (k may be negative), as [year, month]. */
export function shiftMonth(y: number, m: number, k: number): [number, number] {
  const i = y * 12 + (m - 1) + k;
  return [Math.floor(i / 12), (i % 12) + 1];
}

/** LIETIS writes codes both ways (lietis.md), so half of them get the hyphen. */
function withHyphenSometimes(rng: Rng, code: string): string {
  return rng.chance(0.5) ? `${code.slice(0, 6)}-${code.slice(6)}` : code;
}

export function validPersonCode(rng: Rng): string {
  if (rng.chance(0.1)) return `3${rng.int(2, 9)}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
  const year = rng.int(1930, 2024);
  const month = rng.int(1, 12);
  const code = makePersonCode({ year, month, day: rng.int(1, lastDay(year, month)) }, rng.int(0, 999));
  return withHyphenSometimes(rng, code);
}

/** DDMM pairs that no year has. */
const IMPOSSIBLE_DDMM = ['3102', '3002', '3104', '3106', '3109', '3111', '1513', '0005'];

/** An old-style code that personCodeProblem rejects: a wrong check digit or a birth date that cannot exist. */
export function invalidPersonCode(rng: Rng): string {
  for (;;) {
    let code: string;
    if (rng.chance(0.5)) {
      const year = rng.int(1930, 2024);
      const good = makePersonCode({ year, month: rng.int(1, 12), day: rng.int(1, 28) }, rng.int(0, 999));
      code = good.slice(0, 10) + ((Number(good[10]) + rng.int(1, 9)) % 10);
    } else {
      const ten = `${rng.pick(IMPOSSIBLE_DDMM)}${pad2(rng.int(30, 99))}1${String(rng.int(0, 999)).padStart(3, '0')}`;
      code = ten + (checkDigit(ten) % 10);
    }
    code = withHyphenSometimes(rng, code);
    if (personCodeProblem(code) !== null) return code;
  }
}

/** Even batch sizes; the first `n % b` batches take one record more. */
export function split(n: number, b: number): number[] {
  return Array.from({ length: b }, (_, i) => Math.floor(n / b) + (i < n % b ? 1 : 0));
}

/** The fewest batches of even record counts whose records fit in `room` bytes each. */
export function autoBatchCount(bytes: number[], room: number): number {
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
