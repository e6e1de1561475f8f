/**
 * Complaints, applications and proposals (docs/partners/portal-complaints.md), end to end: a
 * person submits through the portal simulator, the hub registers it, and the institution's inbox
 * at the e-address simulator has it exactly once with the files byte for byte; a repeat of the
 * jti is the same submission; bad input is a 400 naming the field with nothing stored; the
 * Ministry counts them; each operation admits only its callers; the logs hold no one's code or text.
 */
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { ESERVICE_KEYS, KEYS, type TestHub } from '../helpers/hub.ts';
import { BACKENDS, openTestStore, type TestStore } from '../helpers/store.ts';
import type { PortalSimulator } from '../../connectors/portal/sandbox.ts';
import type { EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { EADDRESS_LIMITS } from '../../connectors/eaddress/index.ts';
import { makePersonCode } from '../../engine/validation/person-code.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import {
  institutions, submissionTopics, nextSubmissionNumber, insertSubmission, submissionCounts, listSubmissions, registrationNumber,
  type NewSubmission,
} from '../../store/complaints.ts';
import { complaintMessage, rigaTime } from '../../eservices/complaints/message.ts';
import { COMPLAINT_LIMITS } from '../../eservices/complaints/limits.ts';
import { startEServiceBed, type EServiceBed } from '../helpers/eservices.ts';

const PATH = '/api/v1/complaints';
const MINE = '/api/v1/persons/me/complaints';
const ANNA = makePersonCode({ year: 1975, month: 11, day: 16 }, 123);
const BERTS = '32111222333';
const VSAA = institutions().get('VSAA')!;
const RIGA = institutions().get('0001000')!;

// ---- files as their programs write them, small ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (b: Buffer): number => { let c = 0xffffffff; for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };

/** A ZIP archive of `entries` (stored, or deflated when `deflate`), with its central directory. */
function zip(entries: [string, string, boolean?][]): Buffer {
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content, deflate] of entries) {
    const raw = Buffer.from(content), data = deflate ? deflateRawSync(raw) : raw, n = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(deflate ? 8 : 0, 8);
    head.writeUInt32LE(crc32(raw), 14); head.writeUInt32LE(data.length, 18); head.writeUInt32LE(raw.length, 22); head.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(raw), 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(raw.length, 24); central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(head, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(centrals), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const FILES = {
  pdf: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(17, 1)]),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), Buffer.alloc(40, 7), Buffer.from([0xff, 0xd9])]),
  docx: zip([['[Content_Types].xml', '<Types/>', true], ['word/document.xml', '<w:document>Iesniegums</w:document>', true]]),
  odt: zip([['mimetype', 'application/vnd.oasis.opendocument.text'], ['content.xml', '<office:document-content/>', true]]),
  txt: Buffer.from('Pielikums: paskaidrojums par ienākumiem.\nAr cieņu,\nAnna\n'),
  // A Windows program: what must never reach a clerk as "izziņa.pdf".
  exe: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(56), Buffer.from('This program cannot be run in DOS mode.')]),
};
const file = (name: string, contentType: string, bytes: Buffer) => ({ name, contentType, data: bytes.toString('base64') });

const TEXT = 'Pašvaldība trīs mēnešus nav atbildējusi uz manu iesniegumu par garantētā minimālā ienākuma pabalstu. Lūdzu izvērtēt.';

const valid = (over: Record<string, unknown> = {}) => ({
  kind: 'COMPLAINT', topic: 'GMI', institution: 'VSAA', text: TEXT,
  contact: { email: 'anna.berzina@example.lv', phone: '+371 20000000' },
  attachments: [file('iesniegums.pdf', 'application/pdf', FILES.pdf), file('foto.png', 'image/png', FILES.png)],
  ...over,
});

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e-service: complaints, applications and proposals', function () {
  this.timeout(120_000);
  let t: TestHub;
  let portal: PortalSimulator;
  let sim: EAddressSimulator;

  let bed: EServiceBed | undefined;

  before(async () => {
    bed = await startEServiceBed();
    ({ hub: t, portal, eaddress: sim } = bed);
  });
  after(async () => { await bed?.stop(); });

  const submit = <T = any>(personCode: string, body: unknown, jti?: string) =>
    portal.call<T>(t.url, ESERVICE_KEYS.portal, { personCode }, 'POST', PATH, body, jti ? { jti } : undefined);
  const mine = <T = any>(personCode: string, path = MINE) => portal.call<T>(t.url, ESERVICE_KEYS.portal, { personCode }, 'GET', path);
  const counts = async () => {
    const q = (sql: string) => t.hub.store.db.query<{ n: number }>(sql).then((r) => Number(r.rows[0].n));
    return {
      submissions: await q('SELECT count(*)::int AS n FROM complaint_submission'),
      deliveries: await q("SELECT count(*)::int AS n FROM deliveries WHERE route_id = 'portal-complaints'"),
      sequence: await q('SELECT coalesce(sum(last_number), 0)::int AS n FROM complaint_number'),
    };
  };
  const delivered = (n: string) => until(`${n} delivered`, async () => {
    const r = await mine(ANNA);
    return r.body.complaints?.find((c: { registrationNumber: string; delivery: { status: string } }) => c.registrationNumber === n && c.delivery.status === 'delivered');
  });

  it('registers a complaint, and the institution\'s e-address receives it once with the files byte for byte', async () => {
    const body = valid();
    const r = await submit(ANNA, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { registrationNumber: n, receivedAt } = r.body;
    assert.match(n, new RegExp(`^SP-${rigaTime(new Date()).year}-\\d{6}$`));
    assert.ok(Math.abs(Date.parse(receivedAt) - Date.now()) < 60_000);

    const got = await until('the message at the e-address', () => sim.byRecipient(VSAA.regNo).find((m) => m.subject.includes(n)));
    assert.equal(got.kind, 'complaint');
    assert.deepEqual(got.recipient, { regNo: VSAA.regNo });
    assert.equal(got.subject, `Sūdzība ${n}: Garantētā minimālā ienākuma pabalsts`);
    for (const line of [`Reģistrācijas numurs: ${n}`, 'Veids: Sūdzība (COMPLAINT)', `Iestāde: ${VSAA.name}`,
      `Iesniedzējs: personas kods ${ANNA.slice(0, 6)}-${ANNA.slice(6)}`, 'E-pasts: anna.berzina@example.lv', 'Tālrunis: +371 20000000', 'Pielikumi: 2']) {
      assert.ok(got.text.split('\n').includes(line), `the cover has "${line}":\n${got.text}`);
    }
    assert.ok(got.text.endsWith(`\n\n${TEXT}`), 'the person\'s text follows the cover unchanged');
    assert.deepEqual(got.attachments!.map((a) => [a.name, a.contentType]), [['iesniegums.pdf', 'application/pdf'], ['foto.png', 'image/png']]);
    assert.ok(Buffer.from(got.attachments![0].data, 'base64').equals(FILES.pdf));
    assert.ok(Buffer.from(got.attachments![1].data, 'base64').equals(FILES.png));

    const seen = await delivered(n);
    assert.deepEqual({ ...seen, delivery: { status: seen.delivery.status } }, {
      registrationNumber: n, kind: 'COMPLAINT', topic: 'GMI', institution: { id: 'VSAA', name: VSAA.name }, receivedAt,
      attachments: [{ name: 'iesniegums.pdf', contentType: 'application/pdf', bytes: FILES.pdf.length }, { name: 'foto.png', contentType: 'image/png', bytes: FILES.png.length }],
      delivery: { status: 'delivered' },
    });
    assert.equal(sim.inbox().filter((m) => m.subject.includes(n)).length, 1);
  });

  it('takes the same jti again as the same submission: 200, the same number, one message; other content under it is 409', async () => {
    const jti = 'portal-req-0000000001';
    const body = valid({ kind: 'PROPOSAL', topic: 'QUEUE', institution: 'VSAC', attachments: [] });
    const first = await submit(BERTS, body, jti);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const before = await counts();
    const again = await submit(BERTS, body, jti);
    assert.deepEqual([again.status, again.body], [200, first.body]);
    // Sent concurrently as well: still one.
    const many = await Promise.all([1, 2, 3].map(() => submit(BERTS, body, jti)));
    assert.deepEqual(many.map((x) => [x.status, x.body.registrationNumber]), [1, 2, 3].map(() => [200, first.body.registrationNumber]));
    const other = await submit(BERTS, { ...body, text: 'Cits teksts' }, jti);
    assert.deepEqual([other.status, other.body.error.code, other.body.error.field], [409, 'HUB_ERR_COMPLAINT_CONFLICT', 'jti']);
    assert.deepEqual(await counts(), before, 'nothing stored, queued or numbered by the repeats');
    const n = first.body.registrationNumber as string;
    await until('the proposal at VSAC', () => sim.byRecipient(institutions().get('VSAC')!.regNo).find((m) => m.subject.includes(n)));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.inbox().filter((m) => m.subject.includes(n)).length, 1);
    assert.equal(sim.stats.duplicates, 0);
  });

  it('numbers a year\'s submissions one after another, and sends one about a municipality to its social service', async () => {
    const a = await submit(ANNA, valid({ kind: 'APPLICATION', topic: 'HOUSING_BENEFIT', institution: '0001000', attachments: undefined, contact: undefined }));
    const b = await submit(ANNA, valid({ kind: 'COMPLAINT', topic: 'SOCIAL_SERVICE', institution: '0001000', attachments: undefined }));
    assert.deepEqual([a.status, b.status], [201, 201]);
    const num = (s: string) => Number(s.split('-')[2]);
    assert.equal(num(b.body.registrationNumber), num(a.body.registrationNumber) + 1);
    const m = await until('the application at Rīga', () => sim.byRecipient(RIGA.regNo).find((x) => x.subject.includes(a.body.registrationNumber)));
    assert.equal(m.subject, `Iesniegums ${a.body.registrationNumber}: Mājokļa pabalsts`);
    assert.equal(m.attachments, undefined);
    assert.ok(!m.text.includes('E-pasts'), 'no contact lines when none was given');
    // Concurrent submissions wait for each other's number: distinct and consecutive.
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => submit(BERTS, valid({ institution: 'VDEAVK', topic: 'DISABILITY', attachments: [] }))));
    assert.deepEqual(five.map((x) => x.status), [201, 201, 201, 201, 201]);
    assert.deepEqual(five.map((x) => num(x.body.registrationNumber)).sort((p, q) => p - q), [1, 2, 3, 4, 5].map((k) => num(b.body.registrationNumber) + k));
    const row = await t.hub.store.db.query<{ municipality: string }>(`SELECT municipality FROM deliveries WHERE payload->>'cause' = $1`, [`complaint:${a.body.registrationNumber}`]);
    assert.deepEqual(row.rows, [{ municipality: '0001000' }]);
  });

  it('shows a submission to an institution without an e-address as failed, and still registered', async () => {
    const liepaja = institutions().get('0005000')!;
    sim.setEAddress(liepaja.regNo, false);
    const r = await submit(ANNA, valid({ institution: '0005000', topic: 'ASSISTANT', attachments: [] }));
    assert.equal(r.status, 201);
    const seen = await until('the failed delivery', async () => (await mine(ANNA)).body.complaints.find((c: { registrationNumber: string; delivery: { status: string } }) =>
      c.registrationNumber === r.body.registrationNumber && c.delivery.status !== 'pending'));
    assert.deepEqual(seen.delivery, { status: 'failed' });
    assert.equal(sim.byRecipient(liepaja.regNo).length, 0);
  });

  it('takes Word, OpenDocument, JPEG and text files, and delivers their bytes unchanged', async () => {
    const attachments = [
      file('izziņa.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', FILES.docx),
      file('Iesniegums.ODT', 'application/vnd.oasis.opendocument.text', FILES.odt),
      file('skats.jpg', 'IMAGE/JPEG', FILES.jpeg),
      file('piezīmes.txt', 'text/plain; charset=utf-8', FILES.txt),
    ];
    const r = await submit(ANNA, valid({ institution: 'NVA', topic: 'EMPLOYMENT', attachments }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const m = await until('the message at NVA', () => sim.byRecipient(institutions().get('NVA')!.regNo).find((x) => x.subject.includes(r.body.registrationNumber)));
    assert.deepEqual(m.attachments!.map((a) => a.contentType), [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.oasis.opendocument.text', 'image/jpeg', 'text/plain']);
    for (const [i, bytes] of [FILES.docx, FILES.odt, FILES.jpeg, FILES.txt].entries()) assert.ok(Buffer.from(m.attachments![i].data, 'base64').equals(bytes), `attachment ${i}`);
  });

  describe('bad input: 400 naming the field, nothing stored', () => {
    const big = (bytes: number) => Buffer.concat([FILES.pdf, Buffer.alloc(bytes - FILES.pdf.length, 0x20)]);
    const cases: [string, Record<string, unknown>, string, string?][] = [
      ['an unknown kind', { kind: 'SUGGESTION' }, 'kind'],
      ['an unknown topic', { topic: 'WEATHER' }, 'topic'],
      ['an unknown institution', { institution: 'VID' }, 'institution'],
      ['an ATVK that is no municipality', { institution: '0010000' }, 'institution'],
      ['no text', { text: '   ' }, 'text'],
      ['a text over the limit', { text: 'ā'.repeat(COMPLAINT_LIMITS.textChars + 1) }, 'text'],
      ['a person code in the body', { personCode: BERTS }, 'personCode'],
      ['an unknown field', { priority: 'high' }, 'priority'],
      ['a malformed e-mail', { contact: { email: 'anna at example' } }, 'contact.email'],
      ['an empty contact', { contact: {} }, 'contact'],
      ['six files', { attachments: Array.from({ length: 6 }, (_, i) => file(`${i}.pdf`, 'application/pdf', FILES.pdf)) }, 'attachments', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['over 10 MB of files together', { attachments: [file('a.pdf', 'application/pdf', big(6 * 1024 * 1024)), file('b.pdf', 'application/pdf', big(4 * 1024 * 1024 + 1024))] }, 'attachments', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['base64 with characters outside the alphabet', { attachments: [{ name: 'a.pdf', contentType: 'application/pdf', data: 'JVBERi0x%%%' }] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['base64 with line breaks', { attachments: [{ name: 'a.pdf', contentType: 'application/pdf', data: `${FILES.pdf.toString('base64').slice(0, 20)}\n${FILES.pdf.toString('base64').slice(20)}` }] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['base64 without its padding', { attachments: [{ name: 'a.txt', contentType: 'text/plain', data: Buffer.from('ab').toString('base64').replace(/=+$/, '') }] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a program named .pdf', { attachments: [file('izzina.pdf', 'application/pdf', FILES.exe)] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a program named .docx', { attachments: [file('a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', FILES.exe)] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a program as text', { attachments: [file('a.txt', 'text/plain', FILES.exe)] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a ZIP that is no Word document', { attachments: [file('a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', FILES.odt)] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a content type not taken', { attachments: [file('a.exe', 'application/x-msdownload', FILES.exe)] }, 'attachments[0].contentType', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a PDF named .exe', { attachments: [file('a.exe', 'application/pdf', FILES.pdf)] }, 'attachments[0].name', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a name with a folder', { attachments: [file('../a.pdf', 'application/pdf', FILES.pdf)] }, 'attachments[0].name', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['an empty file', { attachments: [file('a.txt', 'text/plain', Buffer.alloc(0))] }, 'attachments[0].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
      ['a second file broken', { attachments: [file('a.pdf', 'application/pdf', FILES.pdf), file('b.png', 'image/png', FILES.jpeg)] }, 'attachments[1].data', 'HUB_ERR_COMPLAINT_ATTACHMENT'],
    ];
    for (const [what, over, field, code] of cases) {
      it(`${what} → ${field}`, async () => {
        // An earlier test's message may still be on its way to the e-address: let it land first,
        // or it would count against this refusal.
        await until('earlier submissions delivered', async () => Number((await t.hub.store.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM deliveries WHERE route_id = 'portal-complaints' AND status = 'pending'")).rows[0].n) === 0 || undefined);
        const before = await counts();
        const inbox = sim.inbox().length;
        const r = await submit(ANNA, valid(over));
        assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
        assert.deepEqual([r.body.error.code, r.body.error.field], [code ?? 'HUB_ERR_COMPLAINT_INVALID', field], r.body.error.message);
        assert.ok(r.body.error.message.length < 400 && !r.body.error.message.includes(BERTS));
        assert.deepEqual(await counts(), before);
        assert.equal(sim.inbox().length, inbox);
      });
    }

    it('a body that is not JSON → 400 (body); one over the limit → 413 before it is read', async () => {
      const send = async (text: string) => {
        const assertion = await portal.assertion({ personCode: ANNA }, 'POST', PATH, text);
        const res = await fetch(t.url + PATH, { method: 'POST', headers: { authorization: `Bearer ${ESERVICE_KEYS.portal}`, 'portal-assertion': assertion, 'content-type': 'application/json' }, body: text });
        return { status: res.status, body: await res.json() as { error: { code: string; field?: string } } };
      };
      const before = await counts();
      const r = await send('{"kind": "COMPLAINT",');
      assert.deepEqual([r.status, r.body.error.code, r.body.error.field], [400, 'HUB_ERR_COMPLAINT_INVALID', '(body)']);
      const huge = JSON.stringify(valid({ attachments: [file('a.pdf', 'application/pdf', big(COMPLAINT_LIMITS.bodyBytes))] }));
      const o = await send(huge);
      assert.deepEqual([o.status, o.body.error.code], [413, 'HUB_ERR_BODY_TOO_LARGE']);
      assert.deepEqual(await counts(), before);
    });
  });

  it('shows a person their own submissions only, each read an audit row', async () => {
    const own = await submit(BERTS, valid({ institution: 'LM', topic: 'OTHER', kind: 'PROPOSAL', attachments: [] }));
    const list = await mine(BERTS);
    assert.equal(list.status, 200);
    const numbers = list.body.complaints.map((c: { registrationNumber: string }) => c.registrationNumber);
    assert.equal(numbers[0], own.body.registrationNumber, 'newest first');
    assert.ok(!(await mine(ANNA)).body.complaints.some((c: { registrationNumber: string }) => numbers.includes(c.registrationNumber)));
    assert.ok(!('text' in list.body.complaints[0]), 'the list leaves the texts out');

    const one = await mine(BERTS, `${MINE}/${own.body.registrationNumber}`);
    assert.equal(one.status, 200);
    assert.deepEqual([one.body.text, one.body.contact, one.body.institution.id], [TEXT, { email: 'anna.berzina@example.lv', phone: '+371 20000000' }, 'LM']);
    const theirs = await mine(ANNA, `${MINE}/${own.body.registrationNumber}`);
    assert.deepEqual([theirs.status, theirs.body.error.code], [404, 'HUB_ERR_COMPLAINT_NOT_FOUND']);
    const bad = await mine(ANNA, `${MINE}/123`);
    assert.deepEqual([bad.status, bad.body.error.field], [400, 'registrationNumber']);

    const audit = await t.hub.store.db.query<{ subject: string; purpose: string; outcome: string }>(
      `SELECT subject, purpose, outcome FROM audit_log WHERE service = 'eservice:complaints' AND subject = $1 ORDER BY seq`, [BERTS]);
    const rows = audit.rows.map((a) => `${a.purpose}: ${a.outcome}`);
    assert.ok(rows.includes('submit: registered') && rows.includes('read own submission: found'), rows.join('\n'));
    assert.ok(rows.some((x) => /^list own submissions: \d+ submissions$/.test(x)));
    const annasRead = await t.hub.store.db.query(`SELECT 1 FROM audit_log WHERE service = 'eservice:complaints' AND subject = $1 AND outcome = 'not found'`, [ANNA]);
    assert.equal(annasRead.rowCount, 1, 'a read of someone else\'s number is audited under the asker');
  });

  it('gives the Ministry counts by institution, topic and kind, without anything personal, in JSON and CSV', async () => {
    const period = rigaTime(new Date()).period;
    const all = await t.hub.store.db.query<{ institution: string; kind: string; topic: string }>('SELECT institution, kind, topic FROM complaint_submission');
    const s = await fetch(`${t.url}/api/v1/spolis/statistics?period=${period}`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } });
    assert.equal(s.status, 200);
    const text = await s.text();
    const { submissions } = JSON.parse(text);
    assert.equal(submissions.total, all.rowCount);
    assert.deepEqual(Object.keys(submissions.byTopic), submissionTopics().map((x) => x.code));
    const tally = (f: (r: { institution: string; kind: string; topic: string }) => boolean) => all.rows.filter(f).length;
    assert.equal(submissions.byKind.COMPLAINT, tally((r) => r.kind === 'COMPLAINT'));
    assert.equal(submissions.byTopic.GMI, tally((r) => r.topic === 'GMI'));
    assert.equal(submissions.byInstitution.VSAA.total, tally((r) => r.institution === 'VSAA'));
    assert.equal(submissions.byInstitution.VSAA.name, VSAA.name);
    assert.deepEqual(submissions.byInstitution['0001000'].byKind, { COMPLAINT: 1, APPLICATION: 1, PROPOSAL: 0 });
    for (const secret of [ANNA, BERTS, TEXT.slice(0, 30), 'anna.berzina']) assert.ok(!text.includes(secret), `the statistics hold no "${secret}"`);

    const one = await fetch(`${t.url}/api/v1/spolis/statistics?period=${period}&municipality=0001000`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } }).then((r) => r.json());
    assert.deepEqual([one.submissions.total, Object.keys(one.submissions.byInstitution)], [2, ['0001000']]);
    const earlier = await fetch(`${t.url}/api/v1/spolis/statistics?period=2020-01`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } }).then((r) => r.json());
    assert.deepEqual([earlier.submissions.total, earlier.submissions.byInstitution], [0, {}]);

    const csv = (await fetch(`${t.url}/api/v1/spolis/statistics?period=${period}&format=csv`, { headers: { authorization: `Bearer ${KEYS['lm-analytics']}` } }).then((r) => r.text()))
      .trim().split('\r\n').map((l) => l.split(','));
    const col = (name: string) => csv[0].indexOf(name);
    const row = (atvk: string) => csv.find((r) => r[col('atvk')] === atvk)!;
    assert.equal(row('LV')[col('submissions')], String(all.rowCount));
    assert.equal(row('0001000')[col('submissions')], '2');
    assert.equal(row('0001000')[col('submissions_application')], '1');
    assert.equal(row('0001000')[col('submissions_topic_housing_benefit')], '1');
    assert.equal(row('0002000')[col('submissions')], '0');
  });

  it('admits each operation only for its callers (access matrix)', async () => {
    const own = (await mine(ANNA)).body.complaints[0].registrationNumber as string;
    const period = rigaTime(new Date()).period;
    type Who = 'person' | 'provider' | 'municipality' | 'institution' | 'ministry' | 'no key' | 'portal key, no assertion';
    const WHO: Who[] = ['person', 'provider', 'municipality', 'institution', 'ministry', 'no key', 'portal key, no assertion'];
    const as = async (who: Who, method: string, path: string, body?: unknown): Promise<number> => {
      if (who === 'person' || who === 'provider') {
        return (await portal.call(t.url, ESERVICE_KEYS.portal, who === 'person' ? { personCode: ANNA } : { personCode: ANNA, org: '40003000001' }, method, path, body)).status;
      }
      const key = { municipality: KEYS['sopa-riga'], institution: ESERVICE_KEYS.vsac, ministry: KEYS['lm-analytics'], 'no key': undefined, 'portal key, no assertion': ESERVICE_KEYS.portal }[who];
      const res = await fetch(t.url + path, {
        method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const MATRIX: [string, string, string, unknown, number[]][] = [
      // operation, method, path, body, statuses in WHO's order
      ['submit', 'POST', PATH, valid({ attachments: [] }), [201, 403, 403, 403, 403, 401, 401]],
      ['list own', 'GET', MINE, undefined, [200, 403, 403, 403, 403, 401, 401]],
      ['read own', 'GET', `${MINE}/${own}`, undefined, [200, 403, 403, 403, 403, 401, 401]],
      ['statistics', 'GET', `/api/v1/spolis/statistics?period=${period}`, undefined, [403, 403, 403, 403, 200, 401, 403]],
    ];
    const got = [];
    for (const [op, method, path, body] of MATRIX) got.push([op, ...await Promise.all(WHO.map((w) => as(w, method, path, body)))]);
    assert.deepEqual(got, MATRIX.map(([op, , , , want]) => [op, ...want]));
  });

  it('writes no person code, no text and no contact to the hub\'s logs', async () => {
    const all = t.logs.join('\n');
    assert.ok(all.includes('submission registered'), 'the log does say that submissions were registered');
    for (const secret of [ANNA, `${ANNA.slice(0, 6)}-${ANNA.slice(6)}`, BERTS, TEXT.slice(0, 25), 'anna.berzina', '+371 20000000']) {
      assert.ok(!all.includes(secret), `the log holds "${secret}"`);
    }
  });
});

describe('complaints: classifiers and limits', () => {
  const W = [9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1];
  const passes = (code: string) => [...code].reduce((s, d, i) => s + W[i] * Number(d), 0) % 11 === 3;

  it('lists every municipality\'s social service and the five state institutions; a placeholder code can never be a real one', () => {
    const all = [...institutions().values()];
    assert.deepEqual(all.filter((i) => i.kind === 'state').map((i) => i.id), ['LM', 'VSAA', 'VDEAVK', 'VSAC', 'NVA']);
    for (const m of municipalities().values()) if (m.validTo === null) assert.equal(institutions().get(m.atvk)?.kind, 'municipality', m.atvk);
    for (const i of all) {
      assert.match(i.regNo, /^9\d{10}$/, i.id);
      assert.equal(passes(i.regNo), !i.placeholder, `${i.id}: a real code passes the register's check digit, a placeholder fails it`);
    }
    assert.equal(new Set(all.map((i) => i.regNo)).size, all.length, 'one e-address per institution');
  });

  it('the cover lines and the longest text a person may send fit the e-address\'s text limit', () => {
    const longest = complaintMessage({
      kind: 'PROPOSAL', topic: 'HOUSEHOLD_STATUS', institution: institutions().get('VDEAVK')!, text: 'x'.repeat(COMPLAINT_LIMITS.textChars),
      contact: { email: `${'e'.repeat(COMPLAINT_LIMITS.emailChars - 12)}@example.lv`, phone: `+${'1'.repeat(19)}`, address: 'a'.repeat(COMPLAINT_LIMITS.addressChars) },
      attachments: Array.from({ length: COMPLAINT_LIMITS.attachments }, (_, i) => ({ name: `${i}.pdf`, contentType: 'application/pdf', bytes: 1, sha256: '', data: 'JVBERi0=' })),
    }, { registrationNumber: registrationNumber(2026, 1_000_000), personCode: '32111222333', receivedAt: new Date() });
    assert.ok(longest.text.length <= EADDRESS_LIMITS.textChars, `${longest.text.length} characters`);
    assert.ok(longest.subject.length <= EADDRESS_LIMITS.subjectChars);
    assert.ok(COMPLAINT_LIMITS.attachmentBytes <= EADDRESS_LIMITS.attachmentBytes && COMPLAINT_LIMITS.attachments <= EADDRESS_LIMITS.attachments);
  });
});

for (const backend of BACKENDS) {
  describe(`complaints store on ${backend}`, function () {
    this.timeout(60_000);
    let s: TestStore;
    before(async () => { s = await openTestStore(backend); });
    after(async () => { await s?.close(); });

    const row = (n: number, over: Partial<NewSubmission> = {}): NewSubmission => ({
      registrationNumber: registrationNumber(2026, n), year: 2026, number: n, channel: 'portal', requestId: `jti-${n}`, contentSha256: 'h',
      personCode: '32111222333', kind: 'COMPLAINT', topic: 'GMI', institution: 'VSAA', institutionRegNo: VSAA.regNo, text: 't',
      attachments: [], deliveryId: `d-${n}`, receivedAt: '2026-10-31T22:30:00.000Z', period: '2026-11', ...over,
    });

    it('numbers without gaps: a rolled-back submission gives its number back; a taken jti stores nothing', async () => {
      const db = s.store.db;
      assert.equal(await db.transaction((tx) => nextSubmissionNumber(tx, 2026)), 1);
      await assert.rejects(db.transaction(async (tx) => { await nextSubmissionNumber(tx, 2026); throw new Error('rolled back'); }));
      const n = await db.transaction(async (tx) => {
        const k = await nextSubmissionNumber(tx, 2026);
        assert.equal(await insertSubmission(tx, row(k)), true);
        return k;
      });
      assert.equal(n, 2);
      assert.equal(await db.transaction((tx) => insertSubmission(tx, row(3, { requestId: 'jti-2' }))), false);
      assert.equal(await db.transaction((tx) => nextSubmissionNumber(tx, 2027)), 1, 'each year from 1');
    });

    it('counts a month by kind, topic and institution, and lists a person\'s own', async () => {
      const db = s.store.db;
      await db.transaction(async (tx) => {
        await insertSubmission(tx, row(10, { kind: 'PROPOSAL', topic: 'QUEUE', institution: '0001000', municipality: '0001000', institutionRegNo: RIGA.regNo }));
        await insertSubmission(tx, row(11, { period: '2026-10', personCode: '32999888777' }));
      });
      const nov = await submissionCounts(db, '2026-11');
      assert.deepEqual([nov.total, nov.byKind, nov.byTopic.GMI, nov.byTopic.QUEUE], [2, { COMPLAINT: 1, APPLICATION: 0, PROPOSAL: 1 }, 1, 1]);
      assert.deepEqual(Object.keys(nov.byInstitution), ['0001000', 'VSAA']);
      assert.equal((await submissionCounts(db, '2026-11', '0001000')).total, 1);
      assert.equal((await submissionCounts(db, '2026-10')).total, 1);
      const list = await listSubmissions(db, '32111222333');
      assert.deepEqual(list.map((x) => [x.registrationNumber, x.delivery.status]), [['SP-2026-000010', 'failed'], ['SP-2026-000002', 'failed']]);
    });
  });
}
