/**
 * A share of the fleet in one process: for each gateway, a simulator bus with `meters` meters on
 * Modbus TCP (127.0.0.1, a port chosen by the OS), and a real Gateway polling it, with its own
 * SQLite outbox and MQTT client id. Used in-process and by fleet-worker.ts.
 */
import { join } from 'node:path';
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import { Simulator, type ProfileName } from '@prepaid-edge/simulator';
import { parseConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import { createLogger } from '../../adapters/log.js';
import { Gateway } from '../runtime.js';
import { openDb } from '../../adapters/store/sqlite.js';
import type { GatewayLedger } from './ledger-head-end.js';

export interface FleetNodeSpec {
  gatewayIds: string[];
  meters: number;
  profile: ProfileName;
  pollMs: number;
  brokerUrl: string;
  prefix: string;
  /** Directory for the SQLite files. */
  dir: string;
  synchronous: 'full' | 'normal';
  /** mqtt.lingerMs of every gateway; undefined: the gateway's default. */
  lingerMs?: number;
  /** Prepaid credit on every meter (FLEET_CREDIT): charging, a ledger, its stream. */
  credit?: boolean;
  logLevel: string;
}

/** What one gateway stored, read from its outbox after it stopped. */
export interface GatewayTally {
  id: string;
  /** `unsentInWindow`: seqs still in the outbox of readings taken within the measurement window. */
  meters: Array<{ meter: string; lastSeq: number; unsent: number; unsentInWindow: number[] }>;
  /** With credit: the ledger's entry count and balances at the end. */
  ledger?: GatewayLedger;
}

/** Epoch ms [from, to) of the measurement window. */
export interface Window {
  from: number;
  to: number;
}

export interface FleetNode {
  stop(window?: Window): Promise<GatewayTally[]>;
}

export const meterId = (i: number): string => `m${String(i).padStart(3, '0')}`;

/** `clock` drives every gateway of the node (the simulators keep their own simulated time). */
export async function startFleetNode(spec: FleetNodeSpec, clock: Clock = systemClock): Promise<FleetNode> {
  const started = await Promise.all(spec.gatewayIds.map((id, i) => startOne(spec, id, i, clock)));
  return {
    stop: async (window) => {
      await Promise.all(started.map(({ gw }) => gw.stop('fleet run over')));
      await Promise.all(started.map(({ sim }) => sim.close()));
      return Promise.all(started.map(({ gw }) => tally(gw.config.gateway.id, gw.config.storage.path, window)));
    },
  };
}

async function startOne(spec: FleetNodeSpec, id: string, index: number, clock: Clock): Promise<{ gw: Gateway; sim: Simulator }> {
  const sim = new Simulator({ profile: spec.profile, meters: spec.meters, seed: `${id}-${index}` });
  const port = await sim.listenTcp(0);
  const gw = new Gateway(fleetGatewayConfig(spec, id, port), { clock, log: createLogger({ level: spec.logLevel, gateway: id }) });
  await gw.start();
  return { gw, sim };
}

/** One simulated gateway's configuration, validated like a real one. */
export function fleetGatewayConfig(spec: FleetNodeSpec, id: string, port: number): GatewayConfig {
  const linger = spec.lingerMs === undefined ? '' : `, lingerMs: ${spec.lingerMs}`;
  const meters = Array.from({ length: spec.meters }, (_, k) => `  - { id: ${meterId(k + 1)}, bus: bus1, unit: ${k + 1}, profile: ${spec.profile}, pollMs: ${spec.pollMs} }`);
  return parseConfig(
    [
      `gateway: { id: ${id} }`,
      `storage: { path: ${JSON.stringify(join(spec.dir, `${id}.db`))}, synchronous: ${spec.synchronous} }`,
      `mqtt: { url: ${JSON.stringify(spec.brokerUrl)}, topicPrefix: ${JSON.stringify(spec.prefix)}, clientId: prepaid-gw-${id}${linger} }`,
      'buses:',
      `  - { id: bus1, type: tcp, host: 127.0.0.1, port: ${port}, timeoutMs: 1000 }`,
      'meters:',
      ...meters,
      ...(spec.credit ? fleetCredit(spec) : []),
    ].join('\n'),
    `fleet:${id}`,
  );
}

/**
 * `credit:` for a fleet gateway: every meter an account on a flat tariff with a daily standing charge,
 * charged every 2 polls, so the ledger stream carries a steady flow of consumption entries.
 */
function fleetCredit(spec: FleetNodeSpec): string[] {
  return [
    'credit:',
    `  chargeEveryMs: ${spec.pollMs * 2}`,
    '  tariffs:',
    '    flat: { id: flat, creditUnit: currency, currency: EUR, subunitsPerUnit: 1000, periods: [{ id: flat, pricePerKwh: 30000 }], tou: [], defaultPeriod: flat, standingChargePerDay: 500 }',
    '  policies:',
    '    lenient: { id: lenient, lowCreditThresholds: [2000, 1000], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 1000000000, reconnect: { mode: auto, threshold: 0 } }',
    '  classes: { residential: { tariff: flat, policy: lenient } }',
    '  accounts:',
    ...Array.from({ length: spec.meters }, (_, k) => `    - { meter: ${meterId(k + 1)}, customer: C-${k + 1}, class: residential, openingBalance: 100000 }`),
  ];
}

async function tally(id: string, path: string, window: Window = { from: 0, to: 0 }): Promise<GatewayTally> {
  const db = await openDb(path, false);
  try {
    const seqs = await db.all<{ meter: string; last_seq: number }>('SELECT meter, last_seq FROM meter_seq ORDER BY meter');
    const unsent = new Map((await db.all<{ meter: string; n: number }>('SELECT meter, COUNT(*) AS n FROM readings GROUP BY meter')).map((r) => [r.meter, r.n]));
    const inWindow = new Map<string, number[]>();
    for (const r of await db.all<{ meter: string; seq: number }>('SELECT meter, seq FROM readings WHERE ts >= ? AND ts < ?', [window.from, window.to])) inWindow.set(r.meter, [...(inWindow.get(r.meter) ?? []), r.seq]);
    const hasLedger = (await db.all("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'ledger_accounts'")).length > 0;
    const ledger: GatewayLedger | undefined = hasLedger
      ? {
          id,
          entries: (await db.all<{ n: number }>('SELECT count(*) AS n FROM ledger_entries'))[0]?.n ?? 0,
          balances: Object.fromEntries((await db.all<{ meter: string; balance: number }>('SELECT meter, balance FROM ledger_accounts')).map((r) => [r.meter, r.balance])),
        }
      : undefined;
    return { id, meters: seqs.map((r) => ({ meter: r.meter, lastSeq: r.last_seq, unsent: unsent.get(r.meter) ?? 0, unsentInWindow: inWindow.get(r.meter) ?? [] })), ...(ledger ? { ledger } : {}) };
  } finally {
    await db.close();
  }
}
