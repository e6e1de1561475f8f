import { mapCode, quoteIfCanonical } from '../../engine/index.ts';

/**
 * LIETIS's spelling of the classifiers (partners/classifiers.md) and of its values (partners/lietis.md:
 * DD.MM.YYYY dates, MM.YYYY months, decimal commas), mapped to the canonical ones.
 */
export const STATUS: Record<string, string> = { '1': 'NEEDY', '2': 'LOW_INCOME' };
/** `first="true|false"`: the first member counts 1 in income thresholds, the others 0.7. */
export const ROLE: Record<string, string> = { true: 'FIRST', false: 'OTHER' };
export const BENEFIT: Record<string, string> = { P01: 'GMI', P02: 'HOUSING', P03: 'HEALTHCARE', P04: 'CRISIS', P99: 'OTHER' };
export const OUTCOME: Record<string, string> = { G: 'GRANTED', R: 'REFUSED', T: 'TERMINATED', S: 'SUSPENDED' };
export const SERVICE: Record<string, string> = {
  S01: 'SOCIAL_WORK', S02: 'HOME_CARE', S03: 'DAY_CENTRE', S04: 'GROUP_HOME', S05: 'LONG_TERM_CARE', S06: 'REHABILITATION',
  S07: 'CRISIS_CENTRE', S08: 'SHELTER', S09: 'SOUP_KITCHEN', S10: 'SPECIALISED_WORKSHOP', S11: 'ASSISTANT',
};
export const UNIT: Record<string, string> = { 'h/m': 'HOURS_PER_MONTH', 'd/m': 'DAYS_PER_MONTH', v: 'PLACE' };
export const CATEGORY: Record<string, string> = { C: 'CHILD', A: 'ADULT', S: 'STUDENT' };

/**
 * Codes are case-sensitive: classifiers.md spells them one way, and `g` or `TRUE` is not that
 * spelling. Values already in canonical spelling ("NEEDY", "2026-10-01", "89.40") are quoted
 * (the engine's quoteIfCanonical), or they would slip past the partner's own format.
 */
export const code = mapCode;

/** "01.10.2026" → "2026-10-01". Anything else goes on as sent (see quoteIfCanonical), for the validator to reject as DATE. */
export function date(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(value);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : quoteIfCanonical(/^\d{4}-\d{2}-\d{2}$/.test(value), value);
}

/** "10.2026" → "2026-10". Anything else goes on as sent (see quoteIfCanonical), for the validator to reject as PERIOD. */
export function month(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{2})\.(\d{4})$/.exec(value);
  return m ? `${m[2]}-${m[1]}` : quoteIfCanonical(/^\d{4}-\d{2}$/.test(value), value);
}

/**
 * "89,40" → "89.40", "68" → "68"; the sign is kept so that "-12,30" is rejected as AMOUNT for being
 * negative rather than for its shape. Anything else (a decimal point, a thousands separator, letters)
 * goes on as sent (see quoteIfCanonical): the hub does not guess which separator a value meant.
 */
export function decimal(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^-?\d+(,\d+)?$/.test(value) ? value.replace(',', '.') : quoteIfCanonical(/^\d+\.\d+$/.test(value), value);
}

/** "60" → 60, "38,5" → 38.5; anything else stays a string, which the schema rejects as HOURS. */
export function hours(value: string | undefined): number | string | undefined {
  return value !== undefined && /^-?\d+(,\d+)?$/.test(value) ? Number(value.replace(',', '.')) : value;
}
