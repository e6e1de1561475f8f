/**
 * Bytes that are not valid in the document's encoding are a well-formedness error (XML 1.0
 * §4.3.3), not something to repair: decoding them leniently turns a mislabelled windows-1257
 * "Ļubova" into "�ubova" and stores it as if it were a name. So the intake checks the bytes before
 * anything is read, and a fault names the line and the byte a partner's developer can look at.
 *
 * UTF-8 is checked with Node's buffer.isUtf8 (simdutf: gigabytes a second, strict as Unicode's
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF); only a failing document is
 * walked byte by byte to find where.
 */
import { isUtf8 } from 'node:buffer';
import { ValidationError } from '../core/errors.ts';

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(body: Buffer): number {
  if (isUtf8(body)) return -1;
  for (let i = 0; i < body.length;) {
    const b = body[i];
    if (b < 0x80) { i++; continue; }
    // Unicode 15, table 3-7: the lead byte fixes the length and the range of the second byte.
    let n: number, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b === 0xe0) { n = 2; lo = 0xa0; } else if (b >= 0xe1 && b <= 0xec) n = 2;
    else if (b === 0xed) { n = 2; hi = 0x9f; } else if (b >= 0xee && b <= 0xef) n = 2;
    else if (b === 0xf0) { n = 3; lo = 0x90; } else if (b >= 0xf1 && b <= 0xf3) n = 3;
    else if (b === 0xf4) { n = 3; hi = 0x8f; } else return i;
    if (i + n >= body.length) return i; // cut short by the end of the document
    if (body[i + 1] < lo || body[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if (body[i + k] === undefined || body[i + k] < 0x80 || body[i + k] > 0xbf) return i;
    i += n + 1;
  }
  return -1;
}

/** windows-1257 leaves these bytes undefined; iconv-lite would read each as U+FFFD. */
const UNDEFINED_1257 = new Set([0x81, 0x83, 0x88, 0x8a, 0x8c, 0x90, 0x98, 0x9a, 0x9c, 0x9f, 0xa1, 0xa5]);

/** Offset of the first byte windows-1257 does not define, or -1. */
export function firstUndefined1257(body: Buffer): number {
  for (let i = 0; i < body.length; i++) if (body[i] >= 0x81 && UNDEFINED_1257.has(body[i])) return i;
  return -1;
}

/** Line (1-based) and byte within the line (1-based) of an offset. */
export function positionOf(body: Buffer, offset: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = body.indexOf(0x0a); i !== -1 && i < offset; i = body.indexOf(0x0a, i + 1)) { line++; start = i + 1; }
  return { line, column: offset - start + 1 };
}

const hex = (body: Buffer, at: number): string =>
  [...body.subarray(at, Math.min(at + 4, body.length))].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

/** The 400 for bytes that are not `encoding`, naming where and what they are. */
export function encodingError(body: Buffer, offset: number, encoding: string, hint: string): ValidationError {
  const { line, column } = positionOf(body, offset);
  return new ValidationError('HUB_ERR_BATCH_ENCODING',
    `line ${line}, byte ${column} (offset ${offset}): the bytes ${hex(body, offset)} are not ${encoding}, the encoding the document declares; ${hint}`,
    400, { field: 'encoding', line, column, offset });
}

/**
 * A NUL byte: XML has no character U+0000 in any encoding the partners use, and a run of them
 * between ASCII letters is what a UTF-16 document without a byte order mark looks like.
 */
export function requireNoNul(body: Buffer, encoding: string): void {
  const at = body.indexOf(0);
  if (at >= 0) throw encodingError(body, at, encoding, 'XML has no NUL character (a UTF-16 document without a byte order mark looks like this); nothing of the batch is stored');
}

/** Throws HUB_ERR_BATCH_ENCODING when `body` is not well-formed UTF-8. */
export function requireUtf8(body: Buffer): void {
  requireNoNul(body, 'UTF-8');
  const at = firstInvalidUtf8(body);
  if (at >= 0) throw encodingError(body, at, 'UTF-8', 'the whole batch is refused and nothing of it is stored: export it as UTF-8 (a windows-1257 export read as UTF-8 looks like this)');
}

const DECLARED = /^(?:\xEF\xBB\xBF)?<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

/**
 * A document of a UTF-8 format: an XML declaration, if any, must say UTF-8 (415 otherwise: the
 * partner's exporter is set to another encoding), and every byte must be well-formed UTF-8 (400).
 */
export function requireUtf8Document(body: Buffer): void {
  const declared = DECLARED.exec(body.subarray(0, 256).toString('latin1'))?.[1];
  if (declared && !/^utf-?8$/i.test(declared)) {
    throw new ValidationError('HUB_ERR_BATCH_ENCODING', `the document declares encoding="${declared}"; this partner's documents are UTF-8: export them as UTF-8`, 415, { field: 'encoding' });
  }
  requireUtf8(body);
}
