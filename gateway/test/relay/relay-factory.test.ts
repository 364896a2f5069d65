/** meters[].relay: the schema fragment and relayDriverFor picking the driver. */
import test from 'ava';
import five from 'johnny-five';
import { VirtualBoard, virtualPinMap } from '@prepaid-edge/firmware';
import type { PrepaidError } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../../src/core/config/gateway-config.js';
import { Dlt645Relay, type Dlt645RelayPort } from '../../src/adapters/relay/dlt645-relay.js';
import { J5Relay } from '../../src/adapters/relay/j5-relay.js';
import { ModbusPrepaidRelay } from '../../src/adapters/relay/modbus-prepaid-relay.js';
import { checkRelayConfig } from '../../src/adapters/relay/relay-config.js';
import { type RelayConfig } from '../../src/core/config/gateway-config.js';
import { relayDriverFor, type RelayDeps } from '../../src/adapters/relay/relay-factory.js';
import { prepaidRig } from './helpers.js';

test('schema: gpio gets its defaults, meter stays as it is, omitted is meter', (t) => {
  t.deepEqual(checkRelayConfig({ type: 'gpio', board: 'pi', pin: 'GPIO17' }), {
    type: 'gpio',
    board: 'pi',
    pin: 'GPIO17',
    activeLow: false,
    feedbackActiveLow: false,
    buttonActiveLow: true,
  });
  t.deepEqual(checkRelayConfig({ type: 'meter' }), { type: 'meter' });
  t.deepEqual(checkRelayConfig(undefined), { type: 'meter' });
});

test('schema: bad fields are refused with their path', (t) => {
  const rows: Array<[unknown, string]> = [
    [{ type: 'gpio', board: 'pi' }, 'meters[3].relay.pin'],
    [{ type: 'gpio', pin: 4 }, 'meters[3].relay.board'],
    [{ type: 'gpio', board: 'pi', pin: -1 }, 'meters[3].relay.pin'],
    [{ type: 'gpio', board: 'pi', pin: 4, feedbackPin: 2.5 }, 'meters[3].relay.feedbackPin'],
    [{ type: 'gpio', board: 'pi', pin: 4, colour: 'red' }, 'meters[3].relay.colour'],
    [{ type: 'meter', pin: 4 }, 'meters[3].relay.pin'],
    [{ type: 'plc' }, 'meters[3].relay.type'],
  ];
  for (const [value, path] of rows) {
    const e = t.throws(() => checkRelayConfig(value, 'meters[3].relay')) as PrepaidError;
    t.is(e.code, 'E_CONFIG_INVALID', JSON.stringify(value));
    t.is(e.context.path, path, JSON.stringify(value));
  }
});

const meter = (over: Partial<MeterConfig> & { relay?: RelayConfig }): MeterConfig & { relay?: RelayConfig } => ({
  id: 'm1',
  bus: 'b1',
  unit: 1,
  profile: 'prepaid',
  pollMs: 1000,
  retries: 1,
  maxBackoffMs: 300_000,
  commLostAfter: 3,
  ...over,
});

const port: Dlt645RelayPort = { relayControl: async () => undefined, readRelayState: async () => 'closed' };

test('factory: picks the driver from bus, profile and relay config', async (t) => {
  const rig = await prepaidRig('factory');
  t.teardown(rig.close);
  const board = new five.Board({ io: new VirtualBoard({ pinMap: virtualPinMap() }).powerOn(), repl: false, debug: false, sigint: false });
  const deps: RelayDeps = {
    modbusBus: (id) => (id === 'b1' ? { master: rig.master, queue: rig.queue } : undefined),
    dlt645Bus: (id) => (id === 'dlt' ? port : undefined),
    board: (id) => (id === 'gw' ? board : undefined),
    sleep: async () => {},
  };
  const prepaid = relayDriverFor(meter({}), deps);
  t.true(prepaid instanceof ModbusPrepaidRelay);
  t.is((await prepaid.set('disconnected', 'factory test')).state, 'disconnected', 'built on the right bus and unit');
  t.false(rig.sim.trueState(1).relayClosed);

  t.true(relayDriverFor(meter({ bus: 'dlt', profile: 'dlt645-single', address: '000000000001' }), deps) instanceof Dlt645Relay);
  t.true(relayDriverFor(meter({ profile: 'sdm630', relay: { type: 'gpio', board: 'gw', pin: 8 } }), deps) instanceof J5Relay);

  const fails: Array<[MeterConfig & { relay?: RelayConfig }, PrepaidError['code'], string]> = [
    [meter({ profile: 'sdm630' }), 'E_RELAY_UNSUPPORTED', 'relay'],
    [meter({ bus: 'dlt' }), 'E_CONFIG_INVALID', 'address'],
    [meter({ bus: 'nowhere' }), 'E_CONFIG_INVALID', 'bus'],
    [meter({ relay: { type: 'gpio', board: 'nope', pin: 8 } }), 'E_CONFIG_INVALID', 'relay.board'],
  ];
  for (const [m, code, path] of fails) {
    const e = t.throws(() => relayDriverFor(m, deps)) as PrepaidError;
    t.is(e.code, code);
    t.like(e.context, { meter: 'm1', path });
  }
});
