/**
 * What every partner transformer needs when it maps a record to the canonical model. Transformers
 * normalise values but never judge them: a value they cannot map goes on as sent, for the
 * validator to reject with the rule's code and the value the partner actually sent.
 */

/**
 * A partner value spelled like a canonical one ("NEEDY" as a SOPA Veids, "2026-10-01" as a LIETIS
 * date) would satisfy the canonical schema and slip past the rule that a value outside the
 * partner's own table or format is an error. Quoted, it is still rejected and still shows.
 */
export function quoteIfCanonical(looksCanonical: boolean, value: string): string {
  return looksCanonical ? JSON.stringify(value) : value;
}

/** A known partner code maps to its canonical value; an unknown one goes on as sent (see quoteIfCanonical). */
export function mapCode(table: Record<string, string>, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return Object.hasOwn(table, value) ? table[value] : quoteIfCanonical(Object.values(table).includes(value), value);
}

/**
 * Drops undefined members, so the schema reports a missing field as REQUIRED rather than a type
 * error. Copies instead of deleting: `delete` turns an object into a slow dictionary, and every
 * canonical record passes through here on its way to validation and JSON.
 */
export function compact<T extends object>(o: T): T {
  let complete = true;
  for (const k in o) if (o[k] === undefined) { complete = false; break; }
  if (complete) return o;
  const out = {} as T;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
