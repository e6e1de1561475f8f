/**
 * The VSAA simulator's data set: persons with granted pensions and benefits (EP51), the payments
 * sent for them month by month (EP52) and the deductions withheld (EP50). Deterministic: the same
 * seed gives the same persons and cents on every machine, independent of the clock.
 */
import { makePersonCode } from '../../engine/index.ts';
import {
  BENEFIT_TYPES, type BenefitType, type DeductionReason, type VsaaDeduction, type VsaaGrant, type VsaaPayment,
} from './messages.ts';

export interface VsaaPerson {
  personCode: string;
  grants: VsaaGrant[];
  payments: VsaaPayment[];
  deductions: VsaaDeduction[];
}

export interface VsaaDataOptions {
  /** @defaultValue 4242 */
  seed?: number;
  /** @defaultValue 200 */
  persons?: number;
  /** The last month with data (YYYY-MM); data starts 36 months earlier. @defaultValue '2026-12' */
  until?: string;
}

export interface VsaaDataSet {
  persons: Map<string, VsaaPerson>;
  /** Codes for tests: someone with all three kinds of data, someone known with none, a valid code VSAA does not know. */
  samples: { full: string; empty: string; unknown: string };
  /** The months the data covers (YYYY-MM), first and last. */
  from: string;
  until: string;
}

/** mulberry32, as the SOPA simulator uses: small, fast, identical everywhere. */
class Rng {
  private s: number;
  constructor(seed: number) { this.s = Math.trunc(seed) >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.next() * a.length)]; }
  chance(p: number): boolean { return this.next() < p; }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const cents = (c: number): string => `${Math.floor(c / 100)}.${pad2(c % 100)}`;
const monthOf = (index: number): string => `${Math.floor(index / 12)}-${pad2((index % 12) + 1)}`;
const indexOf = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
const lastDay = (index: number): number => new Date(Date.UTC(Math.floor(index / 12), (index % 12) + 1, 0)).getUTCDate();

/** Builds the data set. Person 0 is known to VSAA and receives nothing (an empty answer is valid). */
export function vsaaDataSet(opts: VsaaDataOptions = {}): VsaaDataSet {
  const rng = new Rng(opts.seed ?? 4242);
  const until = opts.until ?? '2026-12';
  const last = indexOf(until);
  const first = last - 35;
  const persons = new Map<string, VsaaPerson>();
  const n = opts.persons ?? 200;
  while (persons.size < n) {
    const year = rng.int(1940, 2004);
    const code = makePersonCode({ year, month: rng.int(1, 12), day: rng.int(1, 28) }, rng.int(0, 999));
    if (persons.has(code)) continue;
    const p: VsaaPerson = { personCode: code, grants: [], payments: [], deductions: [] };
    persons.set(code, p);
    if (persons.size === 1) continue;
    const kinds: BenefitType[] = [year < 1962 ? 'OLD_AGE_PENSION' : rng.pick(BENEFIT_TYPES.slice(1))];
    if (rng.chance(0.3)) kinds.push(rng.pick(BENEFIT_TYPES.filter((k) => k !== kinds[0])));
    const withholds: DeductionReason | null = persons.size === 2 ? 'INCOME_TAX'
      : rng.chance(0.4) ? rng.pick(['ALIMONY', 'INCOME_TAX', 'OVERPAYMENT', 'ENFORCEMENT'] as const) : null;
    for (const benefitType of kinds) {
      const start = first + rng.int(0, 30);
      const end = persons.size === 2 || rng.chance(0.6) ? undefined : rng.int(start + 1, last);
      const monthly = rng.int(9_000, 120_000);
      p.grants.push({
        benefitType, amount: cents(monthly), from: `${monthOf(start)}-01`,
        ...(end === undefined ? {} : { to: `${monthOf(end)}-${pad2(lastDay(end))}` }),
      });
      for (let m = start; m <= (end ?? last); m++) {
        const month = monthOf(m);
        p.payments.push({ month, benefitType, amount: cents(monthly), sentOn: `${month}-${pad2(rng.int(10, 20))}`, channel: rng.chance(0.85) ? 'BANK' : 'POST' });
        if (withholds && rng.chance(0.7)) {
          const share = withholds === 'INCOME_TAX' ? 0.2 : withholds === 'ALIMONY' ? 0.25 : 0.1;
          p.deductions.push({ month, benefitType, amount: cents(Math.round(monthly * share)), reason: withholds });
        }
      }
    }
    p.payments.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
    p.deductions.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
  }
  const [empty, full] = persons.keys();
  let unknown = '';
  for (let serial = 0; !unknown || persons.has(unknown); serial++) unknown = makePersonCode({ year: 1975, month: 11, day: 16 }, serial);
  return { persons, samples: { full, empty, unknown }, from: monthOf(first), until };
}
