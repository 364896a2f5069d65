/**
 * The web console's statement card in real Chromium against `prepaid-gateway run`: log in, show a
 * meter's statement as a table, download it as CSV; the download is the CLI's `--csv` byte for byte.
 */
import { readFileSync } from 'node:fs';
import { freePort } from '@prepaid-edge/testkit/mosquitto';
import { cliGateway, consoleSection } from '../cli/cli-fixture.js';
import { cli, spawnCli } from '../cli/run-cli.js';
import { waitFor } from '../uplink/helpers.js';
import { launchChromium, testWithChromium } from './chromium.js';

const test = testWithChromium([]);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

test('statement card: Show lists the lines to the closing balance, Download CSV saves what ledger statement --csv prints', async (t) => {
  t.timeout(240_000);
  const port = await freePort();
  const g = cliGateway(t, { console: await consoleSection(port) });
  t.is((await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '4321'])).code, 0);
  const gw = spawnCli(t, ['run', '-c', g.file]);
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(`console up\n${gw.stderr()}`, async () => (await fetch(`${url}api/health`).catch(() => undefined))?.ok === true, 60_000);
  const [from, to] = [iso(Date.now() - DAY), iso(Date.now() + DAY)];

  const ctx = await launchChromium(t);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.fill('#login-user', 'tech');
  await page.fill('#login-password', 'pw');
  await page.click('#login-form button[type=submit]');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.locator('#statement-meter option[value="p1"]').waitFor({ state: 'attached' });
  await page.fill('#statement-from', from);
  await page.fill('#statement-to', to);
  await page.click('#statement-show');
  await page.locator('#statement tr', { hasText: 'closing balance' }).waitFor();
  const rows = await page.locator('#statement tbody tr').allInnerTexts();
  t.regex(rows[0]!, /opening balance\s+0$/);
  t.true(rows.some((r) => /^topup\s+1\s+4321$/.test(r.trim())), rows.join(' | '));
  t.regex(rows.at(-1)!, /closing balance\s+5321$/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#statement-csv')]);
  t.is(download.suggestedFilename(), `statement-p1-${from}-${to}.csv`);
  const saved = readFileSync((await download.path())!, 'utf8');
  const printed = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', from, '--to', to, '--csv']);
  t.is(saved, printed.stdout);
  t.deepEqual(errors, []);
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0);
});
