/** What the virtual board's buses talk to: I2C devices answer writes and reads, serial devices bytes. */
export interface I2cDevice {
  write(bytes: readonly number[]): void;
  read(register: number | undefined, count: number): number[];
  /** Continuous readers are told when the device's answer changed. */
  subscribe?(onChange: () => void): void;
  /** Power cycle. */
  reset?(): void;
}

export interface SerialDevice {
  write(bytes: readonly number[]): void;
  /** The board forwards what the device sends to the MCU's serial reader. */
  onData(listener: (bytes: number[]) => void): void;
  reset?(): void;
}
