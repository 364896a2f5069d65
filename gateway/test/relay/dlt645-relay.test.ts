/**
 * The relay contract against the simulator's DL/T 645 meter, through the real Dlt645Master on a
 * socat pseudo-terminal pair (skipped without socat, naming the package, except in CI).
 */
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { Dlt645AbnormalError, dlt645AbnormalReply, DLT645_ERROR_BITS, DLT645_FUNCTION, PrepaidError } from '@prepaid-edge/protocols';
import { Dlt645Master, type Dlt645RelayOp, type Dlt645RelayOptions } from '../../src/adapters/acquisition/dlt645-master.js';
import { Dlt645Relay, type Dlt645RelayPort } from '../../src/adapters/relay/dlt645-relay.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { relayContract } from './relay-contract.js';

const ADDRESS = '000000000001';

/** The real master, with a switch to make the relay not move (ack without sending) or the meter refuse. */
class TapPort implements Dlt645RelayPort {
  controls = 0;
  mode: 'pass' | 'stuck' | 'refuse' = 'pass';
  seen: Array<{ op: Dlt645RelayOp; opts: Dlt645RelayOptions | undefined }> = [];
  constructor(readonly master: Dlt645Master) {}
  async relayControl(address: string, op: Dlt645RelayOp, opts?: Dlt645RelayOptions): Promise<void> {
    this.controls++;
    this.seen.push({ op, opts });
    if (this.mode === 'stuck') return;
    if (this.mode === 'refuse') throw new Dlt645AbnormalError(dlt645AbnormalReply(DLT645_FUNCTION.RELAY_CONTROL, DLT645_ERROR_BITS.passwordOrUnauthorized));
    await this.master.relayControl(address, op, opts);
  }
  readRelayState(address: string): Promise<'open' | 'closed'> {
    return this.master.readRelayState(address);
  }
}

async function rig(timeoutMs = 2000) {
  const pty = await ptyPair();
  const clock = new ManualClock({ now: Date.UTC(2026, 2, 2, 18) });
  const sim = new Simulator({ profile: 'dlt645', meters: 1, clock, seed: 'relay-dlt645' });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even' });
  const master = new Dlt645Master({ id: 'dlt', path: pty.b, baudRate: 9600, parity: 'even', stopBits: 1, timeoutMs, interFrameDelayMs: 0 });
  const port = new TapPort(master);
  return {
    sim,
    port,
    close: async () => {
      await master.close();
      await sim.close();
      await pty.close();
    },
  };
}

const withSocat = testWith(['socat']);

relayContract(
  {
    name: 'DL/T 645 meter',
    // the simulated meter, like many real ones, closes at once on close-allowed (0x1B)
    arm: 'closes',
    refuses: true,
    detectsStuck: true,
    async setup(opts) {
      const r = await rig();
      return {
        driver: new Dlt645Relay('dlt-1', ADDRESS, r.port, opts),
        contactClosed: () => r.sim.trueState(1).relayClosed,
        stick: () => void (r.port.mode = 'stuck'),
        refuseClose: () => void (r.port.mode = 'refuse'),
        commands: () => r.port.controls,
        close: r.close,
      };
    },
  },
  withSocat,
);

withSocat('DL/T 645: targets map to 1A / 1B / 1C and the credentials go with every command', async (t) => {
  const r = await rig();
  t.teardown(r.close);
  const credentials = { password: '123456', operator: '00000007' };
  const d = new Dlt645Relay('dlt-1', ADDRESS, r.port, { sleep: async () => {}, credentials });
  await d.set('disconnected', 'a');
  await d.set('connected', 'b');
  await d.set('disconnected', 'c');
  await d.set('ready-for-reconnection', 'd');
  // a retry after a lost reply on a busy machine repeats an op: compare the distinct steps
  const ops = r.port.seen.map((s) => s.op).filter((op, i, all) => op !== all[i - 1]);
  t.deepEqual(ops, ['trip', 'close-directly', 'trip', 'close-allowed']);
  t.true(r.port.seen.every((s) => s.opts === credentials));
});

withSocat('DL/T 645: an armed meter that stays open reads ready-for-reconnection until tripped', async (t) => {
  const r = await rig();
  t.teardown(r.close);
  const d = new Dlt645Relay('dlt-1', ADDRESS, r.port, { sleep: async () => {} });
  await d.set('disconnected', 'x');
  // a meter that really waits for its button: acknowledges 0x1B, relay stays open
  r.port.mode = 'stuck';
  const armed = await d.set('ready-for-reconnection', 'top-up');
  t.is(armed.state, 'ready-for-reconnection');
  t.like(armed.raw, { relay: 'open', inferred: true });
  t.false(r.sim.trueState(1).relayClosed);
  // the customer presses the button (the meter closes)
  r.sim.setRelay(1, true);
  t.is((await d.read()).state, 'connected');
  r.port.mode = 'pass';
  await d.set('disconnected', 'exhausted');
  t.is((await d.read()).state, 'disconnected');
});

withSocat('DL/T 645: a dead line is a mismatch with the transport error, after every attempt', async (t) => {
  const r = await rig(300);
  t.teardown(r.close);
  const sleeps: number[] = [];
  const d = new Dlt645Relay('dlt-1', ADDRESS, r.port, { sleep: async (ms) => void sleeps.push(ms), attempts: 2 });
  await r.sim.close(); // nobody answers any more
  const e = (await t.throwsAsync(d.set('disconnected', 'x'))) as PrepaidError;
  t.is(e.code, 'E_RELAY_MISMATCH');
  t.like(e.context, { got: null, attempts: 2, error: 'E_DLT645_TIMEOUT' });
  t.deepEqual(sleeps, [200]);
});
