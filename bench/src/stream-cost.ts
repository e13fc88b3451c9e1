// SSE and the binary stream against WebSocket: server CPU per delivered update at the default feed, with
// light counting clients (counting-clients.ts) over each transport in turn at each client count. With
// --baseline, another server build (e.g. the commit before an optimisation) runs in the same repetitions,
// so before and after are measured side by side. The machine is shared, so the result is each
// repetition's ratio to WebSocket on the same build, and their median. Writes bench/results/stream-cost.*;
// the markdown is kept in docs/benchmarks.md by `npm run bench`'s re-render.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { machineCpu, sampleProcess } from '@tickwire/loadtest/proc';
import { SymbolPicker, fetchSymbols } from '@tickwire/loadtest/symbols';
import { spliceSection } from './compact.js';
import { openSwarm } from './counting-clients.js';
import { REPO_ROOT, startTarget, stopAllTargets } from './servers.js';

const TRANSPORTS = ['ws', 'sse', 'stream'] as const;
/** The load tester's default shape: 5 symbols per client, drawn uniformly. */
const SYMBOLS_PER_CLIENT = 5;
type Transport = (typeof TRANSPORTS)[number];

export interface CostRun {
  /** Which server build ran (--label, or --baseline-label for the --baseline build). */
  build: string;
  clients: number;
  rep: number;
  transport: Transport;
  updatesPerSec: number;
  serverCpuPercent: number;
  /** Server CPU µs per delivered update. */
  serverCpuUsPerUpdate: number;
  /** Connections that ended during the run (should be 0). */
  lost: number;
  machineBusyPercent: number | null;
}

export interface StreamCostReport {
  date: string;
  machine: { cpu: string; nproc: number; kernel: string; node: string };
  command: string;
  /** The builds measured: the one under test first. */
  builds: string[];
  scenario: { feedSymbols: number; tickRate: number; symbolsPerClient: number; settleS: number; windowS: number };
  runs: CostRun[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number, d = 2) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Per repetition, a transport's CPU per update ÷ WebSocket's on the same build in the same repetition. */
export function ratios(runs: readonly CostRun[], build: string, clients: number, transport: Transport): number[] {
  const mine = runs.filter((r) => r.build === build && r.clients === clients);
  const out: number[] = [];
  for (const rep of new Set(mine.map((r) => r.rep))) {
    const ws = mine.find((r) => r.rep === rep && r.transport === 'ws')?.serverCpuUsPerUpdate;
    const other = mine.find((r) => r.rep === rep && r.transport === transport)?.serverCpuUsPerUpdate;
    if (ws != null && other != null && ws > 0) out.push(other / ws);
  }
  return out;
}

export function renderSection(r: StreamCostReport): string {
  const out = ['## SSE and binary stream cost', ''];
  out.push(
    `Machine: ${r.machine.cpu} × ${r.machine.nproc}, Linux ${r.machine.kernel}, Node ${r.machine.node}; ${r.date}. ` +
      `A Tickwire server (default feed: ${r.scenario.feedSymbols} symbols, ${r.scenario.tickRate.toLocaleString('en-US')} ticks/s, seed 1) and ` +
      `light counting clients (bench/src/counting-clients.ts) in the bench process on the same machine, ${r.scenario.symbolsPerClient} uniform symbols per client, ` +
      `connected in groups of 50, ${r.scenario.settleS} s settle, then a ${r.scenario.windowS} s measured window per run. Each repetition starts every build (${r.builds.map((b) => `“${b}”`).join(', ')}) in turn, ` +
      'and on each the transports run one after another against the same server; builds and transports take turns leading. ' +
      'Server CPU per update = server CPU over the measured window (from /proc) ÷ updates delivered. Produced by `' +
      r.command +
      '` (raw: `bench/results/stream-cost.json`). Target (issue 14): SSE ≤ 1.3× WebSocket.',
    '',
    '| build | clients | transport | runs | updates/s | server CPU % | server µs / update | ÷ WebSocket (median) | ÷ WebSocket per repetition | connections lost | machine busy % |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const clients of [...new Set(r.runs.map((x) => x.clients))]) {
    for (const build of r.builds) {
      for (const transport of TRANSPORTS) {
        const xs = r.runs.filter((x) => x.build === build && x.clients === clients && x.transport === transport);
        if (xs.length === 0) continue;
        const busy = xs.map((x) => x.machineBusyPercent).filter((x): x is number => x !== null);
        const rs = transport === 'ws' ? [] : ratios(r.runs, build, clients, transport);
        out.push(
          `| ${build} | ${clients.toLocaleString('en-US')} | ${transport} | ${xs.length} | ${fmt(median(xs.map((x) => x.updatesPerSec)), 0)} | ` +
            `${fmt(median(xs.map((x) => x.serverCpuPercent)), 1)} | ${fmt(median(xs.map((x) => x.serverCpuUsPerUpdate)))} | ` +
            `${transport === 'ws' ? '1' : rs.length > 0 ? `**${fmt(median(rs))}×**` : 'n/a'} | ${rs.map((x) => `${fmt(x)}×`).join(', ')} | ` +
            `${xs.reduce((n, x) => n + x.lost, 0)} | ${busy.length > 0 ? fmt(median(busy), 0) : 'n/a'} |`,
        );
      }
    }
  }
  out.push(
    '',
    "The machine is shared (2 cores, other engineers' jobs and the clients on them): CPU per update drifts with how starved the " +
      'server was, so the per-repetition ratios matter more than the absolute µs.',
    '',
  );
  return out.join('\n');
}

/**
 * The "## SSE and binary stream cost" section of docs/benchmarks.md: this bench's table, then the hub-alone
 * comparisons of stream-hub.ts; null when neither ran. `npm run bench` keeps it across re-renders.
 */
export function streamCostSection(): string | null {
  const parts = ['stream-cost.md', 'stream-hub-sse.md', 'stream-hub-stream.md']
    .map((name) => join(REPO_ROOT, 'bench/results', name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path, 'utf8').trim());
  if (parts.length === 0) return null;
  if (!parts[0]!.startsWith('## ')) parts.unshift('## SSE and binary stream cost');
  return `${parts.join('\n\n')}\n`;
}

/** Writes streamCostSection() into docs/benchmarks.md in place of the previous one. */
export function updateStreamCostDocs(): void {
  const section = streamCostSection();
  if (section === null) return;
  const docPath = join(REPO_ROOT, 'docs/benchmarks.md');
  writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), section));
}

interface Build {
  name: string;
  /** Server entry script; undefined = server/dist/main.js. */
  script: string | undefined;
}

const rotate = <T>(xs: readonly T[], rep: number): T[] => xs.map((_, i) => xs[(i + rep - 1) % xs.length]!);

/** Unmeasured: a fresh server's start-up work (generated candle history, JIT) must not land in a measured run. */
async function warmUp(url: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 3000));
  const swarm = await openSwarm(
    url,
    'sse',
    Array.from({ length: 100 }, () => ['AAPL', 'MSFT']),
  );
  await new Promise((r) => setTimeout(r, 3000));
  swarm.close();
  await new Promise((r) => setTimeout(r, 1000));
}

async function measure(
  server: { url: string; pid: number },
  build: string,
  clients: number,
  rep: number,
  transport: Transport,
  settleS: number,
  windowS: number,
): Promise<CostRun> {
  const symbols = await fetchSymbols(new URL(server.url));
  const picker = new SymbolPicker(symbols, 'uniform');
  const lists = Array.from({ length: clients }, (_, i) => picker.pick(rep, i, SYMBOLS_PER_CLIENT).map((s) => s.ticker));
  const swarm = await openSwarm(server.url, transport, lists);
  try {
    // Snapshots and the connection burst settle before the window opens.
    await new Promise((r) => setTimeout(r, settleS * 1000));
    const cpu0 = sampleProcess(server.pid);
    const machine0 = machineCpu();
    const ticks0 = swarm.counts.ticks;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const cpu1 = sampleProcess(server.pid);
    const machine1 = machineCpu();
    const elapsedS = (performance.now() - t0) / 1000;
    const updates = swarm.counts.ticks - ticks0;
    if (cpu0 === null || cpu1 === null) throw new Error('cannot read the server process CPU from /proc');
    if (updates === 0) throw new Error(`${transport}: no update arrived in the window`);
    const cpuMs = cpu1.cpuMs - cpu0.cpuMs;
    const run: CostRun = {
      build,
      clients,
      rep,
      transport,
      updatesPerSec: updates / elapsedS,
      serverCpuPercent: cpuMs / 10 / elapsedS,
      serverCpuUsPerUpdate: (cpuMs * 1000) / updates,
      lost: swarm.counts.lost,
      machineBusyPercent:
        machine0 === null || machine1 === null ? null : ((machine1.busyMs - machine0.busyMs) / (machine1.totalMs - machine0.totalMs)) * 100 * cpus().length,
    };
    console.log(
      `${build}: ${clients} clients rep ${rep} ${transport.padEnd(6)} ${fmt(run.updatesPerSec, 0)} updates/s, server ${fmt(run.serverCpuUsPerUpdate)} µs/update ` +
        `(${fmt(run.serverCpuPercent, 1)}%), lost ${run.lost}, machine ${run.machineBusyPercent === null ? 'n/a' : fmt(run.machineBusyPercent, 0)}%`,
    );
    return run;
  } finally {
    swarm.close();
    // Let the server close these clients before the next run opens its own.
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function main(): Promise<void> {
  const program = new Command('stream-cost')
    .description('SSE and binary stream against WebSocket: server CPU per delivered update, same server, interleaved repetitions')
    .option('--clients <list>', 'client counts (comma list)', '1000,5000')
    .option('--reps <n>', 'repetitions per client count (each runs every transport)', (v) => Number.parseInt(v, 10), 3)
    .option('--transports <list>', 'transports besides ws (comma list of sse, stream)', 'sse,stream')
    .option('--settle <s>', 'seconds between the last connection and the measured window', (v) => Number.parseInt(v, 10), 3)
    .option('--window <s>', 'measured seconds per run', (v) => Number.parseInt(v, 10), 10)
    .option('--script <path>', 'server entry of the build under test (default server/dist/main.js)')
    .option('--label <text>', 'name of the build under test, e.g. a commit', 'working tree')
    .option('--baseline <script>', 'another server entry (e.g. an older build) measured in the same repetitions')
    .option('--baseline-label <text>', 'name of the --baseline build', 'baseline')
    .option('--quick', 'a smoke run: 50 clients, 1 repetition, 2 s windows; writes nothing', false)
    .option('--out <stem>', 'results file stem in bench/results', 'stream-cost')
    .option('--no-write', 'print only: do not write bench/results/stream-cost.*');
  program.parse();
  const o = program.opts<{
    clients: string;
    reps: number;
    transports: string;
    settle: number;
    window: number;
    script?: string;
    label: string;
    baseline?: string;
    baselineLabel: string;
    quick: boolean;
    write: boolean;
    out: string;
  }>();
  const clientCounts = o.quick ? [50] : o.clients.split(',').map((c) => Number.parseInt(c, 10));
  const reps = o.quick ? 1 : o.reps;
  const settleS = o.quick ? 1 : o.settle;
  const windowS = o.quick ? 2 : o.window;
  const others = o.transports.split(',').map((t) => t.trim()) as Transport[];
  for (const t of others) if (t === 'ws' || !TRANSPORTS.includes(t)) throw new Error(`--transports: ${t} is not sse or stream`);
  const order = ['ws', ...others] as Transport[];
  const max = Math.max(...clientCounts);
  const builds: Build[] = [{ name: o.label, script: o.script }];
  if (o.baseline !== undefined) builds.push({ name: o.baselineLabel, script: o.baseline });
  const runs: CostRun[] = [];
  for (const clients of clientCounts) {
    for (let rep = 1; rep <= reps; rep++) {
      // Builds and transports take turns leading, so a drift in the machine's load favours none of them.
      for (const build of rotate(builds, rep)) {
        const server = await startTarget(
          'tickwire',
          { seed: 1, symbols: 50, tickRate: 1000 },
          {
            // Every client comes from 127.0.0.1: the per-address cap is raised, the server-wide one kept above the run.
            serverArgs: ['--max-connections-per-ip', String(max * 2), '--max-connections', String(max * 2 + 1000)],
            ...(build.script !== undefined ? { script: build.script } : {}),
          },
        );
        try {
          await warmUp(server.url);
          for (const transport of rotate(order, rep)) {
            // A run the busy machine breaks (connections refused) is left out; the ratios pair what completed.
            const run = await measure(server, build.name, clients, rep, transport, settleS, windowS).catch((error: unknown) => {
              console.log(`${build.name}: ${clients} clients rep ${rep} ${transport}: run failed (${error instanceof Error ? error.message : String(error)})`);
              return null;
            });
            if (run !== null) runs.push(run);
          }
        } finally {
          await server.stop();
        }
      }
    }
  }
  await stopAllTargets();
  const report: StreamCostReport = {
    date: new Date().toISOString().slice(0, 10),
    machine: { cpu: (cpus()[0]?.model ?? 'unknown').replace(/\s+\d+-Core Processor$/, ''), nproc: cpus().length, kernel: release(), node: process.version },
    command: `node bench/dist/stream-cost.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    builds: builds.map((b) => b.name),
    scenario: { feedSymbols: 50, tickRate: 1000, symbolsPerClient: SYMBOLS_PER_CLIENT, settleS, windowS },
    runs,
  };
  const section = renderSection(report);
  console.log(`\n${section}`);
  if (o.quick || !o.write) return;
  const dir = join(REPO_ROOT, 'bench/results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${o.out}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(dir, `${o.out}.md`), section);
  if (o.out === 'stream-cost') updateStreamCostDocs();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stop = (): void => {
    void stopAllTargets().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  main().catch(async (error: unknown) => {
    console.error(error);
    await stopAllTargets();
    process.exit(1);
  });
}
