/**
 * When a cron expression fires next, in the process's local time as node-cron runs the scheduler's
 * triggers. node-cron parses the expression (the same parser, so both read it alike); node-cron 4
 * gives a next run only for a started task, and starting one here would schedule a real run.
 */
import cron from 'node-cron';

const DAY = 86_400_000;

/** The next instant after `from` at which `expr` fires, or null (an expression with no instant in a year, or one the parser refuses). */
export function nextRun(expr: string, from: Date = new Date()): Date | null {
  let f: ReturnType<typeof cron.parse>;
  try { f = cron.parse(expr); } catch { return null; }
  const has = (list: (number | string)[], v: number | string): boolean => list.includes(v);
  const lastDay = (d: Date): number => new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate();
  // node-cron requires both day of month and day of week to match (not classic cron's "either").
  const dayMatches = (d: Date): boolean =>
    (has(f.dayOfMonth, d.getDate()) || (has(f.dayOfMonth, 'L') && d.getDate() === lastDay(d)))
    && (has(f.dayOfWeek, d.getDay()) || (d.getDay() === 0 && has(f.dayOfWeek, 7)));
  // Tokens this walk does not know (an nth weekday "1#2", "5L"): no answer rather than a wrong one.
  if ([...f.dayOfMonth, ...f.dayOfWeek].some((v) => typeof v === 'string' && v !== 'L')) return null;
  const seconds = [...f.second].sort((a, b) => a - b);
  const t = new Date(from.getTime() + 1000 - (from.getTime() % 1000));
  const until = from.getTime() + 366 * DAY;
  while (t.getTime() <= until) {
    if (!has(f.month, t.getMonth() + 1) || !dayMatches(t)) {
      t.setHours(24, 0, 0, 0);
      continue;
    }
    if (!has(f.hour, t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (!has(f.minute, t.getMinutes())) {
      t.setMinutes(t.getMinutes() + 1, 0, 0);
      continue;
    }
    const s = seconds.find((x) => x >= t.getSeconds());
    if (s !== undefined) {
      t.setSeconds(s, 0);
      return t;
    }
    t.setMinutes(t.getMinutes() + 1, 0, 0);
  }
  return null;
}
