/**
 * Reads a LIETIS bulk-export batch (partners/lietis.md): one XML document in windows-1257 (as its
 * declaration says), namespace urn:lv:daugavpils:lietis:export:2, root Export whose attributes are
 * the header and whose children Status, Benefit, Service and Assistant are the records, in any order.
 */
import iconv from 'iconv-lite';
import { defineFormat, readXml, firstForeignElement, splitXml, inspectByOutline, encodingError, firstInvalidUtf8, firstUndefined1257, requireNoNul, ValidationError, type BatchHeader, type PartnerRecord, type XmlElement } from '../../engine/index.ts';

export const LIETIS_NS = 'urn:lv:daugavpils:lietis:export:2';
export const LIETIS_RECORDS = ['Status', 'Benefit', 'Service', 'Assistant'] as const;
const RECORDS = new Set<string>(LIETIS_RECORDS);

/** The declaration is ASCII in every encoding LIETIS could use, so its bytes can be read as latin1. */
const DECLARATION = /^<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

/**
 * The charset of a body, in order of authority:
 * 1. a byte order mark (it cannot be wrong about the bytes it starts);
 * 2. the XML declaration. It wins over the Content-Type `charset=` because it is written by the
 *    serializer that produced these very bytes, while the header is set separately by whatever sends
 *    them (LIETIS's transport is configured once for windows-1257 and would keep saying so for a
 *    document its exporter wrote as UTF-8). RFC 7303 ranks the header first; for this partner the
 *    document is the better witness, and a wrong guess here would store mangled names silently;
 * 3. the Content-Type `charset=` parameter;
 * 4. UTF-8, the XML default.
 */
export function charsetOf(body: Buffer, contentType = ''): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff)) return body[0] === 0xff ? 'utf-16le' : 'utf-16be';
  const declared = DECLARATION.exec(body.subarray(0, 256).toString('latin1'))?.[1];
  if (declared) return declared.toLowerCase();
  const param = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1];
  return param ? param.toLowerCase() : 'utf-8';
}

/**
 * Every byte must be valid in the charset the document declares (charsetOf): well-formed UTF-8, or
 * a byte windows-1257 defines. A document whose declaration lies about its bytes is refused whole.
 */
export function checkLietisBytes(body: Buffer, contentType = ''): void {
  const charset = charsetOf(body, contentType);
  if (charset === 'utf-8' || charset === 'utf8' || charset === 'windows-1257' || charset === 'cp1257') requireNoNul(body, charset);
  if (charset === 'utf-8' || charset === 'utf8') {
    const at = firstInvalidUtf8(body);
    if (at >= 0) throw encodingError(body, at, 'UTF-8', 'a windows-1257 document must say encoding="windows-1257"; nothing of the batch is stored');
  } else if (charset === 'windows-1257' || charset === 'cp1257') {
    const at = firstUndefined1257(body);
    if (at >= 0) throw encodingError(body, at, 'windows-1257', 'windows-1257 leaves these bytes undefined (is the document another encoding?); nothing of the batch is stored');
  } else {
    // lietis.md: windows-1257 (the hub also reads UTF-8). Anything else, UTF-16 included, is an
    // exporter set wrong, and the byte-level outline and split rely on an ASCII-compatible encoding.
    throw new ValidationError('HUB_ERR_BATCH_ENCODING', `the document is ${charset}; LIETIS documents are windows-1257 (or UTF-8)`, 415, { field: 'encoding' });
  }
}

/** The body as text, decoded by charsetOf. */
export function decodeLietis(body: Buffer, contentType = ''): string {
  const charset = charsetOf(body, contentType);
  if (!iconv.encodingExists(charset)) {
    throw new ValidationError('HUB_ERR_BATCH_ENCODING', `charset "${charset}" is not supported; LIETIS documents are windows-1257 (or UTF-8)`, 415, { field: 'encoding' });
  }
  if (charset === 'utf-8' || charset === 'utf8') {
    // A windows-1257 document mislabelled as UTF-8 would otherwise store Š as U+FFFD without a word.
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
    } catch {
      throw new ValidationError('HUB_ERR_BATCH_ENCODING', 'the document says it is UTF-8 but its bytes are not valid UTF-8 (a windows-1257 document must say encoding="windows-1257")', 400, { field: 'encoding' });
    }
  }
  return iconv.decode(body, charset);
}

function headerError(attr: string, problem: string): ValidationError {
  return new ValidationError('HUB_ERR_BATCH_HEADER', `Export@${attr} ${problem}`, 422, { field: `Export@${attr}` });
}

/** Riga's UTC offset in minutes at an instant (+120 in winter, +180 in summer). */
const RIGA = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Riga', timeZoneName: 'longOffset' });
function rigaOffset(utcMs: number): number {
  const name = RIGA
    .formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * "02.11.2026 09:10" (Riga wall clock) → "2026-11-02T09:10:00+02:00", or null when no such time
 * exists. In the hour repeated when summer time ends, the earlier (summer) instant is taken; the hour
 * skipped when it starts cannot be read off a clock in Riga, so it is an error.
 */
export function rigaLocalToIso(value: string): string | null {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [day, mon, year, hh, mm] = m.slice(1).map(Number);
  const wall = Date.UTC(year, mon - 1, day, hh, mm);
  const check = new Date(wall);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== mon - 1 || hh > 23 || mm > 59) return null;
  const day1 = 86_400_000;
  const candidates = [...new Set([rigaOffset(wall - day1), rigaOffset(wall + day1)])].sort((a, b) => b - a);
  const offset = candidates.find((o) => rigaOffset(wall - o * 60_000) === o);
  if (offset === undefined) return null;
  const abs = Math.abs(offset);
  const sign = offset < 0 ? '-' : '+';
  return `${m[3]}-${m[2]}-${m[1]}T${m[4]}:${m[5]}:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The header from Export's attributes, in canonical spelling; `count` as written, checked later. */
function readHeader(attrs: Record<string, string>): BatchHeader {
  const req = (k: string): string => {
    const v = attrs[k]?.trim();
    if (!v) throw headerError(k, 'is required');
    return v;
  };
  const municipality = req('municipality');
  const monthText = req('month');
  const month = /^(0[1-9]|1[0-2])\.(\d{4})$/.exec(monthText);
  if (!month) throw headerError('month', `"${monthText}" is not a month MM.YYYY`);
  const createdText = req('created');
  const created = rigaLocalToIso(createdText);
  if (!created) throw headerError('created', `"${createdText}" is not a Riga local time DD.MM.YYYY HH:MM`);
  const countText = req('count');
  if (!/^\d+$/.test(countText)) throw headerError('count', `"${countText}" is not a whole number`);
  return { municipality, period: `${month[2]}-${month[1]}`, created, count: Number(countText) };
}

/**
 * A record's attributes; a Status also gets `Member`, the attributes of each member. Child elements
 * LIETIS does not define become a FORMAT error of that record alone, not of the batch.
 */
function toRecord(el: XmlElement): PartnerRecord {
  const data: Record<string, unknown> = { ...el.attrs };
  const unexpected = el.children.filter((c) => !(el.name === 'Status' && c.name === 'Member' && c.ns === LIETIS_NS));
  if (el.name === 'Status') data.Member = el.children.filter((c) => !unexpected.includes(c)).map((c) => ({ ...c.attrs }));
  const rec: PartnerRecord = { type: el.name, data };
  if (unexpected.length) {
    rec.errors = unexpected.map((c) => ({
      field: c.name, code: 'FORMAT' as const,
      message: `${el.name} (line ${el.line}) holds a ${c.name} element; LIETIS records carry attributes only${el.name === 'Status' ? ', and Status Member elements' : ''}`,
    }));
  }
  return rec;
}

/**
 * Reads a batch, handing each record to `onRecord` as it is read (without one, records are only
 * counted). The header is the root's attributes, so it is known before the first record.
 * `records`: the document is a skeleton (see engine/xml/outline.ts) and the whole document holds
 * this many records.
 */
export function readLietisBatch(body: Buffer, contentType = '', onRecord?: (record: PartnerRecord, header: BatchHeader) => void, opts: { records?: number } = {}): BatchHeader {
  let header: BatchHeader | undefined;
  let count = 0;
  readXml(decodeLietis(body, contentType), {
    recordDepth: 2,
    // Counting needs the record elements themselves (their names), not the Members inside them.
    buildDepth: onRecord ? Infinity : 2,
    onRoot(el) {
      if (el.name !== 'Export' || el.ns !== LIETIS_NS) {
        throw new ValidationError('HUB_ERR_BATCH_ROOT', `root element must be Export in namespace ${LIETIS_NS}, found ${el.name} in "${el.ns}"`, 422);
      }
      // The header is all attributes, so it is checked before a 4 MB body is read for nothing.
      header = readHeader(el.attrs);
    },
    onRecord(el) {
      if (el.ns !== LIETIS_NS || !RECORDS.has(el.name)) {
        throw new ValidationError('HUB_ERR_BATCH_SECTION', `Export holds ${el.name} in "${el.ns}" (line ${el.line}); LIETIS records are ${LIETIS_RECORDS.join(', ')} in ${LIETIS_NS}`, 422);
      }
      count++;
      if (!onRecord) return;
      const foreign = firstForeignElement(el, LIETIS_NS);
      const record = toRecord(el);
      onRecord(foreign
        ? { ...record, errors: [{ field: foreign.name, code: 'FORMAT', message: `${foreign.name} (line ${foreign.line}) is in namespace "${foreign.ns}", not LIETIS's ${LIETIS_NS}: a foreign element is not read as LIETIS's of that name` }] }
        : record, header!);
    },
  });
  if (!header) throw new ValidationError('HUB_ERR_BATCH_ROOT', 'the document has no Export root element', 422);
  const found = opts.records ?? count;
  if (header.count !== found) {
    throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH',
      `Export@count says ${header.count} records but the document holds ${found}: the document was cut or corrupted on the way; the whole batch is rejected, send it again`, 422,
      { field: 'Export@count' });
  }
  return header;
}

/** Records are the root's children; Export@count holds their number. */
const OUTLINE = { recordDepth: 2, count: { rootAttribute: 'count' } } as const;

export const lietisFormat = defineFormat({
  name: 'lietis/batch',
  source: 'lietis',
  summary: 'LIETIS bulk export to SPOLIS: XML in windows-1257, Export with header attributes and Status, Benefit, Service and Assistant records.',
  contentTypes: ['application/xml', 'text/xml'],
  checkBytes: checkLietisBytes,
  read: (body, contentType, onRecord) => readLietisBatch(body, contentType, onRecord),
  inspect: (body, contentType) => inspectByOutline(body, OUTLINE,
    (skeleton, records) => readLietisBatch(skeleton, contentType, undefined, { records }),
    () => { const header = readLietisBatch(body, contentType); return { header, recordCount: header.count }; }),
  split: (body, maxBytes) => splitLietis(body, maxBytes),
});

/**
 * Splits on the bytes: windows-1257 and UTF-8 are ASCII-compatible, so markup is found without
 * decoding and every part keeps the document's bytes (and declaration); only Export@count changes.
 */
export function splitLietis(body: Buffer, maxBytes: number): Buffer[] {
  const charset = charsetOf(body);
  if (charset.startsWith('utf-16') || !iconv.encodingExists(charset)) {
    throw new ValidationError('HUB_ERR_BATCH_ENCODING', `a ${charset} document cannot be split; LIETIS documents are windows-1257 (or UTF-8)`, 415, { field: 'encoding' });
  }
  return splitXml(body, maxBytes, { ...OUTLINE, countName: 'Export@count', decode: (b) => iconv.decode(b, charset) });
}
