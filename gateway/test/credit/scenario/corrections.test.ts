/**
 * Issue 15, items 4 and 5 on real parts (simulated prepaid meters over Modbus TCP, the ledger in a
 * real SQLite file, simulated time): signed adjustments, refunds and reversals with the policy's
 * limits and co-signatures; account close, open and a meter swap, across a gateway restart.
 */
import test, { type ExecutionContext } from 'ava';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cosignCommand, signCommand } from '../../../src/core/commands/index.js';
import type { CommandOutcome } from '../../../src/core/credit/contracts.js';
import { allEntries, assertLedgerReconciles, creditRig, type Rig } from './rig.js';

const MIN = 60_000;
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const POLICY = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 }, corrections: { maxAmount: 50_000, maxPerDay: 65_000, cosignAbove: 10_000, maxNegative: 2_000 } };

const pair = () => generateKeyPairSync('ed25519').privateKey;
const raw = (k: KeyObject) => createPublicKey(k).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
const A = pair();
const B = pair();
const KEYS = [
  { keyId: 'ops-a', publicKey: raw(A) },
  { keyId: 'ops-b', publicKey: raw(B) },
  { keyId: 'ops-a-again', publicKey: raw(A) },
];

const DEAR = { ...FLAT, id: 'dear', periods: [{ id: 'flat', pricePerKwh: 600 }] };

function credit(over: Record<string, unknown> = {}) {
  return { tariffs: { flat: FLAT, dear: DEAR }, policies: { p: POLICY }, classes: { residential: { tariff: 'flat', policy: 'p' }, business: { tariff: 'dear', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 20_000 }], keys: KEYS, chargeEveryMs: 60_000, ...over };
}

let seq = 0;
function cmd(rig: Rig, fields: Record<string, unknown>, key: KeyObject = A, keyId = 'ops-a'): Record<string, unknown> {
  const now = rig.clock.now();
  return signCommand({ id: `c-${++seq}`, issuedAt: now, expiresAt: now + 3_600_000, ...fields }, key, keyId);
}
const reason = (o: CommandOutcome) => (o.status === 'rejected' ? o.reason : o.status);
const balance = async (rig: Rig) => (await rig.credit.ledger.account('p1'))!.balance;

test('adjustments, refunds and reversals: once each, limits and co-signatures with coded reasons, the relay re-evaluated at once', async (t) => {
  const rig = await creditRig(t, { credit: credit(), watts: 0 });
  await rig.poll();
  const b0 = await balance(rig);
  t.is(b0, 20_000);

  const credit5 = cmd(rig, { type: 'adjustment', meter: 'p1', amount: 5_000, direction: 'credit', reason: 'billing-error' });
  const applied = await rig.command(credit5);
  t.is(applied.status, 'applied', JSON.stringify(applied));
  t.is((applied as { balance?: number }).balance, 25_000);
  t.is(reason(await rig.command(credit5)), 'duplicate', 'a replay applies once');
  t.is(await balance(rig), 25_000);

  const refund = cmd(rig, { type: 'refund', meter: 'p1', amount: 3_000, reference: 'MPESA-123' });
  t.is(reason(await rig.command(refund)), 'applied');
  t.is(reason(await rig.command(refund)), 'duplicate');
  t.is(await balance(rig), 22_000);

  // Co-sign: above 10 000 a second, different key must sign the same text.
  const big = { type: 'adjustment', meter: 'p1', amount: 12_000, direction: 'credit', reason: 'meter-fault' };
  const missing = await rig.command(cmd(rig, big));
  t.is(reason(missing), 'E_COMMAND_COSIGN', JSON.stringify(missing));
  const same = await rig.command(cosignCommand(cmd(rig, big), A, 'ops-a'));
  t.is(reason(same), 'E_COMMAND_COSIGN');
  t.regex((same as { message: string }).message, /second, different key/);
  const sameKeyOtherId = await rig.command(cosignCommand(cmd(rig, big), A, 'ops-a-again'));
  t.is(reason(sameKeyOtherId), 'E_COMMAND_COSIGN', 'the same public key under another keyId is still one key');
  const wrong = cosignCommand(cmd(rig, big), B, 'ops-b');
  const tampered = { ...wrong, cosig: { keyId: 'ops-b', sig: (cosignCommand(cmd(rig, { ...big, amount: 12_001 }), B, 'ops-b').cosig as { sig: string }).sig } };
  t.is(reason(await rig.command(tampered)), 'E_COMMAND_COSIGN', 'a co-signature of other text');
  const cosigned = cosignCommand(cmd(rig, big), B, 'ops-b');
  const ok = await rig.command(cosigned);
  t.is(reason(ok), 'applied', JSON.stringify(ok));
  t.is(reason(await rig.command(cosigned)), 'duplicate');
  t.is(await balance(rig), 34_000);

  // Limits: per command, per day, and how far below zero a debit may go.
  t.is(reason(await rig.command(cosignCommand(cmd(rig, { ...big, amount: 60_000 }), B, 'ops-b'))), 'E_COMMAND_LIMIT', 'over maxAmount even co-signed');
  // 5 000 + 3 000 + 12 000 used; 50 000 more would pass 65 000 in a day.
  t.is(reason(await rig.command(cosignCommand(cmd(rig, { ...big, amount: 50_000 }), B, 'ops-b'))), 'E_COMMAND_LIMIT');
  const tooDeep = await rig.command(cosignCommand(cmd(rig, { type: 'adjustment', meter: 'p1', amount: 36_001, direction: 'debit', reason: 'fraud-recovery' }), B, 'ops-b'));
  t.is(reason(tooDeep), 'E_COMMAND_LIMIT', JSON.stringify(tooDeep));
  t.is(await balance(rig), 34_000, 'refused corrections changed nothing');

  // Expired: refused, never applied.
  const old = signCommand({ id: 'c-expired', type: 'refund', meter: 'p1', amount: 100, issuedAt: rig.clock.now() - 3 * 3_600_000, expiresAt: rig.clock.now() - 2 * 3_600_000 }, A, 'ops-a');
  t.is(reason(await rig.command(old)), 'E_COMMAND_EXPIRED');

  // Reverse the refund: the exact opposite, once; a second reverse and a reverse of the reversal refused.
  const entries = await allEntries(rig.credit.ledger, 'p1');
  const refundEntry = entries.find((e) => e.cause.command === refund.id)!;
  t.is(refundEntry.amount, -3_000);
  const rev = cmd(rig, { type: 'reverse', meter: 'p1', entry: refundEntry.id, reason: 'payment-failed' });
  const reversed = await rig.command(rev);
  t.is(reason(reversed), 'applied', JSON.stringify(reversed));
  t.is(await balance(rig), 37_000);
  t.is(reason(await rig.command(rev)), 'duplicate');
  const again = await rig.command(cmd(rig, { type: 'reverse', meter: 'p1', entry: refundEntry.id, reason: 'other' }));
  t.is(reason(again), 'E_COMMAND_REVERSAL');
  t.regex((again as { message: string }).message, /already reversed/);
  const reversal = (await allEntries(rig.credit.ledger, 'p1')).find((e) => e.cause.command === rev.id)!;
  t.is(reversal.amount, 3_000);
  t.is(reversal.cause.reverses, refundEntry.id);
  const ofReversal = await rig.command(cmd(rig, { type: 'reverse', meter: 'p1', entry: reversal.id, reason: 'other' }));
  t.is(reason(ofReversal), 'E_COMMAND_REVERSAL');
  t.regex((ofReversal as { message: string }).message, /itself the reversal/);
  t.is(reason(await rig.command(cmd(rig, { type: 'reverse', meter: 'p1', entry: 999_999, reason: 'other' }))), 'E_COMMAND_REVERSAL');

  // A debit that takes the balance below zero (as the policy allows) trips the relay at once.
  t.true(rig.relayClosed(1));
  const debit = cosignCommand(cmd(rig, { type: 'adjustment', meter: 'p1', amount: 38_000, direction: 'debit', reason: 'fraud-recovery' }), B, 'ops-b');
  // 20 000 + 3 000 reverse ... today's total is 5 000 + 3 000 + 12 000 + 3 000 = 23 000; 38 000 more = 61 000 <= 65 000.
  t.is(reason(await rig.command(debit)), 'applied');
  t.is(await balance(rig), -1_000);
  await rig.poll();
  t.false(rig.relayClosed(1), 'the relay opened on the debit');

  const audits = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'correction' });
  t.deepEqual(audits.map((a) => a.detail.type), ['adjustment', 'refund', 'adjustment', 'reverse', 'adjustment']);
  t.is(audits[2]!.detail.cosignedBy, 'ops-b');
  t.is(audits[0]!.detail.reason, 'billing-error');
  await rig.restart();
  t.is(reason(await rig.command(credit5)), 'duplicate', 'remembered across a restart');
  t.is(reason(await rig.command(cmd(rig, { type: 'reverse', meter: 'p1', entry: refundEntry.id, reason: 'other' }))), 'E_COMMAND_REVERSAL', 'still reversed after a restart');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('account close (final reading, statement, remaining credit, supply off, no charging after), open again with an opening balance, across restarts', async (t) => {
  const rig = await creditRig(t, { credit: credit(), watts: 2000, pollMs: MIN });
  await rig.run(30 * MIN);
  t.true(rig.relayClosed(1));
  t.is(reason(await rig.command(cmd(rig, { type: 'account-open', meter: 'p1', customer: 'C-2', customerClass: 'residential', openingBalance: 0 }))), 'E_COMMAND_ACCOUNT_STATE', 'an account is open on p1');

  rig.clock.advance(5 * MIN); // used since the last poll: the final reading must charge it
  const close = cmd(rig, { type: 'account-close', meter: 'p1' });
  const closed = await rig.command(close);
  t.is(closed.status, 'applied', JSON.stringify(closed));
  const d = (closed as unknown as { detail: { finalReading: { wh: number; source: string }; remainingCredit: number; statement: { openingBalance: number; totals: Record<string, number>; closingBalance: number } } }).detail;
  t.is(d.finalReading.source, 'meter');
  const entries = await allEntries(rig.credit.ledger, 'p1');
  const used = entries.filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
  t.is(d.statement.openingBalance, 0);
  t.is(d.statement.totals.adjustment, 20_000, 'the opening balance (config) is in the statement');
  t.is(d.statement.totals.consumption, -used);
  t.is(d.remainingCredit, 20_000 - used, 'remaining credit = opening balance - consumption, to the sub-unit');
  t.is(d.statement.closingBalance, d.remainingCredit);
  const wh = (entries.filter((e) => e.kind === 'consumption').at(-1)!.cause.toWh as number) - (entries.filter((e) => e.kind === 'consumption')[0]!.cause.fromWh as number);
  t.true(wh >= (2000 * 34) / 60 - 2, `34 min at 2 kW (from the first poll) charged up to the final reading (${wh} Wh)`);
  t.is(await balance(rig), 0, 'the remaining credit is paid out of the meter book');
  await rig.poll();
  t.false(rig.relayClosed(1), 'supply off');
  const n = (await allEntries(rig.credit.ledger, 'p1')).length;
  await rig.run(20 * MIN);
  t.is((await allEntries(rig.credit.ledger, 'p1')).length, n, 'no charging after the close');
  t.is(reason(await rig.command(cmd(rig, { type: 'topup', meter: 'p1', amount: 100, currency: 'EUR' }))), 'E_COMMAND_UNKNOWN_METER');
  t.is(reason(await rig.command(close)), 'duplicate');

  await rig.restart();
  await rig.run(10 * MIN);
  t.is((await allEntries(rig.credit.ledger, 'p1')).length, n, 'still closed after a restart (the YAML account does not come back)');

  // Move-in: a new holder with an opening balance above the co-sign amount.
  const open = { type: 'account-open', meter: 'p1', customer: 'C-2', customerClass: 'business', openingBalance: 15_000 };
  t.is(reason(await rig.command(cmd(rig, open))), 'E_COMMAND_COSIGN');
  t.is((await rig.credit.ledger.account('p1'))!.customer, 'C-1', 'a refused move-in writes nothing');
  t.is(reason(await rig.command(cmd(rig, { ...open, customerClass: 'nope' }))), 'E_COMMAND_ACCOUNT_STATE');
  t.is(reason(await rig.command(cmd(rig, { ...open, meter: 'p9' }))), 'E_COMMAND_ACCOUNT_STATE', 'not a configured meter');
  const openCmd = cosignCommand(cmd(rig, open), B, 'ops-b');
  const opened = await rig.command(openCmd);
  t.is(opened.status, 'applied', JSON.stringify(opened));
  t.is(await balance(rig), 15_000);
  t.is(reason(await rig.command(openCmd)), 'duplicate', 'a replayed move-in applies once');
  t.is(await balance(rig), 15_000);
  t.is((await rig.credit.ledger.account('p1'))!.customer, 'C-2');
  await rig.poll();
  t.true(rig.relayClosed(1), 'supply back on for the new holder');
  await rig.run(30 * MIN);
  await rig.restart();
  await rig.run(30 * MIN);
  const after = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.id > entries.at(-1)!.id && e.kind === 'consumption');
  const wh2 = after.reduce((s, e) => s + (e.cause.toWh as number) - (e.cause.fromWh as number), 0);
  t.true(wh2 > 1900 && wh2 < 2100, `the new holder is charged from the first reading after the open, through a restart (${wh2} Wh)`);
  t.is(await balance(rig), 15_000 + after.reduce((s, e) => s + e.amount, 0));
  const paid = -after.reduce((s, e) => s + e.amount, 0);
  t.true(Math.abs(paid - wh2 * 0.6) <= 1, `charged at the new holder's class (business, 0.6 per Wh): ${paid} for ${wh2} Wh`);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

/** Account p2 on the simulator's unit 2 (2 kW) charged for 20 minutes; unit 1 (1.5 kW, a lower register) is the new meter to fit. */
async function swapRig(t: ExecutionContext): Promise<{ rig: Rig; register: (unit: number) => number }> {
  const rig = await creditRig(t, { credit: credit({ accounts: [{ meter: 'p2', customer: 'C-1', class: 'residential', openingBalance: 50_000 }] }), meters: 2, loads: [1500, 2000], pollMs: MIN });
  await rig.run(20 * MIN);
  /** A meter's register as its display shows it (the firmware's, brought up to now). */
  const register = (unit: number): number => {
    rig.meter(unit).sync();
    return (rig.sim.trueState(unit) as unknown as { firmware: { energyImportWh: number } }).firmware.energyImportWh;
  };
  return { rig, register };
}

test('meter swap with the simulator: the old meter charged to its final register, the new one from its start, no gap, no double charge (to the sub-unit)', async (t) => {
  const { rig, register } = await swapRig(t);
  const first = (await allEntries(rig.credit.ledger, 'p2')).find((e) => e.kind === 'consumption')!;
  const baseline = first.cause.fromWh as number;
  rig.clock.advance(7 * MIN); // the old meter runs on until it is taken out
  const oldFinal = register(2);
  // The swap: the device at p2's address is now another meter with its own register.
  // (The new meter is the simulator's unit 1, whose register is below the old one's, as a new meter's is.)
  const unit = 1;
  const old = rig.meter(2);
  const fresh = rig.meter(unit);
  old.handlePdu = (pdu) => fresh.handlePdu(pdu);
  const newStart = register(unit);
  t.true(newStart < oldFinal, `the new register (${newStart}) is below the old (${oldFinal}): a drop the poller sees`);
  t.is(reason(await rig.command(cmd(rig, { type: 'meter-swap', meter: 'p2', oldFinalReading: oldFinal - 5_000, newSerial: 'x', newStartReading: 0 }))), 'E_COMMAND_AMOUNT', 'an old final reading below what was charged');
  const swapCmd = cmd(rig, { type: 'meter-swap', meter: 'p2', oldFinalReading: oldFinal, newSerial: 'SN-NEW-2', newStartReading: newStart });
  const swap = await rig.command(swapCmd);
  t.is(swap.status, 'applied', JSON.stringify(swap));
  t.is(reason(await rig.command(swapCmd)), 'duplicate', 'a replayed swap applies once');
  await rig.run(30 * MIN);
  const newLast = register(unit);
  await rig.restart(); // books what is pending
  const acct = (await rig.credit.ledger.account('p2'))!;
  const charged = (await allEntries(rig.credit.ledger, 'p2')).filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
  const lastWh = acct.cursor!.lastWh;
  t.true(newLast - lastWh <= 30, 'charged up to the last poll of the new meter');
  const wh = oldFinal - baseline + (lastWh - newStart);
  // 300 milli-EUR per kWh: every Wh is 0.3 sub-units; the fraction not yet charged is carried in the cursor.
  t.is(charged * 1000 + acct.cursor!.remainderMilli, wh * 300, `(${oldFinal} - ${baseline}) + (${lastWh} - ${newStart}) Wh charged exactly once`);
  t.true(rig.eventsOf('counter-reset', 'p2').length >= 1, 'the poller saw the register drop');
  t.is(rig.eventsOf('counter-rebaselined', 'p2').length, 0, 'the register drop of the swap did not re-baseline (no gap)');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('meter swap sent after the new meter was already read (the poller re-baselined at its register): both unbilled stretches charged, still to the sub-unit', async (t) => {
  const { rig, register } = await swapRig(t);
  const baseline = (await allEntries(rig.credit.ledger, 'p2')).find((e) => e.kind === 'consumption')!.cause.fromWh as number;
  rig.clock.advance(7 * MIN);
  const oldFinal = register(2);
  const old = rig.meter(2);
  const fresh = rig.meter(1);
  const newStart = register(1);
  old.handlePdu = (pdu) => fresh.handlePdu(pdu); // fitted, and read, before the command is sent
  rig.clock.advance(4 * MIN);
  await rig.run(10 * MIN);
  t.true(rig.eventsOf('counter-rebaselined', 'p2').length >= 1, 'the account re-baselined at the new meter');
  const swap = await rig.command(cmd(rig, { type: 'meter-swap', meter: 'p2', oldFinalReading: oldFinal, newSerial: 'SN-LATE', newStartReading: newStart }));
  t.is(swap.status, 'applied', JSON.stringify(swap));
  const late = (swap as { detail: { newReadBeforeSwap?: { unbilledWh: number } } }).detail.newReadBeforeSwap;
  t.truthy(late, 'the outcome says the new meter was read first');
  t.true(late!.unbilledWh > 100, `the new meter's first ${late!.unbilledWh} Wh were not charged by the re-baseline`);
  await rig.run(20 * MIN);
  await rig.restart();
  const acct = (await rig.credit.ledger.account('p2'))!;
  const charged = (await allEntries(rig.credit.ledger, 'p2')).filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
  const wh = oldFinal - baseline + (acct.cursor!.lastWh - newStart);
  t.is(charged * 1000 + acct.cursor!.remainderMilli, wh * 300, `(${oldFinal} - ${baseline}) + (${acct.cursor!.lastWh} - ${newStart}) Wh charged exactly once`);
  await assertLedgerReconciles(t, rig.credit.ledger);
});
