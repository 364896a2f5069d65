/** The gateway's ledger check: at start, then every 24 h on the injected clock, never per read of its result. */
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { LedgerVerifier, VERIFY_EVERY_MS, type VerifyReport } from '../../src/adapters/store/ledger/index.js';
import { opened, posting, entry, rawExec, spec, STATE, tempDb } from './fixtures.js';

test('verifies at start and daily; a tampered balance shows as ok=false with the mismatch, and the next day again', async (t) => {
  const path = tempDb(t);
  const ledger = await opened(t, path);
  await ledger.ensureAccount(spec('m1'), STATE);
  await ledger.post(posting('m1', [entry('topup', 500)]));
  let calls = 0;
  const counted = { verify: async (): Promise<VerifyReport> => (calls++, ledger.verify()) };
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 1) });
  const v = new LedgerVerifier(counted, clock);
  v.start();
  t.teardown(() => v.stop());
  await v.run(); // joins the check in flight, never a second one at once
  t.is(calls, 1);
  t.like(v.last, { ok: true, at: Date.UTC(2026, 0, 1), mismatches: [] });

  await rawExec(path, "UPDATE ledger_accounts SET balance = 499 WHERE meter = 'm1'");
  clock.advance(VERIFY_EVERY_MS - 1);
  await new Promise((r) => setTimeout(r, 50));
  t.is(calls, 1, 'not before a day has passed');
  t.true(v.last!.ok, 'the last result stands until the next check');
  clock.advance(1);
  await waitUntil(() => calls === 2 && v.last!.at === Date.UTC(2026, 0, 2));
  t.like(v.last, { ok: false, mismatches: [{ meter: 'm1', stored: 499, replay: 500 }] });
});

test('a check that cannot read the ledger is ok=false with the error, not a crash', async (t) => {
  const clock = new ManualClock({ now: 5 });
  const v = new LedgerVerifier({ verify: () => Promise.reject(new Error('disk on fire')) }, clock);
  const r = await v.run();
  t.like(r, { ok: false, error: 'disk on fire', mismatches: [] });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('condition not reached');
}
