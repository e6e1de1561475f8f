import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { personCodeProblem, type GenerateOptions } from '../../engine/index.ts';
import { gvsFormat } from '../../connectors/gvs/index.ts';
import { gvsSimulator } from '../../connectors/gvs/sandbox.ts';
import { MAX_DOCUMENT_BYTES, renderGvsDocument } from '../../connectors/gvs/simulator.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/gvs-batch.ndjson', import.meta.url));
const HEADER = { municipality: '0052000', period: '2026-10', created: '2026-11-02T08:00:00+02:00' };
const parse = (text: string | Buffer) => gvsFormat.parse(Buffer.isBuffer(text) ? text : Buffer.from(text), 'application/x-ndjson');
const LINES = EXAMPLE.toString().split('\n').filter((l) => l.trim() !== '');
const RECORD_LINES = LINES.slice(1);
const withHeader = (patch: Record<string, unknown>, records = RECORD_LINES) =>
  [JSON.stringify({ recordType: 'header', ...HEADER, count: records.length, ...patch }), ...records].join('\n');
/** The batch-level error a parse throws, for assertions on code, status and field. */
function fault(text: string | Buffer): { code: string; httpStatus: number; message: string; details: { field?: string } } {
  try {
    parse(text);
  } catch (e) {
    return e as never;
  }
  throw new Error('parse accepted the batch');
}

describe('gvs/batch', () => {
  it('reads the partner example: its header and 3 records, none rejected', () => {
    const { header, records } = parse(EXAMPLE);
    assert.deepEqual(header, { ...HEADER, count: 3 });
    assert.deepEqual(records.map((r) => r.type), ['status', 'benefit', 'assistant']);
    assert.ok(records.every((r) => r.errors === undefined));
    assert.equal(records[1].data.amountCents, 7550);
    assert.deepEqual(gvsFormat.contentTypes, ['application/x-ndjson']);
  });

  it('rejects the whole batch with 422 HUB_ERR_BATCH_COUNT_MISMATCH when header.count differs from the record lines', () => {
    const e = fault(withHeader({ count: 4 }));
    assert.equal(e.code, 'HUB_ERR_BATCH_COUNT_MISMATCH');
    assert.equal(e.httpStatus, 422);
    assert.equal(e.details.field, 'header.count');
    assert.match(e.message, /says 4 records but the batch holds 3 record lines/);
    assert.equal(fault(withHeader({ count: 2 })).code, 'HUB_ERR_BATCH_COUNT_MISMATCH');
  });

  it('ignores blank lines, whitespace-only lines and CRLF line ends, before the header too', () => {
    const text = `\n  \r\n${LINES[0]}\r\n\r\n${RECORD_LINES[0]}\r\n\t\n${RECORD_LINES[1]}\n\n\n${RECORD_LINES[2]}`;
    const { header, records } = parse(text);
    assert.equal(header.count, 3);
    assert.deepEqual(records.map((r) => [r.type, r.errors]), [['status', undefined], ['benefit', undefined], ['assistant', undefined]]);
  });

  it('turns a line that is not JSON into a rejected record at its place among the record lines, naming the line', () => {
    const broken = RECORD_LINES[1].slice(0, 60);
    const text = [LINES[0], '', RECORD_LINES[0], '', '', broken, RECORD_LINES[2]].join('\n');
    const { records } = parse(text);
    assert.equal(records.length, 3);
    assert.deepEqual(records.map((r) => r.errors?.map((e) => `${e.code}:${e.field}`)), [undefined, ['FORMAT:line'], undefined]);
    assert.match(records[1].errors![0].message, /^line 6 \(record index 1\) is not valid JSON: /);
    assert.ok(!records[1].errors![0].message.includes('02092710885'), 'no full personal code in a stored message');
  });

  const lineFaults: [string, string, string][] = [
    ['that is a JSON array', '["benefit", 1]', 'FORMAT:line'],
    ['that is a JSON string', '"status"', 'FORMAT:line'],
    ['that is null', 'null', 'FORMAT:line'],
    ['with a trailing comma', RECORD_LINES[1].replace(/}$/, ',}'), 'FORMAT:line'],
    ['nested 40 levels deep', `{"recordType":"benefit","x":${'['.repeat(40)}${']'.repeat(40)}}`, 'FORMAT:line'],
    ['with an unknown recordType', RECORD_LINES[1].replace('"benefit"', '"payment"'), 'CLASSIFIER:recordType'],
    ['that is a second header', JSON.stringify({ recordType: 'header', ...HEADER, count: 1 }), 'CLASSIFIER:recordType'],
    ['without recordType', RECORD_LINES[1].replace('"recordType":"benefit",', ''), 'REQUIRED:recordType'],
    ['whose members are not a list', RECORD_LINES[0].replace(/"members":\[(.*?)\]/, '"members":$1'), 'FORMAT:members'],
    ['with a member that is not an object', RECORD_LINES[0].replace(/"members":\[/, '"members":[null,'), 'FORMAT:members'],
  ];
  for (const [what, line, want] of lineFaults) {
    it(`rejects a record line ${what} as ${want}, not the batch`, () => {
      const { records } = parse(withHeader({}, [RECORD_LINES[0], line]));
      assert.equal(records[0].errors, undefined);
      assert.deepEqual(records[1].errors?.map((e) => `${e.code}:${e.field}`), [want]);
      assert.match(records[1].errors![0].message, /line 3 \(record index 1\)/);
    });
  }

  it('survives a line nested two million levels deep as one rejected record', () => {
    const deep = `${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}`;
    assert.deepEqual(parse(withHeader({}, [deep])).records[0].errors?.map((e) => e.code), ['FORMAT']);
  });

  const headerFaults: [string, string, number, string, string | undefined][] = [
    ['an empty batch', '\n \n', 422, 'HUB_ERR_BATCH_HEADER', 'header'],
    ['a first line that is not JSON', `{"recordType":"header"\n${RECORD_LINES.join('\n')}`, 422, 'HUB_ERR_BATCH_HEADER', 'header'],
    ['a record before the header', RECORD_LINES.join('\n'), 422, 'HUB_ERR_BATCH_HEADER', 'header.recordType'],
    ['no municipality', withHeader({ municipality: undefined }), 422, 'HUB_ERR_BATCH_HEADER', 'header.municipality'],
    ['a numeric municipality', withHeader({ municipality: 52000 }), 422, 'HUB_ERR_BATCH_HEADER', 'header.municipality'],
    ['a period that is not a month', withHeader({ period: '2026-13' }), 422, 'HUB_ERR_BATCH_HEADER', 'header.period'],
    ['no created', withHeader({ created: '' }), 422, 'HUB_ERR_BATCH_HEADER', 'header.created'],
    ['no count', withHeader({ count: undefined }), 422, 'HUB_ERR_BATCH_HEADER', 'header.count'],
    ['a count as a string', withHeader({ count: '3' }), 422, 'HUB_ERR_BATCH_HEADER', 'header.count'],
    ['a negative count', withHeader({ count: -1 }), 422, 'HUB_ERR_BATCH_HEADER', 'header.count'],
  ];
  for (const [what, text, status, code, field] of headerFaults) {
    it(`rejects the whole batch with ${status} ${code} for ${what}, naming ${field}`, () => {
      const e = fault(text);
      assert.deepEqual([e.httpStatus, e.code, e.details.field], [status, code, field]);
    });
  }

  it('inspects a batch for the PUT as parse would, without parsing its record lines', () => {
    const broken = withHeader({}, [RECORD_LINES[0], '{"recordType":', RECORD_LINES[2]]);
    for (const text of [EXAMPLE.toString(), broken]) {
      const { header, records } = parse(text);
      assert.deepEqual(gvsFormat.inspect!(Buffer.from(text), 'application/x-ndjson'), { header, recordCount: records.length });
    }
    assert.throws(() => gvsFormat.inspect!(Buffer.from(withHeader({ count: 4 })), 'application/x-ndjson'), { code: 'HUB_ERR_BATCH_COUNT_MISMATCH' });
  });

  it('refuses a body that is not UTF-8 with 400 and drops a UTF-8 byte-order mark', () => {
    const latin1 = Buffer.from(EXAMPLE.toString().replace('Kalniņa', 'Kalnina\u00e4'), 'latin1');
    assert.deepEqual([fault(latin1).httpStatus, fault(latin1).code], [400, 'HUB_ERR_BATCH_ENCODING']);
    assert.equal(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), EXAMPLE])).records.length, 3);
  });
});

describe('gvs/simulator', () => {
  const BASE: GenerateOptions = { municipality: '0052000', period: '2026-10', records: 3000, batches: 3 };
  const linesOf = (b: Buffer) => b.toString('utf8').split('\n');

  it('gives byte-identical loads for the same seed and different ones for another seed', () => {
    const a = gvsSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const b = gvsSimulator.generate({ ...BASE, seed: 42, everyCode: true });
    const c = gvsSimulator.generate({ ...BASE, seed: 43, everyCode: true });
    a.batches.forEach((buf, i) => assert.ok(buf.equals(b.batches[i]), `batch ${i + 1} differs`));
    assert.deepEqual(a.truth, b.truth);
    assert.ok(a.batches.some((buf, i) => !buf.equals(c.batches[i])));
  });

  it('writes documents gvs/batch reads, with blank lines that are not records and a header count of the record lines', () => {
    const load = gvsSimulator.generate({ ...BASE, seed: 5, everyCode: true });
    assert.equal(load.contentType, 'application/x-ndjson');
    assert.equal(load.recordCounts.reduce((x, y) => x + y, 0), BASE.records);
    load.batches.forEach((buf, i) => {
      const lines = linesOf(buf);
      assert.ok(lines.filter((l) => l.trim() === '').length >= 3, 'blank lines in the document');
      assert.ok(lines.slice(2, -2).some((l) => l.trim() === ''), 'a blank line between records');
      const { header, records } = parse(buf);
      assert.deepEqual(header, { ...HEADER, count: load.recordCounts[i] });
      assert.equal(records.length, load.recordCounts[i]);
    });
  });

  it('plants every code with everyCode, FORMAT lines among them, each where gvs/batch finds its record line', () => {
    const load = gvsSimulator.generate({ ...BASE, seed: 9, everyCode: true });
    const codes = new Set(load.truth.map((t) => t.code));
    for (const c of ['PERSON_CODE', 'DATE', 'PERIOD', 'AMOUNT', 'HOURS', 'REQUIRED', 'CLASSIFIER', 'DUPLICATE', 'FORMAT']) assert.ok(codes.has(c as never), c);
    const parsed = load.batches.map((b) => parse(b).records);
    const lineFaults = parsed.flatMap((records, b) => records.flatMap((r, index) => (r.errors ? [`${b + 1}/${index} ${r.errors[0].code}:${r.errors[0].field}`] : [])));
    const planted = load.truth.map((t) => `${t.batch}/${t.index} ${t.code}:${t.field}`);
    assert.ok(lineFaults.length >= 5);
    for (const f of lineFaults) assert.ok(planted.includes(f), `${f} was not planted`);
    assert.equal(new Set(load.truth.map((t) => t.batch)).size, 3, 'planted errors spread over the batches');
  });

  it('writes only valid personal codes, without hyphens, when errorRate is 0', () => {
    const load = gvsSimulator.generate({ ...BASE, seed: 3, errorRate: 0 });
    assert.deepEqual(load.truth, []);
    const codes = load.batches.flatMap((b) => [...b.toString('utf8').matchAll(/"(?:personCode|assistantPersonCode)":"([^"]*)"/g)].map((m) => m[1]));
    assert.ok(codes.length > BASE.records);
    for (const c of codes) assert.equal(personCodeProblem(c), null, c);
    assert.ok(codes.every((c) => /^\d{11}$/.test(c)));
  });

  it('plants about errorRate of the records and keeps default documents within 3.5 MB', () => {
    const load = gvsSimulator.generate({ municipality: '0052000', period: '2026-10', records: 40_000, seed: 1 });
    assert.ok(load.batches.length >= 2);
    assert.ok(load.batches.every((b) => b.length <= MAX_DOCUMENT_BYTES));
    assert.ok(Math.max(...load.recordCounts) - Math.min(...load.recordCounts) <= 1);
    assert.equal(load.truth.length, 800);
  });

  it('renders a single document from records and raw lines', () => {
    const text = renderGvsDocument(HEADER, [{ recordType: 'benefit', decisionId: 'B-1', amountCents: 100 }, '{"recordType":']);
    const { header, records } = parse(text);
    assert.equal(header.count, 2);
    assert.deepEqual(records.map((r) => r.errors?.[0].code), [undefined, 'FORMAT']);
  });
});
