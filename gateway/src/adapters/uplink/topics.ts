/** The MQTT topics of one gateway (see docs/mqtt.md). */
export interface Topics {
  /** Retained online/offline state; also the last will. */
  status: string;
  events: string;
  readings(meter: string): string;
  health(meter: string): string;
  credit(meter: string): string;
  /** Frozen readings (daily/monthly register snapshots), QoS 1, not retained. */
  frozen(meter: string): string;
  /** Signed commands in, their outcomes out. */
  commands: string;
  commandResults: string;
  /** Every ledger entry, in seq order (docs/mqtt.md#ledger). */
  ledger: string;
}

export function topicsFor(prefix: string, gatewayId: string): Topics {
  const root = `${prefix.replace(/\/+$/, '')}/${gatewayId}`;
  return {
    status: `${root}/status`,
    events: `${root}/events`,
    readings: (meter) => `${root}/meters/${meter}/readings`,
    health: (meter) => `${root}/meters/${meter}/health`,
    credit: (meter) => `${root}/meters/${meter}/credit`,
    frozen: (meter) => `${root}/meters/${meter}/frozen`,
    commands: `${root}/commands`,
    commandResults: `${root}/commands/results`,
    ledger: `${root}/ledger`,
  };
}
