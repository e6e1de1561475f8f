/**
 * Splits one large XML partner document into self-contained documents of at most `maxBytes` each,
 * on record boundaries, for `load push` (DESIGN.md §4: a batch is at most 4 MB).
 *
 * It works on the byte-level outline (xml-outline.ts): records, section tags, the header and
 * everything between them are copied verbatim, so a part is in the document's own encoding and
 * only the record count is rewritten (ASCII digits). The format's own reader (`inspect`/`parse`)
 * checks every part before it is sent, so a document the scanner misreads is refused, never
 * mis-sent. Known limits, each refused with a message rather than guessed: the count must be plain
 * digits (no comment, CDATA or character reference inside it), and the encoding ASCII-compatible
 * (not UTF-16).
 */
import { ValidationError } from '../core/errors.ts';
import { outlineXml, tagEnd, lineAt, type Outline, type Item, type OutlineOptions } from './outline.ts';

/** Where the records and their count sit (the outline's options), and how to name them in messages. */
export interface XmlSplitOptions extends OutlineOptions {
  /** The count's name in messages, e.g. `Galvene/IerakstuSkaits`. */
  countName: string;
  /** Decodes a record's start tag for messages, in the document's charset. */
  decode(bytes: Buffer): string;
}

const digits = (n: number): number => String(n).length;

/** A part: runs of consecutive records, at most one run per section, in document order. */
interface Run { item: number; from: number; to: number }

/**
 * Splits `body` into documents of at most `maxBytes`, each with its count rewritten. Deterministic
 * (greedy, in document order). A body that already fits comes back as it is.
 */
export function splitXml(body: Buffer, maxBytes: number, o: XmlSplitOptions): Buffer[] {
  const doc = outlineXml(body, o);
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
