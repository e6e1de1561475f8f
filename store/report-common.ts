/**
 * What the Ministry's statistics and cross-checks share: the month a report is about, the names of
 * municipalities, and how a personal code appears in text meant for people.
 */
import { readFileSync } from 'node:fs';

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A reporting month: `period` YYYY-MM and its first and last day (YYYY-MM-DD). */
export interface ReportMonth {
  period: string;
  first: string;
  last: string;
}

/** The month `period` names, or null when it is not YYYY-MM. */
export function reportMonth(period: string): ReportMonth | null {
  const m = PERIOD.exec(period);
  if (!m) return null;
  const days = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
  return { period, first: `${period}-01`, last: `${period}-${String(days).padStart(2, '0')}` };
}

interface MunicipalityEntry {
  atvk: string;
  name: string;
  validFrom: string;
  validTo: string | null;
}

// Read here rather than through engine/validation: the store never imports the engine.
const FILE = new URL('../schemas/classifiers/municipalities.json', import.meta.url);
let cache: MunicipalityEntry[] | undefined;
const all = (): MunicipalityEntry[] => (cache ??= JSON.parse(readFileSync(FILE, 'utf8')).municipalities as MunicipalityEntry[]);

/** Municipalities valid on at least one day of the month, in ATVK order. */
export function municipalitiesOf(month: ReportMonth): { atvk: string; name: string }[] {
  return all()
    .filter((m) => m.validFrom <= month.last && (m.validTo === null || m.validTo >= month.first))
    .map((m) => ({ atvk: m.atvk, name: m.name }))
    .sort((a, b) => a.atvk.localeCompare(b.atvk));
}

/** "Rīga" for 0001000; the code itself for one the classifier does not know. */
export function municipalityName(atvk: string): string {
  return all().find((m) => m.atvk === atvk)?.name ?? atvk;
}

/**
 * "161175-*****": a finding's text is read by analysts and pasted into mail, so it never carries a
 * whole personas kods; the records' keys lead to the person for whoever may look them up.
 */
export function maskPersonCode(code: string): string {
  return `${code.slice(0, 6)}-*****`;
}
