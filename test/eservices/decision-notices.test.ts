/**
 * Decision notices (issue 13, point 2): a SOPA load through the hub, each new decision's person
 * gets exactly one notice at the e-address simulator, whatever is loaded again; a person without
 * an e-address is recorded undeliverable, an outage is retried; old decisions get none; the person
 * reads their notices through the portal simulator, and only theirs.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEAddressSimulator, type EAddressSimulator, type ReceivedMessage } from '../../connectors/eaddress/sandbox.ts';
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { listDeliveries, type DeliveryRow } from '../../store/index.ts';
import { pushLoad } from '../helpers/api.ts';
import { ESERVICE_KEYS, KEYS, eservicePartners, startTestHub, testSigningIdentity, type TestHub } from '../helpers/hub.ts';
import { FIXTURE_PERSONS, PERIOD, daysAgo, fixtureBatch, persons, servicesBatch } from './decision-notices-fixture.ts';

const PATH = '/api/v1/persons/me/decision-notices';
const ROUTE = 'portal-decision-notices';
const RIGA = { source: 'sopa', municipality: '0001000', period: PERIOD };
const sopaKey = KEYS['sopa-riga'];
const [NO_EADDRESS, OUTAGE_PERSON, OLD_PERSON, RECENT_PERSON, CORRECTED_PERSON] = persons(5, 401);
/** The notices route's deliveries in BullMQ at once: small, so that a load of 60 overflows it. */
const WINDOW = 10;

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** routes/ cut to what these tests use (the SOPA load and the notices), with quick retries. */
function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-notices-'));
  for (const f of ['partners.yaml', 'sopa-monthly-load.yaml']) writeFileSync(join(dir, f), readFileSync(join('routes', f)));
  cpSync('routes/tests', join(dir, 'tests'), { recursive: true });   // the fixtures the route's tests: name
  writeFileSync(join(dir, `${ROUTE}.yaml`), readFileSync(`routes/${ROUTE}.yaml`, 'utf8')
    .replace(/^onError:.*$/m, 'onError: { retry: { attempts: 6, backoff: exponential, delay: 200ms, maxDelay: 1s }, deadLetter: true }'));
  return dir;
}

describe('e-services: decision notices to the e-address', function () {
  this.timeout(120_000);
  let ea: EAddressSimulator;
  let portal: PortalSimulator;
  let t: TestHub;
  const db = () => t.hub.store.db;
  const rows = (): Promise<DeliveryRow[]> => listDeliveries(db(), { routeId: ROUTE });
  const settled = async (): Promise<boolean> => (await rows()).every((r) => r.status !== 'pending');
  /** Every applied batch has been looked at for notices. */
  const scanned = async (): Promise<void> => eventually('every batch scanned for notices', async () => Number((await db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM batches b WHERE status = 'done' AND NOT EXISTS (SELECT 1 FROM decision_notice_scan s WHERE s.load_id = b.load_id AND s.batch_seq = b.seq)`)).rows[0].n) === 0);
  const load = async (xml: string): Promise<{ id: string; records: { accepted: number } }> => {
    const l = await pushLoad(t.url, sopaKey, RIGA, [xml]);
    assert.equal(l.status, 'done');
    return l;
  };
  const notices = (personCode: string) => portal.call<{ notices: { subject: string; status: string; createdAt: string; deliveredAt?: string }[] }>(
    t.url, ESERVICE_KEYS.portal, { personCode }, 'GET', PATH);

  before(async () => {
    [ea, portal] = await Promise.all([startEAddressSimulator({ withoutEAddress: [NO_EADDRESS] }), startPortalSimulator({ identity: await testSigningIdentity() })]);
    t = await startTestHub({ configDir: configDir(), partners: eservicePartners({ portalCertPem: portal.certPem, eaddress: { endpoint: ea.url, token: ea.token } }), deliveryWindow: WINDOW });
  });
  after(async () => {
    await t?.stop();
    await ea?.close();
  });

  it('a new load: each new decision\'s person gets exactly one notice, in Latvian, with their own decision only', async () => {
    const l = await load(fixtureBatch());
    assert.equal(l.records.accepted, 5);
    // Anna: the household status and her two benefits; Jānis: the household status; the service decision's person: one.
    await eventually('five notices', () => ea.inbox().length === 5);
    await eventually('every notice settled', settled);
    const p = FIXTURE_PERSONS;
    assert.deepEqual([p.anna, p.janis, p.service, p.assistant].map((c) => ea.byRecipient(c).length), [3, 1, 1, 0]);
    assert.equal(new Set(ea.inbox().map((m) => m.messageId)).size, 5);
    assert.deepEqual(ea.stats, { received: 5, duplicates: 0, conflicts: 0, noEAddress: 0, requests: 5, overRate: 0 });

    const [janis] = ea.byRecipient(p.janis);
    assert.equal(janis.kind, 'decision-notice');
    assert.equal(janis.subject, 'Pašvaldības lēmums: trūcīgas mājsaimniecības statuss');
    assert.match(janis.text, /Pašvaldība: Rīga\nLēmums: Jūsu mājsaimniecībai piešķirts trūcīgas mājsaimniecības statuss/);
    assert.match(janis.text, /Latvija\.lv/);
    const everyText = ea.inbox().map((m) => `${m.subject}\n${m.text}`).join('\n');
    assert.doesNotMatch(everyText, /\d{6}-?\d{5}/, 'no person code in any notice');
    assert.doesNotMatch(janis.text, /Anna|Bērziņa/, 'a member\'s notice names no other member');
    const service = ea.byRecipient(p.service)[0];
    assert.match(service.text, /Sociālais pakalpojums "aprūpe mājās" – piešķirts/);
    const [d, m, y] = [daysAgo(4).slice(8, 10), daysAgo(4).slice(5, 7), daysAgo(4).slice(0, 4)];
    assert.match(service.text, new RegExp(`Lēmuma datums: ${d}\\.${m}\\.${y}\\.`));
    assert.deepEqual(ea.byRecipient(p.anna).map((x) => x.subject).sort(),
      ['Pašvaldības lēmums: garantētā minimālā ienākuma pabalsts', 'Pašvaldības lēmums: mājokļa pabalsts', 'Pašvaldības lēmums: trūcīgas mājsaimniecības statuss']);
    const delivered = await rows();
    assert.deepEqual([delivered.length, delivered.filter((r) => r.status === 'delivered').length], [5, 5]);
    assert.deepEqual(delivered.map((r) => r.id).sort(), ea.inbox().map((x) => x.messageId).sort(), 'the messageId is the delivery id');
  });

  it('the same batch again, and a corrected version of it, send no second notice', async () => {
    await load(fixtureBatch());
    const corrected = fixtureBatch().replace('<Lemums>PIESKIRTS</Lemums>', '<Lemums>PARTRAUKTS</Lemums>').replace('89.40', '95.00')
      .replace('<Loma>CITA</Loma>', '<Loma>PIRMA</Loma>');
    await load(corrected);
    await scanned();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await rows()).length, 5, 'no new delivery');
    assert.deepEqual([ea.inbox().length, ea.stats.requests], [5, 5], 'nothing sent again');
  });

  it('a person without an e-address: the notice is undeliverable after one attempt, not retried, not a dead letter', async () => {
    await load(servicesBatch([{ id: 'RIX-K-NOEA-1', personCode: NO_EADDRESS }]));
    const mine = async () => (await rows()).find((r) => r.subject === NO_EADDRESS);
    await eventually('the notice undeliverable', async () => (await mine())?.status === 'undeliverable');
    await new Promise((r) => setTimeout(r, 1500)); // longer than the route's first retries
    const row = (await mine())!;
    assert.deepEqual([row.status, row.attempts], ['undeliverable', 1]);
    assert.equal(ea.stats.noEAddress, 1);
    assert.equal(ea.byRecipient(NO_EADDRESS).length, 0);
    const dead = await db().query('SELECT 1 FROM dead_letters WHERE job_id = $1', [row.id]);
    assert.equal(dead.rows.length, 0);
    const audit = await db().query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE details->>'deliveryId' = $1 ORDER BY seq`, [row.id]);
    assert.deepEqual(audit.rows.map((a) => a.outcome), ['attempt 1', 'undeliverable']);
  });

  it('an e-address outage: the notice is retried and arrives once when it is back', async () => {
    ea.switches.outage = true;
    try {
      await load(servicesBatch([{ id: 'RIX-K-OUT-1', personCode: OUTAGE_PERSON }]));
      const mine = async () => (await rows()).find((r) => r.subject === OUTAGE_PERSON);
      await eventually('two failed attempts', async () => ((await mine())?.attempts ?? 0) >= 2);
      assert.equal((await mine())!.status, 'pending');
    } finally {
      ea.switches.outage = false;
    }
    await eventually('the notice after the outage', () => ea.byRecipient(OUTAGE_PERSON).length === 1);
    await eventually('marked delivered', async () => (await rows()).find((r) => r.subject === OUTAGE_PERSON)?.status === 'delivered');
    assert.equal(ea.stats.duplicates, 0);
  });

  it('60 new decisions at once: the notices go no faster than the e-address takes them, a window at a time, each once', async () => {
    const people = persons(60, 801);
    const theirs = (): ReceivedMessage[] => ea.inbox().filter((m) => 'personCode' in m.recipient && people.includes(m.recipient.personCode));
    const before = { ...ea.stats };
    const deliveries = t.hub.deliveries;
    let most = 0;
    const watch = setInterval(() => void deliveries.counts().then((c) => {
      const q = c[ROUTE];
      most = Math.max(most, q.waiting + q.active + q.delayed);
    }), 20);
    try {
      await load(servicesBatch(people.map((personCode, i) => ({ id: `PACE-${i}`, personCode }))));
      await eventually('60 notices', () => theirs().length === 60, 30_000);
    } finally {
      clearInterval(watch);
    }
    assert.equal(ea.stats.overRate - before.overRate, 0, 'the hub never sent more than the e-address takes (20 a second), so it never had to refuse one');
    assert.equal(ea.stats.duplicates - before.duplicates, 0);
    // VRAA counts arrivals in any one second: at most 20 in every sliding second.
    const at = theirs().map((m) => Date.parse(m.receivedAt));
    const busiest = Math.max(...at.map((t0) => at.filter((x) => x >= t0 && x < t0 + 1000).length));
    assert.ok(busiest <= 20, `at most 20 notices in any second (busiest: ${busiest})`);
    assert.ok(at[at.length - 1] - at[0] >= 2_000, 'sixty at twenty a second take about three seconds, not one burst');
    assert.ok(most > 0 && most <= WINDOW, `at most the window (${WINDOW}) of notice jobs in the queue at once (most seen: ${most})`);
    await eventually('every notice settled', settled);
  });

  it('decisions made long before the batch arrived (a first load of history) get no notice; recent ones in the same batch do', async () => {
    const before = ea.inbox().length;
    await load(servicesBatch([
      { id: 'RIX-K-OLD-1', personCode: OLD_PERSON, decisionDate: daysAgo(400) },
      { id: 'RIX-K-OLD-2', personCode: OLD_PERSON, decisionDate: daysAgo(91) },
      { id: 'RIX-K-NEW-1', personCode: RECENT_PERSON, decisionDate: daysAgo(89) },
    ]));
    await eventually('the recent decision\'s notice', () => ea.byRecipient(RECENT_PERSON).length === 1);
    await scanned();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ea.byRecipient(OLD_PERSON).length, 0);
    assert.equal(ea.inbox().length, before + 1);
  });

  it('a decision first loaded, then corrected in a later load: still one notice, with the first version\'s words', async () => {
    await load(servicesBatch([{ id: 'RIX-K-CORR-1', personCode: CORRECTED_PERSON }]));
    await eventually('the first notice', () => ea.byRecipient(CORRECTED_PERSON).length === 1);
    await load(servicesBatch([{ id: 'RIX-K-CORR-1', personCode: CORRECTED_PERSON, outcome: 'ATTEIKTS' }]));
    await scanned();
    await new Promise((r) => setTimeout(r, 300));
    const got: ReceivedMessage[] = ea.byRecipient(CORRECTED_PERSON);
    assert.equal(got.length, 1);
    assert.match(got[0].text, /– piešķirts/);
    assert.equal(ea.stats.conflicts, 0);
  });

  it('GET decision-notices: the person sees their own notices, with delivery status, and each read is an audit row', async () => {
    const anna = await notices(FIXTURE_PERSONS.anna);
    assert.equal(anna.status, 200, JSON.stringify(anna.body));
    assert.equal(anna.body.notices.length, 3);
    assert.ok(anna.body.notices.every((n) => n.status === 'delivered' && n.deliveredAt && n.createdAt));
    assert.deepEqual(anna.body.notices.map((n) => n.subject).sort(), ea.byRecipient(FIXTURE_PERSONS.anna).map((m) => m.subject).sort());
    const janis = await notices(FIXTURE_PERSONS.janis);
    assert.deepEqual(janis.body.notices.map((n) => n.subject), ['Pašvaldības lēmums: trūcīgas mājsaimniecības statuss']);
    const none = await notices(FIXTURE_PERSONS.assistant);
    assert.deepEqual(none.body, { notices: [] });
    const noEAddress = await notices(NO_EADDRESS);
    assert.deepEqual(noEAddress.body.notices.map((n) => n.status), ['no-eaddress']);
    assert.ok(!JSON.stringify(anna.body).includes(FIXTURE_PERSONS.janis), 'no other person\'s data');
    const audit = await db().query<{ subject: string; actor: string; outcome: string }>(
      `SELECT subject, actor, outcome FROM audit_log WHERE service = 'eservice:decision-notices' ORDER BY seq`);
    assert.deepEqual(audit.rows.map((a) => [a.subject, a.actor, a.outcome]), [
      [FIXTURE_PERSONS.anna, 'portal:person', 'answered'], [FIXTURE_PERSONS.janis, 'portal:person', 'answered'],
      [FIXTURE_PERSONS.assistant, 'portal:person', 'answered'], [NO_EADDRESS, 'portal:person', 'answered'],
    ]);
    assert.ok(!t.logs.join('').includes(FIXTURE_PERSONS.anna), 'no person code in the logs');
  });

  it('access matrix: only a person through the portal reads notices; every other caller is refused', async () => {
    const plain = async (key: string | null, method = 'GET'): Promise<[number, string]> => {
      const res = await fetch(t.url + PATH, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
      return [res.status, ((await res.json()) as { error?: { code: string } }).error?.code ?? 'ok'];
    };
    const viaPortal = async (actor: { personCode: string; org?: string }, method = 'GET'): Promise<[number, string]> => {
      const r = await portal.call<{ error?: { code: string } }>(t.url, ESERVICE_KEYS.portal, actor, method, PATH);
      return [r.status, r.body.error?.code ?? 'ok'];
    };
    const matrix = {
      person: await viaPortal({ personCode: FIXTURE_PERSONS.anna }),
      provider: await viaPortal({ personCode: FIXTURE_PERSONS.anna, org: '40003000000' }),
      municipality: await plain(KEYS['sopa-riga']),
      institution: await plain(ESERVICE_KEYS.vsac),
      ministry: await plain(KEYS['lm-analytics']),
      'no key': await plain(null),
      'portal key without assertion': await plain(ESERVICE_KEYS.portal),
      'person, POST': await viaPortal({ personCode: FIXTURE_PERSONS.anna }, 'POST'),
      'municipality, POST': await plain(KEYS['sopa-riga'], 'POST'),
    };
    assert.deepEqual(matrix, {
      person: [200, 'ok'],
      provider: [403, 'HUB_ERR_ACCESS_DENIED'],
      municipality: [403, 'HUB_ERR_ACCESS_DENIED'],
      institution: [403, 'HUB_ERR_ACCESS_DENIED'],
      ministry: [403, 'HUB_ERR_ACCESS_DENIED'],
      'no key': [401, 'HUB_ERR_AUTH_MISSING'],
      'portal key without assertion': [401, 'HUB_ERR_ASSERTION_MISSING'],
      'person, POST': [405, 'HUB_ERR_METHOD_NOT_ALLOWED'],
      'municipality, POST': [403, 'HUB_ERR_ACCESS_DENIED'],
    });
  });
});
