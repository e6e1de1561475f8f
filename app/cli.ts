/**
 * `spolis-hub`: start the hub, lint and test routes, generate simulated loads, benchmark.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { builtinRegistry } from './components.ts';
import { lintConfig } from '../engine/config/loader.ts';
import { createLogger } from '../engine/core/logger.ts';
import { Hub, type Role } from './hub.ts';
import { ensureRedis } from '../engine/runtime/redis.ts';

const USAGE = `usage: spolis-hub <command>
  start [--sandbox] [--role all|api|worker|scheduler]   run the hub (npm start = start --sandbox)
  routes lint [--dir DIR]                                check route files exactly as start-up does
  sim generate --source S --municipality M --period P --records N [--error-rate R] [--seed N]
               [--batches N] [--out DIR] [--truth FILE]  write a simulated load (one file per batch)
  load push --source S --municipality M --period P [--url URL] [--key KEY] [--state FILE] [--max-bytes N] FILE…
                                                         split, send, commit and wait for a load; run again to resume
  load status ID [--url URL] [--key KEY]                 print a load's status (JSON); key also from SPOLIS_KEY
  dlq list|replay [--route R] [--id ID] [--dry-run]     dead letters: list them, or send them back (audited)
  audit verify                                           walk the audit log's hash chain; name the first broken row
  report statistics|checks --period YYYY-MM [--municipality ATVK] [--format json|csv|xlsx] [--out FILE]
                                                         the Ministry's month from the store DATABASE_URL names
  bench [bulk|ministry|checks|query|eservices]           run the benchmarks (npm run bench)`;

const configDir = (): string => resolve(process.env.HUB_CONFIG_DIR ?? './routes');

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { sandbox: { type: 'boolean', default: false }, role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!['all', 'api', 'worker', 'scheduler'].includes(role)) throw new Error(`--role must be all, api, worker or scheduler, not ${role}`);
  const logger = createLogger();
  const registry = builtinRegistry();
  const dataDir = resolve('./data');
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', dataDir, logger);
  // Simulators are sandbox equipment: a production start never loads their modules.
  const sandbox = values.sandbox ? await (await import('./sandbox.ts')).startSandbox(configDir(), dataDir, registry) : undefined;
  const hub = await Hub.start({
    configDir: configDir(), registry, logger, role, partners: sandbox?.partners, dataDir, signing: sandbox?.signing,
    databaseUrl: process.env.DATABASE_URL, redisUrl: redis.url, queuePrefix: process.env.HUB_QUEUE_PREFIX,
    lockDurationMs: process.env.HUB_LOCK_MS ? Number(process.env.HUB_LOCK_MS) : undefined,
    reconcileEveryMs: process.env.HUB_RECONCILE_MS ? Number(process.env.HUB_RECONCILE_MS) : undefined,
    port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1', defaultMetrics: true,
  });
  const out: string[] = [`spolis-hub ${sandbox ? 'sandbox ' : ''}listening on ${hub.url || '(no HTTP: role ' + role + ')'} (store: ${hub.store.db.kind}, redis: ${redis.url})`];
  for (const p of hub.config.partners) {
    const key = sandbox?.keys.get(p.id);
    if (key) out.push(`partner ${p.id} source ${p.system} municipality ${p.municipality ?? '-'} key ${key}`);
  }
  if (sandbox && hub.url) out.push(...await sandbox.instructions(hub.url, hub.config.partners));
  process.stdout.write(out.join('\n') + '\n');

  // SIGTERM: stop taking work, finish or release in-flight jobs, and be gone within 10 s.
  const stop = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    const bound = setTimeout(() => process.exit(1), 10_000);
    bound.unref();
    await hub.close(7_000);
    await sandbox?.close();
    await redis.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function routesLint(args: string[]): number {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' } } });
  const problems = lintConfig(values.dir ? resolve(values.dir) : configDir(), builtinRegistry());
  if (problems.length) {
    process.stderr.write(problems.join('\n') + '\n');
    return 1;
  }
  process.stdout.write('routes ok\n');
  return 0;
}

async function simGenerate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args, options: {
      source: { type: 'string' }, municipality: { type: 'string' }, period: { type: 'string' }, records: { type: 'string' },
      'error-rate': { type: 'string' }, seed: { type: 'string' }, batches: { type: 'string' }, out: { type: 'string' }, truth: { type: 'string' },
    },
  });
  for (const k of ['source', 'municipality', 'period', 'records'] as const) if (!values[k]) throw new Error(`sim generate: --${k} is required\n${USAGE}`);
  const registry = (await import('./sandbox.ts')).sandboxRegistry();
  const sim = registry.simulatorFor(values.source!);
  if (!sim) throw new Error(`no simulator for source "${values.source}"; valid: ${registry.sources().join(', ')}`);
  const load = sim.generate({
    municipality: values.municipality!, period: values.period!, records: Number(values.records),
    errorRate: values['error-rate'] ? Number(values['error-rate']) : undefined, seed: values.seed ? Number(values.seed) : undefined,
    batches: values.batches ? Number(values.batches) : undefined,
  });
  const dir = resolve(values.out ?? '.');
  mkdirSync(dir, { recursive: true });
  const ext = load.contentType.includes('ndjson') ? 'ndjson' : 'xml';
  load.batches.forEach((b, i) => {
    const f = join(dir, `${values.source}-${values.municipality}-${values.period}-${String(i + 1).padStart(3, '0')}.${ext}`);
    writeFileSync(f, b);
    process.stdout.write(`${f} ${load.recordCounts[i]} records\n`);
  });
  if (values.truth) writeFileSync(resolve(values.truth), JSON.stringify(load.truth, null, 1));
  process.stdout.write(`${load.truth.length} planted errors${values.truth ? ` listed in ${values.truth}` : ''}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (cmd === 'start') { await start(argv.slice(1)); return -1; }
  if (cmd === 'routes' && sub === 'lint') return routesLint(rest);
  if (cmd === 'sim' && sub === 'generate') return simGenerate(rest);
  if (cmd === 'dlq') return (await import('./operator-commands.ts')).dlqCommand(sub, rest);
  if (cmd === 'audit') return (await import('./operator-commands.ts')).auditCommand(sub);
  if (cmd === 'report' && (sub === 'statistics' || sub === 'checks')) return (await import('./operator-commands.ts')).reportCommand(sub, rest);
  // The push client lives in client/ (it runs at the municipality, not in the hub).
  if (cmd === 'load') return (await import('../client/load-command.ts')).loadCommand(sub, rest, builtinRegistry);
  if (cmd === 'bench') { await import('../bench/index.ts'); return -1; }
  process.stderr.write(USAGE + '\n');
  return cmd ? 2 : 0;
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); }, (e: Error) => {
  process.stderr.write(`spolis-hub: ${e.message}\n`);
  process.exit(1);
});
