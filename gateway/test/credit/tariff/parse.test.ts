import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { PrepaidError } from '@prepaid-edge/protocols';
import { parseTariff, parseTariffText, parseTariffVersions } from '../../../src/core/tariff/index.js';
import { chinaTiers } from './tariffs.js';

const dir = new URL('../../../../examples/tariffs/', import.meta.url);

test('every example tariff in gateway/examples/tariffs loads', (t) => {
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.true(files.length >= 5, files.join(', '));
  for (const f of ['flat.yaml', 'tou-cn.json', 'tiered-cn.json', 'tou-tiered.json']) t.true(files.includes(f), f);
  for (const f of files) {
    const tariff = parseTariffText(readFileSync(new URL(f, dir), 'utf8'), f);
    t.true(Object.isFrozen(tariff.periods), f);
  }
});

const good = () => ({
  id: 't1',
  creditUnit: 'currency',
  currency: 'CNY',
  subunitsPerUnit: 10000,
  periods: [
    { id: 'peak', pricePerKwh: 5583 },
    { id: 'valley', pricePerKwh: 3083 },
  ],
  tou: [
    { period: 'valley', from: '22:00', to: '08:00' },
    { period: 'peak', from: '08:00', to: '12:00', days: ['weekday'] },
    { period: 'peak', from: '18:00', to: '22:00', months: [6, 7, 8] },
  ],
  defaultPeriod: 'peak',
  ...chinaTiers(),
  standingChargePerDay: 0,
  holidays: ['2024-10-01'],
});
type Raw = ReturnType<typeof good> & Record<string, unknown>;

// [what is wrong, mutation, path named, message]
const bad: Array<[string, (r: Raw) => void, string, RegExp]> = [
  ['hour 25', (r) => void (r.tou[2]!.from = '25:00'), 'tou[2].from', /HH:MM/],
  ['minute 60', (r) => void (r.tou[0]!.to = '07:60'), 'tou[0].to', /HH:MM/],
  ['unknown key', (r) => void ((r.tou[0] as Record<string, unknown>).colour = 'red'), 'tou[0].colour', /unknown key/],
  ['unknown top-level key', (r) => void (r.vat = 13), 'vat', /unknown key/],
  ['period referenced does not exist', (r) => void (r.tou[1]!.period = 'shoulder'), 'tou[1].period', /no period "shoulder"/],
  ['default period does not exist', (r) => void (r.defaultPeriod = 'flat'), 'defaultPeriod', /no period "flat"/],
  ['duplicate period id', (r) => void (r.periods[1]!.id = 'peak'), 'periods[1].id', /duplicate/],
  ['price not an integer', (r) => void (r.periods[0]!.pricePerKwh = 558.3), 'periods[0].pricePerKwh', /integer/],
  ['negative standing charge', (r) => void (r.standingChargePerDay = -1), 'standingChargePerDay', />= 0/],
  ['adder not an integer', (r) => void (r.tiers[1]!.adderPerKwh = 0.5), 'tiers[1].adderPerKwh', /integer/],
  ['tiers not ascending', (r) => void (r.tiers[2]!.fromKwh = 150), 'tiers[2].fromKwh', /greater than tiers\[1\]/],
  ['tiers not starting at 0', (r) => void (r.tiers[0]!.fromKwh = 10), 'tiers[0].fromKwh', /start at 0/],
  ['first tier with an adder', (r) => void (r.tiers[0]!.adderPerKwh = 5), 'tiers[0].adderPerKwh', /adder 0/],
  ['tier threshold finer than 1 Wh', (r) => void (r.tiers[1]!.fromKwh = 200.0005), 'tiers[1].fromKwh', /whole number of Wh/],
  ['billing day 29', (r) => void (r.billingDay = 29), 'billingDay', /<= 28/],
  ['billing day 0', (r) => void (r.billingDay = 0), 'billingDay', />= 1/],
  ['holiday not a calendar date', (r) => void (r.holidays[0] = '2024-02-30'), 'holidays[0]', /not a calendar date/],
  ['month 13', (r) => void (r.tou[2]!.months![0] = 13), 'tou[2].months[0]', /<= 12/],
  ['unknown day type', (r) => void ((r.tou[1]!.days as string[])[0] = 'friday'), 'tou[1].days[0]', /one of "weekday"/],
  ['currency missing', (r) => void delete (r as Record<string, unknown>).currency, 'currency', /required for a currency tariff/],
  ['required field missing', (r) => void delete (r as Record<string, unknown>).standingChargePerDay, 'standingChargePerDay', /required/],
];
for (const [name, mutate, path, message] of bad) {
  test(`parseTariff refuses: ${name} (${path})`, (t) => {
    const raw = good() as Raw;
    mutate(raw);
    const e = t.throws(() => parseTariff(raw), { instanceOf: PrepaidError });
    t.is(e?.code, 'E_TARIFF_INVALID');
    t.is(e?.context.path, path);
    t.regex(e!.message, message);
    // With a prefix the path names the place in the enclosing document.
    const e2 = t.throws(() => parseTariff(raw, 'tariffs[1]'), { instanceOf: PrepaidError });
    t.is(e2?.context.path, `tariffs[1].${path}`);
  });
}

test('parseTariff accepts the good tariff and returns a frozen copy', (t) => {
  const raw = good();
  const tariff = parseTariff(raw);
  t.deepEqual(tariff, raw);
  t.true(Object.isFrozen(tariff.tiers![1]));
  t.not(tariff as unknown, raw as unknown);
});

test('parseTariffVersions: ascending activation, tariff paths under versions[i].tariff', (t) => {
  const ok = parseTariffVersions([
    { activeFrom: 0, tariff: good() },
    { activeFrom: 1000, tariff: good() },
  ]);
  t.is(ok.length, 2);
  const notAscending = t.throws(() => parseTariffVersions([{ activeFrom: 1000, tariff: good() }, { activeFrom: 1000, tariff: good() }]), { instanceOf: PrepaidError });
  t.is(notAscending?.context.path, 'versions[1].activeFrom');
  const second = good();
  second.tou[2]!.from = '9:00';
  const badTariff = t.throws(() => parseTariffVersions([{ activeFrom: 0, tariff: good() }, { activeFrom: 5, tariff: second }]), { instanceOf: PrepaidError });
  t.is(badTariff?.context.path, 'versions[1].tariff.tou[2].from');
  const semanticBad = good();
  semanticBad.defaultPeriod = 'none';
  const e = t.throws(() => parseTariffVersions([{ activeFrom: 0, tariff: semanticBad }], 'tariffVersions'), { instanceOf: PrepaidError });
  t.is(e?.context.path, 'tariffVersions[0].tariff.defaultPeriod');
  const empty = t.throws(() => parseTariffVersions([]), { instanceOf: PrepaidError });
  t.is(empty?.context.path, 'versions');
});

test('parseTariffText names the source on YAML errors', (t) => {
  const e = t.throws(() => parseTariffText('id: [unclosed', 'bad.yaml'), { instanceOf: PrepaidError });
  t.is(e?.code, 'E_TARIFF_INVALID');
  t.regex(e!.message, /^bad\.yaml: /);
});
