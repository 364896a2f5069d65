/**
 * The credit decision step: account memory + one input + settings + now -> one CreditDecision.
 * Pure (no clock, no I/O); the shell (adapters/credit/credit-shell.ts) carries the value out.
 *
 * Readings: a counter that went backwards, or that acquisition confirmed as reset, re-baselines
 * with no charge. The charge since the last posting is priced on every reading, but only booked
 * when `chargeEveryMs` has passed or booking it would change anything the customer sees (a
 * warning, emergency credit, a notice, a trip), so the trip still comes on the reading that
 * exhausts the credit while the ledger gets one row a minute.
 */
import type { NewEvent } from '../model.js';
import { baselineCursor, chargeConsumption, localParts, standingCharges } from '../tariff/index.js';
import { inFriendlyPeriod } from '../policy/index.js';
import { policyAt, type CreditDecision, type CreditInput, type MeterMemory, type MeterSettings } from './decision.js';
import { bypassSuspected, observe } from './meter-observation.js';
import { pendingTotal, startPending, withReading, type PendingCharges } from './pending-charges.js';
import { demandStep } from '../tariff/demand.js';
import type { ChargeCursor, TariffVersion } from './contracts.js';
import { decideIntake } from './decide-intake.js';
import { memoryOf, overrideAt, policyBalance, quiet, runRules } from './rules-step.js';

export function decide(m: MeterMemory, input: CreditInput, s: MeterSettings, now: number): CreditDecision {
  return input.kind === 'reading' ? decideReading(m, input, s, now) : decideIntake(m, input, s, now);
}

function decideReading(m: MeterMemory, r: Extract<CreditInput, { kind: 'reading' }>, s: MeterSettings, now: number): CreditDecision {
  const meter = m.account.meter;
  const acct = m.account;
  const d = quiet(meter, memoryOf(m));
  const emit = (type: string, data: Record<string, unknown>) => d.observed.push({ ts: r.ts, type, meter, data } as NewEvent);
  const obs = observe(r.values);
  // While a maintenance override holds the relay, its state is the override's, not news.
  const held = overrideAt(s, r.ts) !== undefined;
  if (obs.relay && !held) noteReadback(d, acct.state.supply, obs.relay, emit);
  else if (obs.relay) d.memory.relay = obs.relay;
  noteTamper(d, r.ts, obs.tamper, {}, emit);
  const power = r.values.power;
  if (power !== undefined && Number.isFinite(power) && power > (d.memory.peakPowerW ?? 0)) d.memory.peakPowerW = power;
  const wh = r.values.energyImport;
  if (wh === undefined || !Number.isSafeInteger(wh) || wh < 0) return d;
  const pending = m.pending;
  const cursor = pending?.cursor ?? acct.cursor;

  if (!cursor || m.resetPending || wh < cursor.lastWh) {
    const reason = !cursor ? 'first reading' : 'counter reset';
    d.memory.resetPending = false;
    const next = baselineCursor({ ts: r.ts, wh }, s.zone, s.versions, cursor ?? undefined);
    if (cursor) emit('counter-rebaselined', { fromWh: cursor.lastWh, toWh: wh, charged: 0 });
    // What was pending up to the old counter is booked with the new baseline.
    return runRules(d, m, s, now, r.ts, { cursor: next, force: true, audit: { action: 'baseline', cause: reason, detail: { wh, previousWh: cursor?.lastWh ?? null } } });
  }
  if (r.ts <= cursor.lastTs) return d;

  const deltaWh = wh - cursor.lastWh;
  if (bypassSuspected(acct.state.supply, obs.relay ?? d.memory.relay, deltaWh)) noteTamper(d, r.ts, ['bypass'], { deltaWh, reason: 'consumption with the relay open' }, emit);

  const policy = policyAt(s.policies, r.ts);
  const charged = chargeConsumption(s.versions, s.zone, cursor, { ts: r.ts, wh });
  const standing = standingCharges(s.versions, s.zone, charged.cursor, r.ts);
  const base = pending ?? startPending(acct.cursor!);
  // Usage inside a friendly period with no credit left becomes debt (collected by the next top-up).
  const kind = acct.balance - pendingTotal(base) <= 0 && inFriendlyPeriod(policy, s.zone, r.ts) ? 'friendly-debt' : 'consumption';
  const p = withDemand(withReading(base, charged, kind, standing), cursor, s, r.ts, wh);
  d.memory.pending = p;
  const usage = charged.amount > 0 ? { day: localParts(cursor.lastTs, s.zone).date, amount: charged.amount } : undefined;
  if (usage) d.usage = usage;
  // The meter opened its relay by itself while the gateway had it connected: its backup
  // threshold (set at the dearest price) was reached first, or it tripped locally.
  const meterOpened = !held && obs.relay === 'disconnected' && acct.state.supply === 'connected';
  const due = r.ts - p.from.ts >= s.chargeEveryMs || standing.days.length > 0;
  const out = runRules(d, m, s, now, r.ts, { force: due || meterOpened, audit: { action: 'charge', cause: 'reading', detail: { wh, fromWh: p.from.wh, amount: pendingTotal(p) } } }, usage);
  // If the rules still say connected and there is credit, the posting's sync has just raised the
  // threshold, so close the relay again (after the sync); otherwise the rules' own trip follows.
  if (meterOpened && out.after && out.after.state.supply === 'connected' && !overrideAt(s, r.ts) && policyBalance(s, out.after.balance, r.ts) > 0) {
    out.then = [...out.then, { kind: 'set', target: 'connected', cause: 'the meter opened its relay while credit remains' }];
  }
  return out;
}

/** The meter says its relay closed while we had it armed: the customer pressed the button. */
function noteReadback(d: CreditDecision, supply: string, relay: NonNullable<MeterMemory['relay']>, emit: (type: string, data: Record<string, unknown>) => void): void {
  const before = d.memory.relay;
  d.memory.relay = relay;
  if (supply === 'ready-for-reconnection' && relay === 'connected' && before !== 'connected') emit('button-reconnect', { readback: relay });
  else if (before !== undefined && before !== relay && supply === relay) return;
  else if (supply === 'connected' && relay === 'disconnected' && before !== 'disconnected') emit('relay-opened-by-meter', { readback: relay, note: 'the meter opened its relay itself (backup threshold, local trip or fault)' });
}

function noteTamper(d: CreditDecision, ts: number, kinds: string[], data: Record<string, unknown>, emit: (type: string, data: Record<string, unknown>) => void): void {
  for (const k of kinds) {
    if (d.memory.tamper.includes(k)) continue;
    d.memory.tamper = [...d.memory.tamper, k];
    emit('tamper', { kind: k, ...data });
    d.audits.push({ ts, meter: d.meter, action: 'tamper', cause: k, detail: data });
  }
}

/** The tariff's demand charge (if any): the maximum demand measured on, and a month that ended charged. */
function withDemand(p: PendingCharges, before: ChargeCursor, s: MeterSettings, ts: number, wh: number): PendingCharges {
  let version: TariffVersion | undefined;
  for (const v of s.versions) if (v.activeFrom <= ts) version = v;
  const rule = version?.tariff.demandCharge;
  if (!rule) return p;
  const step = demandStep(before.demand, rule, ts, wh, p.cursor.month);
  const out: PendingCharges = { ...p, cursor: { ...p.cursor, demand: step.cursor } };
  if (step.charge && step.charge.amount > 0) out.demand = [...(p.demand ?? []), { ...step.charge, tariff: version!.tariff.id }];
  return out;
}
