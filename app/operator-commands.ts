/**
 * Operator commands: dead letters (list, replay) and the audit log (verify). They open the store
 * named by DATABASE_URL, like `start` does; a replay also reaches the queues at REDIS_URL.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { openStore, listDeadLetters, reopenDeadLetters, appendAudit, verifyAudit, type DeadLetter } from '../store/index.ts';
import { loadConfig } from '../engine/config/loader.ts';
import { builtinRegistry } from './components.ts';
import { RouteQueues } from '../engine/runtime/queues.ts';
import { Deliveries } from '../engine/runtime/deliveries.ts';
import { connectionOptions } from '../engine/runtime/redis.ts';
import { createLogger } from '../engine/core/logger.ts';

const storeUrl = (): string | undefined => process.env.DATABASE_URL;
const what = (l: DeadLetter): string => ('deliveryId' in l.data ? `delivery ${l.data.deliveryId}` : `load ${l.data.loadId} batch ${l.data.seq}`);
const out = (s: string): void => { process.stdout.write(s + '\n'); };

export async function dlqCommand(sub: string | undefined, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { route: { type: 'string' }, id: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, all: { type: 'boolean', default: false } } });
  const store = await openStore(storeUrl());
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
    const connection = connectionOptions(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const prefix = process.env.HUB_QUEUE_PREFIX ?? '{spolis}';
    const queues = new RouteQueues(config.routes, { connection, prefix }, store, logger);
    const deliveries = new Deliveries({ routes: config.routes, partners: config.partners, configDir: config.dir, registry: builtinRegistry(), store, logger, connection, prefix });
    try {
      const operator = `operator:${process.env.SUDO_USER ?? userInfo().username}`;
      const reopened = await reopenDeadLetters(store.db, letters);
      for (const l of reopened) {
        // Audited before the batch runs again: a replay is an operator's act on a municipality's data.
        const subject = 'deliveryId' in l.data ? l.data.deliveryId : `${l.data.loadId}/${l.data.seq}`;
        await appendAudit(store.db, { actor: operator, subject, service: 'dlq.replay', outcome: 'reopened', details: { deadLetterId: l.id, route: l.routeId, error: l.error } });
        if ('deliveryId' in l.data) await deliveries.enqueue(l.routeId, [l.data.deliveryId]);
        else await queues.enqueueNext(l.routeId, l.data.loadId);
        out(`replayed ${l.id}\t${l.routeId}\t${what(l)}`);
      }
      out(`${reopened.length} dead letter(s) replayed`);
      return 0;
    } finally {
      await queues.close();
      await deliveries.close();
    }
  } finally {
    await store.close();
  }
}

export async function auditCommand(sub: string | undefined): Promise<number> {
  if (sub !== 'verify') { process.stderr.write('usage: spolis-hub audit verify\n'); return 2; }
  const store = await openStore(storeUrl());
  try {
    const v = await verifyAudit(store.db);
    if (v.ok) { out(`audit log intact: ${v.rows} row(s), head ${v.head}`); return 0; }
    out(`audit log BROKEN at row ${v.seq}: ${v.problem} (${v.rows} row(s) before it verified)`);
    return 1;
  } finally {
    await store.close();
  }
}
