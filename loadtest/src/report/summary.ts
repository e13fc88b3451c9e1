// The end-of-run summary table (plain text for the terminal) and the live progress line.
import type { LatencySummary } from '../histogram.js';
import type { LoadTestResult, TimelinePoint } from '../run.js';
import { fmtBytes, fmtInt, fmtMs } from './format.js';
import { resumeRows } from './storm.js';

const pct = (v: number | null): string => (v === null ? 'n/a' : `${v}%`);

export function progressLine(p: TimelinePoint, clients: number, elapsedS: number, totalS: number): string {
  const phase = p.steady ? 'steady' : 'ramp  ';
  const server = p.serverCpu === null ? '' : `  server ${pct(p.serverCpu)} ${p.serverRssMiB ?? '?'} MiB`;
  return (
    `[${String(Math.round(elapsedS)).padStart(4)}s/${totalS}s ${phase}] ` +
    `conn ${fmtInt(p.open)}/${fmtInt(clients)} ready ${fmtInt(p.ready)}  ` +
    `upd/s ${fmtInt(p.updatesPerSec).padStart(9)}  ${fmtBytes(p.bytesPerSec)}/s  ` +
    `p99 ${fmtMs(p.p99)} ms (so far ${fmtMs(p.p99SoFar)}, max ${fmtMs(p.max)})  ` +
    `missing ${p.missing} dup ${p.duplicates} ooo ${p.outOfOrder} fail ${p.failures} stalled ${p.stalled}  ` +
    `gen cpu ${pct(p.generatorCpu)}${server}`
  );
}

function latencyRow(name: string, l: LatencySummary): string[] {
  return [name, fmtInt(l.count), fmtMs(l.p50), fmtMs(l.p90), fmtMs(l.p99), fmtMs(l.p999), fmtMs(l.max)];
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, ri) => {
      const line = r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function summaryText(r: LoadTestResult): string {
  const c = r.counters;
  const adapters = Object.entries(r.clients.byAdapter)
    .map(([a, n]) => `${a}×${n}`)
    .join(', ');
  const lines: string[] = [];
  lines.push(
    `Tickwire load test${r.label ? ` — ${r.label}` : ''}: ${r.config.url}, ${fmtInt(r.config.clients)} clients (${adapters}; ` +
      `${r.clients.slow} slow, ${r.clients.churn} churning) × ${r.config.symbolsPerClient} symbols (${r.config.popularity}), ` +
      `steady window ${r.window.steadyS}s after ${r.window.steadyStartS}s ramp/settle`,
  );
  lines.push('');
  lines.push(
    table([
      ['throughput (steady)', 'value'],
      ['updates/s delivered', fmtInt(r.rates.updatesPerSec)],
      ['frames/s', fmtInt(r.rates.framesPerSec)],
      ['bytes/s', `${fmtBytes(r.rates.bytesPerSec)}/s`],
    ]),
  );
  lines.push('');
  lines.push(
    table([
      ['latency (ms, steady)', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      latencyRow('feed → client (event time)', r.latency.event),
      latencyRow('server → client (send time)', r.latency.send),
      ...(r.clients.slow > 0 ? [latencyRow('slow clients: feed → client', r.slowLatency.event)] : []),
      latencyRow('connect (whole run)', r.connections.connectMs),
      latencyRow('first snapshot (whole run)', r.connections.firstSnapshotMs),
    ]),
  );
  lines.push('');
  const closes = Object.entries(r.connections.unexpectedCloses)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  lines.push(
    table([
      ['delivery (whole run, non-slow clients)', 'count'],
      ['ticks received', fmtInt(c.ticks)],
      ['missing (gaps)', `${fmtInt(c.missing)} in ${fmtInt(c.gapEvents)} gaps`],
      ['duplicates', fmtInt(c.duplicates)],
      ['heartbeats ahead of updates', fmtInt(c.heartbeatAhead)],
      ['most connections stalled (open, silent ≥ 3 s)', fmtInt(r.verdict.maxStalled)],
      ['out of order', fmtInt(c.outOfOrder)],
      ['conflated ticks / seqs skipped', `${fmtInt(c.conflatedTicks)} / ${fmtInt(c.conflatedSkipped)}`],
      ['resyncs (gap or heartbeat ahead → re-subscribe)', fmtInt(c.resyncs)],
      [
        'slow-consumer closes (4000) / going-away (1001)',
        `${fmtInt(r.connections.unexpectedCloses['4000'] ?? 0)} / ${fmtInt(r.connections.unexpectedCloses['1001'] ?? 0)}`,
      ],
      ['epoch / snapshot resets', `${c.epochResets} / ${c.snapshotResets}`],
      ['decode errors / error frames', `${c.decodeErrors} / ${c.errorFrames}`],
      ['connections opened / attempts', `${fmtInt(r.connections.opened)} / ${fmtInt(r.connections.attempts)}`],
      ['connect failures', fmtInt(r.connections.failures)],
      ['unexpected closes', closes || '0'],
      ['churn reconnects', fmtInt(r.connections.churnReconnects)],
    ]),
  );
  const resume = resumeRows(r);
  if (resume.length > 0) {
    lines.push('');
    lines.push(table([['reconnects, resume and gap repair (whole run, all clients)', 'count'], ...resume]));
  }
  lines.push('');
  const workers = r.generator.workerCpuPercent.map(pct).join(' + ');
  lines.push(
    `load generator: ${r.generator.workers} worker thread(s), process CPU ${pct(r.generator.cpuPercent)} of one core ` +
      `(workers ${workers}), peak RSS ${fmtBytes(r.generator.peakRssBytes)}`,
  );
  if (r.server !== null) {
    lines.push(
      `server ${r.server.pid !== null ? `pid ${r.server.pid}` : '(its /metrics)'}: CPU ${pct(r.server.cpuPercent)} of one core, peak RSS ${fmtBytes(r.server.peakRssBytes)}`,
    );
  }
  if (r.machineLoad.busyPercent !== null) {
    const other = r.machineLoad.busyPercent - (r.generator.cpuPercent ?? 0) - (r.server?.cpuPercent ?? 0);
    lines.push(
      `machine: ${r.machineLoad.busyPercent}% of one core busy in the steady window` +
        (r.server !== null ? ` (other processes ≈ ${Math.max(0, other)}%)` : '') +
        `, load average ${r.machineLoad.loadAverage1m}`,
    );
  }
  if (r.connections.errors.length > 0) lines.push(`errors seen: ${r.connections.errors.join(' | ')}`);
  lines.push(
    r.counters.ticks + r.slowCounters.ticks === 0
      ? 'verdict: NO UPDATES RECEIVED (see connect failures and errors above)'
      : r.verdict.lossFree
        ? 'verdict: no update lost, duplicated or reordered'
        : 'verdict: DELIVERY PROBLEMS (see above)',
  );
  return lines.join('\n');
}
