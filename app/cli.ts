/**
 * `spolis-hub`: start the hub, lint and test routes, generate simulated loads, benchmark.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { builtinRegistry, startSandboxPartners, type SandboxPartner } from './components.ts';
import { loadSigningIdentity, type SigningIdentity } from '../engine/soap/signing.ts';
import { lintConfig, loadConfig } from '../engine/config/loader.ts';
import { createLogger } from '../engine/core/logger.ts';
import { Hub, type Role } from './hub.ts';
import { ensureRedis } from '../engine/runtime/redis.ts';
import { hashKey, newKey } from '../engine/http/auth.ts';
import type { PartnerDef } from '../engine/config/types.ts';

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
  bench [bulk|ministry]                                  run the benchmarks (npm run bench)`;

const configDir = (): string => resolve(process.env.HUB_CONFIG_DIR ?? './routes');

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { sandbox: { type: 'boolean', default: false }, role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!['all', 'api', 'worker', 'scheduler'].includes(role)) throw new Error(`--role must be all, api, worker or scheduler, not ${role}`);
  const logger = createLogger();
  const registry = builtinRegistry();
  const dataDir = resolve('./data');
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', dataDir, logger);

  let partners: PartnerDef[] | undefined;
  const keys = new Map<string, string>();
  let sims: SandboxPartner[] = [];
  let signing: SigningIdentity | undefined;
  if (values.sandbox) {
    // The agencies the hub calls are simulators on loopback that trust the hub's own certificate.
    signing = await loadSigningIdentity(dataDir);
    sims = await startSandboxPartners(signing.certPem);
    // Sandbox keys are fresh each run and exist only in this process; partners.yaml keeps hashes.
    partners = loadConfig(configDir(), registry).partners.map((p) => {
      const key = newKey();
      keys.set(p.id, key);
      const sim = sims.find((s) => s.system === p.system);
      if (sim && !sim.receiver && p.endpoint) return { ...p, keyHashes: [hashKey(key)], endpoint: sim.endpoint, certificate: sim.certPem };
      if (sim?.receiver && p.notify) {
        return { ...p, keyHashes: [hashKey(key)], notify: { endpoint: sim.endpoint, ...(sim.token ? { token: sim.token } : {}) }, ...(sim.certPem ? { certificate: sim.certPem } : {}) };
      }
      return { ...p, keyHashes: [hashKey(key)] };
    });
  }
  const hub = await Hub.start({
    configDir: configDir(), registry, logger, role, partners, dataDir, signing,
    databaseUrl: process.env.DATABASE_URL, redisUrl: redis.url, queuePrefix: process.env.HUB_QUEUE_PREFIX,
    lockDurationMs: process.env.HUB_LOCK_MS ? Number(process.env.HUB_LOCK_MS) : undefined,
    reconcileEveryMs: process.env.HUB_RECONCILE_MS ? Number(process.env.HUB_RECONCILE_MS) : undefined,
    port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1', defaultMetrics: true,
  });
  const out: string[] = [`spolis-hub ${values.sandbox ? 'sandbox ' : ''}listening on ${hub.url || '(no HTTP: role ' + role + ')'} (store: ${hub.store.db.kind}, redis: ${redis.url})`];
  for (const p of hub.config.partners) {
    if (keys.has(p.id)) out.push(`partner ${p.id} source ${p.system} municipality ${p.municipality ?? '-'} key ${keys.get(p.id)}`);
  }
  const riga = hub.config.partners.find((p) => p.system === 'sopa' && p.municipality === '0001000');
  if (values.sandbox && riga && hub.url) {
    const k = keys.get(riga.id);
    // The partner's example beside the checkout, or the identical copy the tests keep.
    const shared = resolve('../shared/partners/examples/sopa-batch.xml');
    const file = existsSync(shared) ? shared : resolve('test/fixtures/sopa-batch.xml');
    out.push('push the example SOPA batch:');
    out.push(`H="Authorization: Bearer ${k}"; U=${hub.url}/api/v1/loads; id=$(curl -sS --fail-with-body -H "$H" -H 'Content-Type: application/json' -d '{"source":"sopa","municipality":"0001000","period":"2026-10"}' $U | sed -E 's/.*"id":"([^"]+)".*/\\1/') && curl -sS --fail-with-body -H "$H" -X PUT -H 'Content-Type: application/xml' --data-binary @${file} $U/$id/batches/1 && curl -sS --fail-with-body -H "$H" -H 'Content-Type: application/json' -d '{"batches":1}' $U/$id/commit && sleep 2 && curl -sS --fail-with-body -H "$H" $U/$id; echo`);
  }
  const daugavpils = hub.config.partners.find((p) => p.system === 'lietis');
  const sandboxPerson = sims.find((x) => x.system === 'vdeavk')?.samplePerson;
  if (values.sandbox && daugavpils && hub.url) {
    out.push('ask VDEĀVK for one person\'s assistant-service opinions (a person of the simulator\'s data set):');
    out.push(`curl -sS -H "Authorization: Bearer ${keys.get(daugavpils.id)}" -H 'Content-Type: application/json' -d '{"personCode":"${sandboxPerson ?? ''}","purpose":"Lēmums par asistenta pakalpojumu, lieta 2026/117"}' ${hub.url}/api/v1/query/vdeavk-opinions; echo`);
    out.push(`WSDLs of the hub's SOAP endpoints: ${hub.url}/soap/vdeavk?wsdl ${hub.url}/soap/burvis?wsdl`);
  }
  process.stdout.write(out.join('\n') + '\n');

  // SIGTERM: stop taking work, finish or release in-flight jobs, and be gone within 10 s.
  const stop = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    const bound = setTimeout(() => process.exit(1), 10_000);
    bound.unref();
    await hub.close(7_000);
    for (const sim of sims) await sim.close();
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

function simGenerate(args: string[]): number {
  const { values } = parseArgs({
    args, options: {
      source: { type: 'string' }, municipality: { type: 'string' }, period: { type: 'string' }, records: { type: 'string' },
      'error-rate': { type: 'string' }, seed: { type: 'string' }, batches: { type: 'string' }, out: { type: 'string' }, truth: { type: 'string' },
    },
  });
  for (const k of ['source', 'municipality', 'period', 'records'] as const) if (!values[k]) throw new Error(`sim generate: --${k} is required\n${USAGE}`);
  const registry = builtinRegistry();
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
  if (cmd === 'report' && (sub === 'statistics' || sub === 'checks')) return (await import('../engine/http/ministry-api.ts')).reportCommand(sub, rest);
  // The push client lives in client/ (it runs at the municipality, not in the hub).
  if (cmd === 'load') return (await import('../client/load-command.ts')).loadCommand(sub, rest);
  if (cmd === 'bench') { await import('../bench/index.ts'); return -1; }
  process.stderr.write(USAGE + '\n');
  return cmd ? 2 : 0;
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); }, (e: Error) => {
  process.stderr.write(`spolis-hub: ${e.message}\n`);
  process.exit(1);
});
