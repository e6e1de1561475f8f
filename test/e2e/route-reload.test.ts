import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, KEYS, type TestHub } from '../helpers/hub.ts';
import { call } from '../helpers/api.ts';
import { REDIS_URL } from '../helpers/env.ts';

const LOAD = { source: 'sopa', municipality: '0003000', period: '2026-10' };

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reloadRows = async (t: TestHub): Promise<{ actor: string; outcome: string; details: Record<string, unknown> }[]> =>
  (await t.hub.store.db.query<{ actor: string; outcome: string; details: Record<string, unknown> }>(
    `SELECT actor, outcome, details FROM audit_log WHERE service = 'routes.reload' ORDER BY seq`)).rows;

describe('live route changes: the running hub swaps the whole route set, or refuses it and keeps the old', function () {
  this.timeout(120_000);
  let t: TestHub;
  let dir: string;
  const file = (name: string): string => join(dir, name);
  const jelgavaCreates = async (): Promise<number> => (await call(t.url, 'POST', '/api/v1/loads', { key: KEYS['sopa-jelgava'], json: LOAD })).status;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spolis-routes-'));
    cpSync('routes', dir, { recursive: true });
    t = await startTestHub({ configDir: dir, watch: true });
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes an edited route file without a restart: the new access list holds for the next request', async () => {
    const before = t.hub.generation;
    assert.equal(await jelgavaCreates(), 201);
    const yaml = readFileSync(file('sopa-monthly-load.yaml'), 'utf8');
    writeFileSync(file('sopa-monthly-load.yaml'), yaml.replace('access: { partners: [sopa-*] }', 'access: { partners: [sopa-riga] }'));
    await eventually(() => t.hub.generation !== before, 'the file watch to swap the route set');
    assert.equal(await jelgavaCreates(), 403, 'Jelgava is no longer on the route');
    assert.equal((await call(t.url, 'POST', '/api/v1/loads', { key: KEYS['sopa-riga'], json: { ...LOAD, municipality: '0001000' } })).status, 201);
    const ready = await call(t.url, 'GET', '/ready');
    assert.equal(ready.body.checks.routes, t.hub.generation, '/ready names the route set that runs');
    await eventually(async () => (await reloadRows(t)).length === 1, 'the audit row of the swap');
    const [row] = await reloadRows(t);
    assert.equal(row.actor, 'file-watch');
    assert.equal(row.outcome, 'swapped');
    assert.deepEqual({ from: row.details.from, to: row.details.to, changed: row.details.changed, added: row.details.added, removed: row.details.removed },
      { from: before, to: t.hub.generation, changed: ['sopa-monthly-load'], added: [], removed: [] });
  });

  it('refuses a set with a broken file, says file:line: path: what, and keeps running the last good set', async () => {
    const good = t.hub.generation;
    const rows = (await reloadRows(t)).length;
    const yaml = readFileSync(file('sopa-monthly-load.yaml'), 'utf8');
    writeFileSync(file('sopa-monthly-load.yaml'), yaml.replace('transform: sopa/export-to-canonical', 'transform: sopa/export-to-canonicl'));
    await eventually(async () => (await reloadRows(t)).length > rows, 'the audit row of the refusal');
    const refused = (await reloadRows(t)).at(-1)!;
    assert.equal(refused.outcome, 'refused');
    const problems = refused.details.problems as string[];
    assert.ok(problems.some((p) => /sopa-monthly-load\.yaml:\d+: steps\[0\]/.test(p) && /sopa\/export-to-canonical/.test(p)), problems.join('\n'));
    assert.equal(t.hub.generation, good, 'the running set did not change');
    assert.equal(await jelgavaCreates(), 403, 'the last good access list still holds');
    // Repaired: the set runs again, and the same files give the same generation (a content hash).
    writeFileSync(file('sopa-monthly-load.yaml'), yaml);
    const r = await t.hub.reload('operator:test');
    assert.equal(r.outcome, 'unchanged');
    assert.equal(t.hub.generation, good);
  });

  it('refuses a set whose own examples (tests:) fail, naming the expectation that broke', async () => {
    const good = t.hub.generation;
    const yaml = readFileSync(file('sopa-monthly-load.yaml'), 'utf8');
    // The examples say what the route makes of a batch: an edit that changes it without them is refused.
    writeFileSync(file('sopa-monthly-load.yaml'), yaml.replace('      accepted: 5\n', '      accepted: 6\n'));
    const r = await t.hub.reload('operator:test');
    assert.equal(r.outcome, 'refused');
    assert.ok(r.problems!.some((p) => /sopa-monthly-load\.yaml:\d+: tests\[0\] "a good batch becomes canonical decisions": .*accepted/.test(p)), r.problems!.join('\n'));
    assert.equal(t.hub.generation, good);
    writeFileSync(file('sopa-monthly-load.yaml'), yaml);
    assert.equal((await t.hub.reload('operator:test')).outcome, 'unchanged');
  });

  it('removes a route whose file is gone, and brings it back with its file', async () => {
    const ep51 = readFileSync(file('vsaa-ep51-query.yaml'), 'utf8');
    const ask = async (): Promise<number> => (await call(t.url, 'POST', '/api/v1/query/vsaa-ep51', { key: KEYS['sopa-riga'], json: { personCode: '16117519997', purpose: 'test' } })).status;
    const present = await ask();
    assert.notEqual(present, 404);
    unlinkSync(file('vsaa-ep51-query.yaml'));
    const gone = await t.hub.reload('operator:test');
    assert.equal(gone.outcome, 'swapped');
    assert.deepEqual(gone.removed, ['vsaa-ep51-query']);
    assert.equal(await ask(), 404);
    writeFileSync(file('vsaa-ep51-query.yaml'), ep51);
    const back = await t.hub.reload('operator:test');
    assert.deepEqual(back.added, ['vsaa-ep51-query']);
    assert.equal(await ask(), present);
  });

  it('lets a request that started on the old set finish on it: a batch upload across a swap is stored', async () => {
    const created = await call(t.url, 'POST', '/api/v1/loads', { key: KEYS['sopa-riga'], json: { ...LOAD, municipality: '0001000' } });
    assert.equal(created.status, 201);
    const body = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
    const half = Math.floor(body.length / 2);
    const put = new Promise<number>((resolve, reject) => {
      const req = http.request(`${t.url}/api/v1/loads/${created.body.id}/batches/1`, {
        method: 'PUT', headers: { authorization: `Bearer ${KEYS['sopa-riga']}`, 'content-type': 'application/xml', 'content-length': String(body.length) },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
      req.on('error', reject);
      req.write(body.subarray(0, half));
      // The swap happens while the body is half sent.
      setTimeout(() => {
        const yaml = readFileSync(file('sopa-monthly-load.yaml'), 'utf8');
        writeFileSync(file('sopa-monthly-load.yaml'), yaml.replace('access: { partners: [sopa-riga] }', 'access: { partners: [sopa-riga, sopa-jelgava] }'));
        void t.hub.reload('operator:test').then((r) => {
          assert.equal(r.outcome, 'swapped');
          req.end(body.subarray(half));
        }, reject);
      }, 100);
    });
    assert.equal(await put, 202, 'the upload that began before the swap is accepted');
    const batches = await t.hub.store.db.query(`SELECT seq FROM batches WHERE load_id = $1`, [created.body.id]);
    assert.equal(batches.rows.length, 1, 'and its bytes are stored');
    assert.equal(await jelgavaCreates(), 201, 'while new requests see the new set');
  });

  it('`spolis-hub routes reload` makes every process of the hub swap and prints what each did; a broken set is refused before it is sent', async () => {
    // A second process of the same hub (same store and Redis prefix) that does not watch files: only the command reaches it.
    const other = await startTestHub({ configDir: dir, shareWith: t });
    try {
      const cli = (): Promise<{ status: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'routes', 'reload', '--timeout', '20'], {
          env: { ...process.env, HUB_CONFIG_DIR: dir, REDIS_URL, HUB_QUEUE_PREFIX: t.prefix, SUDO_USER: 'route-admin' },
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (b: Buffer) => { stdout += b; });
        c.stderr.on('data', (b: Buffer) => { stderr += b; });
        c.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      const yaml = readFileSync(file('sopa-monthly-load.yaml'), 'utf8');
      writeFileSync(file('sopa-monthly-load.yaml'), yaml.replace('access: { partners: [sopa-riga, sopa-jelgava] }', 'access: { partners: [sopa-*] }'));
      const before = other.hub.generation;
      const ok = await cli();
      assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
      assert.notEqual(other.hub.generation, before);
      assert.match(ok.stdout, new RegExp(`:${process.pid} swapped ${before} → ${other.hub.generation} \\(changed sopa-monthly-load\\)`));
      assert.match(ok.stdout, /2 of 2 process\(es\) run the route directory/);
      assert.equal(t.hub.generation, other.hub.generation, 'both processes run the same set');
      assert.ok((await reloadRows(t)).some((r) => r.actor === 'operator:route-admin' && r.outcome === 'swapped'));

      writeFileSync(file('partners.yaml'), readFileSync(file('partners.yaml'), 'utf8') + '\n  - id: sopa-riga\n    system: nosuch\n');
      const running = other.hub.generation;
      const bad = await cli();
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /partners\.yaml:\d+: /);
      assert.match(bad.stderr, /not reloaded: the running hub keeps its routes/);
      assert.equal(other.hub.generation, running);
    } finally {
      await other.stop();
    }
  });
});
