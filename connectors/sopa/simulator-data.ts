/**
 * Building blocks of the SOPA simulator: a seeded PRNG, Latvian names, SOPA classifier spellings,
 * personal codes (valid and deliberately broken) and date arithmetic on YYYY-MM periods.
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

export const STATUS_KINDS = ['TRUCIGA', 'MAZNODROSINATA'] as const;
export const BENEFIT_KINDS = ['GMI', 'MAJOKLA', 'VESELIBAS', 'KRIZES', 'CITS'] as const;
export const SERVICE_DECISIONS = ['PIESKIRTS', 'ATTEIKTS', 'IZBEIGTS', 'PARTRAUKTS'] as const;
export const SERVICE_CODES = [
  'SOCIALAIS_DARBS', 'APRUPE_MAJAS', 'DIENAS_CENTRS', 'GRUPU_MAJA', 'ILGSTOSA_APRUPE', 'REHABILITACIJA',
  'KRIZES_CENTRS', 'PATVERSME', 'ZUPAS_VIRTUVE', 'SPECIALIZETA_DARBNICA', 'ASISTENTS',
] as const;
export const VOLUME_UNITS = ['H_MENESI', 'D_MENESI', 'VIETA'] as const;
export const ASSISTANT_CATEGORIES = ['BERNS', 'PIEAUGUSAIS', 'STUDENTS'] as const;

/** Near misses of real codes (CITS is a benefit kind but not a Loma), so a lax validator is caught. */
export const UNKNOWN_CODES: Record<string, readonly string[]> = {
  Veids: ['NEZINAMS', 'TRUCIGS', 'PABALSTS'],
  Lemums: ['APSTIPRINATS', 'NORAIDITS'],
  PakalpojumaKods: ['SOCIALAIS', 'APRUPE', 'S02'],
  Kategorija: ['BERNI', 'SENIORS'],
  Loma: ['CITS', 'OTRA', 'GALVENA'],
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
export const money = (cents: number): string => `${Math.floor(cents / 100)}.${pad2(cents % 100)}`;

/** The month `k` months after y-m (k may be negative), as [year, month]. */
export function shiftMonth(y: number, m: number, k: number): [number, number] {
  const i = y * 12 + (m - 1) + k;
  return [Math.floor(i / 12), (i % 12) + 1];
}

function withHyphenSometimes(rng: Rng, code: string): string {
  return rng.chance(0.2) ? `${code.slice(0, 6)}-${code.slice(6)}` : code;
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
