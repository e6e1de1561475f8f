/**
 * A hub for the console's tests: the bundled routes, except that SOPA's transform throws (a bug,
 * not a bad record) for any batch holding the decision "POISON" while the poison is armed, with
 * three quick attempts; so a load pushed with a poisoned batch ends `failed` with that batch in the
 * dead letters, and once the poison is disarmed ("the bug is fixed") a replay applies it.
 * Also a VSAA partner with an endpoint and certificate, so the console has a partner whose circuit
 * and certificate it shows.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hub } from '../../app/hub.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { defineTransformer } from '../../engine/components/specs.ts';
import type { PartnerDef } from '../../engine/config/types.ts';
import { sopaExportToCanonical } from '../../transformers/sopa/index.ts';
import { sopaSimulator } from '../../connectors/sopa/simulator.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from '../helpers/env.ts';
import { KEYS, STAFF_KEYS, TEST_OPERATORS, TEST_PARTNERS, testSigningIdentity } from '../helpers/hub.ts';
import { call, waitForLoad } from '../helpers/api.ts';

export { KEYS, STAFF_KEYS };

export interface ConsoleHub {
  hub: Hub;
  url: string;
  db: TestDatabase;
  prefix: string;
  poison: { armed: boolean };
  vsaa: PartnerDef;
  /** Pushes a 3-batch SOPA load for Rīga with batch 2 poisoned (and some rejected records); resolves once it ended. */
  pushPoisonedLoad(): Promise<{ id: string; status: any }>;
  stop(): Promise<void>;
}

export async function startConsoleHub(): Promise<ConsoleHub> {
  const poison = { armed: true };
  const poisonous = defineTransformer({
    ...sopaExportToCanonical,
    name: 'test/poisonous-sopa',
    transform(r, ctx) {
      if (poison.armed && r.data.lemumaNr === 'POISON') throw new TypeError('cannot read properties of undefined (reading \'summa\')');
      return sopaExportToCanonical.transform(r, ctx);
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'spolis-console-'));
  cpSync('routes', dir, { recursive: true });
  const route = readFileSync(join(dir, 'sopa-monthly-load.yaml'), 'utf8')
    .replace('transform: sopa/export-to-canonical', 'transform: test/poisonous-sopa')
    .replace(/onError:.*$/m, 'onError: { retry: { attempts: 3, backoff: exponential, delay: 50ms, maxDelay: 200ms }, deadLetter: true }');
  assert.match(route, /test\/poisonous-sopa/);
  writeFileSync(join(dir, 'sopa-monthly-load.yaml'), route);

  const signing = await testSigningIdentity();
  const vsaa: PartnerDef = { id: 'vsaa', system: 'vsaa', keyHashes: [], endpoint: 'http://127.0.0.1:9/vsaa', certificate: signing.certPem,
    policies: { rateLimit: { perSecond: 20 }, circuitBreaker: { failures: 2, openSeconds: 60 } } };
  const db = await createTestDatabase();
  const q = testQueuePrefix();
  const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
  const hub = await Hub.start({
    configDir: dir, registry: builtinRegistry().register('transformer', poisonous), logger: createLogger({ destination: process.env.CONSOLE_TEST_LOG ? process.stderr : quiet }),
    databaseUrl: db.url, redisUrl: REDIS_URL, queuePrefix: q.prefix, port: 0, partners: [...TEST_PARTNERS, vsaa], operators: TEST_OPERATORS,
    prepareInThreads: false, signing, cron: false, concurrency: 2,
  });
  const key = KEYS['sopa-riga'];
  return {
    hub, url: hub.url, db, prefix: q.prefix, poison, vsaa,
    async pushPoisonedLoad() {
      const gen = sopaSimulator.generate({ municipality: '0001000', period: '2026-10', records: 60, batches: 3, errorRate: 0.1, seed: 11 });
      const bodies = gen.batches.map((b) => b.toString());
      bodies[1] = bodies[1].replace(/lemumaNr="[^"]+"/, 'lemumaNr="POISON"');
      assert.match(bodies[1], /POISON/);
      const created = await call(hub.url, 'POST', '/api/v1/loads', { key, json: { source: 'sopa', municipality: '0001000', period: '2026-10' } });
      assert.equal(created.status, 201);
      const id = created.body.id as string;
      for (let i = 0; i < bodies.length; i++) assert.equal((await call(hub.url, 'PUT', `/api/v1/loads/${id}/batches/${i + 1}`, { key, body: bodies[i] })).status, 202);
      assert.equal((await call(hub.url, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: bodies.length } })).status, 202);
      return { id, status: await waitForLoad(hub.url, key, id, 30_000) };
    },
    async stop() {
      await hub.close();
      await q.cleanup();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a bearer key; the parsed JSON body (or text) and the status. */
export async function get(url: string, path: string, key?: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers };
}

/** Resolves when `cond` holds, or fails naming `what` after `ms`. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
