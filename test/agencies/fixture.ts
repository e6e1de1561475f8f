/**
 * A hub wired to every agency and municipal-receiver simulator on loopback, with route files
 * copied from routes/ and retries shortened so that delivery faults play out in seconds.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { REDIS_URL } from '../helpers/env.ts';
import { join } from 'node:path';
import { startVdeavkSimulator, type VdeavkSimulator } from '../../connectors/vdeavk/sandbox.ts';
import { startBurvisSimulator, type BurvisSimulator } from '../../connectors/burvis/sandbox.ts';
import { startSopaNotificationReceiver, type SopaNotificationReceiver } from '../../connectors/sopa/sandbox.ts';
import { startLietisNotificationReceiver, type LietisNotificationReceiver } from '../../connectors/lietis/sandbox.ts';
import { startPmlpSimulator, type PmlpSimulator } from '../../connectors/pmlp/sandbox.ts';
import { startVzdSimulator, type VzdSimulator } from '../../connectors/vzd/sandbox.ts';
import type { PartnerDef, RouteDef } from '../../engine/config/types.ts';
import { createSigningIdentity, type SigningIdentity } from '../../engine/soap/signing.ts';
import { TEST_PARTNERS, startTestHub, testSigningIdentity, type TestHub } from '../helpers/hub.ts';
import type { HubOptions } from '../../app/hub.ts';

export interface AgencyWorld {
  hub: TestHub;
  vdeavk: VdeavkSimulator;
  burvis: BurvisSimulator;
  sopa: SopaNotificationReceiver;
  lietis: LietisNotificationReceiver;
  /** The registers: PMLP's population register and VZD's cadastre. */
  pmlp: PmlpSimulator;
  vzd: VzdSimulator;
  /** The keys VDEĀVK and NVA sign their pushes with (their certificates are the registered ones). */
  keys: { vdeavk: SigningIdentity; burvis: SigningIdentity };
  /** The route files this hub was started with (HUB_CONFIG_DIR for the operator CLI). */
  dir: string;
  route(id: string): RouteDef;
  stop(): Promise<void>;
}

/** Operator CLI (`spolis-hub …`) against this world's store, queues and route files. */
export function operatorCli(w: AgencyWorld, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli.ts', ...args], {
    encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, DATABASE_URL: w.hub.db.url, REDIS_URL, HUB_QUEUE_PREFIX: w.hub.prefix, HUB_CONFIG_DIR: w.dir, LOG_LEVEL: 'warn' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface WorldOptions {
  /** Per route id, text replacements applied to its YAML (e.g. a shorter retry). */
  patch?: Record<string, [RegExp, string][]>;
  policies?: PartnerDef['policies'];
  /** The municipalities' receivers' policies (SOPA, LIETIS); partners.yaml's defaults when absent. */
  municipalPolicies?: PartnerDef['policies'];
  httpLimits?: HubOptions['httpLimits'];
}

/** Retries of the delivery routes: 4 attempts within about two seconds. */
export const FAST_RETRY = 'onError: { retry: { attempts: 4, backoff: exponential, delay: 200ms, maxDelay: 1s }, deadLetter: true }';

export async function startWorld(opts: WorldOptions = {}): Promise<AgencyWorld> {
  const hubCertPem = (await testSigningIdentity()).certPem;
  const keys = { vdeavk: await createSigningIdentity('VDEAVK test'), burvis: await createSigningIdentity('NVA test') };
  const [vdeavk, burvis, sopa, lietis, pmlp, vzd] = await Promise.all([
    startVdeavkSimulator({ hubCertPem, identity: keys.vdeavk }), startBurvisSimulator({ hubCertPem, identity: keys.burvis }),
    startSopaNotificationReceiver({}), startLietisNotificationReceiver({ hubCertPem }),
    startPmlpSimulator({ hubCertPem }), startVzdSimulator({ hubCertPem }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'spolis-routes-'));
  for (const name of readdirSync('routes').filter((n) => n.endsWith('.yaml'))) {
    let text = readFileSync(join('routes', name), 'utf8');
    const id = name.replace(/\.yaml$/, '');
    if (/^burvis-/.test(id)) text = text.replace(/^onError:.*$/m, FAST_RETRY);
    for (const [re, by] of opts.patch?.[id] ?? []) text = text.replace(re, by);
    writeFileSync(join(dir, name), text);
  }
  cpSync('routes/tests', join(dir, 'tests'), { recursive: true });   // the fixtures the route files' tests: name
  const policies = opts.policies ?? { circuitBreaker: { failures: 1000, openSeconds: 1 }, timeout: '2s' };
  const partners: PartnerDef[] = TEST_PARTNERS.map((p) => {
    const own = opts.municipalPolicies ? { policies: opts.municipalPolicies } : {};
    if (p.system === 'sopa') return { ...p, ...own, notify: { endpoint: sopa.url, token: sopa.token } };
    if (p.system === 'lietis') return { ...p, ...own, notify: { endpoint: lietis.url }, certificate: lietis.certPem };
    return p;
  });
  partners.push(
    { id: 'vdeavk', system: 'vdeavk', keyHashes: [], endpoint: vdeavk.url, certificate: vdeavk.certPem, policies },
    { id: 'burvis', system: 'burvis', keyHashes: [], endpoint: burvis.url, certificate: burvis.certPem, policies },
    { id: 'pmlp', system: 'pmlp', keyHashes: [], endpoint: pmlp.url, certificate: pmlp.certPem, policies },
    { id: 'vzd', system: 'vzd', keyHashes: [], endpoint: vzd.url, certificate: vzd.certPem, policies },
  );
  const hub = await startTestHub({ configDir: dir, partners, httpLimits: opts.httpLimits });
  return {
    hub, vdeavk, burvis, sopa, lietis, pmlp, vzd, keys, dir,
    route: (id) => hub.hub.config.routes.find((r) => r.id === id)!,
    async stop() {
      await hub.stop();
      await Promise.all([vdeavk.close(), burvis.close(), sopa.close(), lietis.close(), pmlp.close(), vzd.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` is true, or fails after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 20_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
