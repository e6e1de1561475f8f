/** Starts an in-process hub on a free port with known partner keys, on a fresh database and queue prefix. */
import { Hub, type HubOptions } from '../../app/hub.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { hashKey } from '../../engine/http/auth.ts';
import { createSigningIdentity, type SigningIdentity } from '../../engine/soap/signing.ts';
import type { OperatorDef, PartnerDef } from '../../engine/config/types.ts';
import { createTestDatabase, testQueuePrefix, REDIS_URL, type TestDatabase } from './env.ts';
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const KEYS = {
  'sopa-riga': 'key-sopa-riga-000000000000000000000',
  'sopa-jelgava': 'key-sopa-jelgava-0000000000000000000',
  'lietis-daugavpils': 'key-lietis-daugavpils-00000000000000',
  'gvs-tukums': 'key-gvs-tukums-000000000000000000000',
  'lm-analytics': 'key-lm-analytics-0000000000000000000',
} as const;

export const TEST_PARTNERS: PartnerDef[] = [
  { id: 'sopa-riga', system: 'sopa', municipality: '0001000', keyHashes: [hashKey(KEYS['sopa-riga'])] },
  { id: 'sopa-jelgava', system: 'sopa', municipality: '0003000', keyHashes: [hashKey(KEYS['sopa-jelgava'])] },
  { id: 'lietis-daugavpils', system: 'lietis', municipality: '0002000', keyHashes: [hashKey(KEYS['lietis-daugavpils'])] },
  { id: 'gvs-tukums', system: 'gvs', municipality: '0052000', keyHashes: [hashKey(KEYS['gvs-tukums'])] },
  { id: 'lm-analytics', system: 'lm', keyHashes: [hashKey(KEYS['lm-analytics'])] },
];

/** Staff keys of every test hub (TEST_OPERATORS): an operator (console, replay) and an auditor (audit log). */
export const STAFF_KEYS = {
  operator: 'key-staff-operator-00000000000000000',
  auditor: 'key-staff-auditor-000000000000000000',
} as const;

export const TEST_OPERATORS: OperatorDef[] = [
  { id: 'ops-test', role: 'operator', keyHashes: [hashKey(STAFF_KEYS.operator)] },
  { id: 'audit-test', role: 'auditor', keyHashes: [hashKey(STAFF_KEYS.auditor)] },
];

export const ESERVICE_KEYS = {
  portal: 'key-portal-00000000000000000000000000',
  vsac: 'key-vsac-0000000000000000000000000000',
} as const;

/** routes/partners.yaml's policies for the e-address (its rate limit: the simulator, like VRAA, takes 20 messages a second). */
export const EADDRESS_POLICIES: PartnerDef['policies'] = (parseYaml(readFileSync(new URL('../../routes/partners.yaml', import.meta.url), 'utf8')) as { partners: PartnerDef[] })
  .partners.find((p) => p.system === 'eaddress')!.policies;

/**
 * TEST_PARTNERS plus the e-services' partners: the portal (its assertions verify with
 * `portalCertPem`, the portal simulator's), VSAC, and the e-address when a simulator runs.
 */

export function eservicePartners(o: { portalCertPem: string; eaddress?: { endpoint: string; token?: string; policies?: PartnerDef['policies'] }; extra?: PartnerDef[] }): PartnerDef[] {
  return [
    ...TEST_PARTNERS,
    { id: 'portal', system: 'portal', keyHashes: [hashKey(ESERVICE_KEYS.portal)], certificate: o.portalCertPem },
    { id: 'vsac', system: 'vsac', keyHashes: [hashKey(ESERVICE_KEYS.vsac)] },
    ...(o.eaddress ? [{ id: 'eaddress', system: 'eaddress', keyHashes: [], endpoint: o.eaddress.endpoint, notify: { endpoint: o.eaddress.endpoint, ...(o.eaddress.token ? { token: o.eaddress.token } : {}) },
      policies: o.eaddress.policies ?? EADDRESS_POLICIES }] : []),
    ...(o.extra ?? []),
  ];
}

// One key pair for the whole run: RSA key generation is the slow part of starting a hub.
let identity: Promise<SigningIdentity> | undefined;
export const testSigningIdentity = (): Promise<SigningIdentity> => (identity ??= createSigningIdentity('spolis-hub-test'));

export interface TestHub {
  hub: Hub;
  url: string;
  db: TestDatabase;
  /** Everything the hub logged, for assertions on masking. */
  logs: string[];
  /** The Redis key prefix of its queues and partner policies. */
  prefix: string;
  stop(): Promise<void>;
}

export interface TestHubOptions {
  configDir?: string;
  /** Replaces TEST_PARTNERS (e.g. with a vsaa partner pointing at a simulator). */
  partners?: PartnerDef[];
  /** Replaces TEST_OPERATORS (staff with STAFF_KEYS), e.g. with keys that expire. */
  operators?: OperatorDef[];
  /** Another hub process on the same database and Redis prefix; stopping this one leaves them. */
  shareWith?: TestHub;
  /** Start the scheduler's cron triggers (default false: tests trigger pulls themselves). */
  cron?: boolean;
  httpTimeouts?: HubOptions['httpTimeouts'];
  httpLimits?: HubOptions['httpLimits'];
  /** Also export the process's default metrics (CPU, memory, event loop), as `spolis-hub start` does. */
  defaultMetrics?: boolean;
  /** Reload when a file of configDir changes (app/hub.ts). */
  watch?: boolean;
  /** The database to use (stop() drops it) instead of a fresh one on the machine's server (e.g. on a private primary). */
  db?: TestDatabase;
  /** Where the hub connects instead of db.url, e.g. a pooler in front of it. */
  databaseUrl?: string;
  /** Pool sizes and the replica (HubOptions.database). */
  database?: HubOptions['database'];
  /** A route's deliveries in its queue at once (HubOptions.deliveryWindow). */
  deliveryWindow?: number;
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const shared = opts.shareWith;
  const db = shared ? { ...shared.db, drop: async () => {} } : opts.db ?? await createTestDatabase();
  const q = shared ? { prefix: shared.prefix, cleanup: async () => {} } : testQueuePrefix();
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const hub = await Hub.start({
    configDir: opts.configDir ?? process.env.HUB_CONFIG_DIR ?? 'routes', registry: builtinRegistry(), logger: createLogger({ level: 'info', destination: sink }),
    databaseUrl: opts.databaseUrl ?? db.url, database: opts.database, redisUrl: REDIS_URL, queuePrefix: q.prefix, port: 0, partners: opts.partners ?? TEST_PARTNERS, operators: opts.operators ?? TEST_OPERATORS, concurrency: 2,
    signing: await testSigningIdentity(), cron: opts.cron ?? false, httpTimeouts: opts.httpTimeouts, httpLimits: opts.httpLimits, watch: opts.watch, defaultMetrics: opts.defaultMetrics,
    deliveryWindow: opts.deliveryWindow,
  });
  return {
    hub, url: hub.url, db, logs, prefix: q.prefix,
    async stop() {
      await hub.close();
      await q.cleanup();
      await db.drop();
    },
  };
}
