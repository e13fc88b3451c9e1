// Entry point of `npm run bench`: micro-benchmarks, the peer capacity sweep and idle-connection memory,
// then bench/results/latest.json and docs/benchmarks.md. Quick or partial runs (--quick, --only, --series,
// --rates, …) write bench/results/{quick,partial}.{json,md} so a try-out never overwrites the committed numbers.
// --clients-per-core runs the clients-per-core sweep instead (clients-per-core.ts): bench/results/
// clients-per-core.{json,md} and its docs/benchmarks.md section (quick: clients-per-core-quick.* only).
// --storm runs the reconnect storms instead (storm.ts): bench/results/storm.{json,md} and the "Reconnect
// storms" section of docs/benchmarks.md (quick: storm-quick.* only).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ADAPTIVE_MODES, runClientsPerCore, type AdaptiveMode } from './clients-per-core.js';
import { spliceSection } from './compact.js';
import { streamCostSection } from './stream-cost.js';
import { runIdle, type IdleResult } from './idle.js';
import { renderStormSection, runStorms, type StormKind } from './storm.js';
import type { Machine } from './machine.js';
import { renderClientsPerCore, renderMarkdown, type BenchReport } from './markdown.js';
import { runCodecBenchmarks, runFanoutBenchmarks, type MicroResult } from './micro.js';
import { summarizeProfile } from './profile.js';
import { REPO_ROOT, SCRIPTS, stopAllTargets } from './servers.js';
import { RATE_LADDER, runRates, runSeries, waitForQuiet, type SeriesResult, type SeriesSpec, type SweepSettings } from './sweep.js';

const FULL_SERIES: SeriesSpec[] = [
  { id: 'tw-ws-1k', server: 'tickwire', transport: 'ws', clients: 1000 },
  { id: 'sio-1k', server: 'socketio', transport: 'socketio', clients: 1000 },
  { id: 'wsjson-1k', server: 'ws-json', transport: 'ws-json', clients: 1000 },
  { id: 'tw-sse-1k', server: 'tickwire', transport: 'sse', clients: 1000 },
  {
    id: 'tw-sse-1k-nolimit',
    server: 'tickwire',
    transport: 'sse',
    clients: 1000,
    serverArgs: ['--slow-soft-bytes', String(2 ** 30 - 1024), '--slow-hard-bytes', String(2 ** 30)],
    note: 'slow-consumer limits lifted (1 GiB), to separate the stream path from the slow-consumer policy',
  },
  { id: 'tw-ws-5k', server: 'tickwire', transport: 'ws', clients: 5000 },
  { id: 'sio-5k', server: 'socketio', transport: 'socketio', clients: 5000 },
  { id: 'wsjson-5k', server: 'ws-json', transport: 'ws-json', clients: 5000 },
];

/** Quick mode: the same shapes at a fifth of the clients. */
const QUICK_SERIES: SeriesSpec[] = [
  { id: 'tw-ws-200', server: 'tickwire', transport: 'ws', clients: 200 },
  { id: 'sio-200', server: 'socketio', transport: 'socketio', clients: 200 },
  { id: 'wsjson-200', server: 'ws-json', transport: 'ws-json', clients: 200 },
  { id: 'tw-sse-200', server: 'tickwire', transport: 'sse', clients: 200 },
];

function machine(): Machine {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    date: new Date().toISOString(),
  };
}

function checkBuilt(): void {
  for (const script of Object.values(SCRIPTS)) {
    if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build:node" (npm run bench does it for you)`);
  }
}

async function main(): Promise<void> {
  const program = new Command('tickwire-bench')
    .description('Micro-benchmarks, capacity sweep against Socket.IO and plain ws peers, idle-connection memory')
    .option('--quick', 'small, fast runs for trying things out (writes bench/results/quick.*)', false)
    .option('--only <parts>', 'comma list of micro, sweep, idle', 'micro,sweep,idle')
    .option('--series <ids>', `comma list of sweep series (full: ${FULL_SERIES.map((s) => s.id).join(', ')})`)
    .option('--duration <s>', 'steady seconds per sweep step (default 8, quick 3)', Number)
    .option('--start-rate <n>', 'first feed rate of each series', Number, 1000)
    .option('--rates <list>', 'run exactly these feed rates (comma list) instead of walking the ladder')
    .option('--idle-clients <n>', 'idle WebSocket clients (default 10000, quick 1000)', Number)
    // All cores: at Tickwire's capacity the generator, not the server, runs out of CPU first (see docs).
    .option('--workers <n>', 'load-generator worker threads', Number, availableParallelism())
    .option('--max-minutes <n>', 'time budget of the sweep: no step starts after it', Number, 75)
    .option('--profile', 'run Tickwire steps under --cpu-prof and print the hottest functions', false)
    .option('--update', 'fold this (narrower) run into bench/results/latest.json and docs/benchmarks.md', false)
    .option('--render <results.json>', "only re-render the markdown from an earlier run's JSON (no measuring)")
    .option('--out <path>', 'markdown output (default docs/benchmarks.md, quick: bench/results/quick.md)')
    .option(
      '--clients-per-core',
      'instead: clients per core at a fixed feed, server and generator pinned (--series, --duration, --workers, --quick apply)',
      false,
    )
    .option('--shapes <ids>', 'with --clients-per-core: feed shapes, comma list of default, uniform')
    .addOption(
      new Option('--adaptive <mode>', "with --clients-per-core: Tickwire's adaptive batch window off (--batch-max-ms = --batch-ms), on, or both side by side")
        .choices(ADAPTIVE_MODES)
        .default('on'),
    )
    .option(
      '--clients <list>',
      'with --clients-per-core: client counts to walk (default 1000,2000,5000,10000,20000; quick 200); with --storm: one count (default 5000, quick 500)',
    )
    .option('--results <path>', 'with --clients-per-core or --storm: JSON output (default bench/results/<mode>[-quick].json)')
    .option('--storm', 'instead: reconnect storms (network blip, SIGTERM restart) at 5,000 WebSocket clients, server and generator pinned', false)
    .option('--storm-kinds <list>', 'with --storm: comma list of blip, restart (default both)')
    .parse(process.argv);
  const o = program.opts<{
    quick: boolean;
    only: string;
    series?: string;
    duration?: number;
    startRate: number;
    rates?: string;
    idleClients?: number;
    workers: number;
    profile: boolean;
    maxMinutes: number;
    render?: string;
    update: boolean;
    out?: string;
    clientsPerCore: boolean;
    shapes?: string;
    adaptive: AdaptiveMode;
    clients?: string;
    results?: string;
    storm: boolean;
    stormKinds?: string;
  }>();
  const analysisPath = join(REPO_ROOT, 'bench/analysis.md');
  const analysis = (): string | null => (existsSync(analysisPath) ? readFileSync(analysisPath, 'utf8') : null);
  const note = (name: string): string | null => {
    const path = join(REPO_ROOT, 'bench/notes', name);
    return existsSync(path) ? readFileSync(path, 'utf8') : null;
  };
  const scaleoutPath = join(REPO_ROOT, 'bench/results/scaleout.md');
  const nginxCostPath = join(REPO_ROOT, 'bench/results/nginx-cost.md');
  const compactPath = join(REPO_ROOT, 'bench/results/compact.md');
  const ingestPath = join(REPO_ROOT, 'bench/results/ingest.md');
  const clientsPerCorePath = join(REPO_ROOT, 'bench/results/clients-per-core.md');
  // The storm section: the full run's, or until there is one, the smoke run's (which says so).
  const stormPath = ['storm.md', 'storm-quick.md'].map((f) => join(REPO_ROOT, 'bench/results', f)).find((p) => existsSync(p));
  const notes = () => ({
    renderLoad: note('render-load.md'),
    soak: note('soak.md'),
    scaleout: existsSync(scaleoutPath) ? readFileSync(scaleoutPath, 'utf8') : null,
    nginxCost: existsSync(nginxCostPath) ? readFileSync(nginxCostPath, 'utf8') : null,
    compact: existsSync(compactPath) ? readFileSync(compactPath, 'utf8') : null,
    ingest: existsSync(ingestPath) ? readFileSync(ingestPath, 'utf8') : null,
    clientsPerCore: existsSync(clientsPerCorePath) ? readFileSync(clientsPerCorePath, 'utf8') : null,
    streamCost: streamCostSection(),
    storms: stormPath === undefined ? null : readFileSync(stormPath, 'utf8'),
  });
  if (o.render !== undefined) {
    const report = JSON.parse(readFileSync(o.render, 'utf8')) as BenchReport;
    const mdPath = o.out ?? join(REPO_ROOT, report.quick ? 'bench/results/quick.md' : 'docs/benchmarks.md');
    writeFileSync(mdPath, renderMarkdown(report, analysis(), notes()));
    process.stdout.write(`rendered ${mdPath} from ${o.render}\n`);
    return;
  }
  checkBuilt();
  if (o.storm) {
    await storms(o);
    return;
  }
  if (o.clientsPerCore) {
    await clientsPerCore(o, program.getOptionValueSource('workers') === 'default' ? undefined : o.workers);
    return;
  }
  const parts = new Set(o.only.split(',').map((s) => s.trim()));
  const started = performance.now();
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const profileDir = join(REPO_ROOT, 'bench/results/profiles', new Date().toISOString().replace(/[:.]/g, '-'));

  let micro: MicroResult[] = [];
  if (parts.has('micro')) {
    log('micro-benchmarks:');
    await waitForQuiet(log);
    micro = runCodecBenchmarks({ quick: o.quick, log });
    micro.push(...(await runFanoutBenchmarks({ quick: o.quick, log }, join(REPO_ROOT, 'bench/dist/micro-subscribers.js'))));
  }

  const settings: SweepSettings = {
    symbols: 50,
    symbolsPerClient: 5,
    seed: 1,
    startRate: o.startRate,
    durationMs: (o.duration ?? (o.quick ? 3 : 8)) * 1000,
    refine: !o.quick,
    maxSteps: o.quick ? 2 : 8,
    deadline: performance.now() + o.maxMinutes * 60_000,
    workers: o.workers,
    nodeFlags: o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  };
  const sweep: SeriesResult[] = [];
  if (parts.has('sweep')) {
    const all = o.quick ? QUICK_SERIES : FULL_SERIES;
    const wanted = o.series === undefined ? all : [...QUICK_SERIES, ...FULL_SERIES].filter((s) => o.series!.split(',').includes(s.id));
    if (wanted.length === 0) throw new Error(`no series matches --series ${o.series}`);
    log(`capacity sweep (${wanted.length} series, ${settings.durationMs / 1000}s steady per step):`);
    const fixedRates = o.rates
      ?.split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
    for (const spec of wanted) {
      const result = fixedRates?.length ? await runRates(spec, fixedRates, settings, log) : await runSeries(spec, settings, log);
      sweep.push(result);
      const c = result.capacity;
      log(`  ${spec.id}: capacity ${c ? `${c.updatesPerSec} updates/s at ${c.tickRate} ticks/s (p99 ${c.p99} ms)` : 'none held'}`);
    }
  }

  const idle: IdleResult[] = [];
  if (parts.has('idle')) {
    const n = o.idleClients ?? (o.quick ? 1000 : 10_000);
    log(`idle connections (${n} per server):`);
    for (const kind of ['tickwire', 'socketio', 'ws-json'] as const) {
      idle.push(await runIdle(kind, n, log, kind === 'tickwire' ? settings.nodeFlags : []));
    }
  }

  if (o.profile && existsSync(profileDir)) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      const summary = summarizeProfile(join(profileDir, file), REPO_ROOT, 15);
      log(`profile ${file}: ${summary.totalMs} ms, ${summary.busyPercent}% busy; top self time:`);
      for (const h of summary.hot) log(`  ${String(h.selfPercent).padStart(5)}%  ${h.name}  ${h.where}`);
    }
  }

  const durationS = Math.round((performance.now() - started) / 1000);
  const report: BenchReport = {
    formatVersion: 1,
    resultsFile: '',
    quick: o.quick,
    machine: machine(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    durationS,
    settings: {
      seed: settings.seed,
      symbols: settings.symbols,
      symbolsPerClient: settings.symbolsPerClient,
      durationS: settings.durationMs / 1000,
      ladder: RATE_LADDER.join(', '),
      workers: settings.workers,
    },
    micro,
    sweep,
    idle,
  };
  // Only a complete default run replaces the committed numbers; anything narrower goes next to them —
  // unless --update folds it into latest.json (same series ids replaced, the rest kept, every run listed).
  const partial = o.only !== 'micro,sweep,idle' || o.series !== undefined || o.rates !== undefined || o.duration !== undefined || o.idleClients !== undefined;
  const latestPath = join(REPO_ROOT, 'bench/results/latest.json');
  if (o.update) {
    if (o.quick) throw new Error('--update folds full-size measurements into latest.json; not with --quick');
    if (!existsSync(latestPath)) throw new Error(`--update needs an earlier full run in ${latestPath}`);
    const base = JSON.parse(readFileSync(latestPath, 'utf8')) as BenchReport;
    if (micro.length > 0) base.micro = micro;
    for (const series of sweep) {
      const i = base.sweep.findIndex((x) => x.spec.id === series.spec.id);
      if (i === -1) base.sweep.push(series);
      else base.sweep[i] = series;
    }
    for (const x of idle) {
      const i = base.idle.findIndex((y) => y.server === x.server);
      if (i === -1) base.idle.push(x);
      else base.idle[i] = x;
    }
    base.runs = [
      ...(base.runs ?? [{ command: base.command, date: base.machine.date, durationS: base.durationS }]),
      { command: report.command, date: report.machine.date, durationS },
    ];
    Object.assign(report, base, { resultsFile: '' });
  }
  const name = o.quick ? 'quick' : partial && !o.update ? 'partial' : 'latest';
  const resultsPath = join(REPO_ROOT, 'bench/results', `${name}.json`);
  const mdPath = o.out ?? join(REPO_ROOT, name === 'latest' ? 'docs/benchmarks.md' : `bench/results/${name}.md`);
  report.resultsFile = relative(REPO_ROOT, resultsPath);
  mkdirSync(dirname(resultsPath), { recursive: true });
  mkdirSync(dirname(mdPath), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(mdPath, renderMarkdown(report, analysis(), notes()));
  log(`done in ${Math.floor(durationS / 60)} min ${durationS % 60} s: ${resultsPath}, ${mdPath}`);
}

/** `--clients-per-core`: runs it, writes JSON + section, and (full runs only) splices the section into docs/benchmarks.md. */
async function clientsPerCore(
  o: { quick: boolean; series?: string; shapes?: string; adaptive: AdaptiveMode; clients?: string; duration?: number; results?: string; out?: string },
  workers: number | undefined,
): Promise<void> {
  const list = (text: string | undefined): string[] | undefined =>
    text
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const name = o.quick ? 'clients-per-core-quick' : 'clients-per-core';
  const resultsPath = resolve(o.results ?? join(REPO_ROOT, 'bench/results', `${name}.json`));
  const report = await runClientsPerCore(
    {
      quick: o.quick,
      series: list(o.series),
      shapes: list(o.shapes),
      adaptive: o.adaptive,
      ladder: list(o.clients)?.map(Number),
      durationS: o.duration,
      workers,
      resultsFile: resultsPath.startsWith(`${REPO_ROOT}/`) ? relative(REPO_ROOT, resultsPath) : resultsPath,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    },
    machine(),
    (line) => void process.stdout.write(`${line}\n`),
  );
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  const section = renderClientsPerCore(report);
  const mdPath = o.out ?? resultsPath.replace(/\.json$/, '.md');
  writeFileSync(mdPath, `${section}\n`);
  process.stdout.write(`done in ${Math.floor(report.durationS / 60)} min ${report.durationS % 60} s: ${resultsPath}, ${mdPath}\n`);
  if (!o.quick && o.results === undefined) {
    const docPath = join(REPO_ROOT, 'docs/benchmarks.md');
    writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), section));
    process.stdout.write(`section "Clients per core" replaced in ${docPath}\n`);
  }
}

/** `--storm`: runs the storms, writes JSON + section, and (full runs only) splices the section into docs/benchmarks.md. */
async function storms(o: { quick: boolean; clients?: string; stormKinds?: string; results?: string; out?: string }): Promise<void> {
  const name = o.quick ? 'storm-quick' : 'storm';
  const resultsPath = resolve(o.results ?? join(REPO_ROOT, 'bench/results', `${name}.json`));
  const kinds = o.stormKinds?.split(',').map((k) => k.trim());
  if (kinds !== undefined && !kinds.every((k) => k === 'blip' || k === 'restart')) throw new Error(`--storm-kinds: blip, restart (got ${o.stormKinds})`);
  const clients = o.clients === undefined ? undefined : Number(o.clients);
  if (clients !== undefined && !(Number.isInteger(clients) && clients > 0 && clients <= 15_000))
    throw new Error(`--clients with --storm: one count, 1..15000 (got ${o.clients})`);
  const report = await runStorms(
    {
      quick: o.quick,
      ...(clients !== undefined ? { clients } : {}),
      ...(kinds !== undefined ? { kinds: kinds as StormKind[] } : {}),
      resultsFile: resultsPath.startsWith(`${REPO_ROOT}/`) ? relative(REPO_ROOT, resultsPath) : resultsPath,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    },
    machine(),
    (line) => void process.stdout.write(`${line}\n`),
  );
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  const section = renderStormSection(report);
  const mdPath = o.out ?? resultsPath.replace(/\.json$/, '.md');
  writeFileSync(mdPath, section);
  process.stdout.write(`done in ${report.durationS} s: ${resultsPath}, ${mdPath}\n`);
  if (!o.quick && o.results === undefined && o.clients === undefined && o.stormKinds === undefined) {
    const docPath = join(REPO_ROOT, 'docs/benchmarks.md');
    writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), section));
    process.stdout.write(`section "Reconnect storms" replaced in ${docPath}\n`);
  }
}

// Interrupted: stop the server children we started (by pid) before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`tickwire-bench: ${signal}, stopping servers\n`);
    void stopAllTargets().finally(() => process.exit(130));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`tickwire-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
