import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { readXml, readXmlSaxes, type XmlElement } from '../../engine/xml/reader.ts';
import { readXmlFast, XmlFastFault } from '../../engine/xml/fast-reader.ts';
import { createRng } from '../../engine/simulators/generation.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';

/**
 * The fast record reader must be invisible: on every document it reads itself, it hands over
 * exactly the records saxes hands over (names, namespaces, attributes, text, lines), and it finds
 * a fault exactly where saxes finds one. Checked on the partners' examples and on thousands of
 * documents mutated at random with the characters and snippets that make XML go wrong
 * (XML_FUZZ_SEED and XML_FUZZ_N run other and more mutations).
 */
type Outcome = { kind: 'delegated' } | { kind: 'fault'; message: string } | { kind: 'read'; root: unknown; records: unknown[] };

const tree = (e: XmlElement): unknown => ({ name: e.name, ns: e.ns, attrs: { ...e.attrs }, text: e.text, line: e.line, children: e.children.map(tree) });

function run(reader: 'fast' | 'saxes', text: string, recordDepth: number): Outcome {
  let root: unknown;
  const records: unknown[] = [];
  const opts = { recordDepth, onRoot: (e: XmlElement) => { root = { name: e.name, ns: e.ns, attrs: { ...e.attrs }, line: e.line }; }, onRecord: (e: XmlElement, parent: string) => { records.push({ parent, el: tree(e) }); } };
  try {
    if (reader === 'fast') { if (!readXmlFast(text, opts)) return { kind: 'delegated' }; } else readXmlSaxes(text, opts);
  } catch (e) {
    if (reader === 'fast' && !(e instanceof XmlFastFault)) throw e;
    return { kind: 'fault', message: (e as Error).message };
  }
  return { kind: 'read', root, records };
}

/** Asserts the two readers agree on `text`; returns the fast reader's outcome. */
function agree(text: string, recordDepth: number, what: string): Outcome['kind'] {
  const fast = run('fast', text, recordDepth);
  if (fast.kind === 'delegated') return 'delegated';
  const saxes = run('saxes', text, recordDepth);
  if (fast.kind === 'fault') assert.equal(saxes.kind, 'fault', `${what}: the fast reader refused (${fast.message}) what saxes reads:\n${text.slice(0, 400)}`);
  else assert.deepEqual(fast, saxes, `${what}: the readers differ on:\n${text.slice(0, 400)}`);
  return fast.kind;
}

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const LIETIS = iconv.decode(readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url)), 'windows-1257');
const EDGES = `<?xml version="1.0" encoding="UTF-8"?>
<p:Root xmlns:p="urn:a" xmlns="urn:b" a="x &amp; y &#x41;&#66;" xml:lang="lv">
  <!-- a comment with <tags> & ampersands -->
  <Section>
    <Rec id='1' q:b="2" xmlns:q="urn:q"><Name>Ļubova &lt;Šuškova&gt;</Name><Note><![CDATA[a < b & c]]> tail</Note><?pi some data?></Rec>
    <p:Rec id="2"><Empty/><Empty a="1" /><Spaces>  x  </Spaces></p:Rec>
    <Rec xmlns="urn:c" id="3"	b="tab
line"><Inner>&quot;&apos;&#233;</Inner></Rec>
  </Section>
</p:Root>
`;

const SNIPPETS = ['<', '>', '&', '"', "'", '/', '=', ' ', '\n', '\t', '&#9;', '&#10;', ' xmlns=""', ' xmlns=" urn:y "', ':', '&amp;', '&#x20;', '&#0;', '&#xD800;', '&nbsp;', '<!-- c -->', '<!-- a -- b -->', '<![CDATA[x]]>',
  ']]>', '<?pi x?>', '<?xml x?>', ' a="1"', ' a="1" a="2"', ' p:a="1"', ' xmlns:p="urn:x"', ' xmlns:p=""', '<p:x/>', '<x></y>', '</Section>', '<Rec>', '<a b=c>', '\u0001', '<!DOCTYPE x>', 'é', '<é/>', '<1a/>'];

function mutate(text: string, rng: ReturnType<typeof createRng>): string {
  const at = rng.int(0, text.length);
  switch (rng.int(0, 3)) {
    case 0: return text.slice(0, at) + text.slice(at + rng.int(1, 3));
    case 1: { const from = rng.int(0, text.length - 10); return text.slice(0, at) + text.slice(from, from + rng.int(1, 12)) + text.slice(at); }
    default: return text.slice(0, at) + rng.pick(SNIPPETS) + text.slice(at);
  }
}

describe('fast XML record reader (engine/xml/fast-reader.ts) against saxes', () => {
  it('reads the partner examples and an edge-case document exactly as saxes does', () => {
    assert.equal(agree(SOPA, 3, 'SOPA example'), 'read');
    assert.equal(agree(LIETIS, 2, 'LIETIS example'), 'read');
    assert.equal(agree(EDGES, 3, 'edge cases'), 'read');
    const generated = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 2000, seed: 11 }).batches[0].toString('utf8');
    assert.equal(agree(generated, 3, 'generated SOPA batch'), 'read');
  });

  it('agrees with saxes on 10,000 randomly mutated documents', () => {
    const rng = createRng(Number(process.env.XML_FUZZ_SEED ?? 20261127));
    const counts = { read: 0, fault: 0, delegated: 0 };
    for (let i = 0; i < Number(process.env.XML_FUZZ_N ?? 10_000); i++) {
      const [base, depth] = rng.pick([[SOPA, 3], [LIETIS, 2], [EDGES, 3]] as const);
      let text = base;
      for (let m = rng.chance(0.7) ? 1 : 2; m > 0; m--) text = mutate(text, rng);
      counts[agree(text, depth, `mutation ${i}`)]++;
    }
    // The mutations must exercise both outcomes, or the comparison proves little.
    assert.ok(counts.read > 1500 && counts.fault > 1500, JSON.stringify(counts));
  });

  it('reports a fault in saxes\'s words, and hands the caller nothing it would not have had', () => {
    const bad = SOPA.replace('<Summa>112.00</Summa>', '<Summa>112.00 &nbsp;</Summa>');
    let saxesError = '';
    try { readXmlSaxes(bad, { recordDepth: 3, onRecord: () => {} }); } catch (e) { saxesError = (e as Error).message; }
    assert.match(saxesError, /undefined entity/);
    assert.throws(() => readXml(bad, { recordDepth: 3, onRecord: () => {} }), (e: Error & { code?: string }) => e.code === 'HUB_ERR_XML_MALFORMED' && e.message === saxesError);
  });

  it('leaves documents it does not read (a DOCTYPE, a carriage return) to saxes', () => {
    assert.equal(run('fast', SOPA.replace('?>', '?><!DOCTYPE x>'), 3).kind, 'delegated');
    assert.equal(run('fast', SOPA.replace(/\n/g, '\r\n'), 3).kind, 'delegated');
    assert.throws(() => readXml(SOPA.replace('?>', '?><!DOCTYPE x>'), { recordDepth: 3, onRecord: () => {} }), { code: 'HUB_ERR_XML_DOCTYPE' });
  });
});
