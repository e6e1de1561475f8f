/**
 * A small, namespace-aware XML tree for signed SOAP messages. engine/xml/reader.ts streams records and
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

/**
 * saxes's handler slots. Its on() stores handlers under computed property names; past a dozen such
 * stores V8 turns the parser into a slow dictionary-mode object, which made parsing a signed
 * message four times slower (0.25 against 0.04 ms). Plain named stores keep it fast.
 */
interface SaxesHandlerSlots {
  doctypeHandler?(doctype: string): void;
  errorHandler?(err: Error): void;
  openTagHandler?(tag: SaxesTagNS): void;
  textHandler?(text: string): void;
  cdataHandler?(cdata: string): void;
  piHandler?(pi: { target: string; body: string }): void;
  closeTagHandler?(tag: SaxesTagNS): void;
}

interface ParseState {
  root: XElement | null;
  cur: XElement | null;
  depth: number;
  maxDepth: number;
  fail: Error | undefined;
}

interface TreeParser {
  parser: SaxesParser<{ xmlns: true; position: true }>;
  st: ParseState;
}

function makeParser(): TreeParser {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const st: ParseState = { root: null, cur: null, depth: 0, maxDepth: 64, fail: undefined };
  const stop = (msg: string): never => { st.fail ??= new XmlTreeError(msg); throw st.fail; };
  const slots = parser as unknown as SaxesHandlerSlots;
  slots.doctypeHandler = () => stop('a DOCTYPE is refused');
  slots.errorHandler = (e) => stop(`not well-formed: ${e.message}`);
  slots.openTagHandler = (tag) => {
    if (++st.depth > st.maxDepth) stop(`elements nested deeper than ${st.maxDepth}`);
    const attrs: XAttr[] = [];
    let ns: Record<string, string> | null = null;
    const names = Object.keys(tag.attributes);
    for (let i = 0; i < names.length; i++) {
      const a = tag.attributes[names[i]];
      if (a.prefix === 'xmlns' || a.name === 'xmlns') {
        (ns ??= {})[a.prefix === 'xmlns' ? a.local : ''] = a.value;
      } else {
        attrs.push({ qname: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value });
      }
    }
    const el: XElement = {
      qname: tag.name, prefix: tag.prefix, local: tag.local, uri: tag.uri, attrs, ns, children: [], parent: st.cur,
      line: parser.line, openEnd: parser.position, selfClosing: tag.isSelfClosing, end: parser.position,
    };
    if (st.cur) st.cur.children.push(el);
    else st.root = el;
    st.cur = el;
  };
  const onText = (t: string): void => {
    if (!st.cur) return;
    const kids = st.cur.children;
    const last = kids[kids.length - 1];
    // Adjacent text and CDATA are one text node to canonicalization.
    if (typeof last === 'string') kids[kids.length - 1] = last + t;
    else kids.push(t);
  };
  slots.textHandler = onText;
  slots.cdataHandler = onText;
  slots.piHandler = (pi) => { st.cur?.children.push({ target: pi.target, body: pi.body }); };
  slots.closeTagHandler = () => {
    st.depth--;
    st.cur!.end = parser.position;
    st.cur = st.cur!.parent;
  };
  return { parser, st };
}

// One parser, reused: building a saxes parser costs as much as parsing a small message. A parse
// that fails leaves it in an unknown state, so only a parser that finished cleanly is kept.
let idle: TreeParser | undefined;

/** Parses a whole document; throws XmlTreeError for a DOCTYPE, malformed XML or a bound exceeded. */
export function parseXmlTree(text: string, opts: XmlTreeOptions = {}): XElement {
  if (text.length > (opts.maxLength ?? 4 * 1024 * 1024)) throw new XmlTreeError('the document is too large');
  const tp = idle ?? makeParser();
  idle = undefined;
  const { parser, st } = tp;
  st.root = st.cur = null;
  st.depth = 0;
  st.maxDepth = opts.maxDepth ?? 64;
  st.fail = undefined;
  try {
    parser.write(text).close();
  } catch (e) {
    throw st.fail ?? e;
  }
  if (st.fail) throw st.fail;
  const root = st.root;
  st.root = st.cur = null;
  idle = tp;
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
