/**
 * When a year's state report may be submitted: from the start of the year (the portal pre-fills it
 * as soon as there are records) until the end of the deadline day in the following year, Latvian
 * time. MK 324 gives the annual report (form 2.2) until 15 February (/work/shared/DOMAIN.md, F3);
 * a resubmission before then replaces the earlier one, after it the report is closed (409).
 */
import { httpError } from '../../engine/core/errors.ts';

/**
 * The deadline day of a year's report, in the following year (MM-DD).
 * @defaultValue '02-15' (MK 324, form 2.2)
 */
export const SUBMISSION_DEADLINE = '02-15';

/** The first year the report covers: municipalities of the 2021 reform (schemas/classifiers/municipalities.json). */
export const FIRST_YEAR = 2021;

const RIGA = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Riga', year: 'numeric' });

/** The current calendar year in Latvia. */
export const currentYear = (now = Date.now()): number => Number(RIGA.format(now));

/** The deadline day of `year`'s report (YYYY-MM-DD). */
export const deadlineOf = (year: number): string => `${year + 1}-${SUBMISSION_DEADLINE}`;

/** The first instant after the deadline day: Latvia is on winter time (UTC+2) in February. */
const closesAt = (year: number): number => {
  const end = new Date(`${deadlineOf(year)}T00:00:00+02:00`);
  return end.getTime() + 24 * 3600 * 1000;
};

/** Whether `year`'s report still takes submissions at `now`. */
export const isOpen = (year: number, now = Date.now()): boolean => now < closesAt(year);

/** The year of a path, or a 400 naming it: four digits, from FIRST_YEAR to the current year. */
export function reportYear(v: unknown, now = Date.now()): number {
  const s = typeof v === 'string' ? v : '';
  const year = /^\d{4}$/.test(s) ? Number(s) : NaN;
  const current = currentYear(now);
  if (!(year >= FIRST_YEAR && year <= current)) {
    throw httpError(400, 'HUB_ERR_STATE_REPORT_YEAR', `year "${s}" must be a year from ${FIRST_YEAR} to the current year ${current}: a report covers a past or the current year`, 'year');
  }
  return year;
}
