import { mapCode } from '../../engine/index.ts';
/** GVS's spelling of the classifiers (partners/classifiers.md): numeric codes, mapped to the canonical ones. */
export const STATUS: Record<string, string> = { 1: 'NEEDY', 2: 'LOW_INCOME' };
/** `firstMember` is a boolean; its String() is the key. */
export const ROLE: Record<string, string> = { true: 'FIRST', false: 'OTHER' };
export const BENEFIT: Record<string, string> = { 1: 'GMI', 2: 'HOUSING', 3: 'HEALTHCARE', 4: 'CRISIS', 9: 'OTHER' };
export const OUTCOME: Record<string, string> = { 1: 'GRANTED', 2: 'REFUSED', 3: 'TERMINATED', 4: 'SUSPENDED' };
export const SERVICE: Record<string, string> = {
  101: 'SOCIAL_WORK', 102: 'HOME_CARE', 103: 'DAY_CENTRE', 104: 'GROUP_HOME', 105: 'LONG_TERM_CARE', 106: 'REHABILITATION',
  107: 'CRISIS_CENTRE', 108: 'SHELTER', 109: 'SOUP_KITCHEN', 110: 'SPECIALISED_WORKSHOP', 111: 'ASSISTANT',
};
export const UNIT: Record<string, string> = { h: 'HOURS_PER_MONTH', d: 'DAYS_PER_MONTH', p: 'PLACE' };
export const CATEGORY: Record<string, string> = { 1: 'CHILD', 2: 'ADULT', 3: 'STUDENT' };

/**
 * A known code, sent as a number or as a numeric string ("2"), maps to its canonical value. An
 * unknown one passes through as a string so that the validator rejects it as CLASSIFIER with the
 * value the partner sent. One exception: a value that happens to be a canonical code ("HOME_CARE")
 * is not a GVS code, and passed through bare it would be accepted; it is passed on in JSON quotes,
 * which no canonical code matches. Objects and arrays pass through as they are (the schema names them).
 */
export function code(table: Record<string, string>, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return value;
  return mapCode(table, String(value).trim());
}
