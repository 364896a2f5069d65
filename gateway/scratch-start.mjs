import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { Simulator } from '@prepaid-edge/simulator';
import YAML from 'yaml';
const dir = mkdtempSync('/tmp/scr-');
const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'x' });
const port = await sim.listenTcp(0);
const cfg = { gateway: { id: 'x' }, storage: { path: `${dir}/gw.db`, synchronous: 'normal' }, mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'p', reconnectMinMs: 100, reconnectMaxMs: 1000 }, log: { level: 'debug' },
  buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }], meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 100 })) };
writeFileSync(`${dir}/g.yaml`, YAML.stringify(cfg));
const t0 = Date.now();
const p = spawn(process.execPath, [process.argv[2], 'run', '-c', `${dir}/g.yaml`], { stdio: ['ignore', 'pipe', 'pipe'] });
let n = 0;
const on = (d) => { for (const l of d.toString().split('\n').filter(Boolean)) { try { const j = JSON.parse(l); if (n++ < 12) console.log(j.time - t0, j.msg, j.meter ?? ''); } catch { console.log('raw', l); } } };
p.stdout.on('data', on); p.stderr.on('data', on);
setTimeout(() => { p.kill('SIGKILL'); sim.close(); process.exit(0); }, 4000);
