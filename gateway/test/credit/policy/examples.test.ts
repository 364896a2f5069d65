import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { friendlyPeriodEnd, inFriendlyPeriod, parsePolicy } from '../../../src/core/policy/index.js';
import { AccountSim, DAY, HOUR, at } from './account-sim.js';

const dir = new URL('../../../../examples/policies/', import.meta.url);
const load = (name: string) => parsePolicy(YAML.parse(readFileSync(new URL(name, dir), 'utf8')), name);

test('every example policy is valid', (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 3);
  for (const f of files) t.notThrows(() => load(f), f);
});

test('residential: friendly on a Saturday, a weeknight and St Patrick\'s Day; not on a weekday morning', (t) => {
  const p = load('residential.yaml');
  const z = 'Europe/Dublin';
  t.true(inFriendlyPeriod(p, z, at('2025-03-15T11:00:00Z')));
  t.true(inFriendlyPeriod(p, z, at('2025-03-12T23:00:00Z')));
  t.true(inFriendlyPeriod(p, z, at('2025-03-17T11:00:00Z')));
  t.false(inFriendlyPeriod(p, z, at('2025-03-12T11:00:00Z')));
  // Friday evening to Tuesday 08:00: the weekend, the Monday holiday, the night after it.
  t.is(friendlyPeriodEnd(p, z, at('2025-03-14T17:00:00Z')), at('2025-03-18T08:00:00Z'));
});

test('commercial: never friendly', (t) => {
  const p = load('commercial.yaml');
  for (let ms = at('2025-01-01T00:00:00Z'); ms < at('2025-01-15T00:00:00Z'); ms += HOUR) t.false(inFriendlyPeriod(p, 'Asia/Shanghai', ms));
});

test('keep-power: four weeks at no credit, falling into debt, and the relay is never tripped', (t) => {
  const p = load('keep-power.yaml');
  const sim = new AccountSim(p, 1000, at('2025-03-03T09:00:00Z'), 'Asia/Shanghai');
  t.is(friendlyPeriodEnd(p, sim.zone, sim.now), null);
  for (let i = 0; i < 28 * 24; i++) {
    sim.now += HOUR;
    sim.charge(500);
  }
  t.true(sim.balance < -300_000);
  t.deepEqual(sim.actionsSince(), []);
  t.is(sim.state.supply, 'connected');
  t.is(sim.decisions.flatMap((d) => d.events).filter((e) => e.type === 'friendly-period-zero-credit').length, 1);
  t.true(sim.now - at('2025-03-03T09:00:00Z') >= 28 * DAY);
});
