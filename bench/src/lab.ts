// Entry point of `npm run lab`, the transport lab: ONE Tickwire server (child process, every transport on,
// per-address limit raised) and the load tester run over each transport in turn on the same scenario, each
// for a bounded window. Writes the table to the terminal, bench/results/lab.{json,html} and docs/transports.md
// (quick runs: bench/results/lab-quick.{json,html,md}, so a try-out never overwrites committed numbers).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join, relative } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '@tickwire/loadtest/cli';
import { DEFAULTS, type LoadTestConfig, type TransportName } from '@tickwire/loadtest/config';
import { runLoadTest } from '@tickwire/loadtest/run';
import { LAB_TRANSPORTS, labRow, type LabRow, type LabTransport } from './lab-measure.js';
import { labHtml, labMarkdown, labTable, type LabReport } from './lab-report.js';
import { REPO_ROOT, startTarget, stopAllTargets } from './servers.js';

export interface LabOptions {
  clients: number;
  symbolsPerClient: number;
  feedSymbols: number;
  tickRate: number;
  rampUpMs: number;
  durationMs: number;
  pollIntervalMs: number;
  longPollWaitMs: number;
  transports: LabTransport[];
  quick: boolean;
  /** Where lab{,-quick}.json/.html go; markdown to docs/transports.md (full) or next to them (quick). */
  outDir: string;
  docsPath: string | null;
  workers: number;
  /** Pause between transports so the server closes the previous connections. */
  pauseMs: number;
  log: (line: string) => void;
  command: string;
}

export interface LabOutput {
  report: LabReport;
  jsonPath: string;
  htmlPath: string;
  markdownPath: string;
}

const int = (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`not a positive integer: ${text}`);
  return n;
};

function transportList(text: string): LabTransport[] {
  const list = text.split(',').map((t) => t.trim());
  for (const t of list) {
    if (!(LAB_TRANSPORTS as readonly string[]).includes(t)) throw new InvalidArgumentError(`unknown transport ${t} (use ${LAB_TRANSPORTS.join(',')})`);
  }
  return list as LabTransport[];
}

export async function runLab(o: LabOptions): Promise<LabOutput> {
  const started = performance.now();
  // Polls must be allowed to wait as long as the clients ask; per-address limits are lifted (all clients share 127.0.0.1).
  const serverArgs = [
    '--transports',
    'ws,sse,stream,poll',
    '--max-connections-per-ip',
    String(Math.max(10_000, o.clients * 4)),
    '--max-held-polls',
    String(Math.max(10_000, o.clients * 2)),
    '--poll-wait-ms',
    String(Math.max(1_000, o.longPollWaitMs)),
  ];
  const server = await startTarget('tickwire', { seed: 1, symbols: o.feedSymbols, tickRate: o.tickRate }, { serverArgs });
  const rows: LabRow[] = [];
  try {
    for (const transport of o.transports) {
      o.log(`lab: ${transport} — ${o.clients} clients, ${o.durationMs / 1000} s steady window …`);
      const config: LoadTestConfig = {
        ...DEFAULTS,
        url: server.url,
        clients: o.clients,
        transport: transport as TransportName,
        symbolsPerClient: o.symbolsPerClient,
        rampUpMs: o.rampUpMs,
        durationMs: o.durationMs,
        graceMs: 2_000,
        workers: o.workers,
        pollIntervalMs: o.pollIntervalMs,
        longPollWaitMs: o.longPollWaitMs,
        serverPid: server.pid,
        progressMs: 0,
        label: `lab ${transport}`,
      };
      const result = await runLoadTest(config);
      const row = labRow(transport, result);
      rows.push(row);
      o.log(
        `lab: ${transport}: ${row.updatesPerSec} updates/s, p99 ${row.p99Ms} ms, ${row.wireBytesPerUpdate} wire B/update, server CPU ${row.serverCpuPercent ?? 'n/a'}%`,
      );
      await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  } finally {
    await server.stop();
  }
  const report: LabReport = {
    tool: 'tickwire-lab',
    formatVersion: 1,
    quick: o.quick,
    command: o.command,
    machine: {
      nproc: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      kernel: release(),
      date: new Date().toISOString(),
    },
    scenario: {
      clients: o.clients,
      symbolsPerClient: o.symbolsPerClient,
      feedSymbols: o.feedSymbols,
      tickRate: o.tickRate,
      rampUpMs: o.rampUpMs,
      durationMs: o.durationMs,
      pollIntervalMs: o.pollIntervalMs,
      longPollWaitMs: o.longPollWaitMs,
      serverArgs,
    },
    durationS: Math.round((performance.now() - started) / 100) / 10,
    rows,
  };
  mkdirSync(o.outDir, { recursive: true });
  const stem = o.quick ? 'lab-quick' : 'lab';
  const jsonPath = join(o.outDir, `${stem}.json`);
  const htmlPath = join(o.outDir, `${stem}.html`);
  const markdownPath = o.docsPath ?? join(o.outDir, `${stem}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(htmlPath, labHtml(report));
  writeFileSync(markdownPath, labMarkdown(report));
  return { report, jsonPath, htmlPath, markdownPath };
}

async function main(): Promise<void> {
  const program = new Command('tickwire-lab')
    .description(
      'Transport lab: one Tickwire server, the same scenario over ws, sse, stream, longpoll and poll; wire bytes, latency, server CPU and memory per transport',
    )
    .option('-c, --clients <n>', 'simulated clients per transport', int, 500)
    .option('-s, --symbols-per-client <n>', 'symbols per client', int, 5)
    .option('--feed-symbols <n>', 'symbols the simulated feed lists', int, 50)
    .option('--tick-rate <n>', 'feed ticks per second over all symbols', int, 1000)
    .option('-r, --ramp-up <duration>', 'ramp-up per transport', parseDuration, 3_000)
    .option('-d, --duration <duration>', 'steady window per transport', parseDuration, 20_000)
    .option('--poll-interval <duration>', 'short polling interval', parseDuration, 250)
    .option('--long-poll-wait <duration>', 'long polling wait', parseDuration, 25_000)
    .option('-t, --transports <list>', 'transports, in order', transportList, [...LAB_TRANSPORTS])
    .option('--quick', 'smoke run: 20 clients, 1 s ramp, 3 s per transport; writes bench/results/lab-quick.*', false)
    .option('--out-dir <dir>', 'results directory', join(REPO_ROOT, 'bench/results'))
    .option('-w, --workers <n>', 'load-generator worker threads', int, DEFAULTS.workers);
  program.parse();
  const opts = program.opts<{
    clients: number;
    symbolsPerClient: number;
    feedSymbols: number;
    tickRate: number;
    rampUp: number;
    duration: number;
    pollInterval: number;
    longPollWait: number;
    transports: LabTransport[];
    quick: boolean;
    outDir: string;
    workers: number;
  }>();
  const explicit = (name: string): boolean => program.getOptionValueSource(name) === 'cli';
  const quick = opts.quick;
  const o: LabOptions = {
    clients: quick && !explicit('clients') ? 20 : opts.clients,
    symbolsPerClient: opts.symbolsPerClient,
    feedSymbols: opts.feedSymbols,
    tickRate: opts.tickRate,
    rampUpMs: quick && !explicit('rampUp') ? 1_000 : opts.rampUp,
    durationMs: quick && !explicit('duration') ? 3_000 : opts.duration,
    pollIntervalMs: opts.pollInterval,
    longPollWaitMs: opts.longPollWait,
    transports: opts.transports,
    quick,
    outDir: opts.outDir,
    docsPath: quick ? null : join(REPO_ROOT, 'docs/transports.md'),
    workers: opts.workers,
    pauseMs: quick ? 500 : 2_000,
    log: (line) => console.log(line),
    command: ['npm run lab', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  };
  const out = await runLab(o);
  console.log('');
  console.log(labTable(out.report));
  console.log('');
  for (const p of [out.jsonPath, out.htmlPath, out.markdownPath]) console.log(`wrote ${relative(process.cwd(), p)}`);
  console.log(`lab took ${Math.round(out.report.durationS)} s`);
}

// Only as the entry point (tests import runLab).
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\/bench\/dist\//, '/bench/dist/'))) {
  const stop = (): void => {
    void stopAllTargets().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  main().catch(async (error: unknown) => {
    console.error(`tickwire-lab: ${error instanceof Error ? error.message : String(error)}`);
    await stopAllTargets();
    process.exit(1);
  });
}
