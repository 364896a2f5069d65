/** `prepaid-gateway doctor`: every check with its verdict; exit code 1 when one FAILs. */
import { loadConfig } from '../config/load-config.js';
import { runChecks } from './doctor-checks.js';
import { guarded } from './fail.js';

export function doctorCommand(o: { config: string }): Promise<void> {
  return guarded(async () => {
    const results = await runChecks(loadConfig(o.config));
    for (const r of results) process.stdout.write(`${r.verdict.padEnd(4)}  ${r.check}: ${r.reason}\n`);
    if (results.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
  });
}
