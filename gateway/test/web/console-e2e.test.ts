/**
 * The web console end to end in real Chromium: a Gateway with the simulator's prepaid meters (the
 * real firmware) and an sdm630 over Modbus TCP, credit on, a real mosquitto; log in, see the
 * meters, trip and restore a relay (checked on the simulated meter), scan a spare socat pty line
 * with simulated sdm120 meters on it; first-page transfer under 300 KB; screenshots at desktop
 * and phone sizes to test-artifacts/web/.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import type { Page } from 'playwright-core';
import { Gateway } from '../../src/app/runtime.js';
import { configOf, rawConfig } from '../e2e/rig.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { freePort, startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { tempDir } from '../store/temp-dir.js';
import { quietLog, waitFor } from '../uplink/helpers.js';
import { launchChromium, testWithChromium } from './chromium.js';
import { API_TOKEN, FAST, PASSWORD, http } from './helpers.js';
import { hashPassword, hashToken } from '../../src/adapters/web/password.js';
import { signCommand } from '../../src/core/commands/index.js';

const test = testWithChromium(['mosquitto', 'socat']);
const ARTIFACTS = new URL('../../../../test-artifacts/web/', import.meta.url).pathname;

const keys = generateKeyPairSync('ed25519');
const PUBLIC = createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');

const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const POLICY = { id: 'std', lowCreditThresholds: [5000, 2000], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };

/** Transferred bytes (headers + bodies, as on the wire) of everything the page loads from now on. */
async function transferMeter(page: Page): Promise<() => number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));
  return () => bytes;
}

test('web console in Chromium: log in, live meters, trip and restore a relay, scan a spare line, < 300 KB first page', async (t) => {
  t.timeout(150_000);
  const broker = await startMosquitto(t);
  const dir = tempDir(t);
  const prepaid = new Simulator({ profile: 'prepaid', meters: 2, seed: 'web-prepaid' });
  prepaid.setLoad(1, { type: 'constant', watts: 1800 });
  prepaid.setLoad(2, { type: 'constant', watts: 650 });
  const sdm = new Simulator({ profile: 'sdm630', meters: 1, seed: 'web-sdm' });
  t.teardown(() => Promise.all([prepaid.close(), sdm.close()]));
  const [p1port, s1port] = [await prepaid.listenTcp(0), await sdm.listenTcp(0)];
  // The spare line: two sdm120 meters on a socat pty pair the gateway does not poll.
  const pair = await ptyPair();
  const spare = new Simulator({ profile: 'sdm120', meters: 2, seed: 'web-spare' });
  await spare.openSerial(pair.a, { baudRate: 9600, parity: 'none' });
  t.teardown(async () => {
    await spare.close();
    await pair.close();
  });

  const port = await freePort();
  const cfg = configOf(
    rawConfig('gw-console', join(dir, 'gw.db'), broker.url, {
      gateway: { id: 'gw-console', timezone: 'UTC' },
      buses: [
        { id: 'tcp-prepaid', type: 'tcp', host: '127.0.0.1', port: p1port, timeoutMs: 1000 },
        { id: 'tcp-sdm', type: 'tcp', host: '127.0.0.1', port: s1port, timeoutMs: 1000 },
      ],
      meters: [
        { id: 'flat-101', bus: 'tcp-prepaid', unit: 1, profile: 'prepaid', pollMs: 1000 },
        { id: 'flat-102', bus: 'tcp-prepaid', unit: 2, profile: 'prepaid', pollMs: 1000 },
        { id: 'shop-1', bus: 'tcp-sdm', unit: 1, profile: 'sdm630', pollMs: 1000 },
      ],
      credit: {
        tariffs: { flat: FLAT },
        policies: { std: POLICY },
        classes: { residential: { tariff: 'flat', policy: 'std' } },
        accounts: [
          { meter: 'flat-101', customer: 'C-101', class: 'residential', openingBalance: 42_500 },
          { meter: 'flat-102', customer: 'C-102', class: 'residential', openingBalance: 18_250 },
        ],
        keys: [{ keyId: 'utility-1', publicKey: PUBLIC }],
        chargeEveryMs: 5000,
      },
      console: { listen: `127.0.0.1:${port}`, users: [{ name: 'tech', passwordHash: await hashPassword(PASSWORD, FAST) }], sessionTtlMs: 3_600_000, apiTokens: [{ name: 'tech-cli', tokenHash: hashToken(API_TOKEN) }] },
    }),
  );
  const gw = new Gateway(cfg, { log: quietLog(), console: { historyBucketMs: 2000 } });
  t.teardown(() => gw.stop('teardown'));
  await gw.start();
  const url = `http://127.0.0.1:${port}`;
  await waitFor('all meters polled', async () => (await gw.status()).meters.every((m) => m.state === 'ok' && m.latest));

  const ctx = await launchChromium(t);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The 401s of the session check before login and of the wrong password are expected.
  page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && errors.push(m.text()));

  // First page: the login screen with everything it loads (page, script, styles, chart library).
  const transferred = await transferMeter(page);
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.locator('#login-form').waitFor({ state: 'visible' });
  const firstPage = transferred();
  t.log(`first page: ${(firstPage / 1024).toFixed(1)} KB transferred`);
  t.true(firstPage < 300 * 1024, `first page ${firstPage} B`);
  t.true(firstPage > 50 * 1024, 'the chart library was loaded with the page');

  // A wrong password is refused on the page.
  await page.fill('#login-user', 'tech');
  await page.fill('#login-password', 'not the password');
  await page.click('#login-form button[type=submit]');
  await page.locator('#login-error', { hasText: 'wrong user name or password' }).waitFor();
  t.true(await page.locator('#app-view').isHidden());

  await page.fill('#login-password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  t.log(`after login: ${(transferred() / 1024).toFixed(1)} KB transferred in total`);

  // The simulated meters, with live values, health and credit.
  for (const id of ['flat-101', 'flat-102', 'shop-1']) await page.locator(`tr[data-meter="${id}"]`).waitFor();
  const row101 = page.locator('tr[data-meter="flat-101"]');
  await row101.locator('td[data-label="Power"]', { hasText: /1,?8\d\d W/ }).waitFor();
  t.regex(await row101.locator('td[data-label="Health"]').innerText(), /online/);
  t.regex(await row101.locator('td[data-label="Credit"]').innerText(), /4\d\.\d\d EUR/);
  t.regex(await page.locator('tr[data-meter="shop-1"] td[data-label="Relay test"]').innerText(), /no relay control/);
  await page.locator('#uplink-badge', { hasText: 'MQTT connected' }).waitFor();

  // Trip flat-101 through the confirm dialog; cancelling first does nothing.
  t.true(prepaid.trueState(1).relayClosed);
  await row101.locator('button[data-action=trip]').click();
  await page.locator('#confirm').waitFor({ state: 'visible' });
  await page.click('#confirm-cancel');
  await page.waitForTimeout(300);
  t.true(prepaid.trueState(1).relayClosed, 'cancel leaves the relay alone');
  await row101.locator('button[data-action=trip]').click();
  t.regex(await page.locator('#confirm-title').innerText(), /Trip the relay of flat-101/);
  await page.click('#confirm-ok');
  await page.locator('#toast', { hasText: 'flat-101: relay open (verified by readback)' }).waitFor();
  t.false(prepaid.trueState(1).relayClosed, 'the simulated meter opened its relay');
  await row101.locator('[data-relay="disconnected"]').waitFor();
  await row101.locator('.badge', { hasText: /^held open until/ }).waitFor();
  // The credit rules would close it again at the next reading: the trip is a hold, it stays open.
  await page.waitForTimeout(2500);
  t.false(prepaid.trueState(1).relayClosed, 'still open after more readings');
  await page.locator('#events li', { hasText: 'technician:tech' }).first().waitFor();

  // Restore.
  await row101.locator('button[data-action=restore]').click();
  await page.click('#confirm-ok');
  await page.locator('#toast', { hasText: 'flat-101: relay closed (verified by readback)' }).waitFor();
  t.true(prepaid.trueState(1).relayClosed, 'the simulated meter closed its relay again');
  await row101.locator('[data-relay="connected"]').waitFor();
  t.true(await row101.locator('.badge', { hasText: /^held/ }).isHidden());
  const audit = await gw.credit!.ledger.auditLog({ meter: 'flat-101' });
  const relayRows = audit.filter((a) => a.action.startsWith('relay')).map((a) => [a.action, a.cause, a.detail.result ?? null]);
  t.deepEqual(relayRows.slice(0, 3), [
    ['relay-override', 'technician:tech', null],
    ['relay-disconnected', 'override: technician:tech', 'verified'],
    ['relay-override-released', 'technician:tech', null],
  ]);
  // Released, the relay closes: by the credit rules' re-evaluation ('override ended') or, if that
  // had not closed it yet, by the console itself. A reading taken while it was open and charged
  // just after the release can make the engine close it once more (idempotent): only closes follow.
  const after = relayRows.slice(3);
  t.true(after.length >= 1, JSON.stringify(relayRows));
  for (const r of after) t.like(r, { 0: 'relay-connected', 2: 'verified' }, JSON.stringify(relayRows));
  t.true(['override ended', 'technician:tech'].includes(after[0]![1] as string), String(after[0]![1]));

  // Scan: the gateway's own lines are refused; the spare line finds both sdm120 meters.
  await page.fill('#scan-path', pair.b);
  await page.fill('#scan-from', '1');
  await page.fill('#scan-to', '4');
  await page.selectOption('#scan-baud', '9600');
  await page.selectOption('#scan-parity', 'none');
  await page.click('#scan-start');
  await page.locator('#scan-text', { hasText: /^Done/ }).waitFor({ timeout: 60_000 });
  t.deepEqual(await page.locator('#scan-found li').allInnerTexts(), ['unit 1 at 9600 8N2 — sdm120', 'unit 2 at 9600 8N2 — sdm120']);
  t.is(await page.locator('#scan-progress').getAttribute('value'), await page.locator('#scan-progress').getAttribute('max'));

  // Charts: points every 2 s here (a minute in production).
  await waitFor('chart history', () => gw.status().then(() => true));
  await page.selectOption('#chart-meter', 'flat-101');
  await page.locator('#chart-power .uplot').waitFor();
  await page.locator('#chart-energy .uplot').waitFor();

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(ARTIFACTS, 'console-desktop.png'), fullPage: true });

  // Phone width: one card per meter, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  const overflow = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  t.true(overflow <= 390, `page is ${overflow} px wide at 390 px`);
  t.is(await page.evaluate('getComputedStyle(document.querySelector(\'tr[data-meter="flat-101"] td[data-label="Power"]\')).display'), 'flex');
  await page.screenshot({ path: join(ARTIFACTS, 'console-phone.png'), fullPage: true });

  t.deepEqual(errors, [], 'no script errors in the page');

  // The technician CLI's path: a signed command over the API with a bearer token.
  const auth = { authorization: `Bearer ${API_TOKEN}` };
  const now = Date.now();
  const topup = signCommand({ id: 'web-topup-1', type: 'topup', meter: 'flat-102', amount: 5000, currency: 'EUR', issuedAt: now, expiresAt: now + 600_000 }, keys.privateKey, 'utility-1');
  const before = (await gw.credit!.ledger.account('flat-102'))!.balance;
  const applied = await http(`${url}/api/commands`, { body: topup, headers: auth });
  t.is(applied.status, 200, applied.text);
  t.like(applied.body, { status: 'applied', id: 'web-topup-1', type: 'topup', meter: 'flat-102' });
  t.true(applied.body.balance >= before + 5000 - 10);
  t.like((await http(`${url}/api/commands`, { body: topup, headers: auth })).body, { status: 'duplicate', id: 'web-topup-1' });
  const forged = await http(`${url}/api/commands`, { body: { ...topup, amount: 500_000 }, headers: auth });
  t.is(forged.status, 422);
  t.like(forged.body, { status: 'rejected', reason: 'E_COMMAND_SIGNATURE' });
  t.is((await http(`${url}/api/commands`, { body: topup })).status, 401, 'no token, no command');

  // The browser's own session cookie, replayed without the page's CSRF token (a forged request,
  // or a client that sends no Origin): refused before it reaches the relay.
  const cookie = (await ctx.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
  t.regex(cookie, /pgw_session=/);
  const overridesBefore = (await gw.credit!.ledger.auditLog({ meter: 'flat-101' })).filter((a) => a.action === 'relay-override').length;
  for (const headers of [{ cookie }, { cookie, origin: url }] as Array<Record<string, string>>) {
    const forgedTrip = await http(`${url}/api/meters/flat-101/relay`, { body: { state: 'disconnected', confirm: true }, headers });
    t.is(forgedTrip.status, 403, forgedTrip.text);
    t.is(forgedTrip.body.error.code, 'E_CSRF_TOKEN');
  }
  await new Promise((r) => setTimeout(r, 1500));
  t.true(prepaid.trueState(1).relayClosed, 'the relay was not tripped');
  t.is((await gw.credit!.ledger.auditLog({ meter: 'flat-101' })).filter((a) => a.action === 'relay-override').length, overridesBefore);
  // The technician CLI's relay path (bearer token, no CSRF token) still works.
  const cliTrip = await http(`${url}/api/meters/flat-101/relay`, { body: { state: 'disconnected', confirm: true }, headers: auth });
  t.is(cliTrip.status, 200, cliTrip.text);
  t.like(cliTrip.body, { verified: true, cause: 'technician:tech-cli' });
  t.false(prepaid.trueState(1).relayClosed);
  t.is((await http(`${url}/api/meters/flat-101/relay`, { body: { state: 'connected', confirm: true }, headers: auth })).status, 200);
  t.true(prepaid.trueState(1).relayClosed);
});
