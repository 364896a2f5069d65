/**
 * Checks that a decoded state record has the shape of MeterState (a record that passes its
 * checksum but was written by another firmware version must not be half-trusted).
 * Throws E_STORE_CORRUPT naming the offending field.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { MeterEvent, MeterState } from '../core/types.js';

type Obj = Record<string, unknown>;

function fail(path: string, why: string): never {
  throw new PrepaidError('E_STORE_CORRUPT', `state record: ${path} ${why}`, { path });
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'is not an object');
  return v as Obj;
}

function int(o: Obj, key: string, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(`${path}.${key}`, `is not an integer in ${min}..${max}`);
  return v;
}

function bool(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'is not a boolean');
  return v;
}

export function checkStateShape(v: unknown): MeterState {
  const s = obj(v, 'state');
  const energy = obj(s.energy, 'energy');
  for (const k of ['importWh', 'exportWh', 'residue', 'savedAt']) int(energy, k, 'energy', 0);
  int(energy, 'moduleWh', 'energy', -1);
  const relay = obj(s.relay, 'relay');
  int(relay, 'state', 'relay', 0, 2);
  int(relay, 'command', 'relay', 0, 1);
  int(relay, 'openReason', 'relay', 0, 3);
  const settings = obj(s.settings, 'settings');
  int(settings, 'creditBalance', 'settings', -(2 ** 31), 2 ** 31 - 1);
  for (const k of ['lowCreditThreshold1', 'lowCreditThreshold2', 'emergencyCreditLimit']) int(settings, k, 'settings', 0, 2 ** 31 - 1);
  int(settings, 'backupDisconnectThreshold', 'settings', 0);
  int(settings, 'creditDecimals', 'settings', 0, 4);
  int(settings, 'reconnectMode', 'settings', 0, 1);
  const line = obj(s.line, 'line');
  int(line, 'unitId', 'line', 1, 247);
  int(line, 'baudRate', 'line', 300, 1_000_000);
  if (!['none', 'even', 'odd'].includes(line.parity as string)) fail('line.parity', 'is not none/even/odd');
  int(s, 'latched', 'state', 0, 0xffff);
  bool(s, 'emergencyInUse', 'state');
  int(s, 'creditFlags', 'state', 0, 0xffff);
  int(s, 'standaloneSince', 'state', 0);
  const clock = obj(s.clock, 'clock');
  int(clock, 'offsetMs', 'clock');
  bool(clock, 'set', 'clock');
  const events = obj(s.events, 'events');
  int(events, 'counter', 'events', 0);
  if (!Array.isArray(events.log)) fail('events.log', 'is not an array');
  (events.log as unknown[]).forEach((e, i) => {
    const p = `events.log[${i}]`;
    const ev = obj(e, p);
    int(ev, 'seq', p, 1);
    int(ev, 'type', p, 1, 0xffff);
    int(ev, 'ts', p, 0, 2 ** 32 - 1);
    int(ev, 'value', p, -(2 ** 31), 2 ** 31 - 1);
  });
  const log = events.log as MeterEvent[];
  for (let i = 1; i < log.length; i++) if (log[i]!.seq !== log[i - 1]!.seq + 1) fail(`events.log[${i}].seq`, 'does not follow the one before');
  if (log.length > 0 && log[log.length - 1]!.seq !== events.counter) fail('events.counter', 'is not the seq of the newest event');
  if (!Array.isArray(s.tids) || !(s.tids as unknown[]).every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0 && t < 2 ** 24)) fail('tids', 'is not a list of 24-bit TIDs');
  if (s.tokenCredit !== undefined) {
    const tc = obj(s.tokenCredit, 'tokenCredit');
    int(tc, 'totalWh', 'tokenCredit', 0);
    int(tc, 'bookedWh', 'tokenCredit', 0);
    if ((tc.bookedWh as number) > (tc.totalWh as number)) fail('tokenCredit.bookedWh', 'is above totalWh');
  }
  return s as unknown as MeterState;
}
