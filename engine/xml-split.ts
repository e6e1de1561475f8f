/**
 * Splits one large XML partner document into self-contained documents of at most `maxBytes` each,
 * on record boundaries, for `load push` (DESIGN.md §4: a batch is at most 4 MB).
 *
 * It works on the bytes, never on decoded text: the encodings partners use (UTF-8, windows-1257)
 * are ASCII-compatible, so every byte of markup (`<`, `>`, quotes, names) is the ASCII byte and
 * no byte of a multi-byte character can be mistaken for it. Records, section tags, the header and
 * everything between them are copied verbatim, so a part is in the document's own encoding and
 * only the record count is rewritten (ASCII digits). A 400 MB file needs no 400 MB string (V8
 * caps strings near 512 M characters) and no object per element: records are kept as offsets.
 *
 * The scanner knows just enough XML for record boundaries: comments, CDATA sections, processing
 * instructions and quoted attribute values (which may hold `>`) are skipped as units, so markup
 * inside them is never taken for a tag; end tags must match their start tags. It does not check
 * namespaces, entities or characters: the format's own reader (`inspect`/`parse`) does that on
 * every part before it is sent, so a document the scanner misreads is refused, never mis-sent.
 * Known limits, each refused with a message rather than guessed: the count must be plain digits
 * (no comment, CDATA or character reference inside it), and the encoding ASCII-compatible (not UTF-16).
 * The header element is matched by local name; its namespace is the reader's to check.
 */
import { ValidationError } from './errors.ts';

export interface XmlSplitOptions {
  /** 2: the root's children are the records (LIETIS); 3: records sit in section elements (SOPA). */
  recordDepth: 2 | 3;
  /** Where the count of records is written: an attribute of the root, or an element of a header element. */
  count: { rootAttribute: string } | { headerElement: string; element: string };
  /** The count's name in messages, e.g. `Galvene/IerakstuSkaits`. */
  countName: string;
  /** Decodes a record's start tag for messages, in the document's charset. */
  decode(bytes: Buffer): string;
}

interface Section { lead: number; openEnd: number; starts: number[]; ends: number[]; end: number }
type Item = { kind: 'fixed'; lead: number; end: number } | ({ kind: 'section' } & Section);
interface Outline { prologEnd: number; items: Item[]; tailStart: number; counts: { start: number; end: number }[] }

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const localName = (q: string): string => q.slice(q.indexOf(':') + 1);

function lineAt(body: Buffer, at: number): number {
  let n = 1;
  for (let i = body.indexOf(0x0a); i !== -1 && i < at; i = body.indexOf(0x0a, i + 1)) n++;
  return n;
}

function malformed(body: Buffer, at: number, what: string): ValidationError {
  return new ValidationError('HUB_ERR_XML_MALFORMED', `the document is not well-formed XML: ${what} (line ${lineAt(body, at)})`, 400);
}

/** The end of a start tag (index of its `>`), skipping quoted attribute values (which may hold `>`). */
function tagEnd(body: Buffer, from: number): number {
  let gt = body.indexOf(GT, from);
  for (let i = from; gt !== -1 && i < gt; i++) {
    const c = body[i];
    if (c === 0x22 || c === 0x27) {
      const q = body.indexOf(c, i + 1);
      if (q === -1) break;
      i = q;
      if (q > gt) gt = body.indexOf(GT, q + 1);
    }
  }
  if (gt === -1) throw malformed(body, from, 'a start tag is not closed');
  return gt;
}

/**
 * The value span of the last attribute with this local name in the start tag [from, to), read
 * attribute by attribute (name, `=`, quoted value), so that text inside another value never matches.
 */
function attributeSpan(body: Buffer, from: number, to: number, name: string): { start: number; end: number } | undefined {
  const tag = body.toString('latin1', from, to);
  let found: { start: number; end: number } | undefined;
  let i = tag.search(/[\s/>]/);
  for (;;) {
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    const eq = tag.indexOf('=', i);
    if (eq === -1) return found;
    const attr = tag.slice(i, eq).trim();
    let q = eq + 1;
    while (isSpace(tag.charCodeAt(q))) q++;
    const quote = tag[q];
    const close = tag.indexOf(quote, q + 1);
    if ((quote !== '"' && quote !== "'") || close === -1) return found;
    if (localName(attr) === name && !attr.startsWith('xmlns')) found = { start: from + q + 1, end: from + close };
    i = close + 1;
  }
}

/** One pass over the document: the root's structure down to the records' boundaries. */
function outline(body: Buffer, o: XmlSplitOptions): Outline {
  const headerName = 'headerElement' in o.count ? o.count.headerElement : undefined;
  const countName = 'element' in o.count ? o.count.element : undefined;
  // Open elements as byte ranges of their names; compared byte by byte, no strings per tag.
  const nameAt: number[] = [];
  const nameLen: number[] = [];
  const out: Outline = { prologEnd: 0, items: [], tailStart: 0, counts: [] };
  let section: Section | undefined;
  let inHeader = false;
  let countOpenEnd = -1;
  let rootDone = false;
  for (let pos = body.indexOf(LT); pos !== -1; pos = body.indexOf(LT, pos)) {
    const next = body[pos + 1];
    if (next === BANG) {
      if (body[pos + 2] === 0x2d && body[pos + 3] === 0x2d) {
        const end = body.indexOf('-->', pos + 4, 'latin1');
        if (end === -1) throw malformed(body, pos, 'a comment is not closed');
        pos = end + 3;
      } else if (body.toString('latin1', pos, pos + 9) === '<![CDATA[') {
        const end = body.indexOf(']]>', pos + 9, 'latin1');
        if (end === -1 || nameAt.length === 0) throw malformed(body, pos, 'a CDATA section is not closed or lies outside the root');
        pos = end + 3;
      } else {
        throw new ValidationError('HUB_ERR_XML_DOCTYPE', 'XML with a DOCTYPE or entity declaration is refused: send the document without <!DOCTYPE …>', 400);
      }
      continue;
    }
    if (next === QUESTION) {
      const end = body.indexOf('?>', pos + 2, 'latin1');
      if (end === -1) throw malformed(body, pos, 'a processing instruction is not closed');
      pos = end + 2;
      continue;
    }
    if (next === SLASH) {
      const gt = body.indexOf(GT, pos + 2);
      if (gt === -1 || nameAt.length === 0) throw malformed(body, pos, 'an end tag without its start tag');
      let e = gt;
      while (isSpace(body[e - 1])) e--;
      const at = nameAt.pop()!, len = nameLen.pop()!;
      if (e - (pos + 2) !== len || body.compare(body, at, at + len, pos + 2, e) !== 0) {
        throw malformed(body, pos, `</${body.toString('latin1', pos + 2, e)}> closes <${body.toString('latin1', at, at + len)}>`);
      }
      closed(nameAt.length + 1, pos, gt + 1);
      pos = gt + 1;
      continue;
    }
    if (rootDone) throw malformed(body, pos, 'content after the root element');
    const gt = tagEnd(body, pos + 1);
    let nameEnd = pos + 1;
    while (nameEnd < gt && !isSpace(body[nameEnd]) && body[nameEnd] !== SLASH) nameEnd++;
    const depth = nameAt.length + 1;
    const selfClosing = body[gt - 1] === SLASH;
    opened(depth, pos, gt + 1, depth <= 3 ? body.toString('latin1', pos + 1, nameEnd) : '');
    if (selfClosing) closed(depth, gt + 1, gt + 1);
    else { nameAt.push(pos + 1); nameLen.push(nameEnd - pos - 1); }
    pos = gt + 1;
  }
  if (nameAt.length) throw malformed(body, body.length, `<${body.toString('latin1', nameAt[0], nameAt[0] + nameLen[0])}> is not closed: the document was cut`);
  if (!rootDone) throw malformed(body, 0, 'no root element');
  return out;

  function lastEnd(): number {
    const last = out.items[out.items.length - 1];
    return last ? last.end : out.prologEnd;
  }
  function opened(depth: number, start: number, openEnd: number, qname: string): void {
    if (depth === 1) {
      out.prologEnd = openEnd;
      if ('rootAttribute' in o.count) {
        const span = attributeSpan(body, start, openEnd, o.count.rootAttribute);
        if (span) out.counts.push(span);
      }
      // LIETIS: the root is the one section; its start tag (the prolog's end) holds the count.
      if (o.recordDepth === 2) section = { lead: openEnd, openEnd, starts: [], ends: [], end: -1 };
    } else if (depth === 2 && o.recordDepth === 3) {
      inHeader = localName(qname) === headerName;
      if (!inHeader) section = { lead: lastEnd(), openEnd, starts: [], ends: [], end: -1 };
    } else if (depth === o.recordDepth && section && !inHeader) {
      section.starts.push(start);
    } else if (depth === 3 && inHeader && localName(qname) === countName) {
      countOpenEnd = openEnd;
    }
  }
  function closed(depth: number, closeStart: number, end: number): void {
    if (depth === 1) {
      rootDone = true;
      if (o.recordDepth === 2) { section!.end = body.length; out.items.push({ kind: 'section', ...section! }); out.tailStart = body.length; }
      else out.tailStart = lastEnd();
    } else if (depth === 2 && o.recordDepth === 3) {
      if (inHeader) out.items.push({ kind: 'fixed', lead: lastEnd(), end });
      else { section!.end = end; out.items.push({ kind: 'section', ...section! }); }
      inHeader = false;
      section = undefined;
    } else if (depth === o.recordDepth && section && !inHeader) {
      section.ends.push(end);
    } else if (depth === 3 && inHeader && countOpenEnd >= 0) {
      out.counts.push({ start: countOpenEnd, end: closeStart });
      countOpenEnd = -1;
    }
  }
}

const digits = (n: number): number => String(n).length;

/** A part: runs of consecutive records, at most one run per section, in document order. */
interface Run { item: number; from: number; to: number }

/**
 * Splits `body` into documents of at most `maxBytes`, each with its count rewritten. Deterministic
 * (greedy, in document order). A body that already fits comes back as it is.
 */
export function splitXml(body: Buffer, maxBytes: number, o: XmlSplitOptions): Buffer[] {
  const doc = outline(body, o);
  if (doc.counts.length === 0) throw new ValidationError('HUB_ERR_BATCH_HEADER', `${o.countName} is missing`, 422, { field: o.countName });
  const sections = doc.items.map((it, i) => ({ it, i })).filter((x): x is { it: Item & { kind: 'section' }; i: number } => x.it.kind === 'section');
  const total = sections.reduce((n, s) => n + s.it.ends.length, 0);
  for (const span of doc.counts) {
    const text = body.toString('latin1', span.start, span.end).trim();
    if (!/^\d+$/.test(text)) throw new ValidationError('HUB_ERR_BATCH_HEADER', `${o.countName} "${text.slice(0, 40)}" is not a plain whole number`, 422, { field: o.countName });
    if (Number(text) !== total) {
      throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH', `${o.countName} says ${text} records but the document holds ${total}: it was cut or corrupted; it cannot be split`, 422, { field: o.countName });
    }
  }
  if (body.length <= maxBytes) return [body];
  if (total === 0) throw new Error(`the document holds no records but is ${body.length} bytes, more than a batch may hold (${maxBytes})`);

  const countBytes = doc.counts.reduce((n, s) => n + s.end - s.start, 0);
  const fixedBase = doc.prologEnd + (body.length - doc.tailStart) - countBytes
    + doc.items.reduce((n, it) => n + (it.kind === 'fixed' ? it.end - it.lead : 0), 0);
  const fixed = (count: number): number => fixedBase + doc.counts.length * digits(count);

  const parts: Run[][] = [];
  let runs: Run[] = [];
  let count = 0;
  let size = 0;
  for (const { it, i } of sections) {
    // The section's own bytes: its start tag (with what precedes it) and its closing stretch.
    const wrapper = it.openEnd - it.lead + it.end - it.ends[it.ends.length - 1];
    for (let r = 0; r < it.ends.length; r++) {
      const rec = it.ends[r] - (r === 0 ? it.openEnd : it.ends[r - 1]);
      const open = runs.length > 0 && runs[runs.length - 1].item === i;
      if (count > 0 && fixed(count + 1) + size + rec + (open ? 0 : wrapper) > maxBytes) {
        parts.push(runs);
        runs = []; count = 0; size = 0;
      }
      if (runs.length === 0 || runs[runs.length - 1].item !== i) { runs.push({ item: i, from: r, to: r }); size += wrapper; }
      runs[runs.length - 1].to = r;
      size += rec;
      count++;
      if (count === 1 && fixed(1) + size > maxBytes) throw tooBig(body, it.starts[r], it.ends[r], fixed(1) + size, maxBytes, o);
    }
  }
  if (runs.length) parts.push(runs);
  return parts.map((p) => render(body, doc, p));
}

function tooBig(body: Buffer, start: number, end: number, need: number, maxBytes: number, o: XmlSplitOptions): Error {
  const tag = o.decode(body.subarray(start, Math.min(tagEnd(body, start + 1) + 1, start + 200)));
  return new Error(`record ${tag} at line ${lineAt(body, start)} is ${end - start} bytes; with the document's header it needs ${need}, more than a batch may hold (${maxBytes}): it cannot be sent`);
}

/** Copies [from, to) of the body with every count span inside it replaced by `count`. */
function copy(body: Buffer, doc: Outline, from: number, to: number, count: number, out: Buffer[]): void {
  let at = from;
  for (const s of doc.counts) {
    if (s.start < from || s.end > to) continue;
    out.push(body.subarray(at, s.start), Buffer.from(String(count), 'latin1'));
    at = s.end;
  }
  out.push(body.subarray(at, to));
}

function render(body: Buffer, doc: Outline, runs: Run[]): Buffer {
  const count = runs.reduce((n, r) => n + r.to - r.from + 1, 0);
  const out: Buffer[] = [];
  copy(body, doc, 0, doc.prologEnd, count, out);
  doc.items.forEach((it, i) => {
    if (it.kind === 'fixed') return copy(body, doc, it.lead, it.end, count, out);
    const run = runs.find((r) => r.item === i);
    if (!run) return;
    copy(body, doc, it.lead, it.openEnd, count, out);
    out.push(body.subarray(run.from === 0 ? it.openEnd : it.ends[run.from - 1], it.ends[run.to]));
    out.push(body.subarray(it.ends[it.ends.length - 1], it.end));
  });
  out.push(body.subarray(doc.tailStart, body.length));
  return Buffer.concat(out);
}
