/**
 * `npm run bench -- startup [--runs N] [--records N]`: the hub on tsx (as `npm start` and a checkout
 * without a build run it) against the compiled build (`npm run build`, plain node), same machine,
 * same run, runs interleaved so a change in the machine's load falls on both.
 *
 * Each run starts a fresh hub (`start --role all`, one process: API, worker and its prep threads,
 * scheduler) on a fresh database, with the production V8 flags (bench/bulk.ts HUB_NODE_ARGS), and
 * measures: wall time and CPU time from spawn to the first 200 of /ready; resident memory 2 s after
 * ready (idle); then one SOPA load of `--records` (default 20,000) through the load API, and the
 * peak resident memory of the process (VmHWM: start-up and load) and its CPU time for the load.
 * Medians of `--runs` (default 3). CPU seconds depend less on other work on the machine than wall
 * seconds do; the load average at start and end is in the result. Results go to
 * bench/results/startup-<date>.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sopaSimulator } from '../connectors/sopa/simulator.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL } from '../test/helpers/env.ts';
import { pushLoad } from '../test/helpers/api.ts';
import { ROOT, build, routesWithKeys, scratchDir, startHub } from '../test/build/compiled.ts';
import { HUB_NODE_ARGS } from './bulk.ts';

const KEY = 'key-bench-startup-sopa-riga-00000000';
const RIGA = { source: 'sopa', municipality: '0001000', period: '2026-10' };
type Variant = 'tsx' | 'compiled';

interface Run { readyS: number; readyCpuS: number; idleRssMiB: number; peakRssMiB: number; loadS: number; loadCpuS: number }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (s: string): void => { process.stderr.write(`[startup] ${s}\n`); };

const status = (pid: number, field: 'VmRSS' | 'VmHWM'): number =>
  Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

/** User + system CPU seconds of the process, all its threads (prep threads, GC, libuv) included. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in USER_HZ ticks
}

async function oneRun(variant: Variant, dist: string, scratch: string, gen: ReturnType<typeof sopaSimulator.generate>, config: string): Promise<Run> {
  const db = await createTestDatabase();
  const q = testQueuePrefix();
  const flags = HUB_NODE_ARGS.split(' ');
  const args = variant === 'tsx'
    ? [...flags, '--import', import.meta.resolve('tsx'), join(ROOT, 'app', 'cli.ts'), 'start', '--role', 'all']
    : [...flags, join(dist, 'app', 'cli.js'), 'start', '--role', 'all'];
  const hub = await startHub(args, { DATABASE_URL: db.url, REDIS_URL, HUB_QUEUE_PREFIX: q.prefix, HUB_CONFIG_DIR: config }, scratch);
  try {
    const pid = hub.child.pid!;
    const readyCpuS = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMiB = status(pid, 'VmRSS');
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const load = await pushLoad(hub.url, KEY, RIGA, gen.batches, gen.contentType);
    const loadS = (performance.now() - t0) / 1000;
    if (load.status !== 'done') throw new Error(`${variant}: load ${load.status}\n${hub.output()}`);
    const s = (x: number): number => +x.toFixed(2);
    return { readyS: s(hub.readyMs / 1000), readyCpuS: s(readyCpuS), idleRssMiB, peakRssMiB: status(pid, 'VmHWM'), loadS: s(loadS), loadCpuS: s(cpuSeconds(pid) - cpu0) };
  } finally {
    const code = await hub.stop();
    if (code !== 0) say(`${variant} hub exited ${code}`);
    await q.cleanup();
    await db.drop();
  }
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, allowPositionals: true, options: { runs: { type: 'string', default: '3' }, records: { type: 'string', default: '20000' } } });
  const runs = Number(values.runs);
  const records = Number(values.records);
  const loadBefore = loadavg();
  const scratch = scratchDir('spolis-bench-startup');
  try {
    const dist = join(scratch, 'dist');
    const b0 = performance.now();
    await build(dist);
    const buildS = (performance.now() - b0) / 1000;
    say(`built in ${buildS.toFixed(1)} s`);
    const config = routesWithKeys(join(scratch, 'routes'), { 'sopa-riga': KEY });
    const gen = sopaSimulator.generate({ municipality: RIGA.municipality, period: RIGA.period, records, seed: 16 });

    const results: Record<Variant, Run[]> = { tsx: [], compiled: [] };
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first: a slow minute on the shared machine then lands on both.
      for (const v of (i % 2 ? ['compiled', 'tsx'] : ['tsx', 'compiled']) as Variant[]) {
        const r = await oneRun(v, dist, scratch, gen, config);
        results[v].push(r);
        say(`${v} run ${i + 1}: ready ${r.readyS.toFixed(2)} s (cpu ${r.readyCpuS.toFixed(2)} s), idle ${r.idleRssMiB} MiB, peak ${r.peakRssMiB} MiB, load ${r.loadS.toFixed(2)} s (cpu ${r.loadCpuS.toFixed(2)} s)`);
      }
    }
    const summary = (rs: Run[]) => Object.fromEntries((Object.keys(rs[0]) as (keyof Run)[]).map((k) => [k, +median(rs.map((r) => r[k])).toFixed(k.endsWith('MiB') ? 0 : 2)])) as unknown as Run;
    const tsx = summary(results.tsx);
    const compiled = summary(results.compiled);
    const result = {
      benchmark: 'startup', date: new Date().toISOString(), runs, records, buildSeconds: +buildS.toFixed(1),
      process: 'one hub process, start --role all (API, worker with its prep threads, scheduler)', hubNodeArgs: HUB_NODE_ARGS,
      median: { tsx, compiled },
      compiledVsTsx: Object.fromEntries((Object.keys(tsx) as (keyof Run)[]).map((k) => [k, +(compiled[k] / tsx[k]).toFixed(2)])),
      all: results,
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: { atStart: +loadBefore[0].toFixed(2), atEnd: +loadavg()[0].toFixed(2) } },
    };
    const rows: string[][] = [['median of ' + runs, 'tsx', 'compiled', 'ratio'],
      ['start-up to /ready, s', String(tsx.readyS), String(compiled.readyS), String(result.compiledVsTsx.readyS)],
      ['  CPU to /ready, s', String(tsx.readyCpuS), String(compiled.readyCpuS), String(result.compiledVsTsx.readyCpuS)],
      ['idle RSS, MiB', String(tsx.idleRssMiB), String(compiled.idleRssMiB), String(result.compiledVsTsx.idleRssMiB)],
      [`peak RSS (${records} records), MiB`, String(tsx.peakRssMiB), String(compiled.peakRssMiB), String(result.compiledVsTsx.peakRssMiB)],
      ['load, s', String(tsx.loadS), String(compiled.loadS), String(result.compiledVsTsx.loadS)],
      ['  CPU for the load, s', String(tsx.loadCpuS), String(compiled.loadCpuS), String(result.compiledVsTsx.loadCpuS)]];
    process.stdout.write(rows.map((r) => `${r[0].padEnd(32)} ${r[1].padStart(8)} ${r[2].padStart(9)} ${r[3].padStart(6)}`).join('\n') + '\n');
    process.stdout.write(`load average (1 min) ${result.machine.loadAverage1m.atStart} at start, ${result.machine.loadAverage1m.atEnd} at end, on ${result.machine.cpus} CPUs\n`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', `startup-${result.date.slice(0, 10)}.json`), JSON.stringify(result, null, 2) + '\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
