/** Durations as route files and partners.yaml write them ("500ms", "2s", "1m", "1h"). */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export const DURATION_HINT = 'a duration such as "500ms", "2s", "1m" or "1h"';

/** Milliseconds of "500ms", "2s", "1m" or "1h". @example parseDuration('2s') // 2000 */
export function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(String(s).trim());
  if (!m) throw new Error(`"${s}" is not ${DURATION_HINT}`);
  return Number(m[1]) * UNITS[m[2]];
}
