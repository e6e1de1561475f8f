/**
 * Reads a GVS bulk-export batch (partners/gvs.md): UTF-8 NDJSON, one JSON object per line, blank
 * lines ignored, the first line a header. A broken record line is a rejected record, not a rejected
 * batch, so it comes back as a PartnerRecord that already carries its error.
 */
import { splitGvs } from './split.ts';
import { defineFormat, maskPersonCodes, requireUtf8Document, ValidationError, type BatchHeader, type PartnerRecord, type RecordError } from '../../engine/index.ts';

export const GVS_RECORD_TYPES: readonly string[] = ['status', 'benefit', 'service', 'assistant'];
/**
 * Records need three levels (record → members → member). JSON.parse copes with any depth, but
 * String() and JSON.stringify of a value nested a million deep overflow the stack, and the
 * validator's messages stringify what they reject: such a line is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 16;

/** fatal: a batch that is not UTF-8 is refused, not silently repaired with U+FFFD. The BOM is dropped. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function headerError(field: string, problem: string): ValidationError {
  const name = field ? `header.${field}` : 'header';
  return new ValidationError('HUB_ERR_BATCH_HEADER', `${name} ${problem}`, 422, { field: name });
}

/** True when brackets outside strings nest deeper than `limit`; a linear scan, no recursion. */
export function nestsDeeperThan(line: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

type LineResult = { ok: true; value: unknown } | { ok: false; problem: string };

function parseLine(line: string): LineResult {
  if (nestsDeeperThan(line, MAX_JSON_DEPTH)) return { ok: false, problem: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (e) {
    // V8 may quote a snippet of the line; rejection messages are stored, so no full personal code.
    return { ok: false, problem: `not valid JSON: ${maskPersonCodes((e as Error).message)}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

function readHeader(line: string | undefined, lineNo: number): BatchHeader {
  if (line === undefined) throw headerError('', 'is missing: the first line of a GVS batch is {"recordType":"header",…}');
  const parsed = parseLine(line);
  if (!parsed.ok) throw headerError('', `(line ${lineNo}) is ${parsed.problem}`);
  const h = parsed.value;
  if (!isObject(h)) throw headerError('', `(line ${lineNo}) must be a JSON object, found ${kindOf(h)}`);
  if (h.recordType !== 'header') {
    throw headerError('recordType', `must be "header" on the first line (line ${lineNo}), found ${JSON.stringify(h.recordType) ?? 'nothing'}`);
  }
  const str = (k: string, pattern: RegExp, shape: string): string => {
    const v = h[k];
    if (v === undefined || v === null || v === '') throw headerError(k, 'is required');
    if (typeof v !== 'string' || !pattern.test(v)) throw headerError(k, `${JSON.stringify(v)} is not ${shape}`);
    return v;
  };
  const municipality = str('municipality', /^\d{7}$/, 'a 7-digit ATVK code (a string)');
  const period = str('period', /^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');
  const created = str('created', /^\d{4}-\d{2}-\d{2}T/, 'an ISO date-time');
  if (Number.isNaN(Date.parse(created))) throw headerError('created', `${JSON.stringify(created)} is not an ISO date-time`);
  const count = h.count;
  if (count === undefined || count === null) throw headerError('count', 'is required');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw headerError('count', `${JSON.stringify(count)} is not a whole number of record lines`);
  }
  return { municipality, period, created, count };
}

/**
 * The one structural rule the canonical validator cannot report: `members` must be a list of
 * objects (the validator walks it and would fail the whole batch on anything else). Values inside
 * are left to the transformer and the validator.
 */
function shapeProblem(v: Record<string, unknown>): { field: string; problem: string } | undefined {
  const m = v.members;
  if (v.recordType !== 'status' || m === undefined || m === null) return undefined;
  if (!Array.isArray(m)) return { field: 'members', problem: `members must be a JSON array of member objects, found ${kindOf(m)}` };
  const i = m.findIndex((p) => !isObject(p));
  return i === -1 ? undefined : { field: 'members', problem: `members[${i}] must be a member object {personCode, givenName, surname, firstMember}, found ${kindOf(m[i])}` };
}

/** One record line as a PartnerRecord; a line that cannot be a record carries its error. */
function readRecord(line: string, lineNo: number, index: number): PartnerRecord {
  const rejected = (error: RecordError, type = 'line'): PartnerRecord => ({ type, data: { line: lineNo }, errors: [error] });
  const where = `line ${lineNo} (record index ${index})`;
  const parsed = parseLine(line);
  if (!parsed.ok) return rejected({ field: 'line', code: 'FORMAT', message: `${where} is ${parsed.problem}` });
  const v = parsed.value;
  if (!isObject(v)) return rejected({ field: 'line', code: 'FORMAT', message: `${where} must be a JSON object, found ${kindOf(v)}` });
  const t = v.recordType;
  if (t === undefined || t === null || t === '') {
    return rejected({ field: 'recordType', code: 'REQUIRED', message: `${where}: recordType is required; one of ${GVS_RECORD_TYPES.join(', ')}` });
  }
  if (typeof t !== 'string' || !GVS_RECORD_TYPES.includes(t)) {
    const extra = t === 'header' ? ' (a batch has one header, on its first line)' : '';
    return rejected({ field: 'recordType', code: 'CLASSIFIER', message: `${where}: recordType ${JSON.stringify(t)} is not a known record type${extra}; valid: ${GVS_RECORD_TYPES.join(', ')}` });
  }
  const shape = shapeProblem(v);
  if (shape) return rejected({ field: shape.field, code: 'FORMAT', message: `${where}: ${shape.problem}` }, t);
  return { type: t, data: v };
}

/**
 * Decodes the batch and walks it line by line (no split('\n') array of 4 MB of lines), reading the
 * header and handing each record line to `onRecord`; checks header.count against the record lines.
 */
function walkBatch(body: Buffer, onRecord: (line: string, lineNo: number, index: number, header: BatchHeader) => void): BatchHeader {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new ValidationError('HUB_ERR_BATCH_ENCODING', 'the batch is not valid UTF-8: GVS batches are UTF-8 NDJSON', 400);
  }
  let header: BatchHeader | undefined;
  let records = 0;
  let lineNo = 0;
  for (let at = 0; at <= text.length;) {
    const nl = text.indexOf('\n', at);
    const end = nl === -1 ? text.length : nl;
    const line = text.slice(at, end).trim(); // trim also drops the \r of CRLF line ends
    lineNo++;
    at = end + 1;
    if (line === '') continue;
    if (!header) header = readHeader(line, lineNo);
    else onRecord(line, lineNo, records++, header);
  }
  if (!header) throw headerError('', 'is missing: the batch has no non-blank line');
  if (header.count !== records) {
    throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH',
      `header.count says ${header.count} records but the batch holds ${records} record lines: the batch was cut or corrupted on the way; the whole batch is rejected, send it again`, 422,
      { field: 'header.count' });
  }
  return header;
}

/** Reads a batch, handing each record line to `onRecord` as it is read; the header is the first line. */
export function readGvsBatch(body: Buffer, onRecord: (record: PartnerRecord, header: BatchHeader) => void): BatchHeader {
  return walkBatch(body, (line, lineNo, index, header) => onRecord(readRecord(line, lineNo, index), header));
}

/** What a PUT needs (encoding, header, count) without parsing the record lines: a broken line is a record too. */
export function inspectGvsBatch(body: Buffer): { header: BatchHeader; recordCount: number } {
  const header = walkBatch(body, () => undefined);
  return { header, recordCount: header.count };
}

export const gvsFormat = defineFormat({
  name: 'gvs/batch',
  source: 'gvs',
  summary: 'GVS bulk export to SPOLIS: UTF-8 NDJSON, a header line then status, benefit, service and assistant record lines.',
  contentTypes: ['application/x-ndjson'],
  checkBytes: requireUtf8Document,
  read: (body, _contentType, onRecord) => readGvsBatch(body, onRecord),
  inspect: (body) => inspectGvsBatch(body),
  split: splitGvs,
});
