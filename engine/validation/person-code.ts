/**
 * Latvian personal code (personas kods) rules of classifiers.md.
 * Old-style codes are DDMMYY-CNNNK: a birth date, a century digit and a check digit.
 * New-style codes (since July 2017) start with 32…39 and carry neither date nor check digit.
 */
const WEIGHTS = [1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** Removes one hyphen after the sixth digit and any spaces; returns null when it is not 11 digits. */
export function normalizePersonCode(raw: string): string | null {
  const compact = raw.replace(/\s+/g, '');
  const digits = /^\d{6}-\d{5}$/.test(compact) ? compact.slice(0, 6) + compact.slice(7) : compact;
  return /^\d{11}$/.test(digits) ? digits : null;
}

export function isNewStyle(code: string): boolean {
  return code[0] === '3' && code[1] >= '2' && code[1] <= '9';
}

/** (1101 − Σ wᵢdᵢ) mod 11 over the first ten digits; 10 means no valid code has those digits. */
export function checkDigit(firstTen: string): number {
  let s = 0;
  for (let i = 0; i < 10; i++) s += WEIGHTS[i] * (firstTen.charCodeAt(i) - 48);
  return (((1101 - s) % 11) + 11) % 11;
}

/** Why a code is invalid, or null when it is valid. */
export function personCodeProblem(raw: string): string | null {
  const code = normalizePersonCode(raw);
  if (!code) return 'a personal code has 11 digits, optionally with a hyphen after the sixth';
  if (isNewStyle(code)) return null;
  const day = Number(code.slice(0, 2));
  const month = Number(code.slice(2, 4));
  const yy = Number(code.slice(4, 6));
  const century = code[6];
  if (century !== '0' && century !== '1' && century !== '2') return `digit 7 (century) is ${century}; it must be 0, 1 or 2`;
  const year = (century === '0' ? 1800 : century === '1' ? 1900 : 2000) + yy;
  if (!isRealDate(year, month, day)) return `digits 1–6 (${code.slice(0, 6)}) are not a real birth date`;
  const check = checkDigit(code);
  if (check === 10) return 'no valid personal code has these first ten digits (check digit would be 10)';
  if (check !== code.charCodeAt(10) - 48) return `check digit is ${code[10]}, expected ${check}`;
  return null;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= dim;
}

/**
 * An old-style valid code for a birth date and serial (used by simulators and tests).
 * Walks the serial forward until the check digit is not 10.
 */
export function makePersonCode(birth: { year: number; month: number; day: number }, serial: number): string {
  const dd = String(birth.day).padStart(2, '0');
  const mm = String(birth.month).padStart(2, '0');
  const yy = String(birth.year % 100).padStart(2, '0');
  const century = birth.year < 1900 ? '0' : birth.year < 2000 ? '1' : '2';
  for (let s = serial; ; s++) {
    const ten = `${dd}${mm}${yy}${century}${String(s % 1000).padStart(3, '0')}`;
    const c = checkDigit(ten);
    if (c !== 10) return ten + c;
  }
}
