/**
 * Find the first whole, valid frame in a byte stream. Used by the splitter, and directly by
 * callers that keep their own buffer. Resynchronises by trying every 0x68 as a frame start:
 * a candidate counts only when both 68s, L, the checksum, the end byte and the address check.
 */
import { frameError, isPrepaidError, PrepaidError } from '../errors.js';
import { DLT645_PREAMBLE, DLT645_START } from './constants.js';
import { dlt645DecodeFrameAt, dlt645FrameLengthAt, type Dlt645Frame } from './frame.js';

export interface Dlt645FindResult {
  /** The first valid frame, if one is complete. */
  frame?: Dlt645Frame;
  /** Offset of that frame's first 0x68. */
  start?: number;
  /**
   * Bytes the caller should drop from the front: garbage and the frame when one was found;
   * otherwise the garbage before a possible frame that is still arriving (may be 0).
   */
  consumed: number;
  /** Why bytes other than 0xFE wake-up bytes were skipped (the first failure seen). */
  error?: PrepaidError;
}

export function findFrame(buf: Uint8Array): Dlt645FindResult {
  let firstError: PrepaidError | undefined;
  let waitAt: number | undefined;
  for (let i = buf.indexOf(DLT645_START); i >= 0; i = buf.indexOf(DLT645_START, i + 1)) {
    let frame: Dlt645Frame;
    let total: number | undefined;
    try {
      total = dlt645FrameLengthAt(buf, i);
      if (total === undefined || buf.length < i + total) {
        // Maybe a frame still arriving, maybe a stray 68: keep looking for a complete frame behind it.
        waitAt ??= i;
        continue;
      }
      frame = dlt645DecodeFrameAt(buf, i, total);
    } catch (e) {
      if (!isPrepaidError(e)) throw e;
      firstError ??= e;
      continue;
    }
    return { frame, start: i, consumed: i + total, ...garbageError(buf, i, firstError) };
  }
  const consumed = waitAt ?? buf.length;
  return { consumed, ...garbageError(buf, consumed, firstError) };
}

/** An error only when something other than wake-up bytes is being skipped. */
function garbageError(buf: Uint8Array, end: number, seen: PrepaidError | undefined): { error?: PrepaidError } {
  let first = -1;
  for (let i = 0; i < end; i++) {
    if (buf[i] !== DLT645_PREAMBLE) {
      first = i;
      break;
    }
  }
  if (first < 0) return {};
  return { error: seen ?? frameError('E_FRAME_START', `skipped ${end - first} bytes that start no frame`, first) };
}
