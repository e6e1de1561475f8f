/**
 * `spolis-hub`: start the hub, lint and test routes, generate simulated loads, benchmark.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { userInfo } from 'node:os';
import { builtinRegistry } from './components.ts';
import { lintConfig, loadConfig } from '../engine/config/loader.ts';
import { keyExpiryWarnings, parseDateTime } from '../engine/config/keys.ts';
import { hashKey, newKey } from '../engine/http/auth.ts';
import { createLogger } from '../engine/core/logger.ts';
import { Hub, type Role } from './hub.ts';
import { storeOptionsFromEnv } from '../store/index.ts';
import { DEFAULT_PREFIX, describeTopology, ensureRedis, redisTopologyFromEnv } from '../engine/runtime/redis.ts';

const USAGE = `usage: spolis-hub <command>
  start [--sandbox] [--role all|api|worker|scheduler]   run the hub (npm start = start --sandbox)
  routes lint [--dir DIR]                                check route files exactly as start-up does
  routes test [--dir DIR] [--route ID]                   run the examples (tests:) of route files, without store or partners
  routes reload [--timeout S]                            check the route directory, then make every running
                                                         process of the hub (same Redis, HUB_QUEUE_PREFIX) swap to it
  sim generate --source S --municipality M --period P --records N [--error-rate R] [--seed N]
               [--batches N] [--out DIR] [--truth FILE]  write a simulated load (one file per batch)
  load push --source S --municipality M --period P [--url URL] [--key KEY] [--state FILE] [--max-bytes N] FILE…
                                                         split, send, commit and wait for a load; run again to resume
  load status ID [--url URL] [--key KEY]                 print a load's status (JSON); key also from SPOLIS_KEY
  dlq list|replay [--route R] [--id ID] [--dry-run]     dead letters: list them, or send them back (audited)
  audit verify                                           walk the audit log's hash chain; name the first broken row
  keys new [--id ID] [--expires DATE-TIME]               a fresh bearer key and the keyHashes line for partners.yaml or
                                                         operators.yaml; --expires: when the key it replaces stops working
  report statistics|checks --period YYYY-MM [--municipality ATVK] [--format json|csv|xlsx] [--out FILE]
                                                         the Ministry's month from the store DATABASE_URL names
  bench [bulk|ministry|checks|query|eservices|startup]   run the benchmarks (npm run bench)`;

const configDir = (): string => resolve(process.env.HUB_CONFIG_DIR ?? './routes');

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { sandbox: { type: 'boolean', default: false }, role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!['all', 'api', 'worker', 'scheduler'].includes(role)) throw new Error(`--role must be all, api, worker or scheduler, not ${role}`);
  // DATABASE_POOL_MAX, DATABASE_REPLICA_URL… (store/options.ts): a bad value stops the start here.
  const database = storeOptionsFromEnv(process.env, role);
  const logger = createLogger();
  const registry = builtinRegistry();
  const dataDir = resolve('./data');
  // REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_NODES (engine/runtime/redis.ts).
  const redis = await ensureRedis(redisTopologyFromEnv(), dataDir, logger);
  // Simulators are sandbox equipment: a production start never loads their modules.
  const sandbox = values.sandbox ? await (await import('./sandbox.ts')).startSandbox(configDir(), dataDir, registry) : undefined;
  const hub = await Hub.start({
    configDir: configDir(), registry, logger, role, partners: sandbox?.partners, operators: sandbox?.operators, dataDir, signing: sandbox?.signing,
    databaseUrl: process.env.DATABASE_URL, database, redis: redis.topology, queuePrefix: process.env.HUB_QUEUE_PREFIX,
    schedulerLockMs: process.env.HUB_SCHEDULER_LOCK_MS ? Number(process.env.HUB_SCHEDULER_LOCK_MS) : undefined,
    lockDurationMs: process.env.HUB_LOCK_MS ? Number(process.env.HUB_LOCK_MS) : undefined,
    deliveryWindow: process.env.HUB_DELIVERY_WINDOW ? Number(process.env.HUB_DELIVERY_WINDOW) : undefined,
    reconcileEveryMs: process.env.HUB_RECONCILE_MS ? Number(process.env.HUB_RECONCILE_MS) : undefined,
    port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1', defaultMetrics: true,
    // An edited route file takes effect without a restart; HUB_WATCH_ROUTES=0 leaves it to `routes reload`.
    watch: process.env.HUB_WATCH_ROUTES !== '0',
  });
  const out: string[] = [`spolis-hub ${sandbox ? 'sandbox ' : ''}listening on ${hub.url || '(no HTTP: role ' + role + ')'} (store: ${hub.store.db.kind}, redis: ${describeTopology(redis.topology)})`];
  for (const p of hub.config.partners) {
    const key = sandbox?.keys.get(p.id);
    if (key) out.push(`partner ${p.id} source ${p.system} municipality ${p.municipality ?? '-'} key ${key}`);
  }
  for (const o of hub.config.operators) {
    const key = sandbox?.staffKeys.get(o.id);
    if (key) out.push(`${o.role} ${o.id} key ${key}${hub.url ? ` (${o.role === 'auditor' ? `curl -H 'Authorization: Bearer ${key}' ${hub.url}/api/v1/audit?limit=5` : `console ${hub.url}/`})` : ''}`);
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
  const dir = values.dir ? resolve(values.dir) : configDir();
  const problems = lintConfig(dir, builtinRegistry());
  if (problems.length) {
    process.stderr.write(problems.join('\n') + '\n');
    return 1;
  }
  // Reminders only: a key about to expire (or expired) does not stop the hub.
  const warnings = keyExpiryWarnings(loadConfig(dir, builtinRegistry()), Date.now());
  if (warnings.length) process.stderr.write(warnings.join('\n') + '\n');
  process.stdout.write('routes ok\n');
  return 0;
}

/** Lints here first: a set with problems is never sent to the running processes. */
async function routesReload(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { timeout: { type: 'string', default: '30' } } });
  const problems = lintConfig(configDir(), builtinRegistry());
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\nnot reloaded: the running hub keeps its routes\n`);
    return 1;
  }
  const { requestReload } = await import('./route-reload.ts');
  const by = `operator:${process.env.SUDO_USER ?? userInfo().username}`;
  const { listeners, replies } = await requestReload({
    redis: redisTopologyFromEnv(), prefix: process.env.HUB_QUEUE_PREFIX ?? DEFAULT_PREFIX, by, timeoutMs: Number(values.timeout) * 1000,
  });
  if (listeners === 0) {
    process.stderr.write('no running hub process heard the request (check the Redis settings and HUB_QUEUE_PREFIX)\n');
    return 1;
  }
  for (const r of replies) {
    const res = r.result;
    if (!res) { process.stdout.write(`${r.host}:${r.pid} failed: ${r.error}\n`); continue; }
    const diff = [['added', res.added], ['removed', res.removed], ['changed', res.changed]].filter(([, ids]) => ids.length).map(([k, ids]) => `${k} ${(ids as string[]).join(', ')}`).join('; ');
    process.stdout.write(`${r.host}:${r.pid} ${res.outcome} ${res.from} → ${res.to}${diff ? ` (${diff})` : ''}\n`);
    for (const p of res.problems ?? []) process.stdout.write(`  ${p}\n`);
  }
  if (replies.length < listeners) process.stdout.write(`${listeners - replies.length} process(es) did not answer in ${values.timeout} s\n`);
  const ok = replies.filter((r) => r.result && r.result.outcome !== 'refused').length;
  process.stdout.write(`${ok} of ${listeners} process(es) run the route directory\n`);
  return ok === listeners ? 0 : 1;
}

/**
 * `keys new`: a key for a partner or a member of staff, and its hash for the YAML. The key is shown
 * once, here; the hub keeps only the hash. Rotating: see routes/operators.yaml's header.
 */
function keysNew(args: string[]): number {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, expires: { type: 'string' } } });
  const key = newKey();
  const hash = hashKey(key);
  const who = values.id ? ` for ${values.id}` : '';
  const out = [`key${who} (give it to its holder; it is not stored anywhere): ${key}`, `add to keyHashes${who}:`, `  - "${hash}"`];
  if (values.expires !== undefined) {
    const t = parseDateTime(values.expires);
    if (t === undefined) { process.stderr.write(`keys new: --expires "${values.expires}" must be an ISO 8601 date-time with its zone, e.g. 2027-01-31T00:00:00Z\n`); return 2; }
    out.push('and give the key it replaces an expiry (both work until then; remove the entry once it has passed):',
      `  - { hash: "sha256:<the old key's hash>", expires: "${new Date(t).toISOString().replace('.000Z', 'Z')}" }`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

async function routesTest(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, route: { type: 'string' } } });
  const registry = builtinRegistry();
  const problems = lintConfig(values.dir ? resolve(values.dir) : configDir(), registry);
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\nroute tests not run: the route files have ${problems.length} problem(s)\n`);
    return 1;
  }
  const { loadConfig } = await import('../engine/config/loader.ts');
  const { RouteTestRunner, routeTestCases } = await import('../engine/runtime/route-tests.ts');
  const config = loadConfig(values.dir ? resolve(values.dir) : configDir(), registry);
  if (values.route && !config.routes.some((r) => r.id === values.route)) {
    process.stderr.write(`no route "${values.route}"; routes with tests: ${config.routes.filter((r) => r.tests.length).map((r) => r.id).join(', ') || 'none'}\n`);
    return 1;
  }
  if (values.route && routeTestCases(config, values.route).length === 0) process.stderr.write(`route ${values.route} has no tests: (see schemas/route.schema.json)\n`);
  const runner = new RouteTestRunner(config, registry);
  let passed = 0;
  let failed = 0;
  try {
    for (const c of routeTestCases(config, values.route)) {
      const r = await runner.run(c);
      if (r.failures.length === 0) {
        passed++;
        process.stdout.write(`ok   ${r.routeId} tests[${r.index}] ${r.name} (${r.ms} ms)\n`);
      } else {
        failed++;
        process.stdout.write(`FAIL ${r.routeId} tests[${r.index}] ${r.name}\n`);
        process.stderr.write(r.failures.map((f) => `  ${f}\n`).join(''));
      }
    }
  } finally {
    await runner.close();
  }
  process.stdout.write(`${passed} route tests passed, ${failed} failed\n`);
  return failed ? 1 : 0;
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
  if (cmd === 'routes' && sub === 'test') return routesTest(rest);
  if (cmd === 'routes' && sub === 'reload') return routesReload(rest);
  if (cmd === 'sim' && sub === 'generate') return simGenerate(rest);
  if (cmd === 'dlq') return (await import('./operator-commands.ts')).dlqCommand(sub, rest);
  if (cmd === 'keys' && sub === 'new') return keysNew(rest);
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
