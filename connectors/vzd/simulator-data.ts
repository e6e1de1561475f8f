/**
 * The VZD simulator's data set: the persons the population register holds and the real property
 * the cadastre records for each, spread over the municipalities of
 * schemas/classifiers/municipalities.json. A property owned in shares (1/2, 1/3, 1/4 and 3/4) is
 * recorded for every co-owner under one cadastre number, and its shares add up to the whole, as in
 * the register. Deterministic: the same seed gives the same persons, numbers and cents on every
 * machine, independent of the clock.
 */
import { readFileSync } from 'node:fs';
import { createRng, formatCents, personCodeFor, type Rng } from '../../engine/simulators/index.ts';
import type { PropertyKind, VzdProperty, VzdShare } from './messages.ts';

export interface VzdPerson {
  /** 11 digits, no hyphen. */
  personCode: string;
  /** In cadastreNumber order, as VZD answers them; empty when the person owns nothing. */
  properties: VzdProperty[];
}

export interface VzdDataOptions {
  /** @defaultValue 2121 */
  seed?: number;
  /** At least 6: the samples and the co-owners of `several`. @defaultValue 150 */
  persons?: number;
}

/** Personal codes for tests. */
export interface VzdSamples {
  /** Owns exactly one property, a whole apartment with an address. */
  owner: string;
  /** Owns four: LAND whole and without an address, BUILDING 1/2, APARTMENT 1/3, LAND 3/4. */
  several: string;
  /** Held by the register, owns nothing: the answer is an empty list. */
  none: string;
  /** A valid personal code (check digit right) the register does not hold: PERSON_NOT_FOUND. */
  unknown: string;
}

export interface VzdDataSet {
  persons: ReadonlyMap<string, VzdPerson>;
  samples: VzdSamples;
}

interface Place { atvk: string; name: string }

let places: readonly Place[] | undefined;

/** The municipalities VZD serves and where property lies: every entry of municipalities.json. */
export function municipalityList(): readonly Place[] {
  places ??= (JSON.parse(readFileSync(new URL('../../schemas/classifiers/municipalities.json', import.meta.url), 'utf8')) as { municipalities: Place[] })
    .municipalities.map(({ atvk, name }) => ({ atvk, name }));
  return places;
}

const STREETS = ['Brīvības iela', 'Krišjāņa Barona iela', 'Ģertrūdes iela', 'Lāčplēša iela', 'Dārza iela', 'Skolas iela', 'Liepu iela', 'Rūpniecības iela', 'Ozolu iela', 'Saules iela'];
const FARMS = ['Kalnmaļi', 'Lejasozoli', 'Pūpoli', 'Ābeles', 'Jaunzemji', 'Smilgas', 'Ezerkrasti', 'Ļaudonas'];
/** Cents of a whole property's cadastral value, by kind. */
const VALUE_CENTS: Record<PropertyKind, [number, number]> = { LAND: [30_000, 6_000_000], BUILDING: [200_000, 15_000_000], APARTMENT: [500_000, 12_000_000] };

/** A property with a fresh cadastre number: four digits of its territory, then a running number that never repeats. */
function propertyMaker(rng: Rng) {
  const all = municipalityList();
  let running = 0;
  return (kind: PropertyKind, opts: { address?: boolean } = {}): Omit<VzdProperty, 'share'> => {
    const i = rng.int(0, all.length - 1);
    const place = all[i];
    running += rng.int(1, 400);
    const [lo, hi] = VALUE_CENTS[kind];
    // Cadastral values are mostly whole euro; some carry cents.
    const cents = rng.chance(0.7) ? rng.int(lo / 100, hi / 100) * 100 : rng.int(lo, hi);
    const street = `${rng.pick(STREETS)} ${rng.int(1, 120)}`;
    const address = kind === 'APARTMENT' ? `${street}-${rng.int(1, 80)}, ${place.name}`
      : kind === 'BUILDING' ? `${street}, ${place.name}`
        : (opts.address ?? rng.chance(0.5)) ? `"${rng.pick(FARMS)}", ${place.name}` : undefined;
    return {
      cadastreNumber: `${String((i + 1) * 100).padStart(4, '0')}${String(running).padStart(7, '0')}`,
      kind, cadastralValue: formatCents(cents), valueDate: `${rng.int(2016, 2026)}-01-01`, municipality: place.atvk,
      ...(address === undefined ? {} : { address }),
    };
  };
}

/** Builds the data set; persons 0, 1 and 2 are the samples none, owner and several. */
export function vzdDataSet(opts: VzdDataOptions = {}): VzdDataSet {
  const rng = createRng(opts.seed ?? 2121);
  const n = opts.persons ?? 150;
  if (n < 6) throw new Error(`persons must be at least 6 (the samples and the co-owners of several), not ${n}`);
  const codes: string[] = [];
  const held = new Set<string>();
  while (codes.length < n) {
    const code = personCodeFor(rng);
    if (!held.has(code)) { held.add(code); codes.push(code); }
  }
  const persons = new Map(codes.map((personCode) => [personCode, { personCode, properties: [] as VzdProperty[] }]));
  const make = propertyMaker(rng);
  const share = (numerator: number, denominator: number): VzdShare => ({ numerator, denominator });
  /** Records one property for each of its owners, with that owner's share. */
  const own = (p: Omit<VzdProperty, 'share'>, owners: readonly (readonly [index: number, share: VzdShare])[]): void => {
    const { cadastreNumber, kind, ...rest } = p;
    for (const [i, s] of owners) persons.get(codes[i])!.properties.push({ cadastreNumber, kind, share: s, ...rest });
  };
  // Co-owners come from the persons after the samples, so that the samples keep what they promise.
  const coOwners = (count: number, not: number): number[] => {
    const picked: number[] = [];
    while (picked.length < count) {
      const j = rng.int(3, n - 1);
      if (j !== not && !picked.includes(j)) picked.push(j);
    }
    return picked;
  };

  own(make('APARTMENT'), [[1, share(1, 1)]]);
  own(make('LAND', { address: false }), [[2, share(1, 1)]]);
  const [b] = coOwners(1, 2);
  own(make('BUILDING'), [[2, share(1, 2)], [b, share(1, 2)]]);
  const [c, d] = coOwners(2, 2);
  own(make('APARTMENT'), [[2, share(1, 3)], [c, share(1, 3)], [d, share(1, 3)]]);
  const [e] = coOwners(1, 2);
  own(make('LAND', { address: true }), [[2, share(3, 4)], [e, share(1, 4)]]);

  const KINDS: readonly PropertyKind[] = ['LAND', 'LAND', 'BUILDING', 'APARTMENT', 'APARTMENT'];
  for (let i = 3; i < n; i++) {
    const count = rng.chance(0.3) ? 0 : rng.chance(0.55) ? 1 : rng.int(2, 4);
    for (let k = 0; k < count; k++) {
      const p = make(rng.pick(KINDS));
      const how = rng.next();
      if (how < 0.6) own(p, [[i, share(1, 1)]]);
      else if (how < 0.8) own(p, [[i, share(1, 2)], [coOwners(1, i)[0], share(1, 2)]]);
      else if (how < 0.92) own(p, [[i, share(1, 3)], ...coOwners(2, i).map((j) => [j, share(1, 3)] as const)]);
      else own(p, rng.chance(0.5) ? [[i, share(3, 4)], [coOwners(1, i)[0], share(1, 4)]] : [[i, share(1, 4)], [coOwners(1, i)[0], share(3, 4)]]);
    }
  }
  for (const p of persons.values()) p.properties.sort((x, y) => (x.cadastreNumber < y.cadastreNumber ? -1 : x.cadastreNumber > y.cadastreNumber ? 1 : 0));

  let unknown: string;
  do unknown = personCodeFor(rng, { newStyle: 0 }); while (held.has(unknown));
  return { persons, samples: { none: codes[0], owner: codes[1], several: codes[2], unknown } };
}
