/**
 * The BURVIS simulator's data set: NVA's profiles of unemployed clients and job seekers, spread over
 * the municipalities of schemas/classifiers/municipalities.json, each with its own UpdatedAt, all
 * distinct and increasing in feed order. Deterministic: the same seed gives the same profiles on every
 * machine, independent of the clock; only `upsert` (tests, sandbox) reads the clock, and even then
 * never stamps an instant at or before the newest one, so the change feed stays strictly ordered.
 */
import { makePersonCode, normalizePersonCode, type BurvisProfile } from '../../engine/index.ts';
import { createRng, personCodeFor, type Rng } from '../../engine/simulators/index.ts';
import { municipalities } from './municipalities.ts';

export interface BurvisDataOptions {
  /** @defaultValue 5150 */
  seed?: number;
  /** @defaultValue 200 */
  profiles?: number;
  /** UpdatedAt of the first profile; the others follow at random gaps of up to two hours. @defaultValue '2026-01-05T06:00:00.000Z' */
  from?: string;
  /** The clock `upsert` stamps with (milliseconds since the epoch). @defaultValue Date.now */
  now?: () => number;
}

/** Personal codes for tests. */
export interface BurvisSamples {
  /** Profiles in municipalities of each municipal system: Rīga and Jelgava (SOPA), Daugavpils (LIETIS), Tukuma novads (GVS). */
  riga: string;
  jelgava: string;
  daugavpils: string;
  tukums: string;
  /** A DEREGISTERED client, with DeregisteredOn. */
  deregistered: string;
  /** A new-style code (32…39, no birth date). */
  newStyle: string;
  /** A valid code NVA has no profile of. */
  unknown: string;
}

/** Where a page of the change feed ended: the last profile's UpdatedAt and PersonCode. */
export interface FeedPosition {
  updatedAt: string;
  personCode: string;
}

export interface BurvisDataSet {
  readonly samples: BurvisSamples;
  readonly size: number;
  /** The profile of a personal code (with or without hyphen). */
  get(personCode: string): BurvisProfile | undefined;
  /** Every profile, in feed order (UpdatedAt, then PersonCode). */
  all(): BurvisProfile[];
  /** Up to `limit` profiles with UpdatedAt after `since` and placed after `after`, in feed order, and whether more follow. */
  changes(since: string, after: FeedPosition | undefined, limit: number): { profiles: BurvisProfile[]; more: boolean };
  /** Stores a new or changed profile, stamped with an UpdatedAt later than every other. */
  upsert(profile: Omit<BurvisProfile, 'updatedAt'>): BurvisProfile;
  /** Back to the seeded profiles. */
  reset(): void;
}

const SAMPLE_PLACES = [
  ['riga', '0001000'], ['jelgava', '0003000'], ['daugavpils', '0002000'], ['tukums', '0052000'], ['deregistered', '0001000'], ['newStyle', '0005000'],
] as const;

const DAY_MS = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `a` before `b` in feed order. UpdatedAt strings are all `toISOString()`, so they compare as text. */
export const feedBefore = (a: FeedPosition, b: FeedPosition): boolean =>
  a.updatedAt < b.updatedAt || (a.updatedAt === b.updatedAt && a.personCode < b.personCode);

function makeProfile(rng: Rng, personCode: string, municipality: string, updatedMs: number, status?: BurvisProfile['status']): BurvisProfile {
  const st = status ?? (rng.chance(0.5) ? 'UNEMPLOYED' : rng.chance(0.6) ? 'JOBSEEKER' : 'DEREGISTERED');
  // Registered up to six years before the profile last changed; deregistered between the two.
  const registeredMs = updatedMs - rng.int(1, 6 * 365) * DAY_MS;
  const p: BurvisProfile = {
    personCode, status: st, registeredOn: dateOf(registeredMs), profilingGroup: rng.pick([1, 2, 3] as const), municipality,
    updatedAt: new Date(updatedMs).toISOString(),
  };
  if (st === 'DEREGISTERED') p.deregisteredOn = dateOf(registeredMs + rng.int(0, Math.floor((updatedMs - registeredMs) / DAY_MS)) * DAY_MS);
  return p;
}

function seeded(opts: BurvisDataOptions): { profiles: BurvisProfile[]; samples: BurvisSamples } {
  const rng = createRng(opts.seed ?? 5150);
  const n = Math.max(opts.profiles ?? 200, SAMPLE_PLACES.length);
  const places = municipalities().map((m) => m.atvk);
  const codes = new Set<string>();
  const samples: Partial<BurvisSamples> = {};
  const profiles: BurvisProfile[] = [];
  let t = Date.parse(opts.from ?? '2026-01-05T06:00:00.000Z');
  while (profiles.length < n) {
    const i = profiles.length;
    const sample = SAMPLE_PLACES[i];
    const code = personCodeFor(rng, { newStyle: sample?.[0] === 'newStyle' ? 1 : 0.1 });
    if (codes.has(code)) continue;
    codes.add(code);
    t += rng.int(1_000, 7_200_000);
    // About a third live in Rīga, as the country's clients do; the rest anywhere.
    const municipality = sample ? sample[1] : rng.chance(0.3) ? '0001000' : rng.pick(places);
    profiles.push(makeProfile(rng, code, municipality, t, sample?.[0] === 'deregistered' ? 'DEREGISTERED' : sample ? 'UNEMPLOYED' : undefined));
    if (sample) samples[sample[0]] = code;
  }
  let unknown = '';
  for (let serial = 0; !unknown || codes.has(unknown); serial++) unknown = makePersonCode({ year: 1981, month: 4, day: 23 }, serial);
  return { profiles, samples: { ...(samples as Omit<BurvisSamples, 'unknown'>), unknown } };
}

/**
 * Builds the data set.
 * @example burvisDataSet().get(burvisDataSet().samples.daugavpils)?.municipality // '0002000'
 */
export function burvisDataSet(opts: BurvisDataOptions = {}): BurvisDataSet {
  const initial = seeded(opts);
  const now = opts.now ?? Date.now;
  let feed: BurvisProfile[] = [];
  const byCode = new Map<string, BurvisProfile>();
  const load = (): void => {
    feed = initial.profiles.map((p) => ({ ...p }));
    byCode.clear();
    for (const p of feed) byCode.set(p.personCode, p);
  };
  load();

  /** Index of the first profile placed after `pos` (binary search: the feed is kept sorted). */
  const firstAfter = (pos: FeedPosition): number => {
    let lo = 0;
    let hi = feed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (feedBefore(pos, feed[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  return {
    samples: initial.samples,
    get size() { return feed.length; },
    get(code) {
      const p = byCode.get(normalizePersonCode(code) ?? '');
      return p && { ...p };
    },
    all: () => feed.map((p) => ({ ...p })),
    changes(since, after, limit) {
      // Everything at `since` or before is placed before this position ('~' sorts after any digit).
      let start = firstAfter({ updatedAt: since, personCode: '~' });
      if (after) start = Math.max(start, firstAfter(after));
      const profiles = feed.slice(start, start + limit).map((p) => ({ ...p }));
      return { profiles, more: start + limit < feed.length };
    },
    upsert(profile) {
      const code = normalizePersonCode(profile.personCode);
      if (!code) throw new Error(`upsert: ${profile.personCode} is not a personal code`);
      const newest = feed.length ? Date.parse(feed[feed.length - 1].updatedAt) : 0;
      const stored: BurvisProfile = { ...profile, personCode: code, updatedAt: new Date(Math.max(now(), newest + 1)).toISOString() };
      const old = byCode.get(code);
      if (old) feed.splice(feed.indexOf(old), 1);
      feed.push(stored);
      byCode.set(code, stored);
      return { ...stored };
    },
    reset: load,
  };
}
