/**
 * Overflow policy. When the outbox holds more than maxReadings readings or maxBytes bytes of
 * reading JSON, the oldest readings are dropped down to a low-water mark 1% under the bound, so a
 * full outbox drops (and records a `readings-dropped` event) once per 1% of capacity, not on every
 * append.
 */
export interface Bounds {
  maxReadings: number;
  maxBytes: number;
}

export interface Level {
  count: number;
  bytes: number;
}

export const DROP_HEADROOM = 0.01;

export function overBounds(level: Level, b: Bounds): boolean {
  return level.count > b.maxReadings || level.bytes > b.maxBytes;
}

export function lowWater(b: Bounds): Level {
  return {
    count: b.maxReadings - Math.max(1, Math.floor(b.maxReadings * DROP_HEADROOM)),
    bytes: b.maxBytes - Math.max(1, Math.floor(b.maxBytes * DROP_HEADROOM)),
  };
}

/**
 * How many of the oldest rows to drop next to get under `low`. For the byte bound this estimates
 * from the average row size; the caller re-measures and calls again until under (at least 1 row).
 */
export function rowsToDrop(level: Level, low: Level): number {
  if (level.count <= 0) return 0;
  const byCount = level.count - low.count;
  const avg = level.bytes / level.count;
  const byBytes = avg > 0 ? Math.ceil((level.bytes - low.bytes) / avg) : 0;
  return Math.min(level.count, Math.max(1, byCount, byBytes));
}
