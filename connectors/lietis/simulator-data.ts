/**
 * LIETIS's spellings for the simulator: Daugavpils names (which need the Baltic code page: Ļ, Š, Ž,
 * ņ, ū…), classifier codes and near misses, and LIETIS's date and number spellings. The PRNG,
 * personal codes and month arithmetic are the engine's (engine/simulators/generation.ts).
 */
import { formatCents, pad2, type DateParts, type NamePool, type PersonCodeStyle } from '../../engine/simulators/index.ts';

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

export const DAUGAVPILS_NAMES: NamePool = {
  male: ['Jānis', 'Staņislavs', 'Jevgeņijs', 'Vjačeslavs', 'Oļegs', 'Aleksandrs', 'Dmitrijs', 'Ģirts', 'Artūrs', 'Kārlis', 'Juris', 'Valērijs'],
  female: ['Ļubova', 'Žanna', 'Nataļja', 'Aļona', 'Jūlija', 'Olga', 'Ludmila', 'Ērika', 'Līga', 'Inese', 'Tatjana', 'Svetlana'],
  surnames: [
    ['Šuškovs', 'Šuškova'], ['Ivanovs', 'Ivanova'], ['Petrovs', 'Petrova'], ['Žukovs', 'Žukova'], ['Vasiļjevs', 'Vasiļjeva'],
    ['Jakovļevs', 'Jakovļeva'], ['Čuhnovs', 'Čuhnova'], ['Kozlovskis', 'Kozlovska'], ['Kļaviņš', 'Kļaviņa'], ['Bērziņš', 'Bērziņa'],
    ['Pauniņš', 'Pauniņa'], ['Kūliņš', 'Kūliņa'], ['Smirnovs', 'Smirnova'], ['Ļeonovs', 'Ļeonova'], ['Zeļenkovs', 'Zeļenkova'],
  ],
};

/** LIETIS writes codes both ways (lietis.md), so half of the old-style ones get the hyphen. */
export const CODE_STYLE: PersonCodeStyle = { hyphen: 0.5 };

/** LIETIS's date: DD.MM.YYYY. */
export const dmy = ([y, m, d]: DateParts): string => `${pad2(d)}.${pad2(m)}.${y}`;
/** LIETIS's month: MM.YYYY. */
export const my = ([y, m]: readonly [number, number]): string => `${pad2(m)}.${y}`;
/** Euro cents in LIETIS's spelling, with a decimal comma: 8940 → "89,40". */
export const money = (cents: number): string => formatCents(cents, ',');
