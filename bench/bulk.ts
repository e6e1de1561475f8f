/**
 * `npm run bench -- bulk`: a national month of municipal loads, end to end.
 *
 * The hub runs as its own process (`spolis-hub start`, API + worker) on a fresh PostgreSQL
 * database, so its peak RSS is its own. The bench pushes one load per municipality (SOPA for most,
 * LIETIS for Daugavpils, GVS for Tukums; 2% planted errors) through the HTTP API, `--pushers` at a
 * time; a pusher commits a load and goes on to the next (municipalities do not wait for each
 * other), then all wait as `load push` does. Timed from the first PUT to the last record committed
 * (the last load's `finished_at` in the store, so polling adds nothing). Baselines in the same run, on the
 * same bytes and rows: tokenizing the XML alone with saxes, and PostgreSQL COPY of the canonical rows
 * into a keyed table. `--single N` instead pushes one SOPA load of N records (the memory test).
 *
 * Diagnostics: BENCH_NODE_ARGS replaces the hub's V8 flags (e.g. add --trace-gc), BENCH_HUB_STDOUT=1
 * shows the hub's stdout (where V8 traces go), BENCH_CPU_PROF=DIR writes CPU profiles,
 * BENCH_TRACE=1 prints when each load was sent.
 *
 * Decision notices (`--notices both|off|on`, default both): each round runs the hub twice. First
 * without an e-address in partners.yaml, so no notice is planned: the bulk path alone, the figure
 * issue 16's target (≤ 3× COPY's CPU per record) is about. Then with the e-address a simulator in
 * this process (its CPU is the partner's, not counted): every new decision within the window plans
 * a notice, as in production, and the CPU is metered until every batch has been planned, so the
 * difference between the two runs over the notices planned is the CPU of one notice.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { sandboxRegistry } from '../app/sandbox.ts';
import { hashKey } from '../engine/http/auth.ts';
import { municipalities } from '../engine/validation/municipalities.ts';
import type { GeneratedLoad } from '../engine/components/specs.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL } from '../test/helpers/env.ts';
import { tokenizeBaseline, copyBaseline } from './baselines.ts';
import { CpuMeter } from './cpu.ts';
import { startEAddressSimulator } from '../connectors/eaddress/sandbox.ts';

/**
 * The V8 bounds a production worker runs with (README "Memory"): a capped old generation, and a
 * young generation of a fixed 8 MB semi-space. Measured here: with V8's default (up to 16 MB) a
 * 1,000,000-record load peaked at 362-377 MiB worker RSS; at 4 MB, 312 MiB, but the prep thread's
 * records, promoted by scavenges every few MB, kept the old-generation collector busy (a third of
 * the worker's CPU on the GC helper threads); at 8 MB (also the initial size: V8 starts at 1 MB and
 * grows slowly), 321 MiB and 12% less CPU per record.
 */
export const HUB_NODE_ARGS = '--max-old-space-size=160 --max-semi-space-size=8 --min-semi-space-size=8';

interface LoadSpec { partner: string; key: string; source: string; municipality: string; gen: GeneratedLoad }

function plan(total: number, single: boolean): LoadSpec[] {
  const reg = sandboxRegistry();
  const period = '2026-10';
  const all = [...municipalities().values()].filter((m) => m.validTo === null);
  const specs: LoadSpec[] = [];
  const share = (m: { system: string }): number => (m.system === 'sopa' ? 0.8 / all.filter((x) => x.system === 'sopa').length : 0.1);
  for (const m of single ? all.filter((x) => x.atvk === '0001000') : all) {
    const records = single ? total : Math.max(50, Math.round(total * share(m)));
    const partner = `${m.system}-${m.atvk}`;
    specs.push({ partner, key: `bench-${partner}-key-000000000000`, source: m.system, municipality: m.atvk,
      gen: reg.simulatorFor(m.system)!.generate({ municipality: m.atvk, period, records, seed: Number(m.atvk) }) });
  }
  return specs;
}

/**
 * The bundled routes with partners.yaml's state agencies and portal kept, and the bench's
 * municipalities in place of its own. The e-address is `eaddress` (a simulator's), or left out when
 * null, which turns the decision notices off (eservices/applications/notices.ts): the bulk path alone.
 */
function configDir(specs: LoadSpec[], eaddress: { url: string; token: string } | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-bench-routes-'));
  cpSync('routes', dir, { recursive: true });
  const shipped = (parseYaml(readFileSync(join('routes', 'partners.yaml'), 'utf8')) as { partners: { municipality?: string }[] }).partners;
  const partners = [
    ...shipped.filter((p) => !p.municipality && (p as { system?: string }).system !== 'eaddress'),
    ...(eaddress ? shipped.filter((p) => (p as { system?: string }).system === 'eaddress')
      .map((p) => ({ ...p, endpoint: eaddress.url, notify: { endpoint: eaddress.url, token: eaddress.token } })) : []),
    ...specs.map((s) => ({ id: s.partner, system: s.source, municipality: s.municipality, keyHashes: [hashKey(s.key)] })),
  ];
  // JSON is YAML: municipality codes stay strings.
  writeFileSync(join(dir, 'partners.yaml'), JSON.stringify({ partners }, null, 2) + '\n');
  return dir;
}

async function waitHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}`);
    try { if ((await fetch(`${url}/ready`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('hub did not become ready');
}

/** Peak resident set of a process (VmHWM), MiB. */
const peakRss = (pid: number): number => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

/** Creates a load, PUTs its batches and commits it; does not wait for it (municipalities push independently). */
async function push(url: string, s: LoadSpec): Promise<string> {
  const h = { authorization: `Bearer ${s.key}` };
  const created = await (await fetch(`${url}/api/v1/loads`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ source: s.source, municipality: s.municipality, period: '2026-10' }) })).json() as { id: string };
  for (let i = 0; i < s.gen.batches.length; i++) {
    const r = await fetch(`${url}/api/v1/loads/${created.id}/batches/${i + 1}`, { method: 'PUT', headers: { ...h, 'content-type': s.gen.contentType }, body: s.gen.batches[i] as unknown as BodyInit });
    if (r.status !== 202) throw new Error(`${s.partner} PUT ${i + 1}: ${r.status} ${await r.text()}`);
  }
  const c = await fetch(`${url}/api/v1/loads/${created.id}/commit`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ batches: s.gen.batches.length }) });
  if (c.status !== 202) throw new Error(`${s.partner} commit: ${c.status} ${await c.text()}`);
  return created.id;
}

/** Waits like `load push` does (100 ms, doubling to 1 s) until the load is done or failed. */
async function waitDone(url: string, s: LoadSpec, id: string): Promise<{ accepted: number; rejected: number; status: string }> {
  for (let wait = 100; ; wait = Math.min(1000, wait * 2)) {
    const st = await (await fetch(`${url}/api/v1/loads/${id}`, { headers: { authorization: `Bearer ${s.key}` } })).json() as { status: string; records: { accepted: number; rejected: number } };
    if (st.status === 'done' || st.status === 'failed') return { ...st.records, status: st.status };
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * The hub as it is deployed: `--role api` takes the PUTs, `--role worker` processes the queues
 * (DESIGN.md §7). `workers: 0` runs one process with every role instead.
 */
interface HubRun {
  /** Wall time from the first PUT to the last record committed. */
  seconds: number;
  accepted: number; rejected: number; failed: number;
  peakRssMiB: Record<string, number>;
  /** CPU seconds by process group, until the last record was committed or, with notices, the last batch's notices were planned. */
  cpu: Record<string, number>;
  /** With notices: how many were planned, and when the last batch's were (seconds from the first PUT). */
  notices?: { planned: number; plannedSeconds: number };
}

async function hubRun(specs: LoadSpec[], pushers: number, workers: number, notices: boolean): Promise<HubRun> {
  const db = await createTestDatabase();
  const q = testQueuePrefix();
  // The e-address a simulator in this process (its CPU is the partner's, not counted), so notices are delivered as in production.
  const eaddress = notices ? await startEAddressSimulator({}) : null;
  const dir = configDir(specs, eaddress);
  const port = 18000 + Math.floor(Math.random() * 1000);
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const extra = (process.env.BENCH_NODE_ARGS ?? HUB_NODE_ARGS).split(' ').filter(Boolean);
  const env = { ...process.env, DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: q.prefix, HUB_CONFIG_DIR: dir, PORT: String(port), LOG_LEVEL: 'warn' };
  const start = (role: string): ChildProcess => spawn(process.execPath, [...profile, ...extra, '--import', 'tsx', 'app/cli.ts', 'start', '--role', role], { env, stdio: ['ignore', process.env.BENCH_HUB_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  const procs: [string, ChildProcess][] = workers === 0 ? [['all', start('all')]] : [['api', start('api')], ...Array.from({ length: workers }, (_, i) => [`worker${i + 1}`, start('worker')] as [string, ChildProcess])];
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(url, procs[0][1]);
    await new Promise((r) => setTimeout(r, 1500)); // workers finish starting
    // Every process of the path: the hub's (threads included), PostgreSQL's and Redis's.
    const meter = CpuMeter.start(['postgres', 'redis-server'], () => procs.map(([, c]) => c.pid!));
    const t0 = Date.now();
    const queue = [...specs];
    const pushed = (await Promise.all(Array.from({ length: pushers }, async () => {
      const out: { spec: LoadSpec; id: string }[] = [];
      for (let s = queue.shift(); s; s = queue.shift()) {
        const began = Date.now();
        out.push({ spec: s, id: await push(url, s) });
        // BENCH_TRACE=1: when each load was sent.
        if (process.env.BENCH_TRACE) process.stderr.write(`${s.partner} ${s.gen.recordCounts.reduce((a, b) => a + b, 0)} records sent ${((began - t0) / 1000).toFixed(2)}–${((Date.now() - t0) / 1000).toFixed(2)} s\n`);
      }
      return out;
    }))).flat();
    const results = await Promise.all(pushed.map((p) => waitDone(url, p.spec, p.id)));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    let planned: HubRun['notices'];
    if (notices) {
      // The planner runs behind the loads: wait for every done batch to have been scanned.
      const waiting = async (): Promise<number> => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM batches b WHERE status = 'done'
        AND NOT EXISTS (SELECT 1 FROM decision_notice_scan s WHERE s.load_id = b.load_id AND s.batch_seq = b.seq)`)).rows[0].n);
      while (await waiting() > 0) await new Promise((r) => setTimeout(r, 100));
      const n = await c.query<{ n: string; ms: string }>(`SELECT (SELECT count(*) FROM deliveries WHERE partner_id = 'eaddress') AS n, extract(epoch FROM max(scanned_at)) * 1000 AS ms FROM decision_notice_scan`);
      planned = { planned: Number(n.rows[0].n), plannedSeconds: (Number(n.rows[0].ms) - t0) / 1000 };
    }
    const cpu = meter.stop();
    // The end is when the last record was committed (the store's clock, on this machine), not when
    // a poll happened to see it.
    const last = Number((await c.query<{ ms: string }>('SELECT extract(epoch FROM max(finished_at)) * 1000 AS ms FROM loads')).rows[0].ms);
    await c.end();
    const seconds = (last - t0) / 1000;
    return {
      ...(planned ? { notices: planned } : {}),
      seconds, accepted: results.reduce((a, r) => a + r.accepted, 0), rejected: results.reduce((a, r) => a + r.rejected, 0),
      failed: results.filter((r) => r.status !== 'done').length, peakRssMiB: Object.fromEntries(procs.map(([n, c]) => [n, peakRss(c.pid!)])), cpu,
    };
  } finally {
    for (const [, c] of procs) c.kill('SIGTERM');
    await Promise.all(procs.map(([, c]) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await q.cleanup();
    await db.drop();
    await eaddress?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A run's CPU seconds, all its process groups together. */
const cpuTotal = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

interface NoticeCost {
  planned: number;
  /** When the last batch's notices were planned, seconds after the first PUT. */
  plannedBySeconds: number;
  cpuSecondsPer1000Records: number;
  byProcessGroup: Record<string, number>;
  ratioToCopy?: number;
  /** (CPU with notices − CPU of the bulk path alone) / notices planned. */
  cpuMicrosecondsPerNotice: number;
}

/** The rounds with notices against the bulk path alone (`bulkCpu`, the median of its rounds). */
function noticeCost(runs: HubRun[], bulkCpu: number, copyCpu: number | undefined, per1k: (cpu: number) => number,
  groupMedian: (runs: Record<string, number>[]) => Record<string, number>): NoticeCost {
  const planned = median(runs.map((h) => h.notices!.planned));
  const cpu = median(runs.map((h) => cpuTotal(h.cpu)));
  return {
    planned, plannedBySeconds: +median(runs.map((h) => h.notices!.plannedSeconds)).toFixed(2),
    cpuSecondsPer1000Records: per1k(cpu), byProcessGroup: groupMedian(runs.map((h) => h.cpu)),
    ...(copyCpu !== undefined ? { ratioToCopy: +(cpu / copyCpu).toFixed(2) } : {}),
    cpuMicrosecondsPerNotice: Math.round(((cpu - bulkCpu) / planned) * 1e6),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, allowPositionals: true, options: {
    records: { type: 'string', default: '200000' }, repeat: { type: 'string', default: '3' },
    single: { type: 'string' }, pushers: { type: 'string', default: '4' }, workers: { type: 'string', default: '1' },
    notices: { type: 'string', default: 'both' },
  } });
  const single = values.single !== undefined;
  const records = Number(values.single ?? values.records);
  const repeat = single ? 1 : Number(values.repeat);
  const specs = plan(records, single);
  const total = specs.reduce((a, s) => a + s.gen.recordCounts.reduce((x, y) => x + y, 0), 0);
  const planted = specs.reduce((a, s) => a + s.gen.truth.length, 0);
  const bytes = specs.reduce((a, s) => a + s.gen.batches.reduce((x, b) => x + b.length, 0), 0);

  const modes = values.notices === 'both' ? ['off', 'on'] : [values.notices === 'off' ? 'off' : 'on'];
  const hub: HubRun[] = [];
  const withNotices: HubRun[] = [];
  const tok: number[] = [];
  const copy: Awaited<ReturnType<typeof copyBaseline>>[] = [];
  for (let i = 0; i < repeat; i++) {
    if (!single) {
      tok.push(tokenizeBaseline(specs.flatMap((s) => (s.source === 'gvs' ? [] : s.gen.batches.map((b) => ({ body: b, contentType: s.gen.contentType }))))));
      copy.push(await copyBaseline(specs.map((s) => ({ source: s.source, municipality: s.municipality, batches: s.gen.batches, contentType: s.gen.contentType }))));
    }
    for (const m of modes) (m === 'off' ? hub : withNotices).push(await hubRun(specs, Number(values.pushers), Number(values.workers), m === 'on'));
  }
  // The headline is the bulk path alone when it was run; `--notices on` alone reports the loads with their notices.
  const main = hub.length ? hub : withNotices;
  const hubS = median(main.map((h) => h.seconds));
  const copyS = median(copy.map((c) => c.seconds));
  // CPU seconds per 1,000 records, all processes of each path: what does not depend on the machine's cores or load.
  const per1k = (cpu: number): number => +(cpu / (total / 1000)).toFixed(4);
  const hubCpu = median(main.map((h) => cpuTotal(h.cpu)));
  const copyCpu = copy.length ? median(copy.map((c) => cpuTotal(c.cpu))) : undefined;
  const groupMedian = (runs: Record<string, number>[]): Record<string, number> => Object.fromEntries(Object.keys(runs[0]).map((k) => [k, per1k(median(runs.map((r) => r[k] ?? 0)))]));
  const xmlRecords = specs.filter((s) => s.source !== 'gvs').reduce((a, s) => a + s.gen.recordCounts.reduce((x, y) => x + y, 0), 0);
  // What the notices add: the same loads with their notices planned, against the bulk path alone in the same rounds.
  const notices = hub.length && withNotices.length ? noticeCost(withNotices, hubCpu, copyCpu, per1k, groupMedian) : undefined;
  const result = {
    benchmark: single ? 'bulk-single' : 'bulk-national-month', date: new Date().toISOString(),
    loads: specs.length, records: total, planted, bytes, repeat,
    hub: {
      medianSeconds: +hubS.toFixed(3), recordsPerSecond: Math.round(total / hubS), runs: main.map((h) => +h.seconds.toFixed(3)),
      accepted: main[0].accepted, rejected: main[0].rejected, failedLoads: main[0].failed,
      decisionNotices: hub.length ? 'off (no e-address): the bulk path alone' : 'on (e-address simulator)',
      processes: Number(values.workers) === 0 ? 'one process, every role' : `1 api + ${values.workers} worker process(es)`,
      peakRssMiB: Object.fromEntries(Object.keys(main[0].peakRssMiB).map((k) => [k, Math.max(...main.map((h) => h.peakRssMiB[k]))])),
    },
    baselines: single ? undefined : {
      saxesTokenizeXml: { medianSeconds: +median(tok).toFixed(3), recordsPerSecond: Math.round(xmlRecords / median(tok)) },
      postgresCopy: { medianSeconds: +copyS.toFixed(3), recordsPerSecond: Math.round(total / copyS) },
    },
    ratioToSlowerBaseline: single ? undefined : +(hubS / Math.max(copyS, median(tok) * (total / xmlRecords))).toFixed(2),
    cpuSecondsPer1000Records: {
      hub: per1k(hubCpu), hubByProcessGroup: groupMedian(main.map((h) => h.cpu)),
      ...(copyCpu !== undefined ? { postgresCopy: per1k(copyCpu), postgresCopyByProcessGroup: groupMedian(copy.map((c) => c.cpu)), ratioToCopy: +(hubCpu / copyCpu).toFixed(2), target: '≤ 3× COPY (issue 16)' } : {}),
    },
    ...(notices ? { withDecisionNotices: notices } : {}),
    machine: { cpus: cpus().length, node: process.version },
    hubNodeArgs: process.env.BENCH_NODE_ARGS ?? HUB_NODE_ARGS,
  };
  const rows: [string, string, string][] = [['what', 'median s', 'records/s'], ['hub end to end (first PUT → last commit)', hubS.toFixed(2), String(result.hub.recordsPerSecond)]];
  if (result.baselines) {
    rows.push(['baseline: saxes tokenize (XML loads)', result.baselines.saxesTokenizeXml.medianSeconds.toFixed(2), String(result.baselines.saxesTokenizeXml.recordsPerSecond)]);
    rows.push(['baseline: PostgreSQL COPY + key index', result.baselines.postgresCopy.medianSeconds.toFixed(2), String(result.baselines.postgresCopy.recordsPerSecond)]);
  }
  const c = result.cpuSecondsPer1000Records;
  const groups = (g: Record<string, number>): string => Object.entries(g).map(([k, v]) => `${k} ${v}`).join(', ');
  const cpuLine = `CPU s per 1,000 records${hub.length ? ', bulk path' : ', loads with their notices'}: hub ${c.hub} (${groups(c.hubByProcessGroup)})`
    + (c.postgresCopy !== undefined ? `; COPY ${c.postgresCopy} (${groups(c.postgresCopyByProcessGroup!)}); hub / COPY ${c.ratioToCopy}× (target ≤ 3×)` : '');
  const noticeLine = notices
    ? `with decision notices (e-address simulator): ${notices.planned} planned, the last ${notices.plannedBySeconds} s after the first PUT; CPU s per 1,000 records ${notices.cpuSecondsPer1000Records} (${groups(notices.byProcessGroup)})`
      + `${notices.ratioToCopy !== undefined ? `, ${notices.ratioToCopy}× COPY` : ''}; CPU per notice ${notices.cpuMicrosecondsPerNotice} µs\n` : '';
  process.stdout.write(rows.map((r) => `${r[0].padEnd(40)} ${r[1].padStart(9)} ${r[2].padStart(10)}`).join('\n') + '\n');
  process.stdout.write(`${specs.length} loads, ${total} records (${planted} planted errors; rejected ${main[0].rejected}), ${(bytes / 1e6).toFixed(0)} MB; `
    + `decision notices ${result.hub.decisionNotices}; `
    + `${result.hub.processes}, peak RSS MiB ${JSON.stringify(result.hub.peakRssMiB)}${result.ratioToSlowerBaseline ? `; hub / slower baseline ${result.ratioToSlowerBaseline}×` : ''}; runs ${result.hub.runs.join(', ')} s\n${cpuLine}\n${noticeLine}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${result.benchmark}.json`, JSON.stringify(result, null, 2) + '\n');
}
