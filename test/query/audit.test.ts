import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { VsaaSimulator } from '../../connectors/vsaa/sandbox.ts';
import { createSigningIdentity } from '../../engine/soap/signing.ts';
import { verifyAudit } from '../../store/index.ts';
import { KEYS, type TestHub } from '../helpers/hub.ts';
import { PERIOD, PURPOSE, ask, startQueryHub, startSim } from './fixture.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('the audit row of a query', function () {
  this.timeout(30_000);
  let sim: VsaaSimulator;
  let th: TestHub;
  const rows = async (): Promise<Record<string, any>[]> =>
    (await th.hub.store.db.query<Record<string, any>>('SELECT seq::int AS seq, actor, subject, service, purpose, outcome, request_sha256, response_sha256, details FROM audit_log ORDER BY seq')).rows;

  before(async () => {
    sim = await startSim();
    th = await startQueryHub(sim);
  });
  afterEach(() => sim.reset());
  after(async () => {
    await th?.stop();
    await sim?.close();
  });

  it('is written before the answer, with who, for whom, what, why, the outcome and both hashes', async () => {
    const body = JSON.stringify({ personCode: sim.data.samples.full, purpose: `  ${PURPOSE}  `, ...PERIOD });
    const r = await ask(th.url, 'vsaa-ep51', body);
    assert.equal(r.status, 200);
    const row = (await rows()).at(-1)!;
    assert.deepEqual(row, {
      seq: row.seq, actor: 'sopa-riga', subject: sim.data.samples.full, service: 'vsaa-ep51', purpose: PURPOSE, outcome: 'answered',
      request_sha256: sha256(body), response_sha256: sha256(r.text), details: { status: 200, requestId: r.body.requestId, partner: 'vsaa' },
    });
  });

  it('is written for refusals and partner faults too, with their code as the outcome', async () => {
    await ask(th.url, 'vsaa-ep50', { personCode: sim.data.samples.full, purpose: PURPOSE }, { key: KEYS['lm-analytics'] });
    await ask(th.url, 'vsaa-ep50', { personCode: sim.data.samples.full });
    await ask(th.url, 'vsaa-ep50', { personCode: sim.data.samples.unknown, purpose: 'lieta 9' });
    const last = (await rows()).slice(-3).map((r) => [r.actor, r.subject, r.purpose, r.outcome, r.details.status]);
    assert.deepEqual(last, [
      ['lm-analytics', sim.data.samples.full, PURPOSE, 'HUB_ERR_ACCESS_DENIED', 403],
      ['sopa-riga', sim.data.samples.full, null, 'HUB_ERR_QUERY_INVALID', 400],
      ['sopa-riga', sim.data.samples.unknown, 'lieta 9', 'HUB_ERR_PARTNER_NOT_FOUND', 404],
    ]);
  });

  it('keeps one row per query, in one chain, when many are answered at once', async () => {
    const before = (await rows()).length;
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(th.url, 'vsaa-ep50', { personCode: sim.data.samples.empty, purpose: `lieta ${i}` })));
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    const added = (await rows()).slice(before);
    assert.deepEqual(added.map((r) => r.purpose).sort(), Array.from({ length: 30 }, (_, i) => `lieta ${i}`).sort());
    assert.deepEqual(new Set(added.map((r) => r.details.requestId)), new Set(replies.map((r) => r.body.requestId)));
  });

  it('chains: verifyAudit walks every query row intact', async () => {
    const v = await verifyAudit(th.hub.store.db);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.rows, (await rows()).length);
  });

  it('cannot be written → 503 and no personal data in the answer; the chain stays intact', async () => {
    const before = (await rows()).length;
    await th.hub.store.db.query('ALTER TABLE audit_log RENAME TO audit_log_away');
    let r;
    try {
      r = await ask(th.url, 'vsaa-ep52', { personCode: sim.data.samples.full, purpose: PURPOSE, ...PERIOD });
    } finally {
      await th.hub.store.db.query('ALTER TABLE audit_log_away RENAME TO audit_log');
    }
    assert.equal(sim.stats.requests, 1, 'VSAA answered');
    assert.deepEqual([r.status, r.body.error.code], [503, 'HUB_ERR_AUDIT_UNAVAILABLE']);
    assert.deepEqual(Object.keys(r.body), ['error']);
    const payment = sim.data.persons.get(sim.data.samples.full)!.payments.at(-1)!;
    for (const secret of [sim.data.samples.full, sim.data.samples.full.slice(0, 6), payment.amount, payment.sentOn, 'OLD_AGE', 'BANK']) {
      assert.ok(!r.text.includes(secret), `the 503 carries ${secret}`);
    }
    assert.equal((await rows()).length, before);
    assert.ok((await verifyAudit(th.hub.store.db)).ok);
    assert.ok(!th.logs.join('').includes(sim.data.samples.full));
  });

  it('an answer signed with another certificate than the one registered for vsaa → 502', async () => {
    const other = await startQueryHub(sim, { certPem: (await createSigningIdentity('not vsaa')).certPem });
    try {
      const r = await ask(other.url, 'vsaa-ep50', { personCode: sim.data.samples.full, purpose: PURPOSE });
      assert.deepEqual([r.status, r.body.error.code], [502, 'HUB_ERR_PARTNER_SIGNATURE']);
    } finally {
      await other.stop();
    }
  });
});
