/**
 * The application status e-service (docs/partners/portal-applications.md) end to end: a SOPA batch
 * (Rīga) and a LIETIS batch (Daugavpils) are loaded, SOPA and LIETIS simulators answer open
 * applications, and persons ask through the portal simulator. Decided and open applications of
 * every municipality in one answer; a municipality that is down or silent costs only its open
 * applications; a person sees only their own; every answer and every municipal call is audited;
 * no personal code reaches the log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OpenApplication, PartnerDef } from '../../engine/index.ts';
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { startSopaApplicationsSimulator, type SopaApplicationsSimulator } from '../../connectors/sopa/sandbox.ts';
import { startLietisApplicationsSimulator, type LietisApplicationsSimulator } from '../../connectors/lietis/sandbox.ts';
import { ESERVICE_KEYS, KEYS, eservicePartners, startTestHub, testSigningIdentity, type TestHub } from '../helpers/hub.ts';
import { pushLoad } from '../helpers/api.ts';
import { builtinRegistry } from '../../app/components.ts';
import { lintConfig } from '../../engine/config/loader.ts';
import { storeRegisterChanges } from '../../store/person-register.ts';
import { Redis } from 'ioredis';
import { partnerGates } from '../../engine/runtime/operations.ts';
import { REDIS_URL } from '../helpers/env.ts';

const PATH = '/api/v1/persons/me/applications';
/** Anna Bērziņa of the SOPA example; the LIETIS example is rewritten so that she has decisions in Daugavpils too. */
const ANNA = '16117519997';
/** A member of Anna's household in Rīga: the household's status is his too, Anna's benefits are not. He has declared residence in Ogre, whose system is not connected. */
const JANIS = '05091515731';
/** A valid code the loads never name. */
const NOBODY = '32345678901';
const SOPA_EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url));
const LIETIS_EXAMPLE = Buffer.from(readFileSync(new URL('../fixtures/lietis-batch.xml', import.meta.url)).toString('latin1').replaceAll('110350-10748', '161175-19997'), 'latin1');

const open = (applicationId: string, receivedOn: string, appliedFor: OpenApplication['appliedFor'], state: OpenApplication['state'], expectedDecisionBy?: string): OpenApplication =>
  ({ applicationId, receivedOn, appliedFor, state, ...(expectedDecisionBy ? { expectedDecisionBy } : {}) });

interface Status {
  requestId: string;
  complete: boolean;
  decided: { municipality: string; municipalityName: string; decisionId: string; appliedFor: Record<string, string>; outcome: string; decisionDate?: string; period: { from: string; to?: string }; months?: number; amount?: string; volume?: unknown; assistant?: unknown }[];
  open: (OpenApplication & { municipality: string; municipalityName: string })[];
  sources: { municipality: string; municipalityName: string; partner?: string; system?: string; basis: string[]; openApplications: string; reason?: string }[];
}

describe('e-service: application status (GET /api/v1/persons/me/applications)', function () {
  this.timeout(60_000);
  let t: TestHub;
  let portal: PortalSimulator;
  let riga: SopaApplicationsSimulator;
  let jelgava: SopaApplicationsSimulator;
  let daugavpils: LietisApplicationsSimulator;
  let partners: PartnerDef[];

  const ask = <T = Status>(personCode: string, opts: { org?: string; method?: string; path?: string; hub?: TestHub } = {}) =>
    portal.call<T>((opts.hub ?? t).url, ESERVICE_KEYS.portal, { personCode, ...(opts.org ? { org: opts.org } : {}) }, opts.method ?? 'GET', opts.path ?? PATH);
  const auditRows = async (service: string) => (await t.hub.store.db.query<{ actor: string; subject: string; purpose: string; outcome: string; details: Record<string, unknown> }>(
    'SELECT actor, subject, purpose, outcome, details FROM audit_log WHERE service = $1 ORDER BY seq', [service])).rows;

  before(async () => {
    const identity = await testSigningIdentity();
    [portal, riga, jelgava, daugavpils] = await Promise.all([
      startPortalSimulator({ identity }),
      startSopaApplicationsSimulator({ municipality: '0001000', applications: { [ANNA]: [open('RIX-IES-2026-0815', '2026-11-20', { kind: 'benefit', benefitType: 'HOUSING' }, 'IN_REVIEW', '2026-12-18')] } }),
      startSopaApplicationsSimulator({ municipality: '0003000', applications: { [ANNA]: [open('JEL-2026-77', '2026-11-02', { kind: 'household-status', status: 'LOW_INCOME' }, 'REGISTERED')] } }),
      startLietisApplicationsSimulator({ hubCertPem: identity.certPem, applications: { [ANNA]: [open('DSP/IES/2026/301', '2026-11-25', { kind: 'service', serviceType: 'HOME_CARE' }, 'WAITING_FOR_DOCUMENTS')] } }),
    ]);
    const connected: Record<string, Partial<PartnerDef>> = {
      'sopa-riga': { endpoint: riga.url, notify: { endpoint: 'http://127.0.0.1:9/api/notifications', token: riga.token } },
      'sopa-jelgava': {
        endpoint: jelgava.url, notify: { endpoint: 'http://127.0.0.1:9/api/notifications', token: jelgava.token },
        policies: { circuitBreaker: { failures: 2, openSeconds: 30 } },
      },
      'lietis-daugavpils': { endpoint: daugavpils.url, certificate: daugavpils.certPem },
    };
    partners = eservicePartners({ portalCertPem: portal.certPem }).map((p) => ({ ...p, ...connected[p.id] }));
    t = await startTestHub({ partners });
    assert.equal((await pushLoad(t.url, KEYS['sopa-riga'], { source: 'sopa', municipality: '0001000', period: '2026-10' }, [SOPA_EXAMPLE])).records.accepted, 5);
    assert.equal((await pushLoad(t.url, KEYS['lietis-daugavpils'], { source: 'lietis', municipality: '0002000', period: '2026-10' }, [LIETIS_EXAMPLE], 'application/xml; charset=windows-1257')).records.accepted, 4);
    // PMLP's changes as the feed brings them: Anna moved from Rīga to Jelgava (and has a move to
    // Tukums declared for a day far ahead, not in force yet); Jānis lives in Ogre.
    const residence = (changeId: string, personCode: string, municipality: string, effectiveOn: string) =>
      ({ changeId, personCode, kind: 'RESIDENCE' as const, municipality, effectiveOn, recordedAt: `${effectiveOn}T08:00:00.000Z` });
    await storeRegisterChanges(t.hub.store.db, [
      residence('C-1', ANNA, '0001000', '2024-03-01'), residence('C-2', ANNA, '0003000', '2026-11-01'), residence('C-3', ANNA, '0052000', '2099-01-01'),
      residence('C-4', JANIS, '0040000', '2025-05-05'),
    ], 'push');
  });
  after(async () => {
    await t?.stop();
    await Promise.all([riga?.close(), jelgava?.close(), daugavpils?.close()]);
  });
  afterEach(() => {
    for (const s of [riga, jelgava, daugavpils]) s.reset();
  });

  it('answers a person\'s decided applications of both municipalities and the open ones of every municipality of hers', async () => {
    const r = await ask(ANNA);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const s = r.body;
    assert.equal(s.complete, true);
    const decided = s.decided.map((d) => `${d.municipality} ${d.decisionId} ${Object.values(d.appliedFor).join(':')} ${d.outcome}`).sort();
    assert.deepEqual(decided, [
      '0001000 RIX-P-2026-120044 benefit:GMI GRANTED',
      '0001000 RIX-P-2026-120045 benefit:HOUSING GRANTED',
      '0001000 RIX-S-2026-004711 household-status:NEEDY GRANTED',
      '0002000 DSP/2026/101 household-status:NEEDY GRANTED',
      '0002000 DSP/2026/555 benefit:GMI GRANTED',
    ]);
    const gmi = s.decided.find((d) => d.decisionId === 'RIX-P-2026-120044')!;
    assert.deepEqual(gmi, {
      municipality: '0001000', municipalityName: 'Rīga', decisionId: 'RIX-P-2026-120044', appliedFor: { kind: 'benefit', benefitType: 'GMI' }, outcome: 'GRANTED',
      decisionDate: '2026-10-03', period: { from: '2026-10', to: '2026-10' }, months: 1, amount: '89.40',
    });
    assert.deepEqual(s.decided.find((d) => d.decisionId === 'DSP/2026/101')!.period, { from: '2026-10-01', to: '2027-03-31' });
    const dates = s.decided.map((d) => d.decisionDate ?? d.period.from);
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');

    assert.deepEqual(s.open, [
      { municipality: '0002000', municipalityName: 'Daugavpils', applicationId: 'DSP/IES/2026/301', receivedOn: '2026-11-25', appliedFor: { kind: 'service', serviceType: 'HOME_CARE' }, state: 'WAITING_FOR_DOCUMENTS' },
      { municipality: '0001000', municipalityName: 'Rīga', applicationId: 'RIX-IES-2026-0815', receivedOn: '2026-11-20', appliedFor: { kind: 'benefit', benefitType: 'HOUSING' }, state: 'IN_REVIEW', expectedDecisionBy: '2026-12-18' },
      { municipality: '0003000', municipalityName: 'Jelgava', applicationId: 'JEL-2026-77', receivedOn: '2026-11-02', appliedFor: { kind: 'household-status', status: 'LOW_INCOME' }, state: 'REGISTERED' },
    ]);
    // Rīga and Daugavpils decided about her, Jelgava is where she lives now; Tukums (a move not in force yet) is not asked.
    assert.deepEqual(s.sources.map((x) => [x.partner, x.openApplications, x.basis.join('+')]), [
      ['sopa-riga', 'answered', 'decisions'], ['sopa-jelgava', 'answered', 'declared-residence'], ['lietis-daugavpils', 'answered', 'decisions'],
    ]);
    assert.deepEqual([riga.asked, jelgava.asked, daugavpils.asked], [[ANNA], [ANNA], [ANNA]]);
  });

  it('asks no municipality that neither decided about the person nor is their residence, and lists one not connected', async () => {
    const j = await ask(JANIS);
    assert.equal(j.status, 200, JSON.stringify(j.body));
    assert.deepEqual(j.body.sources, [
      { municipality: '0001000', municipalityName: 'Rīga', partner: 'sopa-riga', system: 'sopa', basis: ['decisions'], openApplications: 'answered' },
      { municipality: '0040000', municipalityName: 'Ogres novads', basis: ['declared-residence'], openApplications: 'decided-only', reason: 'this municipality\'s system is not connected to the hub: decided applications only' },
    ]);
    assert.equal(j.body.complete, true, 'a municipality without an online interface does not make the answer incomplete');
    // Jelgava and Daugavpils never learn that Jānis asked, nor his code.
    assert.deepEqual([riga.asked, jelgava.asked, daugavpils.asked], [[JANIS], [], []]);

    // A person the hub knows nothing of: every connected municipality is asked, since any could hold an application.
    const n = await ask(NOBODY);
    assert.equal(n.status, 200);
    assert.deepEqual(n.body.sources.map((x) => [x.partner, x.openApplications, x.basis.join('+')]), [
      ['sopa-riga', 'answered', 'no-known-municipality'], ['sopa-jelgava', 'answered', 'no-known-municipality'],
      ['lietis-daugavpils', 'answered', 'no-known-municipality'], ['gvs-tukums', 'decided-only', 'no-known-municipality'],
    ]);
    assert.match(n.body.sources[3].reason!, /GVS has no online interface: decided applications only/);
    assert.deepEqual([riga.asked, jelgava.asked, daugavpils.asked], [[JANIS, NOBODY], [NOBODY], [NOBODY]]);
  });

  it('answers 200 without the open applications of a municipality that is down and of one that is silent, and says which', async () => {
    await jelgava.refuseConnections(true);
    daugavpils.switches.timeout = true;
    try {
      const t0 = Date.now();
      const r = await ask(ANNA);
      const ms = Date.now() - t0;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.complete, false);
      assert.deepEqual(r.body.open.map((o) => o.applicationId), ['RIX-IES-2026-0815']);
      assert.equal(r.body.decided.length, 5, 'the decided applications of the silent municipality are still there');
      const by = Object.fromEntries(r.body.sources.map((x) => [x.partner, x]));
      assert.equal(by['sopa-riga'].openApplications, 'answered');
      assert.equal(by['sopa-jelgava'].openApplications, 'unavailable');
      assert.equal(by['sopa-jelgava'].reason, 'the municipality\'s system is unavailable');
      assert.equal(by['lietis-daugavpils'].openApplications, 'unavailable');
      assert.equal(by['lietis-daugavpils'].reason, 'no answer within 3000 ms', 'the route\'s step timeout, under the partner\'s own');
      assert.ok(ms >= 2900 && ms < 5000, `the silent LIETIS is given up on after the step's 3 s (took ${ms} ms)`);
      const calls = await auditRows('call:lietis/open-applications');
      assert.equal(calls.at(-1)!.outcome, 'HUB_ERR_PARTNER_TIMEOUT');
    } finally {
      await jelgava.refuseConnections(false);
    }
  });

  it('answers 200 and unavailable for a municipality whose system answers 503', async () => {
    riga.switches.status5xx = true;
    const r = await ask(ANNA);
    assert.equal(r.status, 200);
    assert.equal(r.body.complete, false);
    assert.deepEqual(r.body.sources.filter((x) => x.openApplications === 'unavailable').map((x) => x.partner), ['sopa-riga']);
    assert.deepEqual(r.body.open.map((o) => o.municipality).sort(), ['0002000', '0003000']);
  });

  it('shows a person only their own: a household member sees the household\'s status, not the others\' benefits; a stranger sees nothing', async () => {
    const j = await ask(JANIS);
    assert.equal(j.status, 200);
    assert.deepEqual(j.body.decided.map((d) => d.decisionId), ['RIX-S-2026-004711']);
    assert.deepEqual(j.body.open, []);
    const n = await ask(NOBODY);
    assert.equal(n.status, 200);
    assert.deepEqual([n.body.decided, n.body.open, n.body.complete], [[], [], true]);
    // The municipal systems were asked about the person of the assertion, and no one else.
    assert.deepEqual([...new Set([...riga.asked, ...jelgava.asked])].sort(), [JANIS, NOBODY].sort());
  });

  it('takes the person from the assertion only: a query naming someone else is refused, and nothing is read', async () => {
    const before = (await auditRows('eservice:application-status')).length;
    const r = await ask(JANIS, { path: `${PATH}?personCode=${ANNA}` });
    assert.equal(r.status, 400);
    assert.equal((r.body as unknown as { error: { code: string } }).error.code, 'HUB_ERR_APPLICATIONS_INVALID');
    assert.ok(!JSON.stringify(r.body).includes(ANNA));
    assert.equal((await auditRows('eservice:application-status')).length, before);
    assert.deepEqual(riga.asked, []);
  });

  it('lets only a person through the portal read it (access matrix), and answers other methods 405', async () => {
    const raw = (key: string | undefined) => fetch(t.url + PATH, { headers: key ? { authorization: `Bearer ${key}` } : {} })
      .then(async (res) => ({ status: res.status, body: await res.json() as { error: { code: string } } }));
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string?][] = [
      ['person', ask(ANNA), 200],
      ['provider', ask(ANNA, { org: '40003000001' }), 403, 'HUB_ERR_ACCESS_DENIED'],
      ['municipality', raw(KEYS['sopa-riga']), 403, 'HUB_ERR_ACCESS_DENIED'],
      ['institution', raw(ESERVICE_KEYS.vsac), 403, 'HUB_ERR_ACCESS_DENIED'],
      ['ministry', raw(KEYS['lm-analytics']), 403, 'HUB_ERR_ACCESS_DENIED'],
      ['no key', raw(undefined), 401, 'HUB_ERR_AUTH_MISSING'],
      ['portal key without assertion', raw(ESERVICE_KEYS.portal), 401, 'HUB_ERR_ASSERTION_MISSING'],
      ['person, POST', ask(ANNA, { method: 'POST' }), 405, 'HUB_ERR_METHOD_NOT_ALLOWED'],
      ['municipality, POST', fetch(t.url + PATH, { method: 'POST', headers: { authorization: `Bearer ${KEYS['sopa-riga']}` } }).then(async (res) => ({ status: res.status, body: await res.json() })), 403, 'HUB_ERR_ACCESS_DENIED'],
    ];
    for (const [who, p, status, code] of cases) {
      const r = await p;
      assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
      if (code) assert.equal((r.body as { error: { code: string } }).error.code, code, who);
    }
  });

  it('writes an audit row for each answer and for each call to a municipal system, before answering', async () => {
    const r = await ask(ANNA);
    assert.equal(r.status, 200);
    const [answer] = (await auditRows('eservice:application-status')).filter((a) => a.details.requestId === r.body.requestId);
    assert.deepEqual([answer.actor, answer.subject, answer.outcome], ['portal:person', ANNA, 'answered']);
    assert.match(answer.purpose, new RegExp(`portal request ${r.body.requestId}`));
    assert.deepEqual([answer.details.decided, answer.details.open], [5, 3]);
    const calls = [...await auditRows('call:sopa/open-applications'), ...await auditRows('call:lietis/open-applications')]
      .filter((c) => c.details.portalRequestId === r.body.requestId);
    assert.deepEqual(calls.map((c) => c.details.partner).sort(), ['lietis-daugavpils', 'sopa-jelgava', 'sopa-riga']);
    for (const c of calls) {
      assert.deepEqual([c.actor, c.subject, c.outcome, c.purpose], ['hub', ANNA, 'answered', answer.purpose]);
    }
    const partial = (await auditRows('eservice:application-status')).filter((a) => a.outcome === 'answered-partial');
    assert.ok(partial.length >= 2, 'the partial answers of the outage tests are recorded as such');
    assert.ok(partial.every((a) => Array.isArray(a.details.unavailable)));
  });

  it('stops asking a municipality that failed policies.circuitBreaker.failures times in a row, and says so', async () => {
    await jelgava.refuseConnections(true);
    for (let i = 0; i < 2; i++) assert.equal((await ask(NOBODY)).body.sources.find((x) => x.partner === 'sopa-jelgava')!.reason, 'the municipality\'s system is unavailable');
    await jelgava.refuseConnections(false);
    const r = await ask(ANNA);
    assert.equal(r.status, 200);
    const jel = r.body.sources.find((x) => x.partner === 'sopa-jelgava')!;
    assert.equal(jel.openApplications, 'unavailable');
    assert.match(jel.reason!, /^not asked: it failed repeatedly; asked again in (29|30) s$/);
    assert.equal(jelgava.requests, 0, 'Jelgava, back up, is left alone until the circuit closes');
    assert.deepEqual(r.body.open.map((o) => o.municipality).sort(), ['0001000', '0002000']);

    // The breaker is the partner's, in Redis: another api process leaves Jelgava alone too, and the console shows it open.
    const other = await startTestHub({ partners, shareWith: t });
    const redis = new Redis(REDIS_URL);
    try {
      const o = await ask(ANNA, { hub: other });
      assert.equal(o.status, 200);
      assert.match(o.body.sources.find((x) => x.partner === 'sopa-jelgava')!.reason!, /^not asked: it failed repeatedly/);
      assert.equal(jelgava.requests, 0, 'not asked by the other process either');
      const gates = await partnerGates(redis, t.prefix, [{ id: 'sopa-jelgava' }, { id: 'sopa-riga' }]);
      assert.deepEqual([gates['sopa-jelgava'].circuit, gates['sopa-riga'].circuit], ['open', 'closed']);
    } finally {
      redis.disconnect();
      await other.stop();
    }
  });

  it('logs no personal code of anyone it answered about or asked for', () => {
    const log = t.logs.join('');
    assert.ok(log.includes('application status'), 'the e-service logged its answers');
    for (const c of [ANNA, JANIS, NOBODY]) {
      assert.ok(!log.includes(c) && !log.includes(`${c.slice(0, 6)}-${c.slice(6)}`), `personal code ${c.slice(0, 6)}-***** appears in the log`);
    }
    // A code stands alone; eleven digits inside a request id (a UUID's last group, hex) are not one.
    assert.deepEqual(log.match(/(?<![\w-])\d{6}-?\d{5}(?![\w-])/g) ?? [], []);
  });
});

describe('route file portal-application-status (an HTTP read)', () => {
  const bundled = readFileSync(new URL('../../routes/portal-application-status.yaml', import.meta.url), 'utf8');
  const lint = (route: string): string[] => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'app-status-route-'));
    try {
      writeFileSync(path.join(dir, 'partners.yaml'), 'partners:\n  - { id: sopa-riga, system: sopa, municipality: "0001000", keyHashes: [] }\n  - { id: portal, system: portal, keyHashes: [] }\n');
      writeFileSync(path.join(dir, 'portal-application-status.yaml'), route);
      return lintConfig(dir, builtinRegistry());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const steps = (yaml: string): string => bundled.replace(/^steps:[\s\S]*$/m, `steps:\n${yaml}`);

  it('loads as bundled: one call: step per municipal system', () => {
    assert.deepEqual(lint(bundled), []);
  });

  it('refuses steps that do not ask a municipal system for open applications, each with what to do', () => {
    const one = (yaml: string): string => {
      const problems = lint(steps(yaml));
      assert.equal(problems.length, 1, problems.join('\n'));
      return problems[0];
    };
    assert.match(one('  - deliver: eaddress/send-message\n'), /steps\[0\]: an HTTP read's steps are call: steps, one per partner system it asks; deliver steps do not run here/);
    assert.match(one('  - call: vzd/get-property\n'), /steps\[0\]\.call: vzd\/get-property asks vzd, and this read asks only sopa, lietis/);
    assert.match(one('  - call: sopa/open-aplications\n'), /unknown call "sopa\/open-aplications" \(did you mean "sopa\/open-applications"\?/);
    assert.match(one('  - call: sopa/open-applications\n  - call: sopa/open-applications\n'), /steps\[1\]\.call: sopa\/open-applications and sopa\/open-applications both ask sopa; keep one/);
    assert.match(one('  - call: sopa/open-applications\n    options: { connections: 4 }\n'), /steps\[0\]\.options: an HTTP read's call steps take no options/);
  });
});
