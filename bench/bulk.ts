/**
 * Bulk load, end to end: a SOPA load of N records (default 100,000, 2% planted errors) pushed
 * through the HTTP API of an in-process hub (API + worker) into PostgreSQL, timed from the first
 * PUT to the load's `done`. Baselines in the same run, on the same bytes and rows:
 *  - tokenizing the batches alone with saxes (the parser the hub uses) — the floor of any parser;
 *  - PostgreSQL COPY of the same canonical rows into a keyed table — the floor of any store write.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SaxesParser } from 'saxes';
import { Hub } from '../engine/hub.ts';
import { builtinRegistry } from '../engine/builtins.ts';
import { createLogger } from '../engine/logger.ts';
import { hashKey } from '../engine/auth.ts';
import { parseSopaBatch } from '../connectors/sopa/inbound.ts';
import { sopaToCanonical } from '../transformers/sopa/export-to-canonical.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL } from '../test/helpers/env.ts';

const KEY = 'bench-key-sopa-riga-0000000000000000';

async function hubRun(records: number): Promise<{ seconds: number; records: number; accepted: number; rejected: number; bytes: number }> {
  const db = await createTestDatabase();
  const q = testQueuePrefix();
  const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
  const hub = await Hub.start({
    configDir: process.env.HUB_CONFIG_DIR ?? 'routes', registry: builtinRegistry(), logger: createLogger({ level: 'warn', destination: quiet }),
    databaseUrl: db.url, redisUrl: REDIS_URL, queuePrefix: q.prefix, port: 0,
    partners: [{ id: 'sopa-riga', system: 'sopa', municipality: '0001000', keyHashes: [hashKey(KEY)] }],
  });
  const gen = builtinRegistry().simulatorFor('sopa')!.generate({ municipality: '0001000', period: '2026-10', records, seed: 42 });
  const bytes = gen.batches.reduce((a, b) => a + b.length, 0);
  const h = { authorization: `Bearer ${KEY}` };
  try {
    const t0 = performance.now();
    const created = await (await fetch(`${hub.url}/api/v1/loads`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ source: 'sopa', municipality: '0001000', period: '2026-10' }) })).json() as { id: string };
    // Two PUTs in flight, as a partner's push tool would do.
    let next = 0;
    await Promise.all([0, 1].map(async () => {
      while (next < gen.batches.length) {
        const i = next++;
        const r = await fetch(`${hub.url}/api/v1/loads/${created.id}/batches/${i + 1}`, { method: 'PUT', headers: { ...h, 'content-type': 'application/xml' }, body: gen.batches[i] as unknown as BodyInit });
        if (r.status !== 202) throw new Error(`PUT ${i + 1}: ${r.status} ${await r.text()}`);
      }
    }));
    process.stderr.write(`PUT phase ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    await fetch(`${hub.url}/api/v1/loads/${created.id}/commit`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ batches: gen.batches.length }) });
    let status: { status: string; records: { accepted: number; rejected: number } };
    for (;;) {
      status = await (await fetch(`${hub.url}/api/v1/loads/${created.id}`, { headers: h })).json() as typeof status;
      if (status.status === 'done' || status.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, records, accepted: status.records.accepted, rejected: status.records.rejected, bytes };
  } finally {
    await hub.close();
    await q.cleanup();
    await db.drop();
  }
}

function tokenizeRun(batches: Buffer[]): number {
  const t0 = performance.now();
  let elements = 0;
  for (const b of batches) {
    const p = new SaxesParser({ xmlns: true });
    p.on('opentag', () => { elements++; });
    p.write(b.toString('utf8')).close();
  }
  if (!elements) throw new Error('nothing tokenized');
  return (performance.now() - t0) / 1000;
}

async function copyRun(batches: Buffer[]): Promise<number> {
  const rows: string[] = [];
  for (const b of batches) {
    const parsed = parseSopaBatch(b);
    parsed.records.forEach((r, i) => {
      const d = sopaToCanonical(r, { load: { loadId: 'x', source: 'sopa', municipality: '0001000', period: '2026-10', createdAt: new Date().toISOString() }, header: parsed.header });
      const esc = (s: string): string => s.replace(/[\\\t\n]/g, ' ');
      rows.push(`${d.municipality}\t${d.kind}\t${esc(d.decisionId ?? '')}\t${'month' in d ? d.month : ''}\t${i}\t${esc(JSON.stringify(d))}\n`);
    });
  }
  const db = await createTestDatabase();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE t (municipality text, kind text, decision_id text, month text, idx int, record jsonb)`);
    const t0 = performance.now();
    await pipeline(Readable.from(rows), c.query(copyFrom('COPY t FROM STDIN')));
    // The keys the hub's tables carry, built after the load as a bulk loader would.
    await c.query('CREATE INDEX ON t (municipality, kind, decision_id, month)');
    return (performance.now() - t0) / 1000;
  } finally {
    await c.end();
    await db.drop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { records: { type: 'string', default: '100000' }, repeat: { type: 'string', default: '3' } }, allowPositionals: true });
  const records = Number(values.records);
  const repeat = Number(values.repeat);
  const gen = builtinRegistry().simulatorFor('sopa')!.generate({ municipality: '0001000', period: '2026-10', records, seed: 42 });

  const hub: Awaited<ReturnType<typeof hubRun>>[] = [];
  const tok: number[] = [];
  const copy: number[] = [];
  for (let i = 0; i < repeat; i++) {
    tok.push(tokenizeRun(gen.batches));
    copy.push(await copyRun(gen.batches));
    hub.push(await hubRun(records));
  }
  const hubS = median(hub.map((h) => h.seconds));
  const tokS = median(tok);
  const copyS = median(copy);
  const slower = Math.max(tokS, copyS);
  const result = {
    benchmark: 'bulk', date: new Date().toISOString(), records, batches: gen.batches.length, bytes: hub[0].bytes, repeat,
    hub: { medianSeconds: hubS, recordsPerSecond: Math.round(records / hubS), accepted: hub[0].accepted, rejected: hub[0].rejected, runs: hub.map((h) => +h.seconds.toFixed(3)) },
    baselines: {
      saxesTokenize: { medianSeconds: tokS, recordsPerSecond: Math.round(records / tokS) },
      postgresCopy: { medianSeconds: copyS, recordsPerSecond: Math.round(records / copyS) },
    },
    ratioToSlowerBaseline: +(hubS / slower).toFixed(2),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  const table = [
    ['what', 'median s', 'records/s'],
    ['hub end to end (PUT → done)', hubS.toFixed(2), String(result.hub.recordsPerSecond)],
    ['baseline: saxes tokenize', tokS.toFixed(2), String(result.baselines.saxesTokenize.recordsPerSecond)],
    ['baseline: PostgreSQL COPY + index', copyS.toFixed(2), String(result.baselines.postgresCopy.recordsPerSecond)],
  ];
  process.stdout.write(table.map((r) => `${r[0].padEnd(36)} ${r[1].padStart(9)} ${r[2].padStart(10)}`).join('\n') + '\n');
  process.stdout.write(`hub / slower baseline: ${result.ratioToSlowerBaseline}×   peak RSS of this process: ${result.peakRssMiB} MiB   (${records} records, ${gen.batches.length} batches, ${repeat} runs)\n`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/bulk-${result.date.slice(0, 10)}.json`, JSON.stringify(result, null, 2) + '\n');
}
