/** How the technician commands end on an error: the code and message, and what to do about a busy bus. */
import { isPrepaidError } from '@prepaid-edge/protocols';

export function failWith(e: unknown, exitCode = 2): void {
  const code = isPrepaidError(e) ? e.code : undefined;
  let msg = code ? `${code}: ${(e as Error).message}` : (e as Error).message ?? String(e);
  if (code === 'E_BUS_UNAVAILABLE') msg += '\n  the serial port is busy or missing: if the gateway service is running it holds the port; stop the service or use the web console';
  process.stderr.write(`prepaid-gateway: ${msg}\n`);
  process.exitCode = exitCode;
}

/** Run an action; errors print and set the exit code instead of throwing. */
export async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failWith(e);
  }
}
