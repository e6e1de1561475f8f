/**
 * Roles and keys: partners (their APIs), operators (the console's API), auditors (the audit log),
 * deny by default; key rotation (two valid keys, the old one refused after its expiry, checked per
 * request); operators.yaml's config errors as file:line; the auditors' read API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestHub, TEST_PARTNERS, TEST_OPERATORS, KEYS, STAFF_KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { hashKey, newKey, PartnerAuth } from '../../engine/http/auth.ts';
import { Registry } from '../../engine/components/registry.ts';
import { lintConfig, loadConfig } from '../../engine/config/loader.ts';
import { keyExpiryWarnings } from '../../engine/config/keys.ts';
import { appendAudit } from '../../store/index.ts';
import type { OperatorDef, PartnerDef } from '../../engine/config/types.ts';

const PAST = '2020-01-01T00:00:00Z';
const FUTURE = '2999-01-01T00:00:00Z';
/** Keys replaced long ago: their entries carry an expiry in the past. */
const OLD = { partner: newKey(), operator: newKey() };
/** A key being replaced, still valid for a few seconds after the hub starts. */
const ROTATING = { old: newKey(), new: newKey() };
const SOON_MS = 8_000;

describe('roles and keys', function () {
  let th: TestHub;
  let soon: string;

  before(async () => {
    soon = new Date(Date.now() + SOON_MS).toISOString();
    const partners: PartnerDef[] = TEST_PARTNERS.map((p) => {
      if (p.id === 'sopa-riga') return { ...p, keyHashes: [...p.keyHashes, { hash: hashKey(OLD.partner), expires: PAST }] };
      if (p.id === 'sopa-jelgava') return { ...p, keyHashes: [hashKey(ROTATING.new), { hash: hashKey(ROTATING.old), expires: soon }] };
      return p;
    });
    const operators: OperatorDef[] = TEST_OPERATORS.map((o) => (o.role === 'operator' ? { ...o, keyHashes: [...o.keyHashes, { hash: hashKey(OLD.operator), expires: PAST }] } : o));
    th = await startTestHub({ partners, operators });
  });
  after(async () => { await th?.stop(); });

  describe('the access matrix: key × surface, deny by default', () => {
    const LOAD = { source: 'sopa', municipality: '0001000', period: '2026-10' };
    const surfaces = {
      partnerApi: { method: 'POST', path: '/api/v1/loads', json: LOAD, ok: 201 },
      opsApi: { method: 'GET', path: '/api/v1/ops/whoami', ok: 200 },
      auditVerification: { method: 'GET', path: '/api/v1/audit/verification', ok: 200 },
      auditRows: { method: 'GET', path: '/api/v1/audit?limit=5', ok: 200 },
    } as const;
    type Surface = keyof typeof surfaces;
    const callers: Record<string, { key?: string; expect: Record<Surface, number | string> }> = {
      partner: { key: KEYS['sopa-riga'], expect: { partnerApi: 'ok', opsApi: 'HUB_ERR_ROLE_DENIED', auditVerification: 'HUB_ERR_ROLE_DENIED', auditRows: 'HUB_ERR_ROLE_DENIED' } },
      operator: { key: STAFF_KEYS.operator, expect: { partnerApi: 'HUB_ERR_ROLE_DENIED', opsApi: 'ok', auditVerification: 'ok', auditRows: 'HUB_ERR_ROLE_DENIED' } },
      auditor: { key: STAFF_KEYS.auditor, expect: { partnerApi: 'HUB_ERR_ROLE_DENIED', opsApi: 'HUB_ERR_ROLE_DENIED', auditVerification: 'ok', auditRows: 'ok' } },
      'expired partner key': { key: OLD.partner, expect: { partnerApi: 'HUB_ERR_AUTH_EXPIRED', opsApi: 'HUB_ERR_AUTH_EXPIRED', auditVerification: 'HUB_ERR_AUTH_EXPIRED', auditRows: 'HUB_ERR_AUTH_EXPIRED' } },
      'expired operator key': { key: OLD.operator, expect: { partnerApi: 'HUB_ERR_AUTH_EXPIRED', opsApi: 'HUB_ERR_AUTH_EXPIRED', auditVerification: 'HUB_ERR_AUTH_EXPIRED', auditRows: 'HUB_ERR_AUTH_EXPIRED' } },
      'unknown key': { key: newKey(), expect: { partnerApi: 'HUB_ERR_AUTH_INVALID', opsApi: 'HUB_ERR_AUTH_INVALID', auditVerification: 'HUB_ERR_AUTH_INVALID', auditRows: 'HUB_ERR_AUTH_INVALID' } },
      'no key': { expect: { partnerApi: 'HUB_ERR_AUTH_MISSING', opsApi: 'HUB_ERR_AUTH_MISSING', auditVerification: 'HUB_ERR_AUTH_MISSING', auditRows: 'HUB_ERR_AUTH_MISSING' } },
    };
    const STATUS: Record<string, number> = { HUB_ERR_ROLE_DENIED: 403, HUB_ERR_AUTH_EXPIRED: 401, HUB_ERR_AUTH_INVALID: 401, HUB_ERR_AUTH_MISSING: 401 };

    for (const [who, c] of Object.entries(callers)) {
      it(`${who}: ${Object.entries(c.expect).map(([s, e]) => `${s} ${e}`).join(', ')}`, async () => {
        const got: Record<string, string> = {};
        const want: Record<string, string> = {};
        for (const [name, s] of Object.entries(surfaces) as [Surface, (typeof surfaces)[Surface]][]) {
          const r = await call(th.url, s.method, s.path, { key: c.key, json: 'json' in s ? s.json : undefined });
          const e = c.expect[name];
          want[name] = e === 'ok' ? String(s.ok) : `${STATUS[e]} ${e}`;
          got[name] = r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code}`;
        }
        assert.deepEqual(got, want);
      });
    }

    it('a refusal names the role needed and never another key or holder', async () => {
      const r = await call(th.url, 'GET', '/api/v1/audit?limit=1', { key: STAFF_KEYS.operator });
      assert.equal(r.status, 403);
      assert.match(r.body.error.message, /needs an auditor's key/);
      const p = await call(th.url, 'GET', '/api/v1/ops/whoami', { key: KEYS['sopa-riga'] });
      assert.match(p.body.error.message, /this is a partner's key; .*needs an operator's key/);
      const s = await call(th.url, 'POST', '/api/v1/loads', { key: STAFF_KEYS.auditor, json: LOAD });
      assert.match(s.body.error.message, /partner APIs need a partner key/);
      for (const body of [r.body, p.body, s.body]) {
        const text = JSON.stringify(body);
        for (const id of ['ops-test', 'audit-test', 'sopa-riga', ...Object.values(STAFF_KEYS), ...Object.values(KEYS)]) assert.ok(!text.includes(id), `${text} names ${id}`);
      }
    });

    it('an expired key is told when it expired and to use the new key', async () => {
      const r = await call(th.url, 'POST', '/api/v1/loads', { key: OLD.partner, json: LOAD });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'HUB_ERR_AUTH_EXPIRED');
      assert.match(r.body.error.message, /expired at 2020-01-01T00:00:00\.000Z; use the new key/);
    });
  });

  describe('key rotation', () => {
    it('the old and the new key both work until the old one expires; after it, the running hub refuses the old one', async function () {
      this.timeout(SOON_MS + 30_000);
      const status = async (key: string) => {
        const r = await call(th.url, 'GET', '/api/v1/loads/00000000-0000-0000-0000-000000000000', { key });
        // 404: authenticated, the load does not exist.
        return r.status === 404 ? 'in' : `${r.status} ${r.body?.error?.code}`;
      };
      assert.ok(Date.parse(soon) - Date.now() > 500, `the hub took too long to start: the rotating key expired at ${soon} before it could be tried`);
      assert.deepEqual([await status(ROTATING.old), await status(ROTATING.new)], ['in', 'in']);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(soon) - Date.now() + 50)));
      assert.deepEqual([await status(ROTATING.old), await status(ROTATING.new)], ['401 HUB_ERR_AUTH_EXPIRED', 'in']);
    });

    it('checks the expiry per request against the clock, to the millisecond', () => {
      let now = Date.parse('2027-01-30T23:59:59.998Z');
      const auth = new PartnerAuth(
        [{ id: 'sopa-riga', system: 'sopa', keyHashes: [hashKey('new'), { hash: hashKey('old'), expires: '2027-01-31T00:00:00Z' }] }],
        [{ id: 'ops', role: 'operator', keyHashes: [{ hash: hashKey('ops-old'), expires: '2027-01-31T02:00:00+02:00' }] }],
        () => now,
      );
      assert.equal(auth.authenticate('Bearer old').id, 'sopa-riga');
      assert.equal(auth.requireRole('Bearer ops-old', 'operator').id, 'ops');
      now += 1;
      assert.equal(auth.authenticate('Bearer old').id, 'sopa-riga');
      now += 1;
      assert.throws(() => auth.authenticate('Bearer old'), { code: 'HUB_ERR_AUTH_EXPIRED', httpStatus: 401 });
      assert.throws(() => auth.requireRole('Bearer ops-old', 'operator'), { code: 'HUB_ERR_AUTH_EXPIRED' });
      assert.equal(auth.authenticate('Bearer new').id, 'sopa-riga');
      assert.equal(auth.partnerOf('Bearer old'), undefined);
      assert.equal(auth.partnerOf('Bearer new'), 'sopa-riga');
    });
  });

  describe('the auditors\' API', () => {
    const get = (q: string, key: string = STAFF_KEYS.auditor) => call(th.url, 'GET', `/api/v1/audit${q}`, { key });

    it('pages through rows by subject in chain order, each page once, and records every read as an audit row', async () => {
      const subject = '32000000000';
      for (let i = 0; i < 5; i++) await appendAudit(th.hub.store.db, { actor: 'sopa-riga', subject, service: 'vsaa-ep51', outcome: `answered-${i}` });
      await appendAudit(th.hub.store.db, { actor: 'sopa-riga', subject: '32000000001', service: 'vsaa-ep51', outcome: 'other person' });
      const seen: string[] = [];
      let after: string | null = '0';
      let pages = 0;
      while (after !== null) {
        const r = await get(`?subject=${subject}&limit=2&after=${after}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        seen.push(...r.body.rows.map((x: { outcome: string }) => x.outcome));
        after = r.body.next;
        pages++;
      }
      assert.deepEqual(seen, ['answered-0', 'answered-1', 'answered-2', 'answered-3', 'answered-4']);
      assert.equal(pages, 3);
      const reads = await get(`?actor=auditor:audit-test&service=audit.read&subject=${subject}`);
      assert.deepEqual(reads.body.rows.map((x: { details: { rows: number } }) => x.details.rows), [2, 2, 1]);
      assert.ok(reads.body.rows.every((x: { actor: string; outcome: string }) => x.actor === 'auditor:audit-test' && x.outcome === 'ok'));
    });

    it('a reader paging one row at a time reaches the end: its own reads do not extend the pages', async () => {
      const head = Number((await th.hub.store.db.query<{ n: string }>('SELECT max(seq)::text AS n FROM audit_log')).rows[0].n);
      const seqs: number[] = [];
      let after: string | null = '0';
      while (after !== null && seqs.length <= head) {
        const r = await get(`?limit=1&after=${after}`);
        seqs.push(...r.body.rows.map((x: { seq: number }) => x.seq));
        after = r.body.next;
      }
      assert.deepEqual(seqs, Array.from({ length: head }, (_, i) => i + 1));
    });

    it('filters by service prefix and time window, and refuses a bad parameter naming it', async () => {
      const before = new Date().toISOString();
      await appendAudit(th.hub.store.db, { actor: 'operator:ops-test', service: 'dlq.replay', outcome: 'replayed' });
      const r = await get(`?service=dlq.*&from=${encodeURIComponent(before)}`);
      assert.deepEqual(r.body.rows.map((x: { service: string; actor: string }) => `${x.actor} ${x.service}`), ['operator:ops-test dlq.replay']);
      const none = await get(`?service=dlq.*&to=${encodeURIComponent(before)}`);
      assert.deepEqual(none.body.rows, []);
      for (const [q, field] of [['?limit=0', 'limit'], ['?from=yesterday', 'from'], ['?after=-1', 'after'], ['?sort=seq', 'sort']]) {
        const bad = await get(q);
        assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.field], [400, 'HUB_ERR_REQUEST', field], q);
      }
    });

    it('verification: the verdict over every row, fresh on an auditor\'s demand; a tampered row is named', async () => {
      const v = await call(th.url, 'GET', '/api/v1/audit/verification?fresh=true', { key: STAFF_KEYS.auditor });
      assert.equal(v.status, 200, JSON.stringify(v.body));
      const count = Number((await th.hub.store.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log')).rows[0].n);
      assert.ok(count > 5);
      assert.deepEqual([v.body.verified, v.body.rows], [true, count]);
      assert.match(v.body.head, /^[0-9a-f]{64}$/);
      const kept = await call(th.url, 'GET', '/api/v1/audit/verification', { key: STAFF_KEYS.operator });
      assert.deepEqual([kept.status, kept.body.verified, kept.body.checkedAt], [200, true, v.body.checkedAt]);
      const opFresh = await call(th.url, 'GET', '/api/v1/audit/verification?fresh=true', { key: STAFF_KEYS.operator });
      assert.deepEqual([opFresh.status, opFresh.body.error.code], [403, 'HUB_ERR_ROLE_DENIED']);
      await th.hub.store.db.query("UPDATE audit_log SET outcome = 'tampered' WHERE seq = 2");
      const b = await call(th.url, 'GET', '/api/v1/audit/verification?fresh=true', { key: STAFF_KEYS.auditor });
      assert.deepEqual([b.body.verified, b.body.rows, b.body.firstBroken?.seq], [false, 1, 2]);
      assert.match(b.body.firstBroken.problem, /altered/);
    });
  });
});

describe('operators.yaml and keyHashes: config errors as file:line', () => {
  const dirs: string[] = [];
  const HASH = (c: string) => `sha256:${c.repeat(64)}`;
  const PARTNERS = `partners:
  - id: sopa-riga
    system: sopa
    municipality: "0001000"
    keyHashes:
      - "${HASH('a')}"
      - { hash: "${HASH('b')}", expires: "2027-01-31T00:00:00Z" }
`;
  const lint = (files: Record<string, string>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spolis-roles-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries({ 'partners.yaml': PARTNERS, ...files })) writeFileSync(path.join(dir, name), text);
    return { dir, problems: lintConfig(dir, new Registry()), at: (f: string, line: number) => `${path.join(dir, f)}:${line}: ` };
  };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('loads staff and a rotation entry; without operators.yaml there is no staff, and operators.yaml is no route file', () => {
    const { dir, problems } = lint({ 'operators.yaml': `operators:\n  - id: ops-anna\n    role: operator\n    keyHashes: ["${HASH('c')}", { hash: "${HASH('d')}", expires: "2027-01-31T02:00:00+02:00" }]\n` });
    assert.deepEqual(problems, []);
    const config = loadConfig(dir, new Registry());
    assert.deepEqual(config.operators.map((o) => [o.id, o.role, o.keyHashes.length]), [['ops-anna', 'operator', 2]]);
    assert.deepEqual(config.routes, []);
    const bare = lint({});
    assert.deepEqual(bare.problems, []);
    assert.deepEqual(loadConfig(bare.dir, new Registry()).operators, []);
  });

  it('names file, line and path for an unknown role, a malformed hash, a bad expiry, an id of a partner, a shared key', () => {
    const { problems, at } = lint({
      'operators.yaml': [
        'operators:',
        '  - id: ops-anna',
        '    role: admin',
        `    keyHashes: ["sha256:ABC"]`,
        '  - id: sopa-riga',
        '    role: auditor',
        '    keyHashes:',
        `      - { hash: "${HASH('e')}", expires: "2027-02-30T00:00:00Z" }`,
        `      - { hash: "${HASH('f')}" }`,
        `      - "${HASH('a')}"`,
        '',
      ].join('\n'),
    });
    const o = (line: number) => at('operators.yaml', line);
    assert.deepEqual(problems, [
      `${o(3)}operators[0].role: "admin" is not allowed; valid: operator, auditor`,
      `${o(4)}operators[0].keyHashes[0]: "sha256:ABC" must be "sha256:" followed by 64 lower-case hex digits (spolis-hub keys new prints a key and its hash)`,
      `${o(5)}operators[1].id: "sopa-riga" is a partner's id in partners.yaml; staff ids must differ from partner ids, so that the audit log names one of them`,
      `${o(8)}operators[1].keyHashes[0].expires: "2027-02-30T00:00:00Z" is not a date-time; write an ISO 8601 date-time with its zone, e.g. "2027-01-31T00:00:00Z"`,
      `${o(9)}operators[1].keyHashes[1].expires: required but missing (when the key stops being accepted: an ISO 8601 date-time with its zone, e.g. "2027-01-31T00:00:00Z"); a key without expiry is written as its hash alone`,
      `${o(10)}operators[1].keyHashes[2]: this key is already a key of ${at('partners.yaml', 0).replace(/:0: $/, '')}'s partners[0] (sopa-riga); a key belongs to one holder: give each its own (spolis-hub keys new)`,
    ]);
  });

  it('partners.yaml takes the same rotation entries, and refuses an expiry without its zone', () => {
    const { problems, at } = lint({ 'partners.yaml': PARTNERS.replace('2027-01-31T00:00:00Z', '2027-01-31 00:00') });
    assert.deepEqual(problems, [
      `${at('partners.yaml', 7)}partners[0].keyHashes[1].expires: "2027-01-31 00:00" is not a date-time; write an ISO 8601 date-time with its zone, e.g. "2027-01-31T00:00:00Z"`,
    ]);
  });

  it('routes lint reminds of keys expiring within 14 days and of expired entries to remove', () => {
    const now = Date.parse('2027-01-20T00:00:00Z');
    const warnings = keyExpiryWarnings({
      partners: [{ id: 'sopa-riga', keyHashes: [HASH('a'), { hash: HASH('b'), expires: '2027-01-31T00:00:00Z' }] }],
      operators: [{ id: 'ops-anna', keyHashes: [{ hash: HASH('c'), expires: '2027-01-10T00:00:00Z' }] }, { id: 'ops-ben', keyHashes: [{ hash: HASH('d'), expires: FUTURE }] }],
    }, now);
    assert.deepEqual(warnings, [
      'warning: partners.yaml: partners[0].keyHashes[1] (sopa-riga): this key expires at 2027-01-31T00:00:00Z, in 264 h',
      'warning: operators.yaml: operators[0].keyHashes[0] (ops-anna): this key expired at 2027-01-10T00:00:00Z and is refused; remove the entry; ops-anna has no other key now: add one (spolis-hub keys new)',
    ]);
  });
});
