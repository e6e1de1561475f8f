/**
 * The console's JSON API (/api/v1/ops/…) and its page, without a browser: who may read it, that
 * what it shows agrees with the partner API and the store, that it answers as its published
 * contracts say, and that a replay from it does what `spolis-hub dlq replay` does.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { userInfo } from 'node:os';
import { PartnerGate } from '../../engine/runtime/partner-gate.ts';
import { partnerPolicies } from '../../engine/config/partners.ts';
import type { RouteContract } from '../../engine/http/openapi.ts';
import * as C from '../../console/contracts.ts';
import { REDIS_URL } from '../helpers/env.ts';
import { allRejections } from '../helpers/api.ts';
import { startConsoleHub, get, eventually, KEYS, STAFF_KEYS, type ConsoleHub } from './fixture.ts';

const OP = STAFF_KEYS.operator;

const addFormats = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
/** Fails with ajv's words unless `body` is what the contract's 200 answer says. */
function assertContract(contract: RouteContract, body: unknown): void {
  const validate = ajv.compile(contract.responses[200].schema!);
  assert.ok(validate(body), `${contract.operationId}: ${ajv.errorsText(validate.errors)}`);
}

describe('console API /api/v1/ops/…', function () {
  this.timeout(60_000);
  let h: ConsoleHub;
  let loadId: string;
  before(async () => {
    h = await startConsoleHub();
    ({ id: loadId } = await h.pushPoisonedLoad());
  });
  after(async () => { await h?.stop(); });

  it('is for operators only: no key 401, a partner\'s or an auditor\'s key 403, on every route', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/v1/ops/overview'], ['GET', '/api/v1/ops/loads'], ['GET', `/api/v1/ops/loads/${loadId}`], ['GET', `/api/v1/ops/loads/${loadId}/rejections`],
      ['GET', '/api/v1/ops/series'], ['GET', '/api/v1/ops/dead-letters'], ['POST', '/api/v1/ops/dead-letters/1/replay'], ['POST', '/api/v1/ops/dead-letters/replay'],
      ['POST', '/api/v1/ops/audit/verify'], ['GET', '/api/v1/ops/whoami'],
    ];
    for (const [method, path] of routes) {
      const none = await get(h.url, path, undefined, { method });
      assert.equal(none.status, 401, `${method} ${path} without a key`);
      assert.equal(none.body.error.code, 'HUB_ERR_AUTH_MISSING');
      const wrong = await get(h.url, path, 'not-a-key-of-anyone', { method });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'HUB_ERR_AUTH_INVALID');
      for (const key of [KEYS['sopa-riga'], STAFF_KEYS.auditor]) {
        const r = await get(h.url, path, key, { method });
        assert.equal(r.status, 403, `${method} ${path} with ${key}`);
        assert.equal(r.body.error.code, 'HUB_ERR_ROLE_DENIED');
      }
    }
    // Nothing was replayed by the refused POSTs.
    const letters = await get(h.url, '/api/v1/ops/dead-letters', OP);
    assert.equal(letters.body.items.filter((l: { replayedAt: string | null }) => l.replayedAt).length, 0);
    const me = await get(h.url, '/api/v1/ops/whoami', OP);
    assert.deepEqual(me.body, { id: 'ops-test', role: 'operator' });
  });

  it('serves the page and its assets from the hub, with no data in them and a strict content policy', async () => {
    const page = await get(h.url, '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.doesNotMatch(page.headers.get('content-security-policy')!, /unsafe-inline|https?:/);
    assert.ok(!page.body.includes(loadId), 'the page carries no data');
    for (const src of [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((s) => !/^(data:|#)/.test(s))) {
      assert.ok(src.startsWith('/console/'), `${src} is served by the hub`);
      const asset = await get(h.url, src);
      assert.equal(asset.status, 200, src);
      assert.ok(String(asset.body).length > 100);
    }
    assert.match((await fetch(`${h.url}/console/app.js`)).headers.get('content-type')!, /javascript/);
  });

  it('shows the failed load with its dead batch, its rejections by code as the partner API counts them, and the series per minute', async () => {
    const list = await get(h.url, '/api/v1/ops/loads?problems=1', OP);
    assert.equal(list.status, 200);
    assertContract(C.OPS_LOADS, list.body);
    const row = list.body.items.find((l: { id: string }) => l.id === loadId);
    assert.equal(row.status, 'failed');
    assert.deepEqual(row.batches, { total: 3, done: 2, dead: 1, pending: 0 });

    const d = await get(h.url, `/api/v1/ops/loads/${loadId}`, OP);
    assertContract(C.OPS_LOAD, d.body);
    assert.deepEqual(d.body.batches.map((b: { status: string }) => b.status), ['done', 'dead', 'done']);
    assert.match(d.body.batches[1].error, /cannot read properties/);
    assert.equal(d.body.deadLetters.length, 1);
    assert.equal(d.body.deadLetters[0].seq, 2);
    assert.equal(d.body.deadLetters[0].attempts, 3);

    // The codes, counted here from the partner's own list of rejected records.
    const rejected = await allRejections(h.url, KEYS['sopa-riga'], loadId);
    assert.ok(rejected.length > 0, 'the generated load has rejected records');
    const expected = new Map<string, number>();
    for (const r of rejected) for (const c of new Set<string>(r.errors.map((e: { code: string }) => e.code))) expected.set(c, (expected.get(c) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(d.body.rejectionsByCode.map((c: { code: string; records: number }) => [c.code, c.records])), Object.fromEntries(expected));

    const series = await get(h.url, '/api/v1/ops/series?minutes=1440', OP);
    assert.equal(series.status, 200, JSON.stringify(series.body));
    assertContract(C.OPS_SERIES, series.body);
    const sum = (k: 'accepted' | 'rejected' | 'deadBatches') => series.body.records.reduce((a: number, r: Record<string, number>) => a + r[k], 0);
    assert.equal(sum('accepted'), d.body.load.records.accepted);
    assert.equal(sum('rejected'), d.body.load.records.rejected);
    assert.equal(sum('deadBatches'), 1);
    for (const [code, n] of expected) {
      assert.equal(series.body.rejections[code].reduce((a: number, [, v]: [number, number]) => a + v, 0), n, code);
    }
  });

  it('overview: routes, queues, pulls with their next run, partners with circuit and certificate expiry, the audit chain verified', async () => {
    // Two failures open VSAA's circuit (failures: 2 in the fixture), as two failed calls from any process would.
    const redis = new Redis(REDIS_URL);
    try {
      const gate = new PartnerGate(redis, h.prefix, 'vsaa', partnerPolicies(h.vsaa));
      for (let i = 0; i < 2; i++) {
        const a = await gate.admit(1_000);
        assert.ok(a.ok);
        await gate.settle(a, 'failed');
      }
    } finally { redis.disconnect(); }

    const o = await get(h.url, '/api/v1/ops/overview', OP);
    assert.equal(o.status, 200);
    assert.equal(o.headers.get('cache-control'), 'no-store');
    assertContract(C.OPS_OVERVIEW, o.body);
    const ov = o.body;
    assert.equal(ov.audit.state, 'verified');
    assert.equal(ov.audit.verdict.ok, true);

    const sopa = ov.routes.find((r: { id: string }) => r.id === 'sopa-monthly-load');
    assert.equal(sopa.kind, 'bulkLoad');
    assert.equal(sopa.openDeadLetters, 1);
    assert.equal(sopa.deadBatchesLastDay, 1);
    assert.ok(sopa.lastRun && Date.now() - Date.parse(sopa.lastRun) < 60_000);
    assert.equal(ov.routes.length, h.hub.config.routes.length, 'every route of the running set');

    const q = ov.queues.find((x: { route: string; kind: string }) => x.route === 'sopa-monthly-load' && x.kind === 'batches');
    assert.deepEqual([q.waiting, q.active, q.deadLetters], [0, 0, 1]);
    assert.equal(ov.deadLetters.open, 1);
    assert.equal(ov.deadLetters.recent[0].loadId, loadId);

    const pmlp = ov.pulls.find((p: { route: string }) => p.route === 'pmlp-changes-pull');
    assert.equal(pmlp.cron, '*/15 * * * *');
    const next = Date.parse(pmlp.nextRun);
    assert.ok(next > Date.now() && next - Date.now() <= 15 * 60_000, `next run ${pmlp.nextRun} within a quarter of an hour`);
    assert.equal(new Date(next).getMinutes() % 15, 0);

    const vsaa = ov.partners.find((p: { id: string }) => p.id === 'vsaa');
    assert.equal(vsaa.gate.circuit, 'open');
    assert.ok(vsaa.gate.retryInMs > 50_000 && vsaa.gate.retryInMs <= 60_000);
    assert.deepEqual(vsaa.rateLimit, { perSecond: 20, maxWaitMs: 1000 });
    const certDays = Math.floor((Date.parse(vsaa.certificate.validTo) - Date.now()) / 86_400_000);
    assert.equal(vsaa.certificate.daysLeft, certDays);
    assert.ok(certDays > 0);
    assert.equal(ov.partners.find((p: { id: string }) => p.id === 'sopa-riga').gate, null, 'a partner the hub never calls has no circuit');
    assert.ok(ov.partners.find((p: { id: string }) => p.id === 'sopa-riga').lastSeen, 'Rīga created a load');
  });

  it('replays a dead letter as dlq replay does: reopened, audited in the operator\'s name, applied once; a second replay is 409', async () => {
    assert.equal((await get(h.url, '/api/v1/ops/dead-letters/99999/replay', OP, { method: 'POST' })).body.error.code, 'HUB_ERR_DEAD_LETTER_NOT_FOUND');
    assert.equal((await get(h.url, '/api/v1/ops/dead-letters/abc/replay', OP, { method: 'POST' })).status, 404);
    const bad = await get(h.url, '/api/v1/ops/dead-letters/replay', OP, { method: 'POST', json: { route: 'no-such-route' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'route');

    const [letter] = (await get(h.url, '/api/v1/ops/dead-letters', OP)).body.items;
    h.poison.armed = false; // the bug is fixed
    const r = await get(h.url, `/api/v1/ops/dead-letters/${letter.id}/replay`, OP, { method: 'POST' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertContract(C.OPS_REPLAY, r.body);
    assert.ok(r.body.replayed.replayedAt);
    const again = await get(h.url, `/api/v1/ops/dead-letters/${letter.id}/replay`, OP, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'HUB_ERR_DEAD_LETTER_REPLAYED');

    await eventually(async () => (await get(h.url, `/api/v1/ops/loads/${loadId}`, OP)).body.load.status === 'done', 20_000, 'the load done after the replay');
    const d = (await get(h.url, `/api/v1/ops/loads/${loadId}`, OP)).body;
    assert.deepEqual(d.batches.map((b: { status: string }) => b.status), ['done', 'done', 'done']);
    assert.equal(d.load.records.accepted + d.load.records.rejected, d.load.records.received);
    const audit = (await h.hub.store.db.query<{ actor: string; subject: string }>(`SELECT actor, subject FROM audit_log WHERE service = 'dlq.replay'`)).rows;
    assert.deepEqual(audit, [{ actor: 'operator:ops-test', subject: `${loadId}/2` }]);
    const versions = (await h.hub.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM decision_history')).rows[0].n;
    assert.equal(Number(versions), 0, 'no record applied twice');

    const bulk = await get(h.url, '/api/v1/ops/dead-letters/replay', OP, { method: 'POST', json: {} });
    assert.deepEqual(bulk.body, { count: 0, replayed: [] }, 'nothing left to replay');
    const verify = await get(h.url, '/api/v1/ops/audit/verify', OP, { method: 'POST' });
    assertContract(C.OPS_AUDIT_VERIFY, verify.body);
    assert.equal(verify.body.state, 'verified');
    assert.equal(verify.body.verdict.rows, verify.body.rowsNow, 'the replay\'s row verified too');
  });

  it('is the same replay as spolis-hub dlq replay: a letter the CLI replayed is replayed for the console too', async () => {
    h.poison.armed = true;
    const { id } = await h.pushPoisonedLoad();
    const [letter] = (await get(h.url, '/api/v1/ops/dead-letters', OP)).body.items;
    assert.equal(letter.loadId, id);
    h.poison.armed = false;
    // A separate process, as an operator at a shell would run it (not spawnSync: the hub runs in this one).
    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'dlq', 'replay', '--id', String(letter.id)], {
      timeout: 60_000, env: { ...process.env, DATABASE_URL: h.db.url, REDIS_URL, HUB_QUEUE_PREFIX: h.prefix, HUB_CONFIG_DIR: 'routes', LOG_LEVEL: 'warn' },
    });
    assert.match(cli.stdout, new RegExp(`replayed ${letter.id}\tsopa-monthly-load\tload ${id} batch 2`));
    assert.match(cli.stdout, /1 dead letter\(s\) replayed/);
    const again = await get(h.url, `/api/v1/ops/dead-letters/${letter.id}/replay`, OP, { method: 'POST' });
    assert.equal(again.status, 409);
    await eventually(async () => (await get(h.url, `/api/v1/ops/loads/${id}`, OP)).body.load.status === 'done', 20_000, 'the load done after the CLI\'s replay');
    const actors = (await h.hub.store.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE service = 'dlq.replay' ORDER BY seq`)).rows.map((r) => r.actor);
    assert.deepEqual(actors, ['operator:ops-test', `operator:${process.env.SUDO_USER ?? userInfo().username}`]);
  });
});
