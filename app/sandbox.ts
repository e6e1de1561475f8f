/**
 * The sandbox (`npm start`, `spolis-hub start --sandbox`) and the load generators of
 * `sim generate`: every partner's simulator on loopback and partners.yaml pointed at them. Test and
 * sandbox equipment: app/cli.ts loads this module only for those commands, so a production process
 * never loads a simulator (test/engine/architecture.test.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Registry } from '../engine/components/registry.ts';
import type { OperatorDef, PartnerDef } from '../engine/config/types.ts';
import { loadConfig } from '../engine/config/loader.ts';
import { hashKey, newKey } from '../engine/http/auth.ts';
import { loadSigningIdentity, type SigningIdentity } from '../engine/soap/signing.ts';
import { builtinRegistry } from './components.ts';
import * as sopa from '../connectors/sopa/sandbox.ts';
import * as gvs from '../connectors/gvs/sandbox.ts';
import * as lietis from '../connectors/lietis/sandbox.ts';
import * as vsaa from '../connectors/vsaa/sandbox.ts';
import * as vdeavk from '../connectors/vdeavk/sandbox.ts';
import * as burvis from '../connectors/burvis/sandbox.ts';
import * as vzd from '../connectors/vzd/sandbox.ts';
import * as pmlp from '../connectors/pmlp/sandbox.ts';
import * as portal from '../connectors/portal/sandbox.ts';
import * as eaddress from '../connectors/eaddress/sandbox.ts';
import { createSigningIdentity } from '../engine/soap/signing.ts';
import type { OpenApplication } from '../schemas/canonical/model.ts';

/** The bundled components and the load generators of the municipal systems (`sim generate`, the bench). */
export function sandboxRegistry(): Registry {
  return builtinRegistry()
    .register('simulator', sopa.sopaSimulator)
    .register('simulator', gvs.gvsSimulator)
    .register('simulator', lietis.lietisSimulator);
}

/** A partner simulator started for the sandbox: what partners.yaml's entries for it become. */
export interface SandboxPartner {
  system: string;
  /** An agency's service URL, or a municipal system's notification receiver. */
  endpoint: string;
  certPem?: string;
  /** The bearer token a JSON receiver expects (SOPA). */
  token?: string;
  /** Municipal receivers: `notify` of that system's partners, not `endpoint`. */
  receiver?: boolean;
  /** Drives the hub's SOAP endpoint as the agency would (VDEĀVK, NVA pushes). */
  push?(hubSoapUrl: string, count: number): Promise<{ status: number }>;
  /** A person the simulator knows, for the sandbox's example query. */
  samplePerson?: string;
  /** A municipal system's open-applications service (docs/partners/sopa-applications.md, lietis-applications.md), by ATVK. */
  applications?: Map<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the simulators of the partners the hub calls or delivers to, on loopback, trusting the
 * hub's certificate.
 */
export async function startSandboxPartners(hubCertPem: string): Promise<SandboxPartner[]> {
  // LIETIS signs its notifications' answers and its open-applications answers with one key: the
  // partner has one certificate.
  const lietisIdentity = await createSigningIdentity('LIETIS simulator');
  const [v, d, b, s, l, z, f, e] = await Promise.all([
    vsaa.startVsaaSimulator({ hubCertPem }),
    vdeavk.startVdeavkSimulator({ hubCertPem }),
    burvis.startBurvisSimulator({ hubCertPem }),
    sopa.startSopaNotificationReceiver({}),
    lietis.startLietisNotificationReceiver({ hubCertPem, identity: lietisIdentity }),
    vzd.startVzdSimulator({ hubCertPem }),
    pmlp.startPmlpSimulator({ hubCertPem }),
    eaddress.startEAddressSimulator({}),
  ]);
  // The example batch's person has an application still open in Rīga, and one in Daugavpils that
  // the status shows only until the batch is pushed: from then on the hub knows the person's
  // municipality (Rīga decided about them) and asks only it, not every municipality.
  const open = (id: string, appliedFor: OpenApplication['appliedFor']): Record<string, OpenApplication[]> =>
    ({ [SANDBOX_APPLICANT]: [{ applicationId: id, receivedOn: '2026-11-20', appliedFor, state: 'IN_REVIEW', expectedDecisionBy: '2026-12-20' }] });
  const [sr, sj, la] = await Promise.all([
    sopa.startSopaApplicationsSimulator({ municipality: '0001000', token: s.token, applications: open('RIX-IES-2026-4411', { kind: 'service', serviceType: 'HOME_CARE' }) }),
    sopa.startSopaApplicationsSimulator({ municipality: '0003000', token: s.token }),
    lietis.startLietisApplicationsSimulator({ hubCertPem, identity: lietisIdentity, municipality: '0002000', applications: open('DGP-2026/771', { kind: 'benefit', benefitType: 'HOUSING' }) }),
  ]);
  return [
    { system: 'vsaa', endpoint: v.url, certPem: v.certPem, close: () => v.close() },
    { system: 'vdeavk', endpoint: d.url, certPem: d.certPem, close: () => d.close(), samplePerson: d.data.personWithOpinions, push: (url, n) => d.push(url, [...d.data.opinions.values()].slice(0, n)) },
    { system: 'burvis', endpoint: b.url, certPem: b.certPem, close: () => b.close(), push: (url, n) => b.push(url, b.data.all().slice(0, n)) },
    { system: 'sopa', endpoint: s.url, token: s.token, receiver: true, applications: new Map([['0001000', sr.url], ['0003000', sj.url]]), close: async () => { await Promise.all([s.close(), sr.close(), sj.close()]); } },
    { system: 'lietis', endpoint: l.url, certPem: l.certPem, receiver: true, applications: new Map([['0002000', la.url]]), close: async () => { await Promise.all([l.close(), la.close()]); } },
    { system: 'eaddress', endpoint: e.url, token: e.token, close: () => e.close() },
    { system: 'vzd', endpoint: z.url, certPem: z.certPem, close: () => z.close(), samplePerson: z.data.samples.several },
    { system: 'pmlp', endpoint: f.url, certPem: f.certPem, close: () => f.close(), samplePerson: f.data.samples.moved },
  ];
}

/** A running sandbox: the simulators, and the partners of partners.yaml with fresh keys pointed at them. */
export interface Sandbox {
  signing: SigningIdentity;
  partners: PartnerDef[];
  /** Partner id → its key, fresh on every start; partners.yaml keeps only hashes. */
  keys: Map<string, string>;
  /** operators.yaml's staff with fresh keys (and one operator and one auditor when it names none). */
  operators: OperatorDef[];
  /** Staff id → its key, fresh on every start. */
  staffKeys: Map<string, string>;
  sims: SandboxPartner[];
  /** The state portal, simulated: it signs the assertions of the e-services' examples. */
  portal: portal.PortalSimulator;
  /** What to print once the hub listens at `hubUrl`: the example push, queries and e-service calls. */
  instructions(hubUrl: string, partners: PartnerDef[]): Promise<string[]>;
  close(): Promise<void>;
}

/** A person of the example SOPA batch (test/fixtures/sopa-batch.xml): decided in Rīga, open applications too. */
const SANDBOX_APPLICANT = '16117519997';

/** A day: the sandbox's printed e-service examples must outlive a coffee break (production: 5 minutes). */
const SANDBOX_ASSERTION_LIFETIME_S = 86_400;

export async function startSandbox(configDir: string, dataDir: string, registry: Registry): Promise<Sandbox> {
  // The agencies the hub calls are simulators on loopback that trust the hub's own certificate.
  const signing = await loadSigningIdentity(dataDir);
  const sims = await startSandboxPartners(signing.certPem);
  const portalSim = await portal.startPortalSimulator({ lifetimeS: SANDBOX_ASSERTION_LIFETIME_S });
  // Sandbox keys are fresh each run and exist only in this process; partners.yaml keeps hashes.
  const keys = new Map<string, string>();
  const loaded = loadConfig(configDir, registry);
  const partners = loaded.partners.map((p): PartnerDef => {
    const key = newKey();
    keys.set(p.id, key);
    // The printed e-service examples carry assertions signed at start; they stay valid for a day.
    if (p.system === 'portal') return { ...p, keyHashes: [hashKey(key)], certificate: portalSim.certPem, assertion: { maxLifetime: `${SANDBOX_ASSERTION_LIFETIME_S}s` } };
    const sim = sims.find((s) => s.system === p.system);
    if (p.system === 'eaddress' && sim) return { ...p, keyHashes: [hashKey(key)], endpoint: sim.endpoint, notify: { endpoint: sim.endpoint, token: sim.token! } };
    if (sim && !sim.receiver && p.endpoint) return { ...p, keyHashes: [hashKey(key)], endpoint: sim.endpoint, certificate: sim.certPem };
    if (sim?.receiver && p.notify) {
      const applications = p.municipality ? sim.applications?.get(p.municipality) : undefined;
      return {
        ...p, keyHashes: [hashKey(key)], notify: { endpoint: sim.endpoint, ...(sim.token ? { token: sim.token } : {}) }, ...(sim.certPem ? { certificate: sim.certPem } : {}),
        ...(applications ? { endpoint: applications } : {}),
      };
    }
    return { ...p, keyHashes: [hashKey(key)] };
  });
  const { operators, staffKeys } = sandboxStaff(loaded.operators);
  return {
    signing, partners, keys, operators, staffKeys, sims, portal: portalSim,
    instructions: async (url, running) => [...sandboxInstructions(url, running, keys, sims), ...await eserviceInstructions(url, running, keys, sims, portalSim)],
    close: async () => { for (const sim of sims) await sim.close(); },
  };
}

/** Staff with fresh keys; a sandbox always has an operator (the console) and an auditor to try. */
function sandboxStaff(configured: readonly OperatorDef[]): { operators: OperatorDef[]; staffKeys: Map<string, string> } {
  const staff: OperatorDef[] = [...configured];
  for (const role of ['operator', 'auditor'] as const) {
    if (!staff.some((o) => o.role === role)) staff.push({ id: `sandbox-${role}`, role, description: `the sandbox's ${role}`, keyHashes: [] });
  }
  const staffKeys = new Map<string, string>();
  const operators = staff.map((o): OperatorDef => {
    const key = newKey();
    staffKeys.set(o.id, key);
    return { ...o, keyHashes: [hashKey(key)] };
  });
  return { operators, staffKeys };
}

function sandboxInstructions(url: string, partners: PartnerDef[], keys: Map<string, string>, sims: SandboxPartner[]): string[] {
  const out: string[] = [];
  const riga = partners.find((p) => p.system === 'sopa' && p.municipality === '0001000');
  if (riga) {
    const k = keys.get(riga.id);
    // The partner's example beside the checkout, or the identical copy the tests keep.
    const shared = resolve('../shared/partners/examples/sopa-batch.xml');
    const file = existsSync(shared) ? shared : resolve('test/fixtures/sopa-batch.xml');
    out.push('push the example SOPA batch:');
    out.push(`H="Authorization: Bearer ${k}"; U=${url}/api/v1/loads; id=$(curl -sS --fail-with-body -H "$H" -H 'Content-Type: application/json' -d '{"source":"sopa","municipality":"0001000","period":"2026-10"}' $U | sed -E 's/.*"id":"([^"]+)".*/\\1/') && curl -sS --fail-with-body -H "$H" -X PUT -H 'Content-Type: application/xml' --data-binary @${file} $U/$id/batches/1 && curl -sS --fail-with-body -H "$H" -H 'Content-Type: application/json' -d '{"batches":1}' $U/$id/commit && sleep 2 && curl -sS --fail-with-body -H "$H" $U/$id; echo`);
  }
  const daugavpils = partners.find((p) => p.system === 'lietis');
  const sandboxPerson = sims.find((x) => x.system === 'vdeavk')?.samplePerson;
  if (daugavpils) {
    out.push('ask VDEĀVK for one person\'s assistant-service opinions (a person of the simulator\'s data set):');
    out.push(`curl -sS -H "Authorization: Bearer ${keys.get(daugavpils.id)}" -H 'Content-Type: application/json' -d '{"personCode":"${sandboxPerson ?? ''}","purpose":"Lēmums par asistenta pakalpojumu, lieta 2026/117"}' ${url}/api/v1/query/vdeavk-opinions; echo`);
    out.push(`WSDLs of the hub's SOAP endpoints: ${url}/soap/vdeavk?wsdl ${url}/soap/burvis?wsdl`);
  }
  if (riga) {
    const ask = (service: string, system: string, purpose: string): string =>
      `curl -sS -H "Authorization: Bearer ${keys.get(riga.id)}" -H 'Content-Type: application/json' -d '{"personCode":"${sims.find((x) => x.system === system)?.samplePerson ?? ''}","purpose":"${purpose}"}' ${url}/api/v1/query/${service}; echo`;
    out.push('ask PMLP whether a person is alive and where the person has declared residence (a person who moved this year):');
    out.push(ask('pmlp-person', 'pmlp', 'Sociālās palīdzības lieta Nr. 2026/17'));
    out.push('ask VZD what real property a person owns (for a means test):');
    out.push(ask('vzd-property', 'vzd', 'Trūcīgas personas statusa izvērtēšana, lieta 2026/17'));
  }
  return out;
}

/** One example call of each e-service, as the portal (a signed assertion), a municipality or the Ministry makes it. */
async function eserviceInstructions(url: string, partners: PartnerDef[], keys: Map<string, string>, _sims: SandboxPartner[], portalSim: portal.PortalSimulator): Promise<string[]> {
  const portalPartner = partners.find((p) => p.system === 'portal');
  const riga = partners.find((p) => p.system === 'sopa' && p.municipality === '0001000');
  const lm = partners.find((p) => p.system === 'lm');
  if (!portalPartner || !riga || !lm) return [];
  const pk = keys.get(portalPartner.id);
  // The portal signs each request: method, path and the exact body bytes (docs/partners/portal.md).
  const asPortal = async (actor: portal.PortalActor, method: string, path: string, body?: object): Promise<string> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const jws = await portalSim.assertion(actor, method, path, text);
    return `curl -sS -X ${method} -H "Authorization: Bearer ${pk}" -H 'Portal-Assertion: ${jws}'${text ? ` -H 'Content-Type: application/json' --data-binary '${text}'` : ''} ${url}${path}; echo`;
  };
  const person = { personCode: SANDBOX_APPLICANT };
  const year = new Date().getFullYear();
  const rk = keys.get(riga.id);
  return [
    'e-services (issue 13; README "For the portal\'s developer"). Each portal call below carries an assertion signed for exactly that request, valid for a day:',
    '1. a provider applies to the social service providers register (a representative of SIA "Aprūpe mājās", through the portal), then the public register (no key):',
    await asPortal({ personCode: '32579461005', org: '40003123456' }, 'POST', '/api/v1/providers/applications', {
      regNo: '40003123456', name: 'SIA Aprūpe mājās', requestedStart: `${year + 1}-01-01`,
      services: [{ serviceType: 'HOME_CARE', addresses: [{ address: 'Brīvības iela 1, Rīga', atvk: '0001000' }] }],
      contact: { email: 'info@aprupe.lv', phone: '+371 67000000' },
    }),
    `curl -sS '${url}/api/v1/providers?service=HOME_CARE&municipality=0001000'; echo   # the Ministry approves first: POST /api/v1/providers/applications/{id}/decision with the lm-analytics key, {"decision":"approve","validFrom":"…"}`,
    '2. a person asks for the status of their applications in every municipality of theirs (push the example SOPA batch first: Rīga decided about them, so only Rīga is asked), and the notices their e-address got:',
    await asPortal(person, 'GET', '/api/v1/persons/me/applications'),
    await asPortal(person, 'GET', '/api/v1/persons/me/decision-notices'),
    '3. Rīga reports a queue for home care; the person asks for their positions:',
    `curl -sS -X PUT -H "Authorization: Bearer ${rk}" -H 'Content-Type: application/json' -d '${JSON.stringify({
      asOf: `${new Date().toISOString().slice(0, 10)}T06:00:00Z`, serviceType: 'HOME_CARE', name: 'Aprūpe mājās',
      entries: [{ personCode: '05091515731', position: 1, joinedOn: '2025-09-03' }, { personCode: SANDBOX_APPLICANT, position: 2, joinedOn: '2025-10-14', expectedStart: `${year + 1}-03-01` }],
    })}' ${url}/api/v1/service-queues/majas-aprupe; echo`,
    await asPortal(person, 'GET', '/api/v1/persons/me/queue-positions'),
    '4. the person submits a complaint to Rīga\'s social service (it reaches Rīga\'s e-address):',
    await asPortal(person, 'POST', '/api/v1/complaints', {
      kind: 'COMPLAINT', topic: 'GMI', institution: '0001000', text: 'Pašvaldība trīs mēnešus nav atbildējusi uz manu iesniegumu par GMI pabalstu.',
      attachments: [{ name: 'iesniegums.txt', contentType: 'text/plain', data: Buffer.from('Iesniegums, 2026. gada 1. septembris\n').toString('base64') }],
    }),
    `5. Rīga fetches its ${year} state statistical report pre-filled from its records (submit with PUT {"figures":{…}}); the Ministry's findings:`,
    `curl -sS -H "Authorization: Bearer ${rk}" ${url}/api/v1/state-reports/${year}; echo`,
    `curl -sS -H "Authorization: Bearer ${keys.get(lm.id)}" '${url}/api/v1/spolis/state-report-findings?year=${year}'; echo`,
  ];
}
