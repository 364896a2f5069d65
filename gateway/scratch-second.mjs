import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { Simulator } from '@prepaid-edge/simulator';
import YAML from 'yaml';
const dir = mkdtempSync('/tmp/scr-');
const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'x' });
const port = await sim.listenTcp(0);
const cfg = { gateway: { id: 'x' }, storage: { path: `${dir}/gw.db`, synchronous: 'normal' }, mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'p' }, log: { level: 'silent' },
  buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }], meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 100 })) };
writeFileSync(`${dir}/g.yaml`, YAML.stringify(cfg));
const p = spawn(process.execPath, [process.argv[2], 'run', '-c', `${dir}/g.yaml`], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 2500));
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const q = spawn(process.execPath, [process.argv[2], 'run', '-c', `${dir}/g.yaml`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = ''; q.stderr.on('data', (d) => (err += d));
  await new Promise((r) => q.once('exit', r));
  console.log(Math.round(performance.now() - t0), err.trim().slice(0, 160));
}
p.kill('SIGKILL'); sim.close();
