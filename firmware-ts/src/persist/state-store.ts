/**
 * Two-slot persistence: generation N goes to slot N % 2, so a save never overwrites the newest good
 * record; loading takes the valid record with the highest generation.
 */
import { isPrepaidError, type PrepaidError } from '@prepaid-edge/protocols';
import type { MeterState } from '../core/types.js';
import { decodeStateRecord, StateCodec } from './state-codec.js';
import type { Slot, SlotStorage } from './slots.js';

export interface LoadResult {
  /** undefined = no valid record (fresh meter, or both slots damaged: see `rejected`). */
  state: MeterState | undefined;
  gen: number;
  slot: Slot | undefined;
  /** Slots that hold something that failed its checks. */
  rejected: Array<{ slot: Slot; error: PrepaidError }>;
}

export class StateStore {
  private gen = 0;
  private readonly codec = new StateCodec();

  constructor(readonly storage: SlotStorage) {}

  get generation(): number {
    return this.gen;
  }

  load(): LoadResult {
    const out: LoadResult = { state: undefined, gen: 0, slot: undefined, rejected: [] };
    for (const slot of [0, 1] as const) {
      const text = this.storage.read(slot);
      if (text === undefined) continue;
      try {
        const r = decodeStateRecord(text);
        if (r.gen > out.gen) Object.assign(out, { state: r.state, gen: r.gen, slot });
      } catch (e) {
        if (!isPrepaidError(e)) throw e;
        out.rejected.push({ slot, error: e });
      }
    }
    this.gen = out.gen;
    return out;
  }

  save(state: MeterState, coldVersion?: number): void {
    const gen = this.gen + 1;
    this.storage.write((gen % 2) as Slot, this.codec.encode(state, gen, coldVersion));
    this.gen = gen;
  }
}
