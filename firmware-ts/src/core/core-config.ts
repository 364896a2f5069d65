/** The settings the pure meter logic needs (a subset of the firmware config file, see ../config.ts). */
import type { StsBaseDate } from '@prepaid-edge/protocols';

export interface CoreConfig {
  serialNumber: number;
  impulsesPerKwh: number;
  /** No valid gateway request for this long = standalone mode (status bit 6). */
  gatewayWatchdogMs: number;
  eventLogCapacity: number;
  /** Local (token) credit at or below this warns on display and buzzer, Wh. */
  localLowCreditWh: number;
  /** Pulses counted this long after the relay opened are not yet taken as bypass (load run-down). */
  bypassGraceMs: number;
  /** Measurements from a metering module older than this read as 0 (module silent). */
  moduleStaleMs: number;
  sts: { decoderKey: string | undefined; baseDate: StsBaseDate };
  /**
   * Register map revision. 1: a keypad credit token raises the backup disconnect threshold. 2: it adds
   * to the meter's own token credit (tokenCreditTotal - tokenCreditBooked), let through beyond the
   * threshold, and is logged as event 19. Default 1.
   */
  mapRevision?: 1 | 2;
}
