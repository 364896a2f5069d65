/**
 * A Modbus meter: physics seen through a register map (protocols/profiles/<id>.json).
 * sdm630/sdm120 are read-only measurement maps; the `prepaid` map gets a deliberately thin
 * behaviour here (relay, backup threshold, tamper). The real prepaid logic is firmware-ts.
 */
import { handleRequest, type MeterProfile, type RegisterDef } from '@prepaid-edge/protocols';
import { RegisterBank } from './register-bank.js';
import { canonicalValue } from './canonical-values.js';
import { SimMeter, type SimMeterOptions } from './sim-meter.js';
import type { PhysicsSnapshot } from '../physics/meter-physics.js';

/** Re-encode registers at most this often in simulated time (a real meter updates ~1/s). */
const REFRESH_MS = 100;

export class ModbusSimMeter extends SimMeter {
  readonly protocol = 'modbus' as const;
  readonly bank: RegisterBank;
  private refreshedAt = -Infinity;
  private events = 0;

  constructor(
    readonly profile: MeterProfile,
    opts: SimMeterOptions,
  ) {
    super(opts);
    this.bank = new RegisterBank(profile, (def, value) => this.onWrite(def, value));
  }

  get profileId(): string {
    return this.profile.id;
  }

  /** Answer one request PDU (after reply faults were decided by the bus). */
  handlePdu(pdu: Uint8Array): Buffer {
    this.requests++;
    this.refresh();
    return handleRequest(this.bank, pdu);
  }

  /** Sync physics and re-encode the register words if simulated time moved on. */
  refresh(force = false): void {
    const now = this.clock.now();
    if (!force && now - this.refreshedAt < REFRESH_MS) return;
    this.sync(now);
    this.enforceBackupThreshold();
    const snap = this.physics.snapshot(now);
    this.refreshedAt = now;
    this.bank.refresh((name) => canonicalValue(snap, name) ?? this.deviceValue(name, snap, now));
  }

  override setRelay(closed: boolean): void {
    super.setRelay(closed);
    this.refresh(true);
  }

  /** Values of the prepaid map that are not measurements. */
  private deviceValue(name: string, snap: PhysicsSnapshot, now: number): number | undefined {
    switch (name) {
      case 'relayClosed':
      case 'relayStateCoil':
        return snap.relayClosed ? 1 : 0;
      case 'relayState':
        return snap.relayClosed ? 1 : 0;
      case 'eventCounter':
        return this.events;
      case 'statusBits':
        return (snap.relayClosed ? 1 : 0) | (this.tamperLatched ? 1 << 2 : 0) | (this.physics.bypass && !snap.relayClosed ? 1 << 7 : 0);
      case 'meterTime':
        return Math.floor(this.meterClock(now) / 1000);
      case 'modbusAddress':
        return this.unit;
      case 'baudRateCode':
        return ({ 1200: 5, 2400: 0, 4800: 1, 9600: 2, 19200: 3, 38400: 4 } as Record<number, number>)[this.line?.baudRate ?? 9600] ?? 2;
      case 'parityStopCode':
        return this.line?.parity === 'even' ? 1 : this.line?.parity === 'odd' ? 2 : 0;
      case 'serialNumber':
        return 10_000_000 + this.unit;
    }
    return undefined;
  }

  private onWrite(def: RegisterDef, value: number): void {
    this.events++;
    if (def.name === 'relayCommand') this.physics.relayClosed = value !== 0;
    if (def.name === 'tamperClear' && value !== 0) this.tamperLatched = false;
    this.refreshedAt = -Infinity;
  }

  private enforceBackupThreshold(): void {
    const threshold = this.bank.written.get('backupDisconnectThreshold');
    if (threshold && this.physics.relayClosed && this.physics.snapshot(this.clock.now()).energyImportWh >= threshold) {
      this.physics.relayClosed = false;
      this.bank.written.set('relayCommand', 0);
      this.events++;
    }
  }
}
