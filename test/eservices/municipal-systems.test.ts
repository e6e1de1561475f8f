/**
 * The application status's calls to the municipal systems when the partners' breakers in Redis
 * cannot be read (eservices/applications/municipal-systems.ts): a Redis that accepts connections
 * and never answers, as a hung server does. The person is answered from the municipality all the
 * same, without waiting for Redis, and the log says so once, not once a person.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { OpenApplication, PartnerDef, RouteDef } from '../../engine/index.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { builtinRegistry } from '../../app/components.ts';
import { MunicipalSystems } from '../../eservices/applications/municipal-systems.ts';
import type { EServiceDeps } from '../../eservices/common/deps.ts';
import { startSopaApplicationsSimulator, type SopaApplicationsSimulator } from '../../connectors/sopa/sandbox.ts';
import { testSigningIdentity } from '../helpers/hub.ts';

const ANNA = '16117519997';
const OPEN: OpenApplication = { applicationId: 'RIX-IES-2026-0815', receivedOn: '2026-11-20', appliedFor: { kind: 'benefit', benefitType: 'HOUSING' }, state: 'IN_REVIEW' };

describe('municipal systems asked while Redis does not answer', function () {
  this.timeout(20_000);
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let redis: Redis;
  let riga: SopaApplicationsSimulator;
  let systems: MunicipalSystems;
  const logs: string[] = [];

  before(async () => {
    // Accepts, reads, never answers: every command waits on it for good.
    silent = net.createServer((s) => { sockets.add(s); s.on('data', () => {}); s.on('error', () => {}); });
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', () => res()));
    redis = new Redis({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    riga = await startSopaApplicationsSimulator({ municipality: '0001000', applications: { [ANNA]: [OPEN] } });
    const partners = [{
      id: 'sopa-riga', system: 'sopa', municipality: '0001000', keyHashes: [], endpoint: riga.url,
      notify: { endpoint: 'http://127.0.0.1:9/api/notifications', token: riga.token },
    }] as PartnerDef[];
    const route = { id: 'portal-application-status', steps: [{ call: 'sopa/open-applications', timeout: '3s' }] } as unknown as RouteDef;
    const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
    systems = new MunicipalSystems(route, {
      partners, registry: builtinRegistry(), configDir: '.', identity: await testSigningIdentity(), redis, prefix: 'spolis-test-hung',
      logger: createLogger({ level: 'info', destination: sink }),
    } as unknown as EServiceDeps);
  });
  after(async () => {
    await systems?.close();
    redis?.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise((res) => silent?.close(res));
    await riga?.close();
  });

  it('answers from the municipality without waiting for Redis, and warns once', async () => {
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const [a] = await systems.ask({ personCode: ANNA, portalRequestId: `r-${i}`, purpose: 'test' }, new Map([['0001000', ['decisions']]]));
      const ms = Date.now() - t0;
      assert.equal(a.report.openApplications, 'answered', JSON.stringify(a.report));
      assert.deepEqual(a.applications, [OPEN]);
      assert.equal(a.audit?.outcome, 'answered');
      assert.ok(ms < 2000, `asked without the breaker after its 250 ms wait, not after Redis (took ${ms} ms)`);
    }
    assert.equal(riga.asked.length, 3);
    const warned = logs.filter((l) => l.includes('circuit breakers in Redis cannot be read'));
    assert.equal(warned.length, 1, 'one warning, not one a person');
  });
});
