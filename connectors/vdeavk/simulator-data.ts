/**
 * The VDEĀVK simulator's opinions: adults with one to three opinions (mobility, visual, mental,
 * transport), children with CHILD_SPECIAL_CARE opinions of 80 or 100 hours a month, some revoked.
 * Deterministic: the same seed gives the same opinions on every machine, independent of the clock.
 *
 * Every opinion carries a distinct ChangedAt, and a change (add, change, revoke) stamps one later
 * than any before it, so the change feed is a total order: that is what lets the simulator's
 * ChangedSince paging promise to never skip or repeat an opinion while data changes under it.
 */
import { makePersonCode, normalizePersonCode, type AssistantOpinion } from '../../engine/index.ts';
import { createRng, isoDate, personCodeFor, type Rng } from '../../engine/simulators/index.ts';
import { CHILD_MAX_HOURS, canonicalOpinion } from './messages.ts';

export interface VdeavkDataOptions {
  /** @defaultValue 5151 */
  seed?: number;
  /** @defaultValue 200 */
  persons?: number;
  /** The last day with changes (YYYY-MM-DD); opinions go back about three and a half years. @defaultValue '2026-10-31' */
  until?: string;
}

/** A new opinion: its ChangedAt is stamped when added; an OpinionId is made when absent. */
export type NewOpinion = Omit<AssistantOpinion, 'changedAt' | 'opinionId'> & { opinionId?: string };
/** What a change may alter: anything but the id and the change instant. */
export type OpinionPatch = Partial<Omit<AssistantOpinion, 'changedAt' | 'opinionId'>>;

export interface VdeavkDataSet {
  /** The current version of every opinion, by OpinionId. */
  readonly opinions: ReadonlyMap<string, AssistantOpinion>;
  /** One person's opinions (any spelling of the code) in ChangedAt order; empty when VDEĀVK has none. */
  ofPerson(personCode: string): AssistantOpinion[];
  /** Every opinion in change order (ChangedAt, then OpinionId): the ChangedSince feed. */
  feed(): readonly AssistantOpinion[];
  /** The newest ChangedAt. */
  latestChangedAt(): string;
  /** Adds an opinion; throws for an existing OpinionId or a value the XSD refuses. */
  add(opinion: NewOpinion): AssistantOpinion;
  /** Changes an opinion; it moves to the end of the feed. */
  change(opinionId: string, patch: OpinionPatch): AssistantOpinion;
  revoke(opinionId: string): AssistantOpinion;
  /** An adult with at least two opinions, none revoked. */
  readonly personWithOpinions: string;
  /** A child with one CHILD_SPECIAL_CARE opinion, not revoked, in force on the `until` day, giving MaxHoursPerMonth. */
  readonly childWithOpinion: string;
  /** A valid personal code of whom VDEĀVK has no opinion. */
  readonly unknownPerson: string;
}

/**
 * The simulator's cursor carries the OpinionId and must stay within the XSD's 100 characters, so
 * the simulated VDEĀVK issues ids of at most this many UTF-8 bytes.
 */
export const MAX_SIMULATED_ID_BYTES = 50;

const DAY = 86_400_000;
const dayOf = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);
/** The day before the same date `years` later: the last day of a validity of whole years. */
function lastDayAfterYears(fromDay: number, years: number): number {
  const d = new Date(fromDay * DAY);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime() / DAY - 1;
}

const ADULT_KINDS = ['ADULT_MOBILITY', 'ADULT_VISUAL', 'ADULT_MENTAL', 'TRANSPORT_INDICATION'] as const;
const ADULT_GROUPS = ['I', 'II', 'III'] as const;

interface Draft { o: Omit<AssistantOpinion, 'changedAt'>; changedMs: number }

/** Builds the data set. Person 0 is `personWithOpinions`, person 1 `childWithOpinion`. */
export function vdeavkDataSet(opts: VdeavkDataOptions = {}): VdeavkDataSet {
  const rng = createRng(opts.seed ?? 5151);
  const lastDay = dayOf(opts.until ?? '2026-10-31');
  const firstDay = lastDay - 1280;
  const untilYear = new Date(lastDay * DAY).getUTCFullYear();
  const drafts: Draft[] = [];
  const people = new Set<string>();
  let serial = 0;
  const n = opts.persons ?? 200;

  while (people.size < n) {
    const index = people.size;
    const child = index === 1 || (index !== 0 && rng.chance(0.3));
    const year = child ? rng.int(untilYear - 15, untilYear - 1) : rng.int(1940, untilYear - 19);
    const birth = [year, rng.int(1, 12), rng.int(1, 28)] as const;
    // Everyone born since July 2017 has a new-style code, which carries no birth date.
    const code = year >= 2018 ? personCodeFor(rng, { newStyle: 1 }) : makePersonCode({ year, month: birth[1], day: birth[2] }, rng.int(0, 999));
    if (people.has(code)) continue;
    people.add(code);
    const birthDay = dayOf(isoDate([...birth]));
    const count = index === 0 ? 2 : index === 1 ? 1 : 1 + (rng.chance(0.45) ? 1 : 0) + (rng.chance(0.2) ? 1 : 0);
    const group = child ? 'CHILD' : rng.pick(ADULT_GROUPS);
    // Person 0 has room for a second opinion; person 1's opinion is in force on the last day.
    const earliest = Math.max(index === 1 ? lastDay - 300 : firstDay, birthDay + 60);
    let issued = rng.int(earliest, lastDay - (index === 0 ? 420 : 60));
    for (let k = 0; k < count && issued <= lastDay; k++) {
      const validFrom = issued + rng.int(0, 20);
      let validTo = lastDayAfterYears(validFrom, child ? rng.pick([1, 2]) : rng.pick([1, 2, 5]));
      // A child's opinion ends with childhood: the day before the 18th birthday.
      if (child) validTo = Math.min(validTo, lastDayAfterYears(birthDay, 18));
      const revoked = index > 1 && rng.chance(0.08);
      const changedDay = revoked ? Math.min(lastDay, issued + rng.int(14, 180)) : issued;
      drafts.push({
        o: {
          opinionId: `ATZ-${new Date(issued * DAY).getUTCFullYear()}-${String(++serial).padStart(6, '0')}`,
          personCode: code, disabilityGroup: group, kind: child ? 'CHILD_SPECIAL_CARE' : rng.pick(ADULT_KINDS),
          issuedOn: isoOf(issued), validFrom: isoOf(validFrom), validTo: isoOf(validTo),
          ...(child ? { maxHoursPerMonth: rng.chance(0.3) ? CHILD_MAX_HOURS[1] : CHILD_MAX_HOURS[0] } : {}),
          revoked,
        },
        // Working hours in Riga: 06:00–15:00 UTC.
        changedMs: changedDay * DAY + 6 * 3_600_000 + rng.int(0, 9 * 3600) * 1000,
      });
      // A child's opinion is renewed when it runs out; an adult's next one (of any kind) comes some time later.
      issued = child ? validTo - rng.int(10, 40) : issued + rng.int(20, 400);
    }
  }
  let unknownPerson = '';
  for (let s = 0; !unknownPerson || people.has(unknownPerson); s++) unknownPerson = makePersonCode({ year: 1975, month: 11, day: 16 }, s);
  const [personWithOpinions, childWithOpinion] = people;
  return new OpinionStore(stampInOrder(drafts, rng), { personWithOpinions, childWithOpinion, unknownPerson }, serial);
}

/** ChangedAt for every draft: its own instant, nudged later where needed so that no two are equal. */
function stampInOrder(drafts: Draft[], rng: Rng): AssistantOpinion[] {
  drafts.sort((a, b) => a.changedMs - b.changedMs || (a.o.opinionId < b.o.opinionId ? -1 : 1));
  let last = -Infinity;
  return drafts.map(({ o, changedMs }) => {
    last = Math.max(changedMs, last + rng.int(1, 60) * 1000);
    return { ...o, changedAt: new Date(last).toISOString() };
  });
}

/** Compares two opinions' places in the feed. */
export const feedOrder = (a: AssistantOpinion, b: AssistantOpinion): number =>
  a.changedAt < b.changedAt ? -1 : a.changedAt > b.changedAt ? 1 : a.opinionId < b.opinionId ? -1 : a.opinionId > b.opinionId ? 1 : 0;

class OpinionStore implements VdeavkDataSet {
  readonly opinions = new Map<string, AssistantOpinion>();
  private readonly byPerson = new Map<string, Set<string>>();
  /** Sorted by feedOrder; a changed opinion leaves its place and is appended. */
  private readonly log: AssistantOpinion[] = [];
  readonly personWithOpinions: string;
  readonly childWithOpinion: string;
  readonly unknownPerson: string;

  constructor(initial: AssistantOpinion[], samples: Pick<VdeavkDataSet, 'personWithOpinions' | 'childWithOpinion' | 'unknownPerson'>, private serial: number) {
    ({ personWithOpinions: this.personWithOpinions, childWithOpinion: this.childWithOpinion, unknownPerson: this.unknownPerson } = samples);
    for (const o of initial) this.put(canonicalOpinion(o));
  }

  ofPerson(code: string): AssistantOpinion[] {
    const ids = this.byPerson.get(normalizePersonCode(code) ?? '') ?? new Set<string>();
    return [...ids].map((id) => this.opinions.get(id)!).sort(feedOrder);
  }

  feed(): readonly AssistantOpinion[] { return this.log; }

  latestChangedAt(): string { return this.log[this.log.length - 1].changedAt; }

  add(opinion: NewOpinion): AssistantOpinion {
    const opinionId = opinion.opinionId ?? `ATZ-${new Date().getUTCFullYear()}-${String(++this.serial).padStart(6, '0')}`;
    if (this.opinions.has(opinionId)) throw new RangeError(`opinion ${opinionId} exists already; change it instead`);
    if (Buffer.byteLength(opinionId) > MAX_SIMULATED_ID_BYTES) throw new RangeError(`the simulator issues OpinionIds of at most ${MAX_SIMULATED_ID_BYTES} bytes`);
    return this.put(canonicalOpinion({ ...opinion, opinionId, changedAt: this.nextChangedAt() }));
  }

  change(opinionId: string, patch: OpinionPatch): AssistantOpinion {
    const old = this.opinions.get(opinionId);
    if (!old) throw new RangeError(`no opinion ${opinionId}`);
    const next = canonicalOpinion({ ...old, ...patch, opinionId, changedAt: this.nextChangedAt() });
    this.log.splice(this.log.indexOf(old), 1);
    this.byPerson.get(old.personCode)!.delete(opinionId);
    return this.put(next);
  }

  revoke(opinionId: string): AssistantOpinion { return this.change(opinionId, { revoked: true }); }

  /** Now, or just after the newest change if the clock is behind it: ChangedAt never repeats. */
  private nextChangedAt(): string {
    const last = this.log.length ? Date.parse(this.latestChangedAt()) : -Infinity;
    return new Date(Math.max(Date.now(), last + 1)).toISOString();
  }

  private put(o: AssistantOpinion): AssistantOpinion {
    if (this.log.length && feedOrder(this.log[this.log.length - 1], o) >= 0) throw new Error(`opinion ${o.opinionId} would not be the newest change`);
    const frozen = Object.freeze(o);
    this.opinions.set(o.opinionId, frozen);
    let ids = this.byPerson.get(o.personCode);
    if (!ids) this.byPerson.set(o.personCode, (ids = new Set()));
    ids.add(o.opinionId);
    this.log.push(frozen);
    return frozen;
  }
}
