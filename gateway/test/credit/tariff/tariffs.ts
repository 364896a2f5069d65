/** Small tariffs whose prices make hand-computed vectors easy (sub-units per kWh; amount = Σ wh × price / 1000). */
import type { Tariff, TariffVersion } from '../../../src/core/credit/contracts.js';
import { parseTariff } from '../../../src/core/tariff/index.js';

const money = { creditUnit: 'currency', currency: 'CNY', subunitsPerUnit: 1000, standingChargePerDay: 0 } as const;

export const flat = parseTariff({ ...money, id: 'flat', periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat' });
export const flat500 = parseTariff({ ...money, id: 'flat500', periods: [{ id: 'flat', pricePerKwh: 500 }], tou: [], defaultPeriod: 'flat' });
export const flat800 = parseTariff({ ...money, id: 'flat800', periods: [{ id: 'flat', pricePerKwh: 800 }], tou: [], defaultPeriod: 'flat' });

/** Peak 08-12 on weekdays, valley 23-07 every day, flat otherwise; 2024-05-01 is a holiday, valley all day. */
export const tou = parseTariff({
  ...money,
  id: 'tou',
  periods: [
    { id: 'valley', pricePerKwh: 200 },
    { id: 'flat', pricePerKwh: 500 },
    { id: 'peak', pricePerKwh: 900 },
  ],
  tou: [
    { period: 'valley', from: '00:00', to: '00:00', days: ['holiday'] },
    { period: 'peak', from: '08:00', to: '12:00', days: ['weekday'] },
    { period: 'valley', from: '23:00', to: '07:00' },
  ],
  defaultPeriod: 'flat',
  holidays: ['2024-05-01'],
});

/** Summer (June-August) peak 10-14, flat otherwise. */
export const season = parseTariff({
  ...money,
  id: 'season',
  periods: [
    { id: 'flat', pricePerKwh: 500 },
    { id: 'peak', pricePerKwh: 900 },
  ],
  tou: [{ period: 'peak', from: '10:00', to: '14:00', months: [6, 7, 8] }],
  defaultPeriod: 'flat',
});

/** China's 3-tier residential blocks (adders in 1/10000 CNY per kWh), billing month from the 15th; a fresh copy each call. */
export const chinaTiers = () => ({
  tiers: [
    { fromKwh: 0, adderPerKwh: 0 },
    { fromKwh: 200, adderPerKwh: 500 },
    { fromKwh: 400, adderPerKwh: 3000 },
  ],
  billingDay: 15,
});

/** China 3-tier residential blocks, billing month from the 15th; price in 1/10000 CNY. */
export const tiered = parseTariff({
  ...money,
  id: 'tiered',
  subunitsPerUnit: 10000,
  periods: [{ id: 'base', pricePerKwh: 5283 }],
  tou: [],
  defaultPeriod: 'base',
  ...chinaTiers(),
});

/** Period b from 01:30 to 05:00 local: on DST days 01:30 occurs twice (fall back) or is skipped (spring, Dublin). */
export const dst = parseTariff({
  ...money,
  id: 'dst',
  periods: [
    { id: 'a', pricePerKwh: 100 },
    { id: 'b', pricePerKwh: 200 },
  ],
  tou: [{ period: 'b', from: '01:30', to: '05:00' }],
  defaultPeriod: 'a',
});

/** Period b from 02:30: on New York's spring-forward day 02:30 does not exist. */
export const dstGap = parseTariff({ ...dst, id: 'dst-gap', tou: [{ period: 'b', from: '02:30', to: '05:00' }] });

export const only = (t: Tariff): TariffVersion[] => [{ activeFrom: 0, tariff: t }];
export const Z = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad date ${iso}`);
  return ms;
};
