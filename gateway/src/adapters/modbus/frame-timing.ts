/**
 * RTU frame timing from the line's settings: the 3.5-character gap that ends a frame, computed from
 * baud rate and framing (start + 8 data + parity + stop bits; 1.75 ms fixed above 19200 baud), with
 * a floor of 3 ms for the scheduling of a desktop OS. Over TCP (an RS-485 converter) the gap is
 * whatever the converter and network add, so it is a setting of its own.
 */
import { bitsPerChar, interFrameMs } from '@prepaid-edge/protocols';
import type { Parity } from '../../core/config/gateway-config.js';

export const MIN_GAP_MS = 3;
export const DEFAULT_TCP_GAP_MS = 30;

export function frameGapMs(baudRate: number, parity: Parity, stopBits: 1 | 2): number {
  return Math.max(MIN_GAP_MS, interFrameMs(baudRate, bitsPerChar(parity, stopBits)));
}
