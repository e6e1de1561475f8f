/**
 * Issue 15, first finding: bytes that are not valid in the document's encoding are a
 * well-formedness error (XML 1.0 §4.3.3). A batch carrying them is refused at the PUT with
 * HUB_ERR_BATCH_ENCODING naming the line and the byte, and nothing of it is stored; before, a
 * SOPA batch with windows-1257 bytes under a UTF-8 declaration was accepted and its names stored
 * with replacement characters.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';

const SOPA = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
const LIETIS = readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url));
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
const DAUGAVPILS = { source: 'lietis', municipality: '0002000', period: '2026-10' };

/** The example with the bytes of the first <Vards> (line 16) replaced by `bytes`. */
function sopaWith(bytes: Buffer): { body: Buffer; line: number; column: number } {
  const at = SOPA.indexOf('<Vards>Anna</Vards>') + '<Vards>'.length;
  const body = Buffer.concat([SOPA.subarray(0, at), bytes, SOPA.subarray(at + 'Anna'.length)]);
  const line = SOPA.subarray(0, at).toString('latin1').split('\n').length;
  return { body, line, column: at - SOPA.lastIndexOf(0x0a, at) };
}

describe('bytes that lie about their encoding are refused at the PUT, whole (HUB_ERR_BATCH_ENCODING)', function () {
  let t: TestHub;
  before(async () => { t = await startTestHub(); });
  after(async () => { await t?.stop(); });

  async function put(load: typeof RIGA, body: Buffer, contentType = 'application/xml') {
    const key = load.source === 'sopa' ? KEYS['sopa-riga'] : KEYS['lietis-daugavpils'];
    const created = await call(t.url, 'POST', '/api/v1/loads', { key, json: load });
    const res = await call(t.url, 'PUT', `/api/v1/loads/${created.body.id}/batches/1`, { key, body, contentType });
    const stored = Number((await t.hub.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE load_id = $1', [created.body.id])).rows[0].n);
    return { res, stored };
  }

  const cases: [string, Buffer][] = [
    ['the windows-1257 bytes of "Ļubova"', iconv.encode('Ļubova', 'windows-1257')],
    ['C3 28 (a lead byte without its continuation)', Buffer.from([0xc3, 0x28])],
    ['FF (never in UTF-8)', Buffer.from([0xff])],
    ['C0 AF (an overlong "/")', Buffer.from([0xc0, 0xaf])],
    ['ED A0 80 (a CESU-8 surrogate)', Buffer.from([0xed, 0xa0, 0x80])],
    ['half UTF-8, half Latin-1 ("Jānis" then "Müller" in Latin-1)', Buffer.concat([Buffer.from('Jānis '), iconv.encode('Müller', 'latin1')])],
  ];
  for (const [what, bytes] of cases) {
    it(`refuses a SOPA batch declared UTF-8 holding ${what}, naming line and byte, and stores nothing`, async () => {
      const { body, line } = sopaWith(bytes);
      const { res, stored } = await put(RIGA, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'HUB_ERR_BATCH_ENCODING');
      assert.match(res.body.error.message, new RegExp(`^line ${line}, byte \\d+ \\(offset \\d+\\): the bytes [0-9A-F ]+ are not UTF-8, the encoding the document declares`));
      assert.equal(stored, 0);
    });
  }

  it('names the exact byte: the first one that cannot start a UTF-8 sequence', async () => {
    const { body, line, column } = sopaWith(Buffer.from([0x41, 0xff, 0x42]));
    const { res } = await put(RIGA, body);
    assert.match(res.body.error.message, new RegExp(`^line ${line}, byte ${column + 1} \\(offset ${body.indexOf(0xff)}\\): the bytes FF 42`));
  });

  it('refuses a SOPA document that declares another encoding (415): SOPA exports are UTF-8', async () => {
    const body = Buffer.from(SOPA.toString('utf8').replace('encoding="UTF-8"', 'encoding="windows-1257"'), 'latin1');
    const { res, stored } = await put(RIGA, body);
    assert.deepEqual([res.status, res.body.error.code, stored], [415, 'HUB_ERR_BATCH_ENCODING', 0]);
  });

  it('refuses a LIETIS document declared windows-1257 holding a byte windows-1257 leaves undefined', async () => {
    const at = LIETIS.indexOf('surname="') + 'surname="'.length;
    const body = Buffer.from(LIETIS);
    body[at] = 0x98;
    const { res, stored } = await put(DAUGAVPILS, body, 'application/xml; charset=windows-1257');
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /^line 4, byte \d+ \(offset \d+\): the bytes 98 .* are not windows-1257/);
    assert.equal(stored, 0);
  });

  it('refuses a LIETIS document declared UTF-8 whose bytes are windows-1257, with the line', async () => {
    const body = Buffer.from(LIETIS.toString('latin1').replace('encoding="windows-1257"', 'encoding="UTF-8"'), 'latin1');
    const { res, stored } = await put(DAUGAVPILS, body);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /^line 4, byte \d+ \(offset \d+\): the bytes .* are not UTF-8/);
    assert.equal(stored, 0);
  });

  it('refuses a SOAP message to the hub that is not UTF-8 with INVALID_REQUEST naming the line, before reading it', async () => {
    const body = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n<soap:Body>'),
      Buffer.from([0xc0, 0xaf]), Buffer.from('</soap:Body></soap:Envelope>')]);
    const res = await fetch(`${t.url}/soap/vdeavk`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body });
    const text = await res.text();
    assert.equal(res.status, 500, text);
    assert.match(text, /<ErrorCode[^>]*>INVALID_REQUEST<\/ErrorCode>/);
    assert.match(text, /line 3, byte 12: the message is not valid UTF-8/);
  });

  it('still takes the valid examples, Latvian letters and all', async () => {
    assert.equal((await put(RIGA, SOPA)).res.status, 202);
    assert.equal((await put(DAUGAVPILS, LIETIS, 'application/xml; charset=windows-1257')).res.status, 202);
  });
});
