/**
 * The firmware in a child process for the power-cut tests: boots on a virtual board with its state
 * in files (FileSlots), prints what it found, then obeys commands on stdin and acknowledges each
 * only after the firmware has saved the state it caused (saves are synchronous).
 *
 *   node kill-child.js <stateDir> [<crashAtWrite>:<step>]
 *
 * stdin:  p <n> (n S0 pulses) | r <0|1> (relay coil) | w <Wh> (backup threshold) | t <token> | q
 * stdout: BOOT <json>, then one ack line per pulse/command: <kind> rs=<relayState> e=<Wh> ec=<events> th=<threshold> [...]
 * With a crash spec the process SIGKILLs itself inside that state write, at that step.
 */
import { ManualClock } from '@prepaid-edge/protocols';
import { writeSync } from 'node:fs';
import { encodeRequest } from '@prepaid-edge/protocols';
import { checkFirmwareConfig, FileSlots, Firmware, VirtualBoard, virtualPinMap, type WriteStep } from '../../src/index.js';

export const KILL_DECODER_KEY = '6ff35b9d1f3453e6'; // shared/vectors/sts: PAN 600727000000000009

const [dir, crash] = process.argv.slice(2);
if (!dir) throw new Error('usage: kill-child <stateDir> [<write>:<step>]');
const [crashWrite, crashStep] = crash ? [Number(crash.split(':')[0]), crash.split(':')[1] as WriteStep] : [0, undefined];

let writes = 0;
const storage = new FileSlots(dir, {
  faultHook: (step) => {
    if (step === 'opened') writes++;
    if (writes === crashWrite && step === crashStep) process.kill(process.pid, 'SIGKILL');
  },
});
const out = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const pinMap = virtualPinMap();
const clock = new ManualClock({ now: 1_000_000, monotonic: 1_000_000 });
const board = new VirtualBoard({ pinMap });
const config = checkFirmwareConfig({
  serialNumber: 4711,
  initialEnergyWh: 1000,
  sts: { decoderKey: KILL_DECODER_KEY, baseDate: 1993 },
  console: { pin: '1234' },
});
const fw = Firmware.boot({ config, pinMap, io: board.powerOn(), storage, clock, rtc: () => Date.UTC(2026, 0, 1) + clock.now(), timers: false });
const s = fw.core.state;

out(
  `BOOT ${JSON.stringify({
    boot: fw.boot,
    generation: fw.store.generation,
    energyImportWh: s.energy.importWh,
    residue: s.energy.residue,
    relay: s.relay,
    contactClosed: board.relayClosed,
    threshold: s.settings.backupDisconnectThreshold,
    tids: s.tids,
    eventCounter: s.events.counter,
    lastEvents: s.events.log.slice(-2).map((e) => e.type),
  })}`,
);

const ack = (kind: string, extra = ''): void =>
  out(`${kind} rs=${s.relay.state} e=${s.energy.importWh} ec=${s.events.counter} th=${s.settings.backupDisconnectThreshold}${extra}`);

function command(line: string): void {
  const [cmd, arg = ''] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'p':
      for (let i = 0; i < Number(arg); i++) {
        clock.advance(40);
        board.s0(true); // the firmware counts the pulse and saves before this returns
        ack('P');
        clock.advance(10);
        board.s0(false);
      }
      return;
    case 'r': {
      const reply = fw.handleModbusPdu(encodeRequest({ fc: 0x05, address: 1, value: arg === '1' }));
      ack('R', ` ok=${reply[0]! < 0x80 ? 1 : 0}`);
      return;
    }
    case 'w': {
      const wh = Number(arg);
      fw.handleModbusPdu(encodeRequest({ fc: 0x10, address: 8, values: [0, Math.floor(wh / 2 ** 32) & 0xffff, Math.floor(wh / 65536) & 0xffff, wh & 0xffff] }));
      ack('W');
      return;
    }
    case 't': {
      const r = fw.enterToken(arg);
      ack('T', ` ok=${r.ok ? 1 : 0} tid=${r.ok && 'tid' in r ? r.tid : -1}`);
      return;
    }
    case 'q':
      process.exit(0);
  }
}

let buf = '';
process.stdin.on('data', (d: Buffer) => {
  buf += d.toString('utf8');
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    command(line);
  }
});
