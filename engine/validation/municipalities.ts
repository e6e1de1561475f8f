/** The ATVK list of schemas/classifiers/municipalities.json, read once. */
import { readFileSync } from 'node:fs';

export interface Municipality {
  atvk: string;
  name: string;
  validFrom: string;
  validTo: string | null;
  system: string;
}

const FILE = new URL('../../schemas/classifiers/municipalities.json', import.meta.url);
let cache: Map<string, Municipality> | undefined;

export function municipalities(): Map<string, Municipality> {
  cache ??= new Map((JSON.parse(readFileSync(FILE, 'utf8')).municipalities as Municipality[]).map((m) => [m.atvk, m]));
  return cache;
}

/** Why an ATVK code is not a municipality on `onDate` (YYYY-MM-DD), or null. */
export function municipalityProblem(atvk: string, onDate?: string): string | null {
  const m = municipalities().get(atvk);
  if (!m) return `"${atvk}" is not an ATVK code of a municipality (schemas/classifiers/municipalities.json)`;
  if (onDate && (onDate < m.validFrom || (m.validTo !== null && onDate > m.validTo))) {
    return `${m.name} (${atvk}) is valid ${m.validFrom}…${m.validTo ?? ''}, not on ${onDate}`;
  }
  return null;
}
