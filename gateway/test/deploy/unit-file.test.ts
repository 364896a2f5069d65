/**
 * gateway/deploy/prepaid-gateway.service: the hardening docs/deploy.md promises is in the file, and,
 * where systemd-analyze is installed, systemd itself accepts every line and rates the exposure.
 * Without systemd-analyze (CI containers) the file is still parsed and checked: nothing skips.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseUnitFile } from './unit-ini.js';

const UNIT = fileURLToPath(new URL('../../../deploy/prepaid-gateway.service', import.meta.url));
const JOURNALD = fileURLToPath(new URL('../../../deploy/journald-prepaid-edge.conf', import.meta.url));
const text = readFileSync(UNIT, 'utf8');
const unit = parseUnitFile(text);
const svc = (key: string): string[] => unit.get('Service')?.get(key) ?? [];
const one = (key: string): string | undefined => svc(key).at(-1);
const words = (key: string): string[] => svc(key).flatMap((v) => v.split(/\s+/).filter(Boolean));
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).error === undefined;

test('identity and paths: own user in dialout, config under /etc, state under /var/lib', (t) => {
  t.is(one('User'), 'prepaid-edge');
  t.is(one('Group'), 'prepaid-edge');
  t.deepEqual(words('SupplementaryGroups'), ['dialout']);
  t.is(one('ConfigurationDirectory'), 'prepaid-edge');
  t.is(one('StateDirectory'), 'prepaid-edge');
  t.true(words('ReadWritePaths').includes('/var/lib/prepaid-edge'));
  t.regex(one('ExecStart') ?? '', /\bcli\.js run --config \/etc\/prepaid-edge\/gateway\.yaml$/);
  t.regex(one('ExecStartPre') ?? '', /\bcli\.js config check \/etc\/prepaid-edge\/gateway\.yaml$/);
  t.is(unit.get('Install')?.get('WantedBy')?.at(-1), 'multi-user.target');
});

test('hardening directives of systemd.exec(5) are set', (t) => {
  const expected: Record<string, string> = {
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    ProtectHome: 'yes',
    PrivateTmp: 'yes',
    PrivateMounts: 'yes',
    DevicePolicy: 'closed',
    ProtectKernelTunables: 'yes',
    ProtectKernelModules: 'yes',
    ProtectControlGroups: 'yes',
    RestrictNamespaces: 'yes',
    RestrictSUIDSGID: 'yes',
    LockPersonality: 'yes',
    CapabilityBoundingSet: '',
    SystemCallArchitectures: 'native',
    UMask: '0027',
  };
  for (const [key, value] of Object.entries(expected)) t.is(one(key), value, key);
  t.deepEqual(words('RestrictAddressFamilies').sort(), ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  t.true(svc('SystemCallFilter').includes('@system-service'));
  for (const dev of ['char-ttyUSB', 'char-ttyAMA', 'char-ttyACM']) t.true(svc('DeviceAllow').includes(`${dev} rw`), `DeviceAllow=${dev} rw`);
  t.regex(one('MemoryMax') ?? '', /^\d+[KMG]$/);
  t.falsy(one('PrivateDevices'), 'PrivateDevices would hide the serial adapters');
  t.falsy(one('PrivateUsers'), 'PrivateUsers would unmap the dialout group the serial devices belong to');
});

test('journald drop-in bounds the journal', (t) => {
  const j = parseUnitFile(readFileSync(JOURNALD, 'utf8')).get('Journal');
  t.regex(j?.get('SystemMaxUse')?.at(-1) ?? '', /^\d+[KMG]$/);
  t.regex(j?.get('SystemKeepFree')?.at(-1) ?? '', /^\d+[KMG]$/);
  t.truthy(j?.get('MaxRetentionSec')?.at(-1));
});

test(`systemd-analyze accepts the unit${hasSystemdAnalyze ? '' : ' (systemd-analyze not installed: parsed as INI only)'}`, (t) => {
  if (!hasSystemdAnalyze) {
    t.log('systemd-analyze not found (apt-get install systemd); the INI checks above are what was verified');
    t.true(unit.has('Unit') && unit.has('Service') && unit.has('Install'));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // verify checks that ExecStart's binary exists: use this machine's node wherever it lives.
  const file = join(dir, 'prepaid-gateway.service');
  writeFileSync(file, text.replaceAll('/usr/bin/node', process.execPath));
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
  t.is(verify.status, 0, verify.stderr);
  // systemd warns and ignores what it does not understand; a warning naming the file is a failure here.
  t.deepEqual(`${verify.stdout}${verify.stderr}`.split('\n').filter((l) => l.includes(file)), []);
  // --threshold is in tenths of the exposure level it prints (25 = 2.5).
  const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=25', '--no-pager', file], { encoding: 'utf8' });
  if (/unrecognized option|unknown option/i.test(security.stderr)) {
    t.log(`this systemd-analyze has no --offline (systemd < 250): exposure not rated\n${security.stderr}`);
    return;
  }
  const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1];
  t.log(`systemd-analyze security: exposure ${exposure}`);
  t.is(security.status, 0, `exposure ${exposure} above 2.5\n${security.stdout}${security.stderr}`);
});
