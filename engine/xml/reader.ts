/**
 * A safe, streaming XML reader for partner documents (saxes: a conformant, non-validating parser
 * that never fetches or expands external entities). Any DOCTYPE is refused outright, which also
 * refuses every entity declaration; depth is bounded. Elements at `recordDepth` are handed to the
 * caller one at a time as small trees, so a 4 MB batch never becomes one big object graph.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { ValidationError } from '../core/errors.ts';
import { readXmlFast, XmlFastFault } from './fast-reader.ts';

export type { XmlElement, XmlReadOptions } from './element.ts';
import type { XmlElement, XmlReadOptions } from './element.ts';

// Most elements carry no attributes; they share one empty object instead of allocating their own.
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Parses `text`; throws ValidationError (400) for DOCTYPE, entities, malformed XML or excessive
 * depth. Documents within its reach go through the fast reader (xml-fast.ts); saxes reads the
 * rest, and words every fault either finds.
 */
export function readXml(text: string, opts: XmlReadOptions): void {
  let fast: boolean;
  try {
    fast = readXmlFast(text, opts);
  } catch (e) {
    if (!(e instanceof XmlFastFault)) throw e;
    // saxes reads the whole document again, handing nothing over: its error is the one reported.
    readXmlSaxes(text, { recordDepth: opts.recordDepth, maxDepth: opts.maxDepth, buildDepth: opts.recordDepth, onRecord: () => {} });
    throw new ValidationError('HUB_ERR_XML_MALFORMED', `the document is not well-formed XML: ${e.message}`, 400);
  }
  if (!fast) readXmlSaxes(text, opts);
}

/** The saxes reader alone (the fast reader is checked against it). */
export function readXmlSaxes(text: string, opts: XmlReadOptions): void {
  const maxDepth = opts.maxDepth ?? 12;
  const buildDepth = opts.buildDepth ?? Infinity;
  // Depth of unbuilt elements below the last built one.
  let skipped = 0;
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let fail: Error | undefined;
  parser.on('doctype', () => {
    fail ??= new ValidationError('HUB_ERR_XML_DOCTYPE', 'XML with a DOCTYPE or entity declaration is refused: send the document without <!DOCTYPE …>', 400);
    throw fail;
  });
  parser.on('error', (e) => {
    fail ??= new ValidationError('HUB_ERR_XML_MALFORMED', `the document is not well-formed XML: ${e.message}`, 400);
    throw fail;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length >= buildDepth) {
      skipped++;
      if (stack.length + skipped > maxDepth) {
        fail ??= new ValidationError('HUB_ERR_XML_TOO_DEEP', `elements are nested deeper than ${maxDepth} levels (line ${parser.line})`, 400);
        throw fail;
      }
      return;
    }
    let attrs: Record<string, string> = NO_ATTRS;
    for (const name in tag.attributes) {
      const a = tag.attributes[name];
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      if (attrs === NO_ATTRS) attrs = {};
      attrs[a.local] = a.value;
    }
    const el: XmlElement = { name: tag.local, ns: tag.uri, attrs, children: [], text: '', line: parser.line };
    const depth = stack.length + 1;
    if (depth > maxDepth) {
      fail ??= new ValidationError('HUB_ERR_XML_TOO_DEEP', `elements are nested deeper than ${maxDepth} levels (line ${parser.line})`, 400);
      throw fail;
    }
    if (depth === 1) opts.onRoot?.(el);
    if (stack.length) stack[stack.length - 1].children.push(el);
    stack.push(el);
  });
  parser.on('text', (t) => { if (stack.length && !skipped) stack[stack.length - 1].text += t; });
  parser.on('cdata', (t) => { if (stack.length && !skipped) stack[stack.length - 1].text += t; });
  parser.on('closetag', () => {
    if (skipped) { skipped--; return; }
    const el = stack.pop()!;
    const depth = stack.length + 1;
    const parent = stack[stack.length - 1];
    if (depth === opts.recordDepth) {
      opts.onRecord(el, parent?.name ?? '', parent?.ns ?? '');
      // Drop the record from its parent so memory stays bounded by one record.
      parent?.children.pop();
    }
  });
  try {
    parser.write(text).close();
  } catch (e) {
    throw fail ?? e;
  }
  if (fail) throw fail;
}

/** `<a><b>1</b><c x="y">2</c></a>` → `{ b: '1', c: '2', 'c@x': 'y' }`; repeated names become arrays. */
/**
 * The first element below `el` (depth first, document order) in another namespace than `ns`:
 * partner schemas qualify every element, so a foreign one is not the partner's field of that
 * name, however its local name reads.
 */
export function firstForeignElement(el: XmlElement, ns: string): XmlElement | undefined {
  for (const c of el.children) {
    if (c.ns !== ns) return c;
    const deeper = firstForeignElement(c, ns);
    if (deeper) return deeper;
  }
  return undefined;
}

export function elementToObject(el: XmlElement): Record<string, unknown> {
  // Plain loops, no spreads or Object.entries: this runs for every element of every record.
  const out: Record<string, unknown> = {};
  for (const k in el.attrs) out[k] = el.attrs[k];
  const children = el.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    let value: unknown;
    if (c.children.length === 0) {
      value = c.text.trim();
      for (const k in c.attrs) out[`${c.name}@${k}`] = c.attrs[k];
    } else {
      value = elementToObject(c);
    }
    // A value is a string or an object, so an array here can only be a repeat.
    const prev = out[c.name];
    if (prev === undefined) out[c.name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[c.name] = [prev, value];
  }
  return out;
}
