/**
 * The shapes shared by the prepaid-credit parts of the gateway. Each part implements or consumes
 * these; none of them imports another part's internals.
 *
 *   readings ──► charging (tariff.ts, pure) ──► ledger (SQLite, one transaction per posting)
 *                                                   │
 *   commands / tokens ──► top-up allocation ────────┤
 *                                                   ▼
 *                               policy (pure state machine) ──► relay drivers (verified by readback)
 *
 * Money and energy are integers in the account's sub-unit (e.g. 1/1000 of a currency unit, or Wh
 * for energy-credit accounts). Timestamps are epoch ms UTC. Nothing here reads a clock: callers pass
 * `now`.
 */

// ───────────────────────────── tariffs (data, validated by schema/tariff.schema.json) ─────────────

/** Day types a ToU rule can name; holidays come from the tariff's or policy's calendar. */
export type DayType = 'weekday' | 'saturday' | 'sunday' | 'holiday';

/** A ToU price period, e.g. peak / flat / valley, priced per kWh in account sub-units. */
export interface PricePeriod {
  id: string;
  /** Sub-units per kWh (integer). With credit unit milli-CNY, 0.5283 CNY/kWh = 528.3 → use 5283 with subunitsPerUnit 10000. */
  pricePerKwh: number;
}

/** One time-of-day rule: from `from` (inclusive) to `to` (exclusive), local time "HH:MM"; to <= from wraps past midnight. */
export interface TouRule {
  period: string;
  from: string;
  to: string;
  /** Day types the rule applies to; default all. */
  days?: DayType[];
  /** Months (1..12) the rule applies to (a season); default all. */
  months?: number[];
}

/** Monthly block: energy above `fromKwh` (cumulative this billing month) costs `adderPerKwh` more. */
export interface TierBlock {
  fromKwh: number;
  adderPerKwh: number;
}

export interface Tariff {
  id: string;
  /** What one account sub-unit is: 'currency' accounts charge money, 'energy' accounts charge Wh 1:1. */
  creditUnit: 'currency' | 'energy';
  /** ISO 4217 code for currency tariffs (e.g. 'CNY'); omitted for energy. */
  currency?: string;
  /** Sub-units in one currency unit (1000 = milli-units). */
  subunitsPerUnit: number;
  periods: PricePeriod[];
  /** Rules are tried in order; the first that matches the local instant wins; none matching = `defaultPeriod`. */
  tou: TouRule[];
  defaultPeriod: string;
  /** Tiered monthly blocks, first block fromKwh 0 with adder 0. Omit for no tiers. */
  tiers?: TierBlock[];
  /** Day of the month (1..28) the billing month starts, local time; default 1. */
  billingDay?: number;
  /** Charged once per local calendar day, in sub-units. */
  standingChargePerDay: number;
  /** Charged when a billing month ends: sub-units per kW of its maximum demand (core/tariff/demand.ts). */
  demandCharge?: { pricePerKw: number; periodMinutes?: number };
  /** Local dates YYYY-MM-DD that count as 'holiday' for the ToU rules. */
  holidays?: string[];
}

/** A tariff and the instant it applies from (tariff changes arrive as signed commands). */
export interface TariffVersion {
  activeFrom: number;
  tariff: Tariff;
}

/** What the charging rules carry between two charges of one account (persisted with each posting). */
export interface ChargeCursor {
  /** energyImport (Wh) and time of the last good reading that was charged or baselined. */
  lastWh: number;
  lastTs: number;
  /** Sub-unit fraction not yet charged, in 1/1000 of a sub-unit (price is per kWh, energy in Wh). */
  remainderMilli: number;
  /** Billing month key ('YYYY-MM' local, by billingDay) and Wh used in it so far, for tiers. */
  month: string;
  monthWh: number;
  /** Last local day (YYYY-MM-DD) whose standing charge was posted. */
  standingDay: string;
  /** Maximum-demand measurement of the billing month, with a demand charge in the tariff. */
  demand?: { block: number; fromWh: number; fromTs: number; maxW: number; month: string };
}

/** One priced piece of consumption (a charge splits at period, tier, month and tariff boundaries). */
export interface ChargeLine {
  from: number;
  to: number;
  wh: number;
  period: string;
  tier: number;
  pricePerKwh: number;
  /** Sub-units charged for this line after remainder carry (sum of lines = total charged). */
  amount: number;
}

export interface ChargeResult {
  lines: ChargeLine[];
  amount: number;
  cursor: ChargeCursor;
}

// ───────────────────────────── ledger ─────────────────────────────

export type EntryKind =
  | 'topup'
  | 'consumption'
  | 'standing-charge'
  | 'emergency-credit-taken'
  | 'emergency-credit-repaid'
  | 'friendly-debt'
  | 'adjustment';

/** A ledger entry: positive amounts add credit, negative take it away. */
export interface NewEntry {
  kind: EntryKind;
  amount: number;
  ts: number;
  /** Why: command id, token TID, reading seq range, tariff id... (stored as JSON). */
  cause: Record<string, unknown>;
}

export interface StoredEntry extends NewEntry {
  id: number;
  meter: string;
  /** Balance right after this entry (running sum; equals the replay). */
  balanceAfter: number;
}

export interface AccountSpec {
  meter: string;
  customer: string;
  /** Customer class id: picks tariff and policy. */
  customerClass: string;
  creditUnit: 'currency' | 'energy';
  currency?: string;
}

export interface Account extends AccountSpec {
  balance: number;
  /** Policy state (see AccountState), persisted with every posting. */
  state: AccountState;
  cursor: ChargeCursor | null;
  createdAt: number;
}

// ───────────────────────────── policy ─────────────────────────────

export interface FriendlyWindow {
  /** Day types it applies to; default all. */
  days?: DayType[];
  /** Local "HH:MM"; to <= from wraps past midnight. from == to = the whole day. */
  from: string;
  to: string;
}

export interface Policy {
  id: string;
  /** Warning thresholds in sub-units, highest first; at least two. */
  lowCreditThresholds: number[];
  emergencyCredit: { amount: number; requiresButton: boolean } | null;
  friendly: { windows: FriendlyWindow[]; holidays: string[] };
  /** Delay between 'disconnect scheduled' and the trip, ms. */
  disconnectNoticeMs: number;
  /** Debt (as a positive number) beyond which even friendly periods stop protecting; 0 = no limit. */
  maxDebt: number;
  /** Largest top-up per command for this class (sub-units); see commands/top-up-limit.ts for the precedence. */
  maxTopUp?: number;
  reconnect: { mode: 'auto' | 'armed'; threshold: number };
  /** Limits on signed corrections (adjustment, refund, reverse, opening balances); absent: corrections refused. */
  corrections?: CorrectionLimits;
  /** On-time top-ups earn points, redeemable as credit (core/policy/points.ts); null or absent = none. */
  points?: { perTopUp: number; minBalance: number; subunitsPerPoint: number } | null;
  /** Load limiting (core/policy/max-demand.ts); null or absent = none. */
  maxDemand?: { limitW: number; overSeconds: number; reconnectSeconds: number } | null;
}

/** Sub-units. See core/commands/correction-limits.ts for the order they are checked in. */
export interface CorrectionLimits {
  /** Largest single correction, co-signed or not. */
  maxAmount: number;
  /** Largest total of corrections (credits and debits alike) on one account per gateway-local day. */
  maxPerDay: number;
  /** Above this amount a second, different key must co-sign. */
  cosignAbove: number;
  /** How far below zero a debit may take the balance (default 0: not below zero). */
  maxNegative?: number;
}

/** DLMS IC 70 disconnect-control states. */
export type SupplyState = 'connected' | 'disconnected' | 'ready-for-reconnection';

export interface AccountState {
  supply: SupplyState;
  /** Highest warning threshold index already announced (-1 none), reset when credit rises above. */
  warned: number;
  emergency: { offered: boolean; inUse: boolean; outstanding: number };
  /** When the disconnect was scheduled (ms) or null. */
  disconnectAt: number | null;
  /** True while inside a friendly period with no credit (announced once). */
  friendlyZero: boolean;
  /** Loyalty points (policy `points`): earned by on-time top-ups, spent by points-redeem; absent = 0. */
  points?: number;
}

export type PolicyAction =
  | { type: 'trip'; cause: string }
  | { type: 'close'; cause: string }
  | { type: 'arm'; cause: string };

export interface PolicyEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface PolicyDecision {
  state: AccountState;
  actions: PolicyAction[];
  events: PolicyEvent[];
  /** Earliest instant the decision could change with no new input (notice expiry, friendly period end), or null. */
  wakeAt: number | null;
}

// ───────────────────────────── relay drivers ─────────────────────────────

export interface RelayStatus {
  state: SupplyState;
  /** Raw readback for the audit log. */
  raw?: Record<string, unknown>;
}

/**
 * A relay behind one interface: the `prepaid` meter's coil over Modbus, DL/T 645 control 0x1C, or a
 * johnny-five pin. `set` returns only once readback shows the requested state, after retries with
 * backoff; otherwise it throws PrepaidError E_RELAY_MISMATCH / E_RELAY_REFUSED.
 */
export interface RelayDriver {
  readonly meter: string;
  read(): Promise<RelayStatus>;
  /** 'disconnected' trips; 'connected' closes directly; 'ready-for-reconnection' arms (customer closes). */
  set(target: SupplyState, cause: string): Promise<RelayStatus>;
}

// ───────────────────────────── commands ─────────────────────────────

export type CommandType = 'topup' | 'tariff' | 'policy' | 'relay-override' | 'token' | 'emergency-credit' | 'points-redeem' | 'config' | 'adjustment' | 'refund' | 'reverse' | 'account-open' | 'account-close' | 'meter-swap';

/** The signed envelope on `{prefix}/{gatewayId}/commands` (RFC 8785 canonical JSON of all but `sig`). */
export interface CommandEnvelope {
  id: string;
  type: CommandType;
  meter?: string;
  issuedAt: number;
  expiresAt: number;
  keyId: string;
  sig: string;
  [field: string]: unknown;
}

export type CommandOutcome =
  | { status: 'applied'; id: string; type: CommandType | 'meter-record'; meter?: string; balance?: number; detail?: Record<string, unknown> }
  | { status: 'duplicate'; id: string; original: CommandOutcome }
  | { status: 'rejected'; id: string | null; reason: string; message: string };
