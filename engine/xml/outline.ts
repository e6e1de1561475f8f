/**
 * A byte-level outline of a partner's XML batch: the root, its sections, the records' boundaries
 * and names, and where the record count is written, in one pass and without decoding.
 *
 * It works on the bytes, never on decoded text: the encodings partners use (UTF-8, windows-1257)
 * are ASCII-compatible, so every byte of markup (`<`, `>`, quotes, names) is the ASCII byte and
 * no byte of a multi-byte character can be mistaken for it. A 400 MB file needs no 400 MB string
 * (V8 caps strings near 512 M characters) and no object per element: records are kept as offsets.
 *
 * The scanner knows just enough XML for record boundaries: comments, CDATA sections, processing
 * instructions and quoted attribute values (which may hold `>`) are skipped as units, so markup
 * inside them is never taken for a tag; end tags must match their start tags; a DOCTYPE is
 * refused. It does not check namespaces, entities or characters: a full parser does that (the
 * header through `skeleton`, the records when the batch is processed). Two users:
 * - `load push` splits large files with it (xml-split.ts);
 * - the PUT of a batch counts its records with it: about 3–7× faster than tokenizing with saxes and
 *   nearly free of garbage (measured on SOPA and LIETIS batches), which matters on the API path.
 * The header element is matched by local name; its namespace is the full parser's to check.
 */
import { ValidationError } from '../core/errors.ts';
import { positionOf } from './encoding.ts';

export const localNameOf = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

export interface Section {
  /** Where the section's bytes begin (after the previous item), its start tag ends, and it ends. */
  lead: number;
  openEnd: number;
  end: number;
  /** The section element's qualified name (for recordDepth 2, the root's). */
  name: string;
  /** Each record's start offset, end offset and qualified name. */
  starts: number[];
  ends: number[];
  names: string[];
  /** Whether a record's start tag declares a namespace: then only a full parser knows what its name means. */
  declares: boolean;
}
export type Item = { kind: 'fixed'; lead: number; end: number } | ({ kind: 'section' } & Section);
export interface Outline {
  rootName: string;
  prologEnd: number;
  items: Item[];
  tailStart: number;
  /** Where the record count is written (once per place it appears). */
  counts: { start: number; end: number }[];
}

/** Where the records sit and where their count is written (SOPA: in a header element; LIETIS: a root attribute). */
export interface OutlineOptions {
  /** 2: the root's children are the records (LIETIS); 3: records sit in section elements (SOPA). */
  recordDepth: 2 | 3;
  count: { rootAttribute: string } | { headerElement: string; element: string };
}

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export const lineAt = (body: Buffer, at: number): number => positionOf(body, at).line;

/**
 * What one element may be, checked on the bytes as the outline passes (so in linear time, before
 * any parser builds anything): far above what any partner document holds (SOPA nests 6 deep, its
 * elements carry at most 2 attributes), far below what makes a parser slow or large. A document
 * past them is refused at the PUT: 100,000 attributes on the root took a parser 12 s before.
 */
export const XML_LIMITS = { depth: 64, attributes: 256, nameBytes: 256 } as const;

function overLimit(body: Buffer, at: number, what: string): ValidationError {
  return new ValidationError('HUB_ERR_XML_LIMIT', `the document is past what the hub reads: ${what} (line ${lineAt(body, at)}); partner documents never come near it`, 400);
}

/** Attributes of the start tag [from, gt): the `=` signs outside quoted values, stopping past `limit`. */
function attributeCount(body: Buffer, from: number, gt: number, limit: number): number {
  let n = 0;
  for (let i = from; i < gt && n <= limit; i++) {
    const c = body[i];
    if (c === 0x22 || c === 0x27) i = body.indexOf(c, i + 1);
    else if (c === 0x3d) n++;
    if (i === -1) break;
  }
  return n;
}

export function malformed(body: Buffer, at: number, what: string): ValidationError {
  return new ValidationError('HUB_ERR_XML_MALFORMED', `the document is not well-formed XML: ${what} (line ${lineAt(body, at)})`, 400);
}

/** The end of a start tag (index of its `>`), skipping quoted attribute values (which may hold `>`). */
export function tagEnd(body: Buffer, from: number): number {
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
    if (localNameOf(attr) === name && !attr.startsWith('xmlns')) found = { start: from + q + 1, end: from + close };
    i = close + 1;
  }
}

/**
 * One pass over the document's bytes: the root's structure down to the records' boundaries.
 * Throws HUB_ERR_XML_MALFORMED / HUB_ERR_XML_DOCTYPE (400) for what it can see is wrong.
 */
export function outlineXml(body: Buffer, o: OutlineOptions): Outline {
  const headerName = 'headerElement' in o.count ? o.count.headerElement : undefined;
  const countName = 'element' in o.count ? o.count.element : undefined;
  // Open elements as byte ranges of their names; compared byte by byte, no strings per tag.
  const nameAt: number[] = [];
  const nameLen: number[] = [];
  const out: Outline = { rootName: '', prologEnd: 0, items: [], tailStart: 0, counts: [] };
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
    if (depth > XML_LIMITS.depth) throw overLimit(body, pos, `elements nested more than ${XML_LIMITS.depth} deep`);
    if (nameEnd - pos - 1 > XML_LIMITS.nameBytes) throw overLimit(body, pos, `an element name longer than ${XML_LIMITS.nameBytes} bytes`);
    if (attributeCount(body, nameEnd, gt, XML_LIMITS.attributes) > XML_LIMITS.attributes) {
      throw overLimit(body, pos, `<${body.toString('latin1', pos + 1, Math.min(nameEnd, pos + 41))}> has more than ${XML_LIMITS.attributes} attributes`);
    }
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
      out.rootName = qname;
      out.prologEnd = openEnd;
      if ('rootAttribute' in o.count) {
        const span = attributeSpan(body, start, openEnd, o.count.rootAttribute);
        if (span) out.counts.push(span);
      }
      // LIETIS: the root is the one section; its start tag (the prolog's end) holds the count.
      if (o.recordDepth === 2) section = { lead: openEnd, openEnd, end: -1, name: qname, starts: [], ends: [], names: [], declares: false };
    } else if (depth === 2 && o.recordDepth === 3) {
      inHeader = localNameOf(qname) === headerName;
      if (!inHeader) section = { lead: lastEnd(), openEnd, end: -1, name: qname, starts: [], ends: [], names: [], declares: false };
    } else if (depth === o.recordDepth && section && !inHeader) {
      section.starts.push(start);
      section.names.push(qname);
      // A record's tag is short: searching its own bytes is cheap, and never runs past it.
      if (!section.declares && openEnd - start > qname.length + 8 && body.subarray(start, openEnd).includes('xmlns')) section.declares = true;
    } else if (depth === 3 && inHeader && localNameOf(qname) === countName) {
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


/**
 * The document without its records, but for the first record of each name in each section: prolog,
 * root, header, section tags and those samples, byte for byte. A full parser reads from it what
 * the outline does not tell (the header's values, the root's namespace, what the records' names
 * mean) in microseconds; records sharing a name in one scope are named alike, so one of each
 * stands for all (unless a record declares a namespace itself: see Section.declares). Line
 * numbers in it are not the document's.
 */
export function skeleton(body: Buffer, doc: Outline): Buffer {
  const out: Buffer[] = [body.subarray(0, doc.prologEnd)];
  for (const it of doc.items) {
    if (it.kind === 'fixed') { out.push(body.subarray(it.lead, it.end)); continue; }
    // A LIETIS root is the section: its start tag is the prolog's end, already written.
    if (it.openEnd !== doc.prologEnd) out.push(body.subarray(it.lead, it.openEnd));
    const seen = new Set<string>();
    for (let r = 0; r < it.names.length; r++) {
      if (seen.has(it.names[r])) continue;
      seen.add(it.names[r]);
      out.push(body.subarray(it.starts[r], it.ends[r]));
    }
    out.push(body.subarray(it.ends.length ? it.ends[it.ends.length - 1] : it.openEnd, it.end));
  }
  out.push(body.subarray(doc.tailStart));
  return Buffer.concat(out);
}

/** How many records the outline found. */
export const recordCount = (doc: Outline): number => doc.items.reduce((n, it) => n + (it.kind === 'section' ? it.ends.length : 0), 0);


export interface InspectedBatch<H> {
  header: H;
  recordCount: number;
}

/**
 * A format's `inspect` (the PUT path) through the outline: the outline checks the structure and
 * counts the records, the format's full reader reads the skeleton (header, root, one record of
 * each name). Whenever the fast path refuses or cannot judge, the full reader reads the whole
 * document and its verdict stands, so a partner gets exactly the error it would get without the
 * outline. What only the full reader checks inside the records (entities, attribute syntax,
 * characters) is checked when the batch is processed, and a batch that fails there is reported
 * on the load (its status lists the failed batch and why).
 */
export function inspectByOutline<H>(
  body: Buffer,
  opts: OutlineOptions,
  readSkeleton: (skeleton: Buffer, records: number) => H,
  readWhole: () => InspectedBatch<H>,
): InspectedBatch<H> {
  let doc: Outline;
  try {
    doc = outlineXml(body, opts);
  } catch (e) {
    // Past the limits, the full reader is exactly what must not run; any other fault it words better.
    if (e instanceof ValidationError && e.code === 'HUB_ERR_XML_LIMIT') throw e;
    return readWhole();
  }
  if (doc.items.some((it) => it.kind === 'section' && it.declares)) return readWhole();
  const n = recordCount(doc);
  try {
    return { header: readSkeleton(skeleton(body, doc), n), recordCount: n };
  } catch {
    return readWhole();
  }
}
