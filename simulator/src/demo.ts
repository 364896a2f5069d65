/**
 * `npm start` until the gateway exists: three SDM630s, two prepaid meters and a live table.
 */
import { Simulator } from './simulator.js';
import { renderTable } from './table.js';
import { createLogger } from './log.js';
import './meters/register-all.js';

const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
const port = Number(process.env.PORT ?? 5020);
const sim = new Simulator({
  profile: 'sdm630',
  meters: 5,
  speed: 60,
  log,
  scenario: { meters: [{ units: [4, 5], profile: 'prepaid' }] },
});
const bound = await sim.listenTcp(port).catch(() => sim.listenTcp(0));
const draw = () => {
  const head = `prepaid-edge demo: simulator on Modbus TCP 127.0.0.1:${bound} (simulated time x60: ${new Date(sim.clock.now()).toISOString()})\n` +
    `try: mbpoll -m tcp -p ${bound} -a 2 -t 3:float -B -0 -r 0 -c 6 -1 127.0.0.1    Ctrl-C to stop`;
  const table = renderTable(sim.states(), head);
  process.stdout.write(process.stdout.isTTY ? '\x1b[H\x1b[2J' + table + '\n' : table + '\n\n');
};
draw();
const timer = setInterval(draw, process.stdout.isTTY ? 1000 : 5000);
const stop = async () => {
  clearInterval(timer);
  await sim.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
