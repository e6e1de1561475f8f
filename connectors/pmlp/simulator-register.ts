/**
 * The simulated population register at run time: the persons by current and former code, the
 * change feed, and recording a change while the simulator runs. Every change carries a distinct
 * RecordedAt, and a change recorded here is stamped later than any before it, so the feed only
 * ever grows at its end: that is what lets the simulator's paging promise never to skip or repeat
 * a change while changes are recorded.
 */
import { readFileSync } from 'node:fs';
import { normalizePersonCode, type DeclaredResidence, type RegisterChange, type RegisterPerson } from '../../engine/index.ts';
import type { Rng } from '../../engine/simulators/index.ts';
import { MAX_ADDRESS, dateValue } from './messages.ts';

/** One person as the simulated register keeps them. */
export interface PmlpPersonRecord {
  /** The current code. */
  personCode: string;
  /** The old-style code the person had before it changed to personCode. */
  formerPersonCode?: string;
  /** The day the code changed: changes recorded before it carry formerPersonCode. */
  codeChangedOn?: string;
  givenName: string;
  surname: string;
  deathDate?: string;
  /** Every declaration in the order they took effect; the last is the one GetPerson answers. */
  residences: DeclaredResidence[];
}

/** Codes for tests; each sample is alive unless said otherwise, with an old-style code unless said otherwise. */
export interface PmlpSamples {
  /** One declared residence since 2024 or 2025, never moved. */
  alive: string;
  /** Died in 2026, the death recorded 1 to 10 days later. */
  deceased: string;
  /** Moved to another municipality from a day in the middle of a month of 2026: that month has two residences. */
  moved: string;
  /** The new-style `32…` code of a person whose old-style code (record.formerPersonCode) changed in 2025; moved in 2026, so the feed has both codes. */
  renamed: string;
  /** No declared residence in Latvia, and no RESIDENCE change. */
  noResidence: string;
  /** A valid personal code (birth date and check digit) the register does not hold. */
  unknown: string;
}

/** A change recorded while the simulator runs: RecordedAt is stamped, ChangeId made. */
export type NewChange =
  | { personCode: string; kind: 'DEATH'; effectiveOn: string }
  | { personCode: string; kind: 'RESIDENCE'; effectiveOn: string; municipality: string; addressCode?: string; address?: string };

export interface PmlpDataSet {
  /** Every person by current code. */
  readonly persons: ReadonlyMap<string, PmlpPersonRecord>;
  readonly samples: PmlpSamples;
  /** GetPerson's answer for a current or former code (any spelling), or undefined when the register holds no such person. */
  personOf(personCode: string): RegisterPerson | undefined;
  /** The declaration in effect on `date` (YYYY-MM-DD): the last one whose validFrom is not after it. */
  residenceOn(personCode: string, date: string): DeclaredResidence | undefined;
  /** The date of death, or undefined for a living person (or one the register does not hold). */
  deathOf(personCode: string): string | undefined;
  /** The feed: every change in RecordedAt order. */
  changes(): readonly RegisterChange[];
  changeById(changeId: string): RegisterChange | undefined;
  /** Records a change now (later than every change before it) and applies it to the person; RangeError for one PMLP would not record. */
  addChange(change: NewChange): RegisterChange;
}

export interface Place { atvk: string; name: string }

/** Today's municipalities (no validTo) of schemas/classifiers/municipalities.json. */
export function activeMunicipalities(): Place[] {
  const json = JSON.parse(readFileSync(new URL('../../schemas/classifiers/municipalities.json', import.meta.url), 'utf8')) as { municipalities: (Place & { validTo?: string | null })[] };
  return json.municipalities.filter((m) => m.validTo == null).map(({ atvk, name }) => ({ atvk, name }));
}

const STREETS = ['Brīvības iela', 'Rīgas iela', 'Skolas iela', 'Dārza iela', 'Pils iela', 'Lāčplēša iela', 'Krasta iela', 'Meža iela', 'Ozolu iela', 'Raiņa iela', 'Stacijas iela'];

/** A fresh address (its code unused so far) in `place`. */
export function newAddress(rng: Rng, used: Set<string>, place: Place): { addressCode: string; address: string } {
  let addressCode: string;
  do addressCode = String(rng.int(100_000_000, 999_999_999)); while (used.has(addressCode));
  used.add(addressCode);
  const flat = rng.chance(0.6) ? `-${rng.int(1, 120)}` : '';
  return { addressCode, address: `${rng.pick(STREETS)} ${rng.int(1, 140)}${flat}, ${place.name}, LV-${rng.int(1001, 5799)}` };
}

export const changeId = (serial: number): string => `FPR-${String(serial).padStart(8, '0')}`;

export const changeOf = (id: string, personCode: string, kind: RegisterChange['kind'], effectiveOn: string, r: DeclaredResidence | undefined, recordedAt: string): RegisterChange =>
  Object.freeze({ changeId: id, personCode, kind, effectiveOn, ...(r ? { municipality: r.municipality, addressCode: r.addressCode } : {}), recordedAt });

export class Register implements PmlpDataSet {
  readonly persons = new Map<string, PmlpPersonRecord>();
  private readonly byCode = new Map<string, PmlpPersonRecord>();
  private readonly byId = new Map<string, RegisterChange>();
  private readonly feed: RegisterChange[] = [];

  constructor(
    people: PmlpPersonRecord[], changes: RegisterChange[], readonly samples: PmlpSamples,
    private readonly gen: { rng: Rng; places: Place[]; usedAddresses: Set<string> },
  ) {
    for (const p of people) {
      this.persons.set(p.personCode, p);
      this.byCode.set(p.personCode, p);
      if (p.formerPersonCode) this.byCode.set(p.formerPersonCode, p);
    }
    for (const c of changes) this.append(c);
  }

  private recordOf(code: string): PmlpPersonRecord | undefined {
    return this.byCode.get(normalizePersonCode(code) ?? '');
  }

  personOf(code: string): RegisterPerson | undefined {
    const p = this.recordOf(code);
    if (!p) return undefined;
    const residence = p.residences[p.residences.length - 1];
    return {
      personCode: p.personCode, ...(p.formerPersonCode ? { formerPersonCode: p.formerPersonCode } : {}), givenName: p.givenName, surname: p.surname,
      status: p.deathDate ? 'DECEASED' : 'ALIVE', ...(p.deathDate ? { deathDate: p.deathDate } : {}), ...(residence ? { declaredResidence: { ...residence } } : {}),
    };
  }

  residenceOn(code: string, date: string): DeclaredResidence | undefined {
    const r = this.recordOf(code)?.residences.filter((x) => x.validFrom <= date).pop();
    return r && { ...r };
  }

  deathOf(code: string): string | undefined { return this.recordOf(code)?.deathDate; }

  changes(): readonly RegisterChange[] { return this.feed; }

  changeById(changeId: string): RegisterChange | undefined { return this.byId.get(changeId); }

  addChange(c: NewChange): RegisterChange {
    const p = this.recordOf(c.personCode);
    if (!p) throw new RangeError(`the register holds no person ${c.personCode}`);
    if (p.deathDate) throw new RangeError(`${p.personCode} died on ${p.deathDate}: PMLP records nothing after a death`);
    try {
      dateValue(c.effectiveOn, 'EffectiveOn');
    } catch (e) {
      throw new RangeError((e as Error).message);
    }
    const last = this.feed[this.feed.length - 1];
    // Now, or just after the newest change if the clock is behind it: RecordedAt never repeats.
    const recordedAt = new Date(Math.max(Date.now(), last ? Date.parse(last.recordedAt) + 1 : 0)).toISOString();
    const id = changeId(this.feed.length + 1);
    if (c.kind === 'DEATH') {
      p.deathDate = c.effectiveOn;
      return this.append(changeOf(id, p.personCode, 'DEATH', c.effectiveOn, undefined, recordedAt));
    }
    const place = this.gen.places.find((m) => m.atvk === c.municipality);
    if (!place) throw new RangeError(`${c.municipality} is not the ATVK code of a municipality today`);
    const previous = p.residences[p.residences.length - 1];
    if (previous && c.effectiveOn < previous.validFrom) throw new RangeError(`a declaration takes effect no earlier than the one before it (${previous.validFrom})`);
    const fresh = c.addressCode === undefined ? newAddress(this.gen.rng, this.gen.usedAddresses, place) : undefined;
    const residence: DeclaredResidence = {
      municipality: place.atvk, addressCode: c.addressCode ?? fresh!.addressCode, address: c.address ?? fresh?.address ?? `${place.name}, adrese ${c.addressCode}`, validFrom: c.effectiveOn,
    };
    if (!/^\d{9}$/.test(residence.addressCode)) throw new RangeError(`addressCode ${residence.addressCode} is not 9 digits`);
    if (!residence.address.trim() || residence.address.length > MAX_ADDRESS) throw new RangeError(`address must be 1 to ${MAX_ADDRESS} characters`);
    p.residences.push(residence);
    return this.append(changeOf(id, p.personCode, 'RESIDENCE', c.effectiveOn, residence, recordedAt));
  }

  private append(c: RegisterChange): RegisterChange {
    this.feed.push(c);
    this.byId.set(c.changeId, c);
    return c;
  }
}
