/**
 * Building blocks of the GVS simulator: a seeded PRNG, Latvian names, GVS classifier codes,
 * personal codes (valid and deliberately broken) and date arithmetic on YYYY-MM periods.
 * Connectors never import each other, so this is GVS's own copy of the small ideas SOPA uses.
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

/** GVS codes of classifiers.md. */
export const STATUS_CODES = [1, 2] as const;
export const BENEFIT_CODES = [1, 2, 3, 4, 9] as const;
export const DECISION_CODES = [1, 2, 3, 4] as const;
export const SERVICE_CODES = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111] as const;
export const UNITS = ['h', 'd', 'p'] as const;
export const CATEGORY_CODES = [1, 2, 3] as const;

/**
 * Near misses of real codes (5 and 8 sit between valid benefit codes, 112 just past the last
 * service, a canonical or SOPA spelling where GVS has a number), so a lax mapping is caught.
 */
export const UNKNOWN_CODES: Record<string, readonly unknown[]> = {
  statusCode: [0, 3, 'TRUCIGA'],
  benefitCode: [0, 5, 8, 'GMI'],
  decisionCode: [0, 5, 'G'],
  serviceCode: [100, 112, 'S02', 'HOME_CARE'],
  categoryCode: [0, 4, 'C'],
  unit: ['H', 'm', 'h/m', 'PLACE'],
  firstMember: ['yes', 1, 'PIRMA'],
  recordType: ['payment', 'Benefit', 'header'],
};

const MALE = ['Jānis', 'Andris', 'Edgars', 'Māris', 'Kārlis', 'Ģirts', 'Artūrs', 'Oļegs', 'Roberts', 'Ivars', 'Aleksandrs', 'Dmitrijs'];
const FEMALE = ['Anna', 'Ļubova', 'Inese', 'Līga', 'Ilze', 'Kristīne', 'Māra', 'Ērika', 'Zane', 'Baiba', 'Gunta', 'Olga'];
/** Latvian surnames inflect by gender: [male, female]. */
const SURNAMES: readonly (readonly [string, string])[] = [
  ['Bērziņš', 'Bērziņa'], ['Ozoliņš', 'Ozoliņa'], ['Kalniņš', 'Kalniņa'], ['Jansons', 'Jansone'],
  ['Liepiņš', 'Liepiņa'], ['Krūmiņš', 'Krūmiņa'], ['Šuškovs', 'Šuškova'], ['Vītols', 'Vītola'],
  ['Kļaviņš', 'Kļaviņa'], ['Eglītis', 'Eglīte'], ['Pētersons', 'Pētersone'], ['Ivanovs', 'Ivanova'],
  ['Zariņš', 'Zariņa'], ['Grīnbergs', 'Grīnberga'], ['Lāce', 'Lāce'], ['Žagars', 'Žagare'],
];

export function familyName(rng: Rng): readonly [string, string] {
  return rng.pick(SURNAMES);
}

export function person(rng: Rng, family: readonly [string, string]): { given: string; surname: string } {
  const female = rng.chance(0.55);
  return { given: rng.pick(female ? FEMALE : MALE), surname: female ? family[1] : family[0] };
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');
export const ymd = (y: number, m: number, d: number): string => `${y}-${pad2(m)}-${pad2(d)}`;
export const lastDay = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** [year, month, last day of that month], ready for ymd(...). */
export const lastOf = ([y, m]: [number, number]): [number, number, number] => [y, m, lastDay(y, m)];

/** The month `k` months after y-m (k may be negative), as [year, month]. */
export function shiftMonth(y: number, m: number, k: number): [number, number] {
  const i = y * 12 + (m - 1) + k;
  return [Math.floor(i / 12), (i % 12) + 1];
}

/** GVS writes personal codes without a hyphen (gvs.md); one in ten is a new-style code. */
export function validPersonCode(rng: Rng): string {
  if (rng.chance(0.1)) return `3${rng.int(2, 9)}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
  const year = rng.int(1930, 2024);
  const month = rng.int(1, 12);
  return makePersonCode({ year, month, day: rng.int(1, lastDay(year, month)) }, rng.int(0, 999));
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
    if (personCodeProblem(code) !== null) return code;
  }
}
