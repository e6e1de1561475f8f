/**
 * Issue 15: property-based tests (fast-check) of the batch readers and the outline. For any
 * input: the fast reader and saxes agree or both refuse; the outline and the formats refuse with a
 * HubError and never crash; a GVS line with `__proto__`/`constructor` keys, 1e309, deep nesting or
 * duplicate keys is rejected or read safely, and nothing reaches Object.prototype.
 * FC_SEED and FC_RUNS choose the run (default: a fixed seed, 300 runs a property).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readXmlSaxes, type XmlElement } from '../../engine/xml/reader.ts';
import { readXmlFast, XmlFastFault } from '../../engine/xml/fast-reader.ts';
import { outlineXml } from '../../engine/xml/outline.ts';
import { isHubError } from '../../engine/core/errors.ts';
import { sopaFormat } from '../../connectors/sopa/index.ts';
import { gvsFormat } from '../../connectors/gvs/index.ts';
import { lietisFormat } from '../../connectors/lietis/index.ts';

const SEED = Number(process.env.FC_SEED ?? 15_2026);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed: SEED, numRuns: RUNS };

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const LIETIS = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url));
const GVS = readFileSync(new URL('../fixtures/gvs-batch.ndjson', import.meta.url));
const GVS_HEADER = '{"recordType":"header","municipality":"0052000","period":"2026-10","created":"2026-11-02T08:00:00+02:00","count":1}';

/** Pieces XML is made of, right and wrong: documents are sequences of them. */
const PIECE = fc.constantFrom(
  '<a>', '</a>', '<b x="1">', '</b>', '<p:c xmlns:p="urn:p">', '</p:c>', '<d/>', 'text', ' ', '\n', '&amp;', '&lt;', '&#65;', '&#0;', '&bogus;',
  '<!-- c -->', '<![CDATA[x<y]]>', '<?pi x?>', '"', "'", '=', '<', '>', '&', 'Ā', '\u0001', ' xmlns=""', ' a="1" a="2"', '<!DOCTYPE x>', ']]>',
);
/** Well-formed content: elements (prefixed or not, with attributes), text, references, CDATA, comments, PIs. */
const CONTENT: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('text', ' ', '\n  ', '&amp;', '&lt;&gt;', '&#65;&#x42;', 'Ā š', '<![CDATA[a < b]]>', '<!-- c -->', '<?pi data?>', '"\''),
    fc.tuple(fc.constantFrom('e', 'Rec', 'p:q', 'Vārds'), fc.array(fc.tuple(fc.constantFrom('a', 'b', 'p:c', 'xml:lang'), fc.constantFrom('1', '&amp;', '&#10;', 'x y', 'Ā')), { maxLength: 3 }),
      fc.array(tie('node'), { maxLength: 4 }), fc.boolean())
      .map(([name, attrs, kids, declare]) => {
        const seen = new Set<string>();
        const a = attrs.filter(([k]) => !seen.has(k) && !!seen.add(k)).map(([k, v]) => ` ${k}="${v}"`).join('');
        const ns = declare || name.startsWith('p:') || a.includes(' p:') ? ' xmlns:p="urn:p"' : '';
        return kids.length ? `<${name}${ns}${a}>${kids.join('')}</${name}>` : `<${name}${ns}${a}/>`;
      })),
})).node;
const WELL_FORMED = fc.array(CONTENT, { maxLength: 8 }).map((ns) => `<?xml version="1.0"?><r xmlns="urn:r">${ns.join('')}</r>`);
/** Documents: well-formed ones, the same with one wrong piece put anywhere, and piles of pieces. */
const ROOTED = fc.oneof(
  WELL_FORMED,
  fc.tuple(WELL_FORMED, PIECE, fc.nat()).map(([d, p, at]) => { const i = at % (d.length + 1); return d.slice(0, i) + p + d.slice(i); }),
  fc.array(PIECE, { maxLength: 40 }).map((ps) => `<?xml version="1.0"?><r xmlns="urn:r">${ps.join('')}</r>`),
);

type Outcome = { kind: 'delegated' } | { kind: 'fault' } | { kind: 'read'; records: unknown[] };
const tree = (e: XmlElement): unknown => ({ name: e.name, ns: e.ns, attrs: { ...e.attrs }, text: e.text, line: e.line, children: e.children.map(tree) });

function read(reader: 'fast' | 'saxes', text: string): Outcome {
  const records: unknown[] = [];
  const opts = { recordDepth: 2, onRecord: (e: XmlElement, parent: string) => { records.push({ parent, el: tree(e) }); } };
  try {
    if (reader === 'fast') { if (!readXmlFast(text, opts)) return { kind: 'delegated' }; } else readXmlSaxes(text, opts);
  } catch (e) {
    if (reader === 'fast' && !(e instanceof XmlFastFault)) throw e;
    return { kind: 'fault' };
  }
  return { kind: 'read', records };
}

/** Runs `f`; anything thrown must be a HubError (a clear 4xx), never a TypeError or RangeError. */
function onlyHubErrors(f: () => unknown): void {
  try { f(); } catch (e) { if (!isHubError(e)) throw e; }
}

describe(`properties (fast-check, seed ${SEED}, ${RUNS} runs each)`, function () {
  this.timeout(120_000);

  it('the fast reader and saxes agree on any document, or the fast reader hands it to saxes', () => {
    fc.assert(fc.property(ROOTED, (doc) => {
      const fast = read('fast', doc);
      if (fast.kind === 'delegated') return;
      const saxes = read('saxes', doc);
      if (fast.kind === 'fault') assert.equal(saxes.kind, 'fault', `saxes reads what the fast reader refused:\n${doc}`);
      else assert.deepEqual(fast, saxes);
    }), params);
  });

  it('the outline refuses any byte string with a HubError or reads it, never crashing', () => {
    fc.assert(fc.property(fc.oneof(ROOTED, fc.string({ maxLength: 200 })), fc.uint8Array({ maxLength: 64 }), (doc, noise) => {
      const body = Buffer.concat([Buffer.from(doc), Buffer.from(noise)]);
      onlyHubErrors(() => outlineXml(body, { recordDepth: 3, count: { headerElement: 'Galvene', element: 'IerakstuSkaits' } }));
    }), params);
  });

  it('the SOPA format answers any mutation of its example with a HubError or a reading, at the PUT and when processing', () => {
    fc.assert(fc.property(fc.nat(SOPA.length), fc.nat(12), fc.array(PIECE, { maxLength: 4 }), (at, cut, ps) => {
      const body = Buffer.from(SOPA.slice(0, at) + ps.join('') + SOPA.slice(at + cut));
      onlyHubErrors(() => sopaFormat.inspect(body, 'application/xml'));
      onlyHubErrors(() => sopaFormat.parse(body, 'application/xml'));
    }), params);
  });

  it('the LIETIS and GVS formats answer any mutation of their examples (bytes cut, inserted, flipped) with a HubError or a reading', () => {
    const mutation = fc.tuple(fc.nat(), fc.nat(8), fc.uint8Array({ maxLength: 8 }), fc.array(PIECE, { maxLength: 3 }));
    const mutate = (base: Buffer, [at, cut, bytes, ps]: [number, number, Uint8Array, string[]]): Buffer => {
      const i = at % (base.length + 1);
      return Buffer.concat([base.subarray(0, i), Buffer.from(bytes), Buffer.from(ps.join('')), base.subarray(i + cut)]);
    };
    fc.assert(fc.property(mutation, (m) => {
      const body = mutate(LIETIS, m);
      onlyHubErrors(() => lietisFormat.inspect(body, 'application/xml; charset=windows-1257'));
      onlyHubErrors(() => lietisFormat.parse(body, 'application/xml; charset=windows-1257'));
    }), params);
    fc.assert(fc.property(mutation, (m) => {
      const body = mutate(GVS, m);
      onlyHubErrors(() => gvsFormat.inspect(body, 'application/x-ndjson'));
      onlyHubErrors(() => gvsFormat.parse(body, 'application/x-ndjson'));
    }), params);
  });

  it('a GVS line with __proto__, constructor, 1e309, deep nesting or duplicate keys is rejected or read, and pollutes nothing', () => {
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'recordType', 'decisionId', 'personCode', 'amountCents', 'members', 'toString');
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' },
        fc.constantFrom('1e309', '-1e309', '1e-400', '0', '"status"', '"benefit"', 'null', 'true', '"02092710885"', '{}', '[]'),
        fc.array(tie('v'), { maxLength: 3 }).map((xs) => `[${xs.join(',')}]`),
        fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }).map((kvs) => `{${kvs.map(([k, v]) => `"${k}":${v}`).join(',')}}`)),
    })).v;
    const line = fc.oneof(
      fc.array(fc.tuple(key, value), { maxLength: 6 }).map((kvs) => `{"recordType":"benefit",${kvs.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
      fc.nat(3000).map((d) => '{"recordType":"status","x":' + '['.repeat(d) + ']'.repeat(d) + '}'),
    );
    fc.assert(fc.property(line, (l) => {
      onlyHubErrors(() => {
        const { records } = gvsFormat.parse(Buffer.from(`${GVS_HEADER}\n${l}\n`), 'application/x-ndjson');
        for (const r of records) JSON.stringify(r.data);
      });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
      assert.deepEqual(Object.keys(Object.prototype), []);
    }), params);
  });
});
