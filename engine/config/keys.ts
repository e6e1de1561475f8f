/**
 * The load-time checks of `keyHashes` (partners.yaml, operators.yaml) and of operators.yaml's staff.
 * An entry is "sha256:<hex>", or `{ hash, expires }` while a key is being rotated: the schema's
 * oneOf would only say "matches no branch", so these say which part is wrong and what is valid.
 */
import type { KeyHash } from './types.ts';

type Seg = string | number;
type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

export const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
const HASH_HINT = 'must be "sha256:" followed by 64 lower-case hex digits (spolis-hub keys new prints a key and its hash)';
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-](\d{2}):(\d{2}))$/;
const DATE_TIME_HINT = 'an ISO 8601 date-time with its zone, e.g. "2027-01-31T00:00:00Z"';

/** A date-time string's instant (epoch ms), or undefined when it is not a real one (2027-02-30 is not). */
export function parseDateTime(s: string): number | undefined {
  const m = DATE_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || sec > 59) return undefined;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const t = Date.parse(s.toUpperCase());
  return Number.isNaN(t) ? undefined : t;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'empty' : Array.isArray(v) ? 'a list' : isObj(v) ? 'a mapping' : String(v));

/** What is wrong with one keyHashes entry, as [path, message, atKey?] triples; empty when fine. */
export function keyHashProblems(k: unknown, at: Seg[]): [Seg[], string, boolean?][] {
  if (typeof k === 'string') return HASH_PATTERN.test(k) ? [] : [[at, `${show(k)} ${HASH_HINT}`]];
  if (!isObj(k)) return [[at, `must be "sha256:<hex>", or { hash: "sha256:<hex>", expires: <date-time> } for a key being replaced; not ${show(k)}`]];
  const out: [Seg[], string, boolean?][] = [];
  for (const key of Object.keys(k)) {
    if (key !== 'hash' && key !== 'expires') out.push([[...at, key], `unknown key "${key}"; allowed: hash, expires`, true]);
  }
  if (k.hash === undefined) out.push([[...at, 'hash'], 'required but missing (the "sha256:<hex>" of the key)']);
  else if (typeof k.hash !== 'string' || !HASH_PATTERN.test(k.hash)) out.push([[...at, 'hash'], `${show(k.hash)} ${HASH_HINT}`]);
  if (k.expires === undefined) out.push([[...at, 'expires'], `required but missing (when the key stops being accepted: ${DATE_TIME_HINT}); a key without expiry is written as its hash alone`]);
  else if (typeof k.expires !== 'string' || parseDateTime(k.expires) === undefined) out.push([[...at, 'expires'], `${show(k.expires)} is not a date-time; write ${DATE_TIME_HINT}`]);
  return out;
}

/** The hash of an entry that passed keyHashProblems. */
export const entryHash = (k: KeyHash): string => (typeof k === 'string' ? k : k.hash);

/** Entries expiring within `withinMs` of `now` (or already expired), for `routes lint`'s warnings. */
export function expiringSoon(keys: readonly KeyHash[], now: number, withinMs: number): { index: number; expires: string; expired: boolean }[] {
  const out: { index: number; expires: string; expired: boolean }[] = [];
  keys.forEach((k, index) => {
    if (typeof k === 'string') return;
    const t = parseDateTime(k.expires);
    if (t !== undefined && t - now <= withinMs) out.push({ index, expires: k.expires, expired: t <= now });
  });
  return out;
}

/** Where a check reports: the loader's YamlFile (`add` places the problem at the path's line). */
export interface ProblemSink {
  add(segs: Seg[], msg: string, atKey?: boolean): void;
}

/**
 * Checks every `keyHashes` entry of a partners.yaml or operators.yaml list (`section` is
 * "partners" or "operators"), and that no key belongs to two holders: a key names one holder, and
 * the hub could not tell whose request it was. `taken` carries the hashes of files checked before.
 */
export function checkKeyHashes(f: ProblemSink, section: string, list: unknown[], taken: Map<string, string>, file: string): void {
  list.forEach((holder, i) => {
    if (!isObj(holder) || !Array.isArray(holder.keyHashes)) return;
    const who = `${section}[${i}]${typeof holder.id === 'string' ? ` (${holder.id})` : ''}`;
    holder.keyHashes.forEach((k: unknown, j) => {
      const at: Seg[] = [section, i, 'keyHashes', j];
      const problems = keyHashProblems(k, at);
      for (const [segs, msg, atKey] of problems) f.add(segs, msg, atKey);
      if (problems.length) return;
      const h = entryHash(k as KeyHash);
      const other = taken.get(h);
      if (other) f.add(at, `this key is already a key of ${other}; a key belongs to one holder: give each its own (spolis-hub keys new)`);
      else taken.set(h, `${file}'s ${who}`);
    });
  });
}

/** operators.yaml's own checks beyond its schema: unique ids, none equal to a partner's. */
export function checkStaff(f: ProblemSink, list: unknown[], partnerIds: readonly string[]): void {
  const seen = new Map<string, number>();
  list.forEach((o, i) => {
    if (!isObj(o) || typeof o.id !== 'string') return;
    const first = seen.get(o.id);
    if (first !== undefined) f.add(['operators', i, 'id'], `"${o.id}" is already the id of operators[${first}]; ids must be unique`);
    else if (partnerIds.includes(o.id)) f.add(['operators', i, 'id'], `"${o.id}" is a partner's id in partners.yaml; staff ids must differ from partner ids, so that the audit log names one of them`);
    seen.set(o.id, seen.get(o.id) ?? i);
  });
}

/** @defaultValue how far ahead `routes lint` warns of a key's expiry. */
export const KEY_EXPIRY_WARN_MS = 14 * 86_400_000;

/**
 * `routes lint`'s reminders (not errors: the hub starts): keys that expire within two weeks, so
 * that the new key reaches its holder in time, and expired entries that can now be removed.
 */
export function keyExpiryWarnings(config: { partners: readonly { id: string; keyHashes: readonly KeyHash[] }[]; operators: readonly { id: string; keyHashes: readonly KeyHash[] }[] }, now: number, withinMs = KEY_EXPIRY_WARN_MS): string[] {
  const out: string[] = [];
  const each = (file: string, section: string, list: readonly { id: string; keyHashes: readonly KeyHash[] }[]) => list.forEach((h, i) => {
    for (const e of expiringSoon(h.keyHashes, now, withinMs)) {
      const until = parseDateTime(e.expires)!;
      // Whether the holder still has a key once this one is refused: one without expiry, or a later one.
      const after = h.keyHashes.some((k, j) => j !== e.index && (typeof k === 'string' || (parseDateTime(k.expires) ?? 0) > Math.max(until, now)));
      const what = e.expired
        ? `this key expired at ${e.expires} and is refused; remove the entry`
        : `this key expires at ${e.expires}, in ${Math.max(1, Math.round((until - now) / 3_600_000))} h`;
      const left = after ? '' : `; ${h.id} has no other key ${e.expired ? 'now' : 'then'}: add one (spolis-hub keys new)`;
      out.push(`warning: ${file}: ${section}[${i}].keyHashes[${e.index}] (${h.id}): ${what}${left}`);
    }
  });
  each('partners.yaml', 'partners', config.partners);
  each('operators.yaml', 'operators', config.operators);
  return out;
}
