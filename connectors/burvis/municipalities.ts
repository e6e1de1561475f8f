/**
 * The municipalities of schemas/classifiers/municipalities.json, read once. The list is data (a
 * merger edits that file, not code): the push endpoint refuses a profile of a municipality that is
 * not on it, since no municipal system could be told, and the simulator spreads its clients over it.
 */
import { readFileSync } from 'node:fs';

export interface Municipality {
  atvk: string;
  name: string;
  /** The municipal system that reports for it and is notified of its clients' profiles: sopa, lietis or gvs. */
  system: string;
}

let cached: readonly Municipality[] | undefined;

export function municipalities(): readonly Municipality[] {
  cached ??= (JSON.parse(readFileSync(new URL('../../schemas/classifiers/municipalities.json', import.meta.url), 'utf8')) as { municipalities: Municipality[] })
    .municipalities.map(({ atvk, name, system }) => ({ atvk, name, system }));
  return cached;
}

let codes: ReadonlySet<string> | undefined;

export function municipalityCodes(): ReadonlySet<string> {
  codes ??= new Set(municipalities().map((m) => m.atvk));
  return codes;
}
