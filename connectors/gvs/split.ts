/**
 * Splits one GVS NDJSON document into batches of at most `maxBytes` (gvs.md: a header line, then
 * one record per line). Works on the bytes: in UTF-8 a newline byte is always a newline, so lines
 * are found without decoding, and every record line is copied verbatim — a line that is not JSON is
 * a record too (the hub rejects it alone), so it is carried, never judged, here. Blank lines are not
 * records and are dropped. Each part gets the header with its own `count`.
 */
import { ValidationError } from '../../engine/index.ts';

const NL = 0x0a;

function headerError(problem: string): ValidationError {
  return new ValidationError('HUB_ERR_BATCH_HEADER', `header ${problem}`, 422, { field: 'header' });
}

/** Blank as the reader sees it (String.prototype.trim); bytes first, decoding only a non-ASCII line. */
function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = body[i];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c) continue;
    return c >= 0x80 ? body.toString('utf8', start, end).trim() === '' : false;
  }
  return true;
}

export function splitGvs(body: Buffer, maxBytes: number): Buffer[] {
  // Record lines as [start, end) byte offsets without the newline: two numbers a line, no strings.
  const starts: number[] = [];
  const ends: number[] = [];
  let header: Record<string, unknown> | undefined;
  let headerLine = 0;
  let lineNo = 0;
  for (let at = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0; at <= body.length;) {
    const nl = body.indexOf(NL, at);
    const end = nl === -1 ? body.length : nl;
    lineNo++;
    if (!isBlank(body, at, end)) {
      if (header) { starts.push(at); ends.push(end); } else {
        headerLine = lineNo;
        try { header = JSON.parse(body.toString('utf8', at, end)); } catch { throw headerError(`(line ${lineNo}) is not valid JSON`); }
        if (typeof header !== 'object' || header === null || Array.isArray(header) || header.recordType !== 'header') {
          throw headerError(`(line ${lineNo}) must be the {"recordType":"header",…} object`);
        }
      }
    }
    at = end + 1;
  }
  if (!header) throw headerError('is missing: the document has no non-blank line');
  if (header.count !== starts.length) {
    throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH',
      `header.count (line ${headerLine}) says ${JSON.stringify(header.count)} records but the document holds ${starts.length} record lines: it was cut or corrupted; it cannot be split`, 422,
      { field: 'header.count' });
  }
  if (body.length <= maxBytes) return [body];
  if (starts.length === 0) throw new Error(`the document holds no records but is ${body.length} bytes, more than a batch may hold (${maxBytes})`);

  const h = header;
  // The header keeps its fields and their order; only count changes (a number: its digits).
  const headerFor = (count: number): Buffer => Buffer.from(JSON.stringify({ ...h, count }) + '\n');
  const headerBase = headerFor(0).length - 1;
  const parts: Buffer[] = [];
  let first = 0;
  let size = 0;
  const flush = (to: number): void => {
    const count = to - first;
    const out: Buffer[] = [headerFor(count)];
    for (let i = first; i < to; i++) out.push(body.subarray(starts[i], Math.min(ends[i] + 1, body.length)));
    // The last line of the document may lack its newline; every part ends with one.
    if (ends[to - 1] === body.length) out.push(Buffer.from('\n'));
    parts.push(Buffer.concat(out));
  };
  for (let i = 0; i < starts.length; i++) {
    const line = ends[i] - starts[i] + 1;
    const count = i - first + 1;
    if (count > 1 && headerBase + String(count).length + size + line > maxBytes) {
      flush(i);
      first = i;
      size = 0;
    }
    size += line;
    if (i === first && headerBase + 1 + size > maxBytes) throw tooBig(body, starts[i], ends[i], maxBytes);
  }
  if (starts.length) flush(starts.length);
  return parts;
}

function tooBig(body: Buffer, start: number, end: number, maxBytes: number): Error {
  let line = 1;
  for (let i = body.indexOf(NL); i !== -1 && i < start; i = body.indexOf(NL, i + 1)) line++;
  let id = '';
  try { id = ` (decisionId ${JSON.stringify(JSON.parse(body.toString('utf8', start, end)).decisionId)})`; } catch { /* not JSON: the line number names it */ }
  return new Error(`record line ${line}${id} is ${end - start} bytes; with the header it is more than a batch may hold (${maxBytes}): it cannot be sent`);
}
