import test from 'ava';
import { findDlt645DataItem, isPrepaidError, type ErrorContext } from '@prepaid-edge/protocols';
import { listDlt645Profiles, loadDlt645Profile, validateDlt645Profile } from '../../src/adapters/acquisition/dlt645-profile.js';
import { parseConfig } from '../../src/app/config/load-config.js';

const ctx = (e: unknown): ErrorContext => (isPrepaidError(e) ? e.context : {});

test('every shipped DL/T 645 profile loads, and each DI reads the measurement it names', (t) => {
  const ids = listDlt645Profiles();
  t.true(ids.includes('dlt645') && ids.includes('dlt645-3p'), `profiles: ${ids.join(', ')}`);
  for (const id of ids) {
    const p = loadDlt645Profile(id);
    t.is(p.id, id);
    for (const r of p.reads) t.is(findDlt645DataItem(r.di)?.measurement, r.name, `${id}: ${r.di}`);
  }
  t.deepEqual(
    loadDlt645Profile('dlt645').reads.map((r) => r.name),
    ['energyImport', 'energyExport', 'voltageL1', 'currentL1', 'power', 'powerFactor', 'frequency'],
  );
});

const good = { id: 'x', description: 'x', phases: 1, reads: [{ di: '00010000', name: 'energyImport' }] };
const bad: Array<[string, unknown, string]> = [
  ['unknown key', { ...good, baud: 2400 }, '/baud'],
  ['missing reads', { id: 'x', description: 'x', phases: 1 }, '/reads'],
  ['DI not 8 hex digits', { ...good, reads: [{ di: '0001000', name: 'energyImport' }] }, '/reads/0/di'],
  ['DI outside the table', { ...good, reads: [{ di: '04000101', name: 'energyImport' }] }, '/reads/0/di'],
  ['DI without a measurement', { ...good, reads: [{ di: '00900100', name: 'energyImport' }] }, '/reads/0/di'],
  ['name the DI does not carry', { ...good, reads: [{ di: '00010000', name: 'energyExport' }] }, '/reads/0/name'],
  ['DI read twice', { ...good, reads: [good.reads[0], { di: '00010000', name: 'energyImport' }] }, '/reads/1/di'],
  ['phase 2 in a single-phase profile', { ...good, reads: [{ di: '02010200', name: 'voltageL2' }] }, '/reads/0/name'],
  ['min > max', { ...good, reads: [{ di: '02010100', name: 'voltageL1', min: 300, max: 100 }] }, '/reads/0/min'],
  ['a signature DI outside the table', { ...good, signature: [{ di: '04000101' }] }, '/signature/0/di'],
  ['a refused signature read with a bound', { ...good, signature: [{ di: '02010200', refused: true, min: 1 }] }, '/signature/0/min'],
  ['an unknown signature key', { ...good, signature: [{ di: '02010100', expect: 1 }] }, '/signature/0/expect'],
];
for (const [what, raw, path] of bad) {
  test(`a profile with ${what} is refused at ${path}`, (t) => {
    const e = t.throws(() => validateDlt645Profile(raw, 'bad.json'));
    t.true(isPrepaidError(e) && e.code === 'E_PROFILE_INVALID', String(e));
    t.is(ctx(e).path, path);
  });
}

test('the shipped DL/T 645 profiles tell single-phase from three-phase by the L2 voltage', (t) => {
  const sig = (id: string) => loadDlt645Profile(id).signature.map((c) => ({ di: c.di, refused: c.refused, min: c.min, max: c.max }));
  t.deepEqual(sig('dlt645'), [
    { di: '02010100', refused: false, min: 80, max: 300 },
    { di: '02010200', refused: true, min: undefined, max: undefined },
  ]);
  t.deepEqual(sig('dlt645-3p')[1], { di: '02010200', refused: false, min: 0, max: 1000 });
});

test('an unknown profile id names the known ones', (t) => {
  const e = t.throws(() => loadDlt645Profile('nope'));
  t.true(isPrepaidError(e) && e.code === 'E_PROFILE_UNKNOWN');
  t.deepEqual(ctx(e).known, listDlt645Profiles());
});

const yaml = (meter: string) => `
gateway: { id: gw }
storage: { path: /tmp/x.db }
mqtt: { url: mqtt://127.0.0.1:1883 }
buses:
  - { id: dlt, type: dlt645, path: /dev/ttyUSB0, baudRate: 2400, parity: even, timeoutMs: 500 }
meters:
  - ${meter}
`;

test('a config with a dlt645 bus passes loadConfig; a bad DL/T 645 profile or a missing address is refused by path', (t) => {
  const cfg = parseConfig(yaml('{ id: m1, bus: dlt, address: "000000000001", profile: dlt645 }'));
  t.like(cfg.buses[0], { type: 'dlt645', baudRate: 2400, parity: 'even' });
  t.like(cfg.meters[0], { address: '000000000001', profile: 'dlt645' });
  const e1 = t.throws(() => parseConfig(yaml('{ id: m1, bus: dlt, address: "000000000001", profile: sdm120 }')));
  t.is(ctx(e1).path, 'meters[0].profile');
  const e2 = t.throws(() => parseConfig(yaml('{ id: m1, bus: dlt, profile: dlt645 }')));
  t.is(ctx(e2).path, 'meters[0].address');
});
