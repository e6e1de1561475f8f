/**
 * `npm run bench -- ministry|checks [--scale F] [--keep]`: the Ministry's month on a national year.
 * Generates about 2.4 million records across the classifier's municipalities and PMLP's register
 * for 250k persons straight into a fresh PostgreSQL database with set-based SQL
 * (test/ministry/national.ts), plants cross-check cases of all nine rules
 * through the store's load path, then times one month's national statistics and one month's
 * checks (median of 5 after a warm-up; targets 1 s and 3 s), times each statement alone, prints
 * EXPLAIN ANALYZE of the slowest statement of each, and verifies that the planted cases, and
 * nothing else, are found. Results go to bench/results/ministry-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { openStore, monthlyChecks, monthlyStatistics, type Db } from '../store/index.ts';
import { createTestDatabase } from '../test/helpers/env.ts';
import { generateNational, plantCases, NATIONAL, type Planted } from '../test/ministry/national.ts';

const TARGET = { statistics: 1, checks: 3 };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (s: string): void => { process.stderr.write(`[ministry] ${s}\n`); };

interface Recorded { sql: string; params: unknown[] }

/** The same Db, noting every statement it is given, so each can be timed and explained alone. */
function recording(db: Db, into: Recorded[]): Db {
  return { ...db, query: (sql, params) => { into.push({ sql, params: params ?? [] }); return db.query(sql, params); } };
}

async function timed(f: () => Promise<unknown>, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    out.push((performance.now() - t) / 1000);
  }
  return out;
}

/** Each statement a report runs, alone, median of 3; the slowest with its plan. */
async function statements(db: Db, report: (d: Db) => Promise<unknown>) {
  const seen: Recorded[] = [];
  await report(recording(db, seen));
  const each: { seconds: number; sql: string }[] = [];
  for (const s of seen) {
    const secs = median(await timed(() => db.query(s.sql, s.params), 3));
    each.push({ seconds: +secs.toFixed(4), sql: s.sql.replace(/\s+/g, ' ').trim().slice(0, 140) });
  }
  const slowest = seen[each.reduce((bi, x, i) => (x.seconds > each[bi].seconds ? i : bi), 0)];
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${slowest.sql}`, slowest.params)).rows.map((r) => r['QUERY PLAN']);
  return { each: each.sort((a, b) => b.seconds - a.seconds), slowestPlan: plan };
}

const asSet = (x: Planted): string[] => x.map(([rule, keys]) => `${rule} ${[...keys].sort().join(' ')}`).sort();

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { scale: { type: 'string', default: '1' }, keep: { type: 'boolean', default: false } }, strict: false, allowPositionals: true });
  const scale = Number(values.scale);
  const o = {
    ...NATIONAL,
    households: Math.round(NATIONAL.households * scale), otherBenefitsPerMonth: Math.round(NATIONAL.otherBenefitsPerMonth * scale),
    servicesPerMonth: Math.round(NATIONAL.servicesPerMonth * scale), assistantClients: Math.round(NATIONAL.assistantClients * scale),
  };
  const tdb = await createTestDatabase();
  const store = await openStore(tdb.url, { poolSize: 4 });
  try {
    say(`generating a national year (scale ${scale}) into ${tdb.url.replace(/.*\//, '')}`);
    const gen = await generateNational(store.db, o, say);
    const planted = await plantCases(store, o);
    const t = performance.now();
    await store.db.query('ANALYZE');
    say(`analyze ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const counts = Object.fromEntries(await Promise.all(['household_status', 'household_member', 'benefit_month', 'service_decision', 'assistant_month']
      .map(async (tb) => [tb, Number((await store.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${tb}`)).rows[0].n)] as const)));
    const records = counts.household_status + counts.benefit_month + counts.service_decision + counts.assistant_month;
    say(`${records} records (+ ${counts.household_member} household members), generated in ${gen.seconds.toFixed(1)} s`);

    const period = o.plantedMonth;
    await monthlyStatistics(store.db, { period });
    const statsRuns = await timed(() => monthlyStatistics(store.db, { period }), 5);
    const found = await monthlyChecks(store.db, { period });
    const checkRuns = await timed(() => monthlyChecks(store.db, { period }), 5);
    const statStmts = await statements(store.db, (d) => monthlyStatistics(d, { period }));
    const checkStmts = await statements(store.db, (d) => monthlyChecks(d, { period }));

    const want = asSet(planted);
    const got = asSet(found.findings.map((f) => [f.rule, f.records.map((r) => r.key)]));
    const missing = want.filter((x) => !got.includes(x));
    const extra = got.filter((x) => !want.includes(x));

    const result = {
      benchmark: `ministry-${new Date().toISOString().slice(0, 10)}`,
      scale, period, records, rows: counts, generateSeconds: +gen.seconds.toFixed(1),
      statistics: { medianSeconds: +median(statsRuns).toFixed(3), targetSeconds: TARGET.statistics, runs: statsRuns.map((x) => +x.toFixed(3)), statements: statStmts.each, slowestPlan: statStmts.slowestPlan },
      checks: { medianSeconds: +median(checkRuns).toFixed(3), targetSeconds: TARGET.checks, runs: checkRuns.map((x) => +x.toFixed(3)), statements: checkStmts.each, slowestPlan: checkStmts.slowestPlan },
      planted: { cases: want.length, found: want.length - missing.length, missing, unexpected: extra, byRule: found.rules.map((r) => [r.rule, r.status, r.findings]) },
      machine: { cpus: cpus().length, node: process.version, postgres: (await store.db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v },
    };
    const line = (what: string, s: number, target: number) => `${what.padEnd(36)} ${s.toFixed(3).padStart(8)} s  (target < ${target} s: ${s < target ? 'met' : 'MISSED'})`;
    process.stdout.write([
      `national year: ${records} records (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}), generated in ${gen.seconds.toFixed(0)} s`,
      line(`statistics ${period}, national, median of 5`, result.statistics.medianSeconds, TARGET.statistics),
      line(`checks ${period}, national, median of 5`, result.checks.medianSeconds, TARGET.checks),
      'statistics statements alone (s): ' + statStmts.each.map((x) => x.seconds).join(', '),
      'checks statements alone (s): ' + checkStmts.each.map((x) => x.seconds).join(', '),
      `planted cases: ${want.length}, found ${want.length - missing.length}, missing ${missing.length}, unexpected findings ${extra.length}`,
      '', 'slowest statistics statement:', ...statStmts.slowestPlan, '', 'slowest checks statement:', ...checkStmts.slowestPlan, '',
    ].join('\n'));
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/${result.benchmark}.json`, JSON.stringify(result, null, 2) + '\n');
    if (missing.length || extra.length) {
      process.stderr.write(`planted cases missing: ${missing.join(' | ')}\nunexpected findings: ${extra.join(' | ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    await store.close();
    if (!values.keep) await tdb.drop();
    else say(`kept database ${tdb.url}`);
  }
}
