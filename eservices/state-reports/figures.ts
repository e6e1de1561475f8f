/**
 * Reading a submitted report: `{figures: {R01: n, …}, comments?: {R01: "why"}, municipality?}`.
 * Every indicator is required; a value is a number or a decimal string, ≥ 0, with at most the
 * places of its unit (whole households and persons, euro cents, tenths of an hour). The first
 * problem is a 400 whose `field` names it (`figures.R07`); nothing is stored.
 */
import { httpError } from '../../engine/core/errors.ts';
import { INDICATORS, INDICATOR_BY_CODE, PLACES, type Figures, type IndicatorUnit } from '../../store/state-reports.ts';

export const INVALID = 'HUB_ERR_STATE_REPORT_INVALID';

/** A comment is a sentence or a paragraph for the Ministry's analyst, not a document. */
export const MAX_COMMENT = 2000;

/** The largest value: 12 integer digits, far above any municipality's year. */
const INTEGER_DIGITS = 12;

const UNIT_WORDS: Record<IndicatorUnit, string> = {
  households: 'a whole number of households', persons: 'a whole number of persons', eur: 'euro with at most 2 decimals', hours: 'hours with at most 1 decimal',
};

const bad = (field: string, message: string): never => { throw httpError(400, INVALID, `${field}: ${message}`, field); };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The codes as the form lists them, for messages. */
export const CODE_RANGES = 'R01–R06, R10–R19, R20–R31, R40–R42';

function unknownCode(field: string, code: string): never {
  return bad(`${field}.${code}`, `${code} is not an indicator of the state report; the indicators are ${CODE_RANGES} (GET the report for their meaning)`);
}

/** `v` as the unit's decimal string, or a 400 naming `field`. */
export function readValue(v: unknown, unit: IndicatorUnit, field: string): string {
  const places = PLACES[unit];
  const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v.trim() : null;
  if (text === null) return bad(field, `must be a number (${UNIT_WORDS[unit]}), not ${v === null ? 'null' : typeof v}`);
  if (/^-/.test(text)) return bad(field, `must be ≥ 0, not ${text}`);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  // Trailing zeros are not places: 12.0 persons are twelve, 4.50 euro is 4.5.
  const decimals = (m?.[2] ?? '').replace(/0+$/, '');
  if (!m || m[1].length > INTEGER_DIGITS || decimals.length > places) {
    return bad(field, `must be ${UNIT_WORDS[unit]}, ≥ 0 and below 10^${INTEGER_DIGITS}; got ${JSON.stringify(v)}`);
  }
  return String(Number(m[1])) + (places ? '.' + decimals.padEnd(places, '0') : '');
}

export interface SubmittedReport {
  figures: Figures;
  comments: Record<string, string>;
  /** The municipality the body names, if it names one (must be the caller's). */
  municipality?: string;
}

/** Reads a submission body; a 400 naming the first field at fault. */
export function readSubmission(body: Record<string, unknown>): SubmittedReport {
  for (const k of Object.keys(body)) if (!['figures', 'comments', 'municipality'].includes(k)) bad(k, 'is not a field of a state report submission; send {figures, comments?}');
  if (!isObject(body.figures)) return bad('figures', 'send an object with every indicator: {"R01": 12, "R02": 30, …}');
  for (const code of Object.keys(body.figures)) if (!INDICATOR_BY_CODE.has(code)) unknownCode('figures', code);
  const missing = INDICATORS.filter((d) => !(d.code in (body.figures as object)));
  if (missing.length) bad(`figures.${missing[0].code}`, `every indicator is required; missing ${missing.map((d) => d.code).join(', ')} (the pre-filled value is in GET /api/v1/state-reports/{year})`);
  const figures: Figures = {};
  for (const d of INDICATORS) figures[d.code] = readValue((body.figures as Record<string, unknown>)[d.code], d.unit, `figures.${d.code}`);

  const comments: Record<string, string> = {};
  if (body.comments !== undefined) {
    if (!isObject(body.comments)) bad('comments', 'send an object of indicator code → text: {"R01": "why the figure differs"}');
    for (const [code, text] of Object.entries(body.comments as Record<string, unknown>)) {
      if (!INDICATOR_BY_CODE.has(code)) unknownCode('comments', code);
      if (typeof text !== 'string' || !text.trim()) bad(`comments.${code}`, 'must be a non-empty text');
      if ((text as string).length > MAX_COMMENT) bad(`comments.${code}`, `is ${(text as string).length} characters; at most ${MAX_COMMENT}`);
    }
    // Kept in the form's order, so the same comments are the same stored JSON.
    for (const d of INDICATORS) {
      const t = (body.comments as Record<string, unknown>)[d.code];
      if (typeof t === 'string') comments[d.code] = t.trim();
    }
  }
  if (body.municipality !== undefined && typeof body.municipality !== 'string') bad('municipality', 'must be an ATVK code (text), and your own');
  return { figures, comments, ...(typeof body.municipality === 'string' ? { municipality: body.municipality } : {}) };
}
