/**
 * A digital input read straight from the IO plugin and debounced on the firmware's clock.
 * Used for the S0 pulses and the tamper switches instead of johnny-five's Button/Switch: those
 * debounce with wall-clock timers (trailing, 5-7 ms), which drops a short cover opening (tamper
 * must latch it) and merges pulses that a simulated board delivers faster than real time.
 */
import type { IoPluginLike } from 'johnny-five';
import type { Clock } from '@prepaid-edge/protocols';
import { Debouncer, type Level } from '../core/debouncer.js';
import type { InputPin, PinId } from './pin-map.js';

export class DebouncedInput {
  readonly debouncer: Debouncer;
  readonly pin: PinId;

  constructor(io: IoPluginLike, spec: InputPin, lockoutMs: number, clock: Clock, onChange: (active: boolean) => void) {
    this.pin = io.normalize ? io.normalize(spec.pin) : spec.pin;
    const activeLevel: Level = spec.activeLow ? 0 : 1;
    const idle: Level = activeLevel === 1 ? 0 : 1;
    this.debouncer = new Debouncer(lockoutMs, idle, (level) => onChange(level === activeLevel));
    io.pinMode(this.pin, io.MODES.INPUT);
    if (spec.pullup && spec.activeLow) io.digitalWrite(this.pin, io.HIGH);
    io.digitalRead(this.pin, (v) => this.debouncer.feed(v ? 1 : 0, clock.monotonic()));
  }

  settle(now: number): void {
    this.debouncer.settle(now);
  }
}
