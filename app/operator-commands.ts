/**
 * Operator commands: dead letters (list, replay), the audit log (verify) and the Ministry's reports.
 * They open the store named by DATABASE_URL, like `start` does; a replay also reaches the queues in
 * the Redis `start` names (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { openStore, listDeadLetters, verifyAudit, preparedStatementsFromEnv, type DeadLetter, type StoreOptions } from '../store/index.ts';
import { loadConfig } from '../engine/config/loader.ts';
import { builtinRegistry } from './components.ts';
import { RouteQueues } from '../engine/runtime/queues.ts';
import { Deliveries } from '../engine/runtime/deliveries.ts';
import { replayDeadLetters, deadLetterSubject } from '../engine/runtime/operations.ts';
import { DEFAULT_PREFIX, queueConnection, redisTopologyFromEnv } from '../engine/runtime/redis.ts';
import { createLogger } from '../engine/core/logger.ts';
import { isHubError } from '../engine/core/errors.ts';
import { renderReport, reportQuery, type ReportQuery } from '../engine/http/ministry-api.ts';

const storeUrl = (): string | undefined => process.env.DATABASE_URL;
/** A command's connections: named, and prepared statements as the hub's own (off behind an old pooler). */
const storeOptions = (): StoreOptions => ({ applicationName: 'spolis-hub cli', preparedStatements: preparedStatementsFromEnv(process.env) });
const what = (l: DeadLetter): string => deadLetterSubject(l);
const out = (s: string): void => { process.stdout.write(s + '\n'); };

export async function dlqCommand(sub: string | undefined, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { route: { type: 'string' }, id: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, all: { type: 'boolean', default: false } } });
  const store = await openStore(storeUrl(), storeOptions());
  try {
    const letters = await listDeadLetters(store.db, { route: values.route, id: values.id ? Number(values.id) : undefined, includeReplayed: sub === 'list' && values.all });
    if (sub === 'list') {
      for (const l of letters) out(`${l.id}\t${l.routeId}\t${what(l)}\tattempts ${l.attempts}\tfailed ${l.failedAt}${l.replayedAt ? `\treplayed ${l.replayedAt}` : ''}\t${l.error}`);
      out(`${letters.length} dead letter(s)`);
      return 0;
    }
    if (sub !== 'replay') { process.stderr.write('usage: spolis-hub dlq list|replay [--route R] [--id ID] [--dry-run]\n'); return 2; }
    if (values['dry-run']) {
      for (const l of letters) out(`would replay ${l.id}\t${l.routeId}\t${what(l)}`);
      out(`${letters.length} dead letter(s) would be replayed`);
      return 0;
    }
    const config = loadConfig(resolve(process.env.HUB_CONFIG_DIR ?? './routes'), builtinRegistry());
    const logger = createLogger({ level: 'warn' });
    const redis = queueConnection(redisTopologyFromEnv());
    const { connection } = redis;
    const prefix = process.env.HUB_QUEUE_PREFIX ?? DEFAULT_PREFIX;
    const queues = new RouteQueues(config.routes, { connection, prefix }, store, logger);
    const deliveries = new Deliveries({ routes: config.routes, partners: config.partners, configDir: config.dir, registry: builtinRegistry(), store, logger, connection, prefix });
    try {
      const operator = `operator:${process.env.SUDO_USER ?? userInfo().username}`;
      // The same replay as the console's (engine/runtime/operations.ts): reopen, audit, enqueue.
      const reopened = await replayDeadLetters({ store, queues, deliveries }, letters, operator, (l) => out(`replayed ${l.id}\t${l.routeId}\t${what(l)}`));
      out(`${reopened.length} dead letter(s) replayed`);
      return 0;
    } finally {
      await queues.close();
      await deliveries.close();
      await redis.close();
    }
  } finally {
    await store.close();
  }
}

export async function auditCommand(sub: string | undefined): Promise<number> {
  if (sub !== 'verify') { process.stderr.write('usage: spolis-hub audit verify\n'); return 2; }
  const store = await openStore(storeUrl(), storeOptions());
  try {
    const v = await verifyAudit(store.db);
    if (v.ok) { out(`audit log intact: ${v.rows} row(s), head ${v.head}`); return 0; }
    out(`audit log BROKEN at row ${v.seq}: ${v.problem} (${v.rows} row(s) before it verified)`);
    return 1;
  } finally {
    await store.close();
  }
}

/**
 * `spolis-hub report statistics|checks --period P [--municipality M] [--format json|csv|xlsx] [--out FILE]`:
 * the API's report from the store DATABASE_URL names (as `start` opens it). The embedded store
 * admits one process at a time: with the sandbox hub running on it, ask the API instead.
 */
export async function reportCommand(kind: 'statistics' | 'checks', args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { period: { type: 'string' }, municipality: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } } });
  let q: ReportQuery;
  try {
    q = reportQuery(values);
  } catch (e) {
    if (!isHubError(e)) throw e;
    process.stderr.write(`spolis-hub report ${kind}: --${e.details.field}: ${e.message}\n`);
    return 2;
  }
  if (q.format === 'xlsx' && !values.out && process.stdout.isTTY) {
    process.stderr.write('spolis-hub report: an xlsx file is binary; give --out FILE or redirect the output\n');
    return 2;
  }
  const store = await openStore(storeUrl(), { ...storeOptions(), dataDir: resolve('./data') });
  try {
    const { body } = await renderReport(kind, store, q);
    if (values.out) writeFileSync(values.out, body);
    else process.stdout.write(typeof body === 'string' && q.format === 'json' ? body + '\n' : body);
  } finally {
    await store.close();
  }
  return 0;
}
