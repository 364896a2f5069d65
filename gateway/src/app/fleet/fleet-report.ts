/** The human-readable summary of a fleet run (`--json` prints the FleetReport itself). */
import type { FleetReport } from './fleet.js';

export function formatFleetReport(r: FleetReport): string {
  const pct = r.offeredPerS ? ((r.deliveredPerS / r.offeredPerS) * 100).toFixed(1) : '-';
  const lines = [
    `fleet: ${r.gateways} gateways x ${r.metersPerGateway} meters (${r.meters} meters, ${r.profile}, poll ${r.pollMs} ms, linger ${r.lingerMs} ms), broker ${r.broker.kind} ${r.broker.url}, ${r.workers || 'no'} worker processes`,
    `window      ${r.windowS} s`,
    `offered     ${r.offeredPerS} readings/s (meters x 1000 / poll ms)`,
    `polled      ${r.polledPerS} readings/s (taken within the window)`,
    `delivered   ${r.deliveredPerS} readings/s (${pct}% of offered) in ${r.messagesPerS} messages/s`,
    `latency     p50 ${ms(r.latencyMs.p50)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)}  (reading ts -> head end)`,
    `whole run   stored ${r.stored}, received ${r.received}, unsent at stop ${r.unsentAtStop}, lost ${r.lost}, seq gaps ${r.gaps}, duplicates ${r.duplicates}`,
    ...(r.ledger
      ? [
          `ledger      ${r.ledger.entries} entries in ${r.ledger.gateways} ledgers, ${r.ledger.applied} rebuilt at the head end (${r.ledger.duplicates} duplicates dropped), seq gaps ${r.ledger.gaps}, missing ${r.ledger.missing}, balance mismatches ${r.ledger.mismatches}, balanceAfter breaks ${r.ledger.breaks}` +
            (r.ledger.firstMismatches.length ? `: ${r.ledger.firstMismatches.map((m) => `${m.gatewayId}/${m.meter} gateway ${m.gateway} rebuilt ${m.rebuilt}`).join('; ')}` : ''),
        ]
      : []),
    `silent      ${r.silentGateways.length ? r.silentGateways.join(', ') : 'none'}`,
    `cpu/rss     ${r.processes.map((p) => `${p.role} ${p.pid}: ${p.cpuPct}% ${p.rssMiB} MiB (peak ${p.peakRssMiB})`).join('; ')}`,
    `cpu total   ${r.cpuTotalPct}% of one core (${r.cores} cores, load average ${r.loadAvg1} at the start)`,
    `verdict     ${r.ok ? `OK: every gateway heard, nothing lost, no gaps${r.ledger ? ', every balance rebuilt from the ledger streams' : ''}` : 'NOT OK'}`,
  ];
  return lines.join('\n');
}

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
