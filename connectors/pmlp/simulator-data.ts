/**
 * The PMLP simulator's data set: persons spread over today's municipalities, each with the
 * declared residences they had and, for some, a death or a code change; and the change feed of
 * those declarations and deaths. Deterministic: the same seed gives the same persons, codes and
 * feed on every machine, independent of the clock (the data lie in 2024–2026, within the three
 * years the feed keeps). What it becomes at run time is ./simulator-register.ts.
 */
import { makePersonCode, type DeclaredResidence, type RegisterChange } from '../../engine/index.ts';
import { createRng, familyNames, isoDate, type Rng } from '../../engine/simulators/index.ts';
import {
  Register, activeMunicipalities, changeId, changeOf, newAddress, type Place, type PmlpDataSet, type PmlpPersonRecord,
} from './simulator-register.ts';

export { activeMunicipalities, type NewChange, type PmlpDataSet, type PmlpPersonRecord, type PmlpSamples } from './simulator-register.ts';

export interface PmlpDataOptions {
  /** @defaultValue 7171 */
  seed?: number;
  /** At least the five samples. @defaultValue 250 */
  persons?: number;
}

const DAY = 86_400_000;
const dayOf = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);
const ROLES = ['alive', 'deceased', 'moved', 'renamed', 'noResidence'] as const;
type Role = (typeof ROLES)[number];

/** A new-style code: PMLP's start with 32 and carry neither birth date nor check digit. */
const newStyleCode = (rng: Rng): string => `32${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;

interface Draft { person: PmlpPersonRecord; kind: RegisterChange['kind']; effectiveOn: string; residence?: DeclaredResidence; ms: number }

/** Builds the data set. Persons 0–4 are the samples alive, deceased, moved, renamed and noResidence. */
export function pmlpDataSet(opts: PmlpDataOptions = {}): PmlpDataSet {
  const rng = createRng(opts.seed ?? 7171);
  const places = activeMunicipalities();
  const usedAddresses = new Set<string>();
  const codes = new Set<string>();
  const people: PmlpPersonRecord[] = [];
  const drafts: Draft[] = [];
  const n = Math.max(opts.persons ?? 250, ROLES.length);
  // Recorded in Riga's working hours: 06:00–15:00 UTC.
  const recordedMs = (day: number): number => day * DAY + 6 * 3_600_000 + rng.int(0, 9 * 3600 - 1) * 1000 + rng.int(0, 999);

  while (people.length < n) {
    const role: Role | undefined = ROLES[people.length];
    const child = !role && rng.chance(0.15);
    const year = child ? rng.int(2008, 2025) : rng.int(1935, 2007);
    const [month, day] = [rng.int(1, 12), rng.int(1, 28)];
    const birthDay = dayOf(isoDate([year, month, day]));
    // Everyone born since July 2017 has a new-style code.
    const code = year >= 2018 ? newStyleCode(rng) : makePersonCode({ year, month, day }, rng.int(0, 999));
    const renamed = year < 2018 && (role === 'renamed' || (!role && rng.chance(0.05)));
    const newCode = renamed ? newStyleCode(rng) : undefined;
    if (codes.has(code) || (newCode && codes.has(newCode))) continue;
    codes.add(code);
    const [name] = familyNames(rng, 1);
    const person: PmlpPersonRecord = {
      personCode: newCode ?? code,
      ...(newCode ? { formerPersonCode: code, codeChangedOn: isoOf(rng.int(dayOf('2025-01-01'), dayOf('2025-12-31'))) } : {}),
      givenName: name.given, surname: name.surname, residences: [],
    };
    codes.add(person.personCode);
    people.push(person);

    const declare = (day: number, place: Place): void => {
      const residence = { municipality: place.atvk, ...newAddress(rng, usedAddresses, place), validFrom: isoOf(day) };
      person.residences.push(residence);
      // A declaration is recorded the day it is made, or within the next three days.
      drafts.push({ person, kind: 'RESIDENCE', effectiveOn: residence.validFrom, residence, ms: recordedMs(day + rng.int(0, 3)) });
    };
    // Without a declared residence, a person has no RESIDENCE change (and, here, no death either).
    if (role === 'noResidence' || (!role && rng.chance(0.04))) continue;
    // Spread evenly over the municipalities; the initial declaration lies in the feed's three years.
    let place = places[people.length % places.length];
    const latestInitial = dayOf(role === 'renamed' ? '2024-12-31' : '2025-12-31');
    declare(rng.int(Math.max(dayOf('2024-01-02'), birthDay), Math.max(latestInitial, birthDay)), place);

    const moves = role === 'moved' || role === 'renamed' ? 1 : !role && rng.chance(0.15) ? rng.int(1, 2) : 0;
    let moveMonth = 0;
    for (let k = 0; k < moves; k++) {
      moveMonth = rng.int(moveMonth + 1, 10 - (moves - 1 - k));
      const next = rng.pick(places.filter((p) => p !== place));
      // The middle of the month: the days before belong to the old residence, the rest to the new.
      declare(dayOf(isoDate([2026, moveMonth, rng.int(10, 20)])), (place = next));
    }
    if (role === 'deceased' || (!role && rng.chance(0.08))) {
      const last = dayOf(person.residences[person.residences.length - 1].validFrom);
      const died = rng.int(Math.max(dayOf('2026-01-05'), last + 1), dayOf('2026-10-31'));
      person.deathDate = isoOf(died);
      drafts.push({ person, kind: 'DEATH', effectiveOn: person.deathDate, ms: recordedMs(died + rng.int(1, 10)) });
    }
  }

  let unknown = '';
  for (let s = 0; !unknown || codes.has(unknown); s++) unknown = makePersonCode({ year: 1975, month: 11, day: 16 }, s);
  const [alive, deceased, moved, renamed, noResidence] = people.map((p) => p.personCode);
  return new Register(people, stampInOrder(drafts), { alive, deceased, moved, renamed, noResidence, unknown }, { rng, places, usedAddresses });
}

/** The feed: drafts in RecordedAt order, each instant nudged later where needed so that none repeats. */
function stampInOrder(drafts: Draft[]): RegisterChange[] {
  drafts.sort((a, b) => a.ms - b.ms);
  let last = -Infinity;
  return drafts.map((d, i) => {
    last = Math.max(d.ms, last + 1);
    const recordedAt = new Date(last).toISOString();
    const p = d.person;
    const personCode = p.formerPersonCode && recordedAt.slice(0, 10) < p.codeChangedOn! ? p.formerPersonCode : p.personCode;
    return changeOf(changeId(i + 1), personCode, d.kind, d.effectiveOn, d.residence, recordedAt);
  });
}
