/**
 * Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#)
 * of one element subtree, as XML-DSig references and SignedInfo need it. Written for the
 * signed-SOAP path, where it runs twice or three times per message: a plain recursive walk over
 * engine/xml/tree.ts, no XPath and no DOM. Interoperability with xmlsec1 and xml-crypto is proven
 * in test/soap/.
 */
import { XML_NS, lookupNamespace, type XAttr, type XElement } from './tree.ts';

const TEXT_ANY = /[&<>\r]/;
const TEXT_ALL = /[&<>\r]/g;
const TEXT_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTR_ANY = /[&<"\t\n\r]/;
const ATTR_ALL = /[&<"\t\n\r]/g;
const ATTR_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

// Most values need no escaping; the test spares them a replace.
export const escapeC14nText = (s: string): string => (TEXT_ANY.test(s) ? s.replace(TEXT_ALL, (c) => TEXT_ESC[c]) : s);
export const escapeC14nAttr = (s: string): string => (ATTR_ANY.test(s) ? s.replace(ATTR_ALL, (c) => ATTR_ESC[c]) : s);

/**
 * The canonical form of `el` and its subtree. `inclusivePrefixes` is the InclusiveNamespaces
 * PrefixList of the transform (`#default` for the default namespace): those prefixes are rendered
 * by the inclusive rules, i.e. wherever in scope and not already rendered by an output ancestor.
 */
export function excC14n(el: XElement, inclusivePrefixes: readonly string[] = []): string {
  const inclusive = inclusivePrefixes.map((p) => (p === '#default' ? '' : p));
  // Rendered namespaces of the output ancestors; the empty default counts as rendered.
  return render(el, { '': '' }, inclusive);
}

function render(el: XElement, rendered: Record<string, string>, inclusive: string[]): string {
  const decls: [string, string][] = [];
  let mine = rendered;
  const consider = (prefix: string, mustBeBound: boolean): void => {
    if (prefix === 'xml' || prefix === 'xmlns') return;
    const uri = lookupNamespace(el, prefix);
    if (uri === undefined) {
      if (mustBeBound) throw new Error(`prefix ${prefix} is not bound`);
      return;
    }
    if (mine[prefix] === uri) return;
    for (const d of decls) if (d[0] === prefix) return;
    decls.push([prefix, uri]);
  };
  consider(el.prefix, true);
  for (const a of el.attrs) if (a.prefix) consider(a.prefix, true);
  for (const p of inclusive) consider(p, false);

  let out = '<' + el.qname;
  if (decls.length) {
    mine = { ...rendered };
    if (decls.length > 1) decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [p, uri] of decls) {
      mine[p] = uri;
      out += (p ? ` xmlns:${p}="` : ' xmlns="') + escapeC14nAttr(uri) + '"';
    }
  }
  const attrs = el.attrs.length > 1 ? [...el.attrs].sort(byNamespaceThenLocal) : el.attrs;
  for (const a of attrs) out += ` ${a.qname}="${escapeC14nAttr(a.value)}"`;
  out += '>';
  for (const c of el.children) {
    if (typeof c === 'string') out += escapeC14nText(c);
    else if ('local' in c) out += render(c, mine, inclusive);
    else out += c.body ? `<?${c.target} ${c.body}?>` : `<?${c.target}?>`;
  }
  return out + '</' + el.qname + '>';
}

function byNamespaceThenLocal(a: XAttr, b: XAttr): number {
  // The xml namespace sorts by its URI like any other, as the c14n spec says.
  const ua = a.prefix === 'xml' ? XML_NS : a.uri;
  const ub = b.prefix === 'xml' ? XML_NS : b.uri;
  if (ua !== ub) return ua < ub ? -1 : 1;
  return a.local < b.local ? -1 : a.local > b.local ? 1 : 0;
}
