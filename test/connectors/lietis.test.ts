import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { naturalKey, type GenerateOptions, type HubError } from '../../engine/index.ts';
import { validateDecision } from '../../engine/validation/decision-validator.ts';
import { charsetOf, lietisFormat, rigaLocalToIso } from '../../connectors/lietis/inbound.ts';
import { MAX_DOCUMENT_BYTES, lietisSimulator, renderLietisDocument } from '../../connectors/lietis/simulator.ts';
import { lietisExportToCanonical as transformer } from '../../transformers/lietis/export-to-canonical.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url));
const CT = 'application/xml; charset=windows-1257';
const TEXT = iconv.decode(EXAMPLE, 'windows-1257');
const cp1257 = (s: string): Buffer => iconv.encode(s, 'windows-1257');
const parse = (body: Buffer, contentType = CT) => lietisFormat.parse(body, contentType);
/** Asserts that parsing throws a HubError with this code and HTTP status; returns it for more checks. */
function fails(body: Buffer, code: string, status: number, contentType = CT): HubError {
  let err: HubError | undefined;
  assert.throws(() => parse(body, contentType), (e: HubError) => { err = e; return e.code === code && e.httpStatus === status; });
  return err!;
}
const memberOf = (body: Buffer, contentType = CT) => (parse(body, contentType).records[0].data.Member as Record<string, string>[])[0];

describe('lietis/batch', () => {
  it('decodes the windows-1257 example with Ļubova Šuškova intact and reads its header', () => {
    const { header, records } = parse(EXAMPLE);
    assert.deepEqual(header, { municipality: '0002000', period: '2026-10', created: '2026-11-02T09:10:00+02:00', count: 4 });
    assert.deepEqual(records.map((r) => r.type), ['Status', 'Benefit', 'Service', 'Assistant']);
    assert.deepEqual(records[0].data.Member, [{ code: '110350-10748', name: 'Ļubova', surname: 'Šuškova', first: 'true' }]);
    assert.equal(records[1].data.amount, '68,00');
  });

  it('decodes a UTF-8 document by its declaration even when the Content-Type says windows-1257', () => {
    const utf8 = Buffer.from(TEXT.replace('encoding="windows-1257"', 'encoding="UTF-8"'), 'utf8');
    assert.equal(charsetOf(utf8, CT), 'utf-8');
    assert.deepEqual(memberOf(utf8), { code: '110350-10748', name: 'Ļubova', surname: 'Šuškova', first: 'true' });
  });

  it('falls back to the Content-Type charset, then to UTF-8, when the declaration names none', () => {
    const bare = TEXT.replace(' encoding="windows-1257"', '');
    assert.equal(memberOf(cp1257(bare), 'application/xml; charset="Windows-1257"').surname, 'Šuškova');
    assert.equal(memberOf(Buffer.from(bare, 'utf8'), 'application/xml').surname, 'Šuškova');
    assert.equal(charsetOf(Buffer.from('\ufeff<?xml version="1.0" encoding="windows-1257"?><a/>'), CT), 'utf-8');
  });

  it('refuses bytes that are not the UTF-8 they claim to be (400) and a charset it cannot read (415)', () => {
    fails(cp1257(TEXT.replace('encoding="windows-1257"', 'encoding="UTF-8"')), 'HUB_ERR_BATCH_ENCODING', 400);
    fails(cp1257(TEXT.replace('windows-1257', 'x-klingon')), 'HUB_ERR_BATCH_ENCODING', 415);
  });

  it('inspects a batch for the PUT as parse would, counting its records without building them', () => {
    assert.deepEqual(lietisFormat.inspect!(EXAMPLE, CT), { header: parse(EXAMPLE).header, recordCount: 4 });
    const cut = cp1257(TEXT.replace('count="4"', 'count="5"'));
    assert.throws(() => lietisFormat.inspect!(cut, CT), (e: HubError) => e.code === 'HUB_ERR_BATCH_COUNT_MISMATCH');
    assert.throws(() => lietisFormat.inspect!(cp1257(TEXT.replace('<lietis:Benefit ', '<lietis:Pabalsts ')), CT), (e: HubError) => e.code === 'HUB_ERR_BATCH_SECTION');
  });

  it('rejects the whole batch with 422 HUB_ERR_BATCH_COUNT_MISMATCH when count disagrees', () => {
    const e = fails(cp1257(TEXT.replace('count="4"', 'count="5"')), 'HUB_ERR_BATCH_COUNT_MISMATCH', 422);
    assert.match(e.message, /says 5 records but the document holds 4/);
    assert.equal(e.details.field, 'Export@count');
  });

  it('refuses a DOCTYPE with 400 HUB_ERR_XML_DOCTYPE', () => {
    const evil = TEXT.replace('?>', '?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>');
    fails(cp1257(evil), 'HUB_ERR_XML_DOCTYPE', 400);
  });

  it('refuses malformed XML with 400', () => {
    fails(cp1257(TEXT.replace('</lietis:Export>', '')), 'HUB_ERR_XML_MALFORMED', 400);
  });

  it('names the header attribute at fault with 422', () => {
    for (const [from, to, attr] of [
      ['month="10.2026"', 'month="2026-10"', 'month'], ['month="10.2026"', 'month="13.2026"', 'month'],
      ['created="02.11.2026 09:10"', 'created="2026-11-02T09:10"', 'created'], ['created="02.11.2026 09:10"', 'created="31.11.2026 09:10"', 'created'],
      ['count="4"', 'count="four"', 'count'], [' municipality="0002000"', '', 'municipality'],
    ]) {
      const e = fails(cp1257(TEXT.replace(from, to)), 'HUB_ERR_BATCH_HEADER', 422);
      assert.equal(e.details.field, `Export@${attr}`, to);
      assert.match(e.message, new RegExp(`^Export@${attr} `));
    }
  });

  it('reads created as Riga local time, summer and winter, and refuses the hour skipped in spring', () => {
    assert.equal(rigaLocalToIso('02.11.2026 09:10'), '2026-11-02T09:10:00+02:00');
    assert.equal(rigaLocalToIso('15.07.2026 23:59'), '2026-07-15T23:59:00+03:00');
    assert.equal(rigaLocalToIso('25.10.2026 03:30'), '2026-10-25T03:30:00+03:00'); // repeated hour: the earlier
    assert.equal(rigaLocalToIso('29.03.2026 03:30'), null);
    assert.equal(rigaLocalToIso('29.03.2026 24:00'), null);
  });

  it('takes the namespace with any prefix or none, and refuses another namespace or record element with 422', () => {
    const prefixed = (p: string) => TEXT.replaceAll('<lietis:', `<${p}`).replaceAll('</lietis:', `</${p}`).replace('xmlns:lietis=', p ? `xmlns:${p.slice(0, -1)}=` : 'xmlns=');
    assert.equal(parse(cp1257(prefixed('d:'))).records.length, 4);
    assert.equal(parse(cp1257(prefixed(''))).records.length, 4);
    fails(cp1257(TEXT.replace(':export:2', ':export:1')), 'HUB_ERR_BATCH_ROOT', 422);
    fails(cp1257(TEXT.replace('<lietis:Benefit ', '<lietis:Pabalsts ')), 'HUB_ERR_BATCH_SECTION', 422);
  });

  it('keeps every Member of a Status and rejects only the record that holds an element LIETIS does not define', () => {
    const two = TEXT.replace('first="true"/>', 'first="true"/>\n    <lietis:Member code="16117519997" name="Žanna" surname="Šuškova" first="false"/>')
      .replace('unit="d/m"/>', 'unit="d/m"><lietis:Note>x</lietis:Note></lietis:Service>');
    const { records } = parse(cp1257(two));
    assert.deepEqual((records[0].data.Member as Record<string, string>[]).map((m) => m.name), ['Ļubova', 'Žanna']);
    assert.deepEqual(records[2].errors?.map((e) => `${e.code}:${e.field}`), ['FORMAT:Note']);
    assert.equal(records[1].errors, undefined);
  });
});

describe('lietis/simulator', () => {
  const BASE: GenerateOptions = { municipality: '0002000', period: '2026-10', records: 3000, batches: 3 };
  const LOAD = { loadId: 'l', source: 'lietis' as const, municipality: '0002000', period: '2026-10', createdAt: '2026-11-26T10:00:00Z' };

  /** What the route would reject, read in process: the format, the transformer, the validator and the first-wins rule. */
  function rejections(batches: Buffer[], contentType: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    batches.forEach((body, b) => {
      const { header, records } = lietisFormat.parse(body, contentType);
      records.forEach((r, index) => {
        const d = transformer.transform(r, { load: LOAD, header });
        const errors = validateDecision(d, { load: LOAD, fieldName: transformer.partnerField });
        const key = `${d.kind}|${naturalKey(d)}`;
        if (errors.length) out.push(`${b + 1}/${index} ${errors.map((e) => `${e.code}:${e.field}`).join(' ')}`);
        else if (seen.has(key)) out.push(`${b + 1}/${index} DUPLICATE:${transformer.partnerField(d.kind, 'decisionId')}`);
        else seen.add(key);
      });
    });
    return out;
  }

  it('gives byte-identical loads for the same seed and different ones for another seed', () => {
    const a = lietisSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const b = lietisSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const c = lietisSimulator.generate({ ...BASE, seed: 43, everyCode: true });
    a.batches.forEach((buf, i) => assert.ok(buf.equals(b.batches[i]), `batch ${i + 1} differs`));
    assert.deepEqual(a.truth, b.truth);
    assert.ok(a.batches.some((buf, i) => !buf.equals(c.batches[i])));
  });

  it('writes windows-1257 documents with the header of lietis.md and a count equal to their records', () => {
    const load = lietisSimulator.generate({ ...BASE, seed: 5 });
    assert.equal(load.contentType, CT);
    load.batches.forEach((buf, i) => {
      assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(buf), 'Baltic letters are single windows-1257 bytes');
      const doc = iconv.decode(buf, 'windows-1257');
      assert.match(doc, /^<\?xml version="1.0" encoding="windows-1257"\?>\n<lietis:Export xmlns:lietis="urn:lv:daugavpils:lietis:export:2" municipality="0002000" month="10.2026" created="02.11.2026 09:00" count="(\d+)">/);
      assert.equal(Number(/count="(\d+)"/.exec(doc)![1]), load.recordCounts[i]);
      assert.match(doc, /[ĻŠŽņū]/);
      assert.equal(parse(buf, load.contentType).records.length, load.recordCounts[i]);
    });
  });

  it('plants every code with everyCode, and exactly the planted records are rejected, each for its one fault', () => {
    const load = lietisSimulator.generate({ ...BASE, seed: 9, everyCode: true });
    assert.deepEqual(new Set(load.truth.map((t) => t.code)), new Set(['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE']));
    assert.deepEqual(rejections(load.batches, load.contentType), load.truth.map((t) => `${t.batch}/${t.index} ${t.code}:${t.field}`));
    assert.equal(new Set(load.truth.map((t) => t.batch)).size, 3, 'planted errors spread over the batches');
  });

  it('writes only valid records, hyphenated codes and decimal commas among them, when errorRate is 0', () => {
    const load = lietisSimulator.generate({ ...BASE, seed: 3, errorRate: 0 });
    assert.deepEqual(load.truth, []);
    assert.deepEqual(rejections(load.batches, load.contentType), []);
    const doc = load.batches.map((b) => iconv.decode(b, 'windows-1257')).join('');
    assert.match(doc, /person="\d{6}-\d{5}"/);
    assert.match(doc, /person="\d{11}"/);
    assert.match(doc, /amount="\d+,\d\d"/);
    assert.match(doc, /used="\d+,\d"/);
  });

  it('plants about errorRate of the records and keeps default documents within 3.5 MB', () => {
    const load = lietisSimulator.generate({ municipality: '0002000', period: '2026-10', records: 40_000, seed: 1 });
    assert.ok(load.batches.length >= 2);
    assert.ok(load.batches.every((b) => b.length <= MAX_DOCUMENT_BYTES));
    assert.ok(Math.max(...load.recordCounts) - Math.min(...load.recordCounts) <= 1);
    assert.equal(load.truth.length, 800);
  });

  it('renders a document from record specs, writing characters outside windows-1257 as references', () => {
    const body = renderLietisDocument({ municipality: '0002000', month: '10.2026', created: '02.11.2026 09:10' }, [
      { type: 'Status', attrs: { no: 'S-1', kind: '1' }, members: [{ code: '16117519997', name: 'Жанна', surname: 'Šuškovs', first: 'true' }] },
    ]);
    const { header, records } = parse(body);
    assert.equal(header.count, 1);
    assert.deepEqual(records[0].data.Member, [{ code: '16117519997', name: 'Жанна', surname: 'Šuškovs', first: 'true' }]);
  });
});
