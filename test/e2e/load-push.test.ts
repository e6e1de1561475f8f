import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { builtinRegistry } from '../../app/components.ts';
import { pushLoad, PushInterrupted, type PushOptions } from '../../client/push.ts';
import { createProgress } from '../../client/push-progress.ts';
import type { PushState } from '../../client/push-state.ts';

const key = KEYS['sopa-riga'];
const ROOT = new URL('../..', import.meta.url).pathname;

/** Progress lines collected instead of printed. */
function sink(): { lines: string[]; progress: ReturnType<typeof createProgress> } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  return { lines, progress: createProgress(stream, 'lines') };
}

const TABLES = ['household_status', 'benefit_month', 'service_decision', 'assistant_month'];

describe('load push (client/push.ts) against a hub', function () {
  let t: TestHub;
  let dir: string;
  before(async () => { t = await startTestHub(); dir = mkdtempSync(join(tmpdir(), 'spolis-push-')); });
  after(async () => { await t?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('interrupted after half the batches and run again: the store has every record once', async () => {
    // The municipality's export as ONE file, far over a batch; a small maxBytes makes several batches of it.
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-06', records: 12_000, batches: 1, seed: 21 });
    const file = join(dir, 'sopa-0001000-2026-06.xml');
    writeFileSync(file, gen.batches[0]);
    const statePath = join(dir, 'push-state.json');
    const opts: PushOptions = {
      url: t.url, key, source: 'sopa', municipality: '0001000', period: '2026-06', files: [file], maxBytes: 800_000, statePath, pollMs: 100, registry: builtinRegistry(),
    };

    const first = sink();
    const stop = new AbortController();
    let total = 0;
    await assert.rejects(pushLoad({
      ...opts, signal: stop.signal, progress: first.progress,
      onBatch: (e) => { total = e.total; if (e.acknowledged >= e.total / 2) stop.abort(new Error('test stops the push')); },
    }), PushInterrupted);
    assert.ok(total >= 6, `${total} batches`);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as PushState;
    assert.ok(state.acknowledged.length >= total / 2 && state.acknowledged.length < total, `acknowledged ${state.acknowledged}`);
    assert.equal(state.committed, false);
    assert.equal((await call(t.url, 'GET', `/api/v1/loads/${state.loadId}`, { key })).body.status, 'receiving');

    const second = sink();
    const result = await pushLoad({ ...opts, progress: second.progress });
    assert.equal(result.load.id, state.loadId, 'the same load was resumed');
    assert.ok(result.resumed);
    assert.equal(result.skipped, state.acknowledged.length);
    assert.equal(result.sent, total - state.acknowledged.length);
    assert.ok(second.lines.some((l) => /^resuming load/.test(l)), second.lines.join('\n'));
    const { load } = result;
    assert.equal(load.status, 'done');
    assert.equal(load.records.received, 12_000);
    assert.equal(load.records.accepted + load.records.rejected, load.records.received);
    assert.equal(load.records.rejected, gen.truth.length);
    assert.equal(result.exitCode, 0);

    const db = t.hub.store.db;
    const q = async (sql: string): Promise<number> => Number((await db.query<{ n: number }>(sql, [load.id])).rows[0].n);
    // Each batch stored once, together holding every record once.
    assert.equal(await q('SELECT count(*)::int AS n FROM batches WHERE load_id = $1'), total);
    assert.equal(await q('SELECT sum(record_count)::int AS n FROM batches WHERE load_id = $1'), 12_000);
    let rows = 0;
    for (const table of TABLES) {
      const n = await q(`SELECT count(*)::int AS n FROM ${table} WHERE load_id = $1`);
      const keys = await q(`SELECT count(DISTINCT (municipality, source, decision_id${table.endsWith('_month') ? ', month' : ''}))::int AS n FROM ${table} WHERE load_id = $1`);
      assert.equal(keys, n, `${table}: every natural key once`);
      rows += n;
    }
    assert.equal(rows, load.records.accepted);
    assert.equal(await q('SELECT count(*)::int AS n FROM rejections WHERE load_id = $1'), load.records.rejected);

    // The rejections come back grouped by code, each with the first record that has it.
    const byCode = new Map<string, number>();
    for (const p of gen.truth) byCode.set(p.code, (byCode.get(p.code) ?? 0) + 1);
    assert.deepEqual(new Map(result.rejections.map((g) => [g.code, g.records])), byCode);

    // A third run finds the load done and only reports it.
    const third = await pushLoad({ ...opts, progress: sink().progress });
    assert.deepEqual([third.load.id, third.sent, third.load.records], [load.id, 0, load.records]);
  });

  it('runs as the CLI: splits, pushes, prints the totals, exit code 0; usage errors exit 2', async function () {
    this.timeout(120_000);
    const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-05', records: 300, batches: 1, seed: 4 });
    const file = join(dir, 'small.xml');
    writeFileSync(file, gen.batches[0]);
    const statePath = join(dir, 'cli-state.json');
    const run = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('npx', ['tsx', 'app/cli.ts', 'load', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    const r = await run(['push', '--source', 'sopa', '--municipality', '0001000', '--period', '2026-05', '--url', t.url,
      '--state', statePath, '--max-bytes', '50000', file], { SPOLIS_KEY: key });
    assert.equal(r.code, 0, r.stderr);
    const m = /^load (\S+) done: received (\d+), accepted (\d+), rejected (\d+) \((\d+) batches/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const load = (await call(t.url, 'GET', `/api/v1/loads/${m[1]}`, { key })).body;
    assert.deepEqual([Number(m[2]), Number(m[3]), Number(m[4])], [300, load.records.accepted, load.records.rejected]);
    assert.equal(load.records.rejected, gen.truth.length);
    assert.ok(Number(m[5]) >= 3);
    if (gen.truth.length) assert.match(r.stdout, /^ {2}[A-Z_]+ +\d+ {2}first: batch \d+ #\d+ \S+: /m);
    // stderr is not a terminal here: one line per batch instead of a bar.
    assert.match(r.stderr, /^batch 1\/\d+ stored: \d+ records/m);
    assert.ok(existsSync(statePath));

    const status = await run(['status', m[1], '--url', t.url, '--key', key]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status, 'done');

    const usage = await run(['push', '--municipality', '0001000', '--period', '2026-05', file], { SPOLIS_KEY: key });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--source is required/);
  });
});
