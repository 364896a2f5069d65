// The path of one signed top-up through the credit shell, as rooms (source files) entered: every
// method of every class exported by adapters/credit/*.js, and every method of the ledger, is
// wrapped; a "stop" is a move into another file (a call or a return), a "return" is a stop into a
// file already left on the way. Pure core functions are not wrapped (ES module bindings), so the
// core's work counts inside the room that called it.
//   node gateway/bench/top-up-path.mjs [dist root]   (default: this package's dist/)
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

const root = process.argv[2] ?? new URL('../dist/', import.meta.url).pathname;
const src = join(root, 'src');
const { parseConfig } = await import(join(src, 'app/config/load-config.js'));
const { CreditRuntime } = await import(join(src, 'adapters/credit/credit-runtime.js'));
const { signCommand } = await import(join(src, 'core/commands/index.js'));
const { systemClock } = await import('@prepaid-edge/protocols');

const trace = [];
let tracing = false;
const stack = [];
const enter = (room, name) => {
  if (!tracing) return;
  trace.push({ room, name });
  stack.push(room);
};
const leave = () => {
  if (!tracing || !stack.length) return;
  stack.pop();
  if (stack.length) trace.push({ room: stack.at(-1), name: '(return)' });
};
function wrap(obj, room, names) {
  for (const name of names) {
    const d = Object.getOwnPropertyDescriptor(obj, name);
    if (!d || d.get || d.set) continue;
    const fn = d.value;
    if (typeof fn !== 'function' || name === 'constructor') continue;
    obj[name] = function (...args) {
      enter(room, name);
      let out;
      try {
        out = fn.apply(this, args);
      } catch (e) {
        leave();
        throw e;
      }
      if (out && typeof out.then === 'function') return out.finally(leave);
      leave();
      return out;
    };
  }
}
const creditDir = join(src, 'adapters/credit');
for (const f of readdirSync(creditDir).filter((x) => x.endsWith('.js'))) {
  const mod = await import(join(creditDir, f));
  for (const v of Object.values(mod)) if (typeof v === 'function' && v.prototype) wrap(v.prototype, `credit/${f}`, Object.getOwnPropertyNames(v.prototype));
}

const keys = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'pe-path-'));
const flat = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const policy = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };
const raw = {
  gateway: { id: 'gw-path', timezone: 'UTC' },
  storage: { path: join(dir, 'gw.db'), synchronous: 'normal' },
  mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'pe' },
  buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port: 1 }],
  meters: [{ id: 'p1', bus: 'b1', unit: 1, profile: 'prepaid' }],
  log: { level: 'silent' },
  credit: { tariffs: { flat }, policies: { p: policy }, classes: { r: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 300 }], keys: [{ keyId: 'k', publicKey }] },
};
const cfg = parseConfig(YAML.stringify(raw), join(dir, 'gw.yaml'));
const log = { info() {}, warn() {}, error() {}, debug() {}, child() { return log; } };
const rt = await CreditRuntime.start({
  config: cfg,
  acquisition: { buses: new Map(), pollers: new Map() },
  boards: new Map(),
  uplink: { onCommand() {}, publishResult() {}, publishCredit() {} },
  event: () => {},
  log,
  // Old and new shapes: a bag of now, or a Clock.
  now: () => Date.now(),
  clock: systemClock,
});
const ledger = rt.ledger;
const proto = Object.getPrototypeOf(ledger);
wrap(proto, 'store/ledger/ledger.js', Object.getOwnPropertyNames(proto));
const topUp = (id) => signCommand({ id, type: 'topup', meter: 'p1', amount: 500, currency: 'EUR', issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }, keys.privateKey, 'k');
await rt.handleCommand(JSON.stringify(topUp('warm-up')));
tracing = true;
const outcome = await rt.handleCommand(JSON.stringify(topUp('measured')));
tracing = false;
await rt.stop();
rmSync(dir, { recursive: true, force: true });

let stops = 0;
let returns = 0;
const left = new Set();
const rooms = new Map();
let at;
for (const s of trace) {
  if (s.room === at) continue;
  if (at) left.add(at);
  stops++;
  if (left.has(s.room)) returns++;
  rooms.set(s.room, (rooms.get(s.room) ?? 0) + 1);
  at = s.room;
}
console.log(JSON.stringify({ outcome: outcome.status, calls: trace.filter((s) => s.name !== '(return)').length, stops, returns, entered: Object.fromEntries(rooms) }, null, 1));
if (process.env.TRACE) for (const s of trace) console.log(`${s.room} ${s.name}`);
