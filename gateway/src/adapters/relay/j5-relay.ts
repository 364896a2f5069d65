/// <reference types="@prepaid-edge/firmware/johnny-five" />
/**
 * A relay on a johnny-five board pin, for meters without a relay of their own (a gateway GPIO or
 * an external relay module), with an optional feedback contact for readback and an optional
 * reconnect button for arming.
 *
 * Readback: with a feedback contact, its level; without one, the state this driver last commanded
 * (raw.readback = 'commanded': nothing checks that the contact moved). Without feedback the state
 * is unknown until the first command, and read() throws E_RELAY_UNSUPPORTED until then, so a
 * gateway restart never takes an unknown relay for the one it wants.
 *
 * Arming (ready-for-reconnection): the relay stays open, and the next press of the button closes
 * it (the hook onLocalClose is told); without a button pin arming is E_RELAY_UNSUPPORTED.
 */
import five, { type Board, type Relay } from 'johnny-five';
import { PrepaidError, systemClock, type TimerHandle } from '@prepaid-edge/protocols';
import type { RelayDriver, RelayStatus, SupplyState } from '../../core/credit/contracts.js';
import { OneAtATime, verifiedSet, type RelayDriverOptions } from './verified-set.js';

export type { PinRef } from '../../core/config/gateway-config.js';
import type { GpioRelayWiring } from '../../core/config/gateway-config.js';

export interface J5RelayOptions extends RelayDriverOptions, GpioRelayWiring {
  /** Wait between command and feedback readback; default 50 ms with a feedback pin, else 0. */
  settleMs?: number;
  /** The customer's button closed an armed relay. */
  onLocalClose?: (s: RelayStatus) => void;
}

/** A button level must hold this long to count as a press (contact bounce). */
const BUTTON_DEBOUNCE_MS = 7;

export class J5Relay implements RelayDriver {
  private readonly relay: Relay;
  private readonly hasButton: boolean;
  private buttonDown = false;
  private buttonDebounce: TimerHandle | undefined;
  private feedbackLevel: number | undefined;
  private commanded: boolean | undefined;
  private armed = false;
  private readonly serial = new OneAtATime();

  constructor(
    readonly meter: string,
    private readonly board: Board,
    private readonly opts: J5RelayOptions,
  ) {
    const io = board.io;
    this.relay = new five.Relay({ board, pin: opts.pin, type: opts.activeLow ? 'NC' : 'NO' });
    io.pinMode(this.relay.pin, io.MODES.OUTPUT); // five.Relay leaves the mode to the plugin's default
    if (opts.feedbackPin !== undefined) {
      io.pinMode(opts.feedbackPin, io.MODES.INPUT);
      io.digitalRead(opts.feedbackPin, (v) => (this.feedbackLevel = v));
    }
    this.hasButton = opts.buttonPin !== undefined;
    if (opts.buttonPin !== undefined) {
      // Read the pin directly rather than through five.Button: that starts a hold interval on every
      // "down" report and clears only the last one, so a report that crosses a close (or two
      // reports while held) leaves an interval running for ever. A press is the edge to the active
      // level that stays there for BUTTON_DEBOUNCE_MS.
      const activeLow = opts.buttonActiveLow ?? true;
      io.pinMode(opts.buttonPin, io.MODES.INPUT);
      if (activeLow) io.digitalWrite(opts.buttonPin, 1); // the input's pull-up (Firmata: a high write to an input)
      io.digitalRead(opts.buttonPin, (v) => this.buttonLevel(activeLow ? v === 0 : v === 1));
    }
  }

  get supportsArm(): boolean {
    return this.hasButton;
  }

  private closedNow(): { closed: boolean; raw: Record<string, unknown> } {
    const o = this.opts;
    if (o.feedbackPin !== undefined) {
      const level = this.feedbackLevel;
      if (level === undefined) throw new PrepaidError('E_RELAY_UNSUPPORTED', `meter ${this.meter}: feedback pin ${o.feedbackPin} has not reported`, { meter: this.meter });
      const closed = (level === 1) !== (o.feedbackActiveLow ?? false);
      return { closed, raw: { readback: 'feedback', feedbackPin: o.feedbackPin, level, commanded: this.commanded ?? null, pin: o.pin } };
    }
    if (this.commanded === undefined) {
      throw new PrepaidError('E_RELAY_UNSUPPORTED', `meter ${this.meter}: relay on pin ${o.pin} has no feedback contact and no command yet, its state is unknown`, { meter: this.meter, pin: o.pin });
    }
    return { closed: this.commanded, raw: { readback: 'commanded', commanded: this.commanded, pin: o.pin } };
  }

  async read(): Promise<RelayStatus> {
    return this.status();
  }

  private status(): RelayStatus {
    const { closed, raw } = this.closedNow();
    const state: SupplyState = closed ? 'connected' : this.armed ? 'ready-for-reconnection' : 'disconnected';
    return { state, raw: { ...raw, armed: this.armed } };
  }

  set(target: SupplyState, cause: string): Promise<RelayStatus> {
    if (target === 'ready-for-reconnection' && !this.hasButton) {
      return Promise.reject(
        new PrepaidError('E_RELAY_UNSUPPORTED', `meter ${this.meter}: arming needs a buttonPin (relay on pin ${this.opts.pin} has none)`, { meter: this.meter, wanted: target }),
      );
    }
    const settleMs = this.opts.settleMs ?? (this.opts.feedbackPin !== undefined ? 50 : 0);
    return this.serial.run(() => verifiedSet({ meter: this.meter, target, cause, settleMs, read: () => this.read(), command: async (t) => this.command(t) }, this.opts));
  }

  private command(target: SupplyState): void {
    this.armed = target === 'ready-for-reconnection';
    this.drive(target === 'connected');
  }

  private drive(closed: boolean): void {
    if (closed) this.relay.close();
    else this.relay.open();
    this.commanded = closed;
  }

  private buttonLevel(down: boolean): void {
    if (down === this.buttonDown) return;
    this.buttonDown = down;
    const clock = this.opts.clock ?? systemClock;
    clock.clearTimeout(this.buttonDebounce);
    this.buttonDebounce = undefined;
    if (down)
      this.buttonDebounce = clock.setTimeout(() => {
        this.buttonDebounce = undefined;
        if (this.buttonDown) this.pressed();
      }, BUTTON_DEBOUNCE_MS);
  }

  private pressed(): void {
    if (!this.armed) return;
    this.armed = false;
    this.drive(true);
    try {
      this.opts.onLocalClose?.(this.status());
    } catch {
      // a feedback contact that has not reported: the caller reads the state itself
    }
  }
}
