/**
 * A small, namespace-aware XML tree for signed SOAP messages. engine/xml.ts streams records and
 * drops what canonicalization needs (prefixes, namespace declarations, the order of text and
 * elements, processing instructions); this keeps it, plus the source offsets of each start tag so
 * a signer can splice attributes into the caller's own bytes. Same safety rules as xml.ts: saxes
 * (never fetches or expands external entities), any DOCTYPE refused, depth and size bounded.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';

export interface XAttr {
  qname: string;
  prefix: string;
  local: string;
  uri: string;
  value: string;
}

export interface XPi {
  target: string;
  body: string;
}

/** A child is an element, a text run (string) or a processing instruction; comments are dropped. */
export type XChild = XElement | string | XPi;

export interface XElement {
  qname: string;
  prefix: string;
  local: string;
  uri: string;
  /** Attributes other than namespace declarations. */
  attrs: XAttr[];
  /** Namespace declarations made on this element ('' is the default namespace), or null. */
  ns: Record<string, string> | null;
  children: XChild[];
  parent: XElement | null;
  line: number;
  /** Offset in the source just after the start tag's `>`; `selfClosing` tags end in `/>`. */
  openEnd: number;
  selfClosing: boolean;
  /** Offset in the source just after the end tag (for a self-closing tag, equal to openEnd). */
  end: number;
}

export class XmlTreeError extends Error {}

export interface XmlTreeOptions {
  /** @defaultValue 64 */
  maxDepth?: number;
  /** In UTF-16 code units. @defaultValue 4 MiB */
  maxLength?: number;
}

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Parses a whole document; throws XmlTreeError for a DOCTYPE, malformed XML or a bound exceeded. */
export function parseXmlTree(text: string, opts: XmlTreeOptions = {}): XElement {
  const maxDepth = opts.maxDepth ?? 64;
  if (text.length > (opts.maxLength ?? 4 * 1024 * 1024)) throw new XmlTreeError('the document is too large');
  const parser = new SaxesParser({ xmlns: true, position: true });
  let root: XElement | null = null;
  let cur: XElement | null = null;
  let depth = 0;
  let fail: Error | undefined;
  const stop = (msg: string): never => { fail ??= new XmlTreeError(msg); throw fail; };
  parser.on('doctype', () => stop('a DOCTYPE is refused'));
  parser.on('error', (e) => stop(`not well-formed: ${e.message}`));
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++depth > maxDepth) stop(`elements nested deeper than ${maxDepth}`);
    const attrs: XAttr[] = [];
    let ns: Record<string, string> | null = null;
    for (const name in tag.attributes) {
      const a = tag.attributes[name];
      if (a.prefix === 'xmlns' || a.name === 'xmlns') {
        (ns ??= {})[a.prefix === 'xmlns' ? a.local : ''] = a.value;
      } else {
        attrs.push({ qname: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value });
      }
    }
    const el: XElement = {
      qname: tag.name, prefix: tag.prefix, local: tag.local, uri: tag.uri, attrs, ns, children: [], parent: cur,
      line: parser.line, openEnd: parser.position, selfClosing: tag.isSelfClosing, end: parser.position,
    };
    if (cur) cur.children.push(el);
    else root = el;
    cur = el;
  });
  const onText = (t: string): void => {
    if (!cur) return;
    const kids = cur.children;
    const last = kids[kids.length - 1];
    // Adjacent text and CDATA are one text node to canonicalization.
    if (typeof last === 'string') kids[kids.length - 1] = last + t;
    else kids.push(t);
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('processinginstruction', (pi) => { cur?.children.push({ target: pi.target, body: pi.body }); });
  parser.on('closetag', () => {
    depth--;
    cur!.end = parser.position;
    cur = cur!.parent;
  });
  try {
    parser.write(text).close();
  } catch (e) {
    throw fail ?? e;
  }
  if (fail) throw fail;
  if (!root) throw new XmlTreeError('no document element');
  return root;
}

/** The namespace a prefix is bound to at `el` ('' for no default namespace; undefined when unbound). */
export function lookupNamespace(el: XElement, prefix: string): string | undefined {
  for (let e: XElement | null = el; e; e = e.parent) {
    const v = e.ns?.[prefix];
    if (v !== undefined) return v;
  }
  if (prefix === 'xml') return XML_NS;
  return prefix === '' ? '' : undefined;
}

export function childElements(el: XElement): XElement[] {
  const out: XElement[] = [];
  for (const c of el.children) if (typeof c === 'object' && 'local' in c) out.push(c);
  return out;
}

export function isElement(c: XChild): c is XElement {
  return typeof c === 'object' && 'local' in c;
}

/** The first child element with that namespace and local name. */
export function childElement(el: XElement, uri: string, local: string): XElement | undefined {
  for (const c of el.children) if (typeof c === 'object' && 'local' in c && c.local === local && c.uri === uri) return c;
  return undefined;
}

/** The concatenated text of an element's own text children. */
export function textOf(el: XElement): string {
  let s = '';
  for (const c of el.children) if (typeof c === 'string') s += c;
  return s;
}

export function attrValue(el: XElement, uri: string, local: string): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.uri === uri) return a.value;
  return undefined;
}
