/**
 * Load shapes. Each model yields one power value (W, integer, whole meter) per physics tick,
 * drawn in tick order from the meter's own random stream, so a run depends only on the seed.
 */
import { symmetric, type Rng } from './random.js';

export type LoadSpec = (
  | { type: 'constant'; watts: number; noise?: number }
  | { type: 'residential'; peakW?: number; baseW?: number; noise?: number }
  | { type: 'commercial'; peakW?: number; baseW?: number; noise?: number }
  | { type: 'ev'; chargerW?: number; baseW?: number; sessionsPerDay?: number; noise?: number }
  | { type: 'off' }
) & {
  /** Extra load between local 00:00 and 05:00, W (a night-use pattern change: a grow lamp, a pump, a heater). */
  nightW?: number;
};

export interface LoadModel {
  /** Power in W for the tick starting at `tickStartMs` (epoch ms UTC; hour of day taken in UTC+offset). */
  next(tickStartMs: number, tickMs: number, rng: Rng): number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function hourOfDay(ms: number, utcOffsetMin: number): number {
  const local = ms + utcOffsetMin * 60_000;
  return ((local % DAY) + DAY) % DAY / HOUR;
}

function dayOfWeek(ms: number, utcOffsetMin: number): number {
  return new Date(ms + utcOffsetMin * 60_000).getUTCDay();
}

/** Residential day curve: low at night, a morning bump, the evening peak. Range 0..1. */
export function residentialShape(h: number): number {
  const bump = (centre: number, width: number) => Math.exp(-((h - centre) ** 2) / (2 * width * width));
  return Math.min(1, 0.08 + 0.45 * bump(7.5, 1.2) + 0.2 * bump(13, 2.5) + 0.92 * bump(19.5, 1.8));
}

/** Commercial: open 08-18 on weekdays. Range 0..1. */
export function commercialShape(h: number, dow: number): number {
  const weekday = dow >= 1 && dow <= 5;
  if (!weekday) return 0.1;
  if (h < 7 || h >= 19) return 0.1;
  if (h < 8) return 0.1 + 0.9 * (h - 7);
  if (h >= 18) return 1 - 0.9 * (h - 18);
  return 1;
}

const withNoise = (watts: number, noise: number, rng: Rng): number => Math.max(0, Math.round(watts * (1 + noise * symmetric(rng))));

export function createLoadModel(spec: LoadSpec, utcOffsetMin = 0): LoadModel {
  const base = baseLoadModel(spec, utcOffsetMin);
  const night = spec.nightW ?? 0;
  if (!(night > 0)) return base;
  return { next: (t, tickMs, rng) => base.next(t, tickMs, rng) + (hourOfDay(t, utcOffsetMin) < 5 ? Math.round(night) : 0) };
}

function baseLoadModel(spec: LoadSpec, utcOffsetMin: number): LoadModel {
  switch (spec.type) {
    case 'off':
      return { next: () => 0 };
    case 'constant':
      return { next: (_t, _d, rng) => withNoise(spec.watts, spec.noise ?? 0, rng) };
    case 'residential': {
      const base = spec.baseW ?? 150;
      const peak = spec.peakW ?? 3000;
      return { next: (t, _d, rng) => withNoise(base + (peak - base) * residentialShape(hourOfDay(t, utcOffsetMin)), spec.noise ?? 0.15, rng) };
    }
    case 'commercial': {
      const base = spec.baseW ?? 800;
      const peak = spec.peakW ?? 12000;
      return {
        next: (t, _d, rng) =>
          withNoise(base + (peak - base) * commercialShape(hourOfDay(t, utcOffsetMin), dayOfWeek(t, utcOffsetMin)), spec.noise ?? 0.1, rng),
      };
    }
    case 'ev': {
      // Sessions start mostly in the evening, last 1-4 h at the charger's power.
      const charger = spec.chargerW ?? 7400;
      const base = spec.baseW ?? 200;
      const perDay = spec.sessionsPerDay ?? 1;
      let sessionEnd = -Infinity;
      return {
        next: (t, tickMs, rng) => {
          const start = rng();
          const length = rng();
          if (t >= sessionEnd) {
            const h = hourOfDay(t, utcOffsetMin);
            const weight = h >= 17 && h < 23 ? 3 : 0.4;
            const p = (perDay * weight * tickMs) / DAY;
            if (start < p) sessionEnd = t + HOUR + Math.floor(length * 3 * HOUR);
          }
          const charging = t < sessionEnd;
          return withNoise(base, spec.noise ?? 0.1, rng) + (charging ? charger : 0);
        },
      };
    }
  }
}
