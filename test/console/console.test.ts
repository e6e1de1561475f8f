/**
 * The console in a real browser: Debian's chromium driven by playwright-core (no browser
 * download). An operator signs in, sees the failed load and its dead batch, clicks through to it,
 * replays it, and watches the load finish; a wrong key is refused on the page. Screenshots of each
 * step go to test/console/screenshots/ (ignored by git), where CI keeps them as artifacts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startConsoleHub, KEYS, STAFF_KEYS, type ConsoleHub } from './fixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'screenshots');

describe('console in a browser (chromium)', function () {
  this.timeout(60_000);
  let h: ConsoleHub;
  let browser: Browser;
  let page: Page;
  let loadId: string;
  const scriptErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`    skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    mkdirSync(SHOTS, { recursive: true });
    h = await startConsoleHub();
    const pushed = await h.pushPoisonedLoad();
    loadId = pushed.id;
    assert.equal(pushed.status.status, 'failed');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => scriptErrors.push(e.message));
  });
  afterEach(() => { assert.deepEqual(scriptErrors, [], 'the page ran without script errors'); });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  const shot = async (name: string): Promise<void> => {
    const file = join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 5_000, `${file} holds a picture`);
  };

  const signIn = async (key: string): Promise<void> => {
    await page.fill('#key', key);
    await page.click('#login-form button[type=submit]');
  };

  it('refuses a wrong key and a partner\'s key on the page, with the hub\'s reason', async () => {
    await page.goto(h.url + '/');
    await page.waitForSelector('#login:not([hidden])');
    await signIn('not-a-key-of-anyone');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.match(await page.textContent('#login-error') ?? '', /401.*HUB_ERR_AUTH_INVALID/s);
    await shot('1-refused');
    await signIn(KEYS['sopa-riga']);
    await page.waitForFunction(() => /HUB_ERR_ROLE_DENIED/.test(document.getElementById('login-error')?.textContent ?? ''));
    assert.match(await page.textContent('#login-error') ?? '', /403.*partner's key/s);
    assert.equal(await page.isVisible('#view table'), false, 'nothing shown');
  });

  it('signs in with the operator key: the overview shows the failed load, the dead letter, the chart and the audit chain verified', async () => {
    await signIn(STAFF_KEYS.operator);
    await page.waitForSelector('#session:not([hidden])');
    assert.match(await page.textContent('#who') ?? '', /ops-test/);
    await page.waitForFunction(() => /verified/.test(document.getElementById('audit-state')?.textContent ?? ''));
    const row = page.locator(`tr.load-row[data-load="${loadId}"]`);
    await row.waitFor();
    assert.match(await row.textContent() ?? '', /failed/);
    assert.match(await row.textContent() ?? '', /2\/3.*1 dead/);
    assert.match(await page.textContent('#letters') ?? '', /cannot read properties/);
    // The chart drew the records of the two batches that were written.
    assert.ok(await page.locator('#charts svg.chart path').count() >= 3);
    assert.match(await page.textContent('#charts') ?? '', /Records per minute/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spolis.operatorKey')), STAFF_KEYS.operator, 'the key is kept in the tab');
    await shot('2-overview');
  });

  it('clicks through to the failed batch, replays it, and sees the load finish; the store has the batch applied', async () => {
    await page.click(`tr.load-row[data-load="${loadId}"] a`);
    const dead = page.locator('tr.batch-row[data-seq="2"]');
    await dead.waitFor();
    assert.match(await dead.getAttribute('class') ?? '', /dead/);
    assert.match(await dead.textContent() ?? '', /cannot read properties.*dead letter #\d+ after 3 attempts/s);
    assert.match(await page.textContent('#load-status') ?? '', /failed/);
    await shot('3-failed-batch');

    h.poison.armed = false; // the bug is fixed; the operator replays
    await dead.locator('button.replay').click();
    await page.waitForSelector('#notice.ok');
    assert.match(await page.textContent('#notice') ?? '', /Replayed dead letter #\d+ \(load .* batch 2\)/);
    await page.waitForFunction(() => /done/.test(document.getElementById('load-status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    const replayed = page.locator('tr.batch-row[data-seq="2"]');
    assert.match(await replayed.getAttribute('class') ?? '', /\bdone\b/);
    assert.match(await replayed.textContent() ?? '', /replayed from dead letter #\d+/);
    await shot('4-replayed');

    const db = h.hub.store.db;
    const batches = (await db.query<{ seq: number; status: string }>('SELECT seq, status FROM batches WHERE load_id = $1 ORDER BY seq', [loadId])).rows;
    assert.deepEqual(batches.map((b) => b.status), ['done', 'done', 'done']);
    const load = (await db.query<{ status: string; received: number; accepted: number; rejected: number }>('SELECT status, received, accepted, rejected FROM loads WHERE id = $1', [loadId])).rows[0];
    assert.equal(load.status, 'done');
    assert.equal(Number(load.accepted) + Number(load.rejected), Number(load.received));
    const audit = (await db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE service = 'dlq.replay'`)).rows;
    assert.deepEqual(audit, [{ actor: 'operator:ops-test' }]);
  });

  it('signs out: the key leaves the tab and the login returns', async () => {
    await page.click('#signout');
    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spolis.operatorKey')), null);
  });
});
