// Scale-out capacity on this machine, one workload, three topologies: one process (embedded feed), one
// process with --workers 2, and two gateway processes over NATS (feed process + nats-server). The load
// tester (loadtest/) drives each at rising client counts; server-side CPU of every process involved is
// read from /proc over the steady window. Loopback only, every run bounded. Results go to
// bench/results/scaleout.{json,md}, and the "## Scale-out" section of docs/benchmarks.md is replaced (or
// appended) with them and the projection derived from them; the rest of that file is not touched.
// Run: npm run build:node && node bench/dist/scaleout.js [--levels 1000,2000,3000] [--reps 2]
//      node bench/dist/scaleout.js --render   (re-renders the docs section from the saved JSON)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LoadTestResult } from '@tickwire/loadtest/run';
import { REPO_ROOT } from './servers.js';

const TICK_RATE = 2000;
const SYMBOLS = 50;
const RAMP_S = 3;
const SETTLE_S = 1;
const DURATION_S = 8;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

const procs = new Set<Proc>();

function start(name: string, command: string, args: string[]): Proc {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (s: string) => {
    out = (out + s).slice(-65536);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Proc = {
    name,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 6000);
      await exited;
      clearTimeout(timer);
      procs.delete(proc);
    },
  };
  procs.add(proc);
  return proc;
}

async function waitForLine(p: Proc, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = p
      .output()
      .split('\n')
      .find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`${p.name}: no ${pattern} in time; output: ${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Messages and bytes nats-server has sent to its clients so far (monitoring /varz). */
async function busCounters(monitorPort: number | undefined): Promise<{ msgs: number; bytes: number } | null> {
  if (monitorPort === undefined) return null;
  const v = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { out_msgs: number; out_bytes: number };
  return { msgs: v.out_msgs, bytes: v.out_bytes };
}

/** User + system CPU seconds a process has used so far (all its threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

const webDir = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-scaleout-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>bench</title>');
  return dir;
})();
const serverJs = join(REPO_ROOT, 'server/dist/main.js');
const feedJs = join(REPO_ROOT, 'server/dist/feed-main.js');
const feedFlags = ['--tick-rate', String(TICK_RATE), '--symbols', String(SYMBOLS), '--batch-ms', '20', '--warmup', '5'];
const quiet = ['--log-level', 'info', '--web-dir', webDir, '--listen-wait', '0', '--max-connections-per-ip', '100000'];

interface Topology {
  name: string;
  describe: string;
  /** nats-server monitoring port (NATS topology), for message rates on the bus. */
  monitorPort?: number;
  /** One URL per load generator; the client count is split evenly over them. */
  urls: string[];
  /** Server-side processes whose CPU counts (gateways, feed, NATS). */
  servers: Proc[];
  gateways: Proc[];
}

async function single(): Promise<Topology> {
  const p = start('tickwire', process.execPath, [serverJs, '--port', '0', ...feedFlags, ...quiet]);
  const { url } = JSON.parse(await waitForLine(p, /"msg":"listening"/)) as { url: string };
  return { name: 'single', describe: '1 process, embedded feed', urls: [url], servers: [p], gateways: [p] };
}

async function workers2(): Promise<Topology> {
  const p = start('tickwire --workers 2', process.execPath, [serverJs, '--port', '0', '--workers', '2', ...feedFlags, ...quiet]);
  const { url } = JSON.parse(await waitForLine(p, /"workers":2.*"msg":"listening"/)) as { url: string };
  return { name: 'workers-2', describe: '1 process, --workers 2 (feed in the main thread)', urls: [url], servers: [p], gateways: [p] };
}

async function natsTwo(): Promise<Topology> {
  const port = await freePort();
  const monitorPort = await freePort();
  const nats = start('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)]);
  await waitForLine(nats, /Server is ready/);
  const natsUrl = `nats://127.0.0.1:${port}`;
  const feed = start('feed', process.execPath, [feedJs, '--nats', natsUrl, ...feedFlags]);
  await waitForLine(feed, /"msg":"feed publishing"/);
  const gws = [0, 1].map((i) => start(`gateway ${i}`, process.execPath, [serverJs, '--port', '0', '--nats', natsUrl, ...quiet]));
  const urls = await Promise.all(gws.map(async (g) => (JSON.parse(await waitForLine(g, /"msg":"listening"/)) as { url: string }).url));
  return { name: 'nats-2gw', describe: '2 gateway processes + feed process + nats-server', urls, servers: [...gws, feed, nats], gateways: gws, monitorPort };
}

interface Row {
  topology: string;
  clients: number;
  updatesPerSec: number;
  /** Payload bytes per second to clients. */
  bytesPerSec: number;
  /** NATS → gateways, all gateways together (NATS topology). */
  busMsgsPerSec: number | null;
  busBytesPerSec: number | null;
  p50: number;
  p99: number;
  lossFree: boolean;
  missing: number;
  /** CPU of every server-side process over the steady window, % of one core. */
  serverCpu: number;
  gatewayCpu: number;
  /** Feed process + nats-server (NATS topology only). */
  busCpu: number;
  generatorCpu: number;
  machineBusy: number | null;
  /** Server-side CPU per delivered update, µs. */
  usPerUpdate: number;
}

async function runLevel(t: Topology, clients: number, dir: string): Promise<Row> {
  const share = Math.floor(clients / t.urls.length);
  const runs = t.urls.map((url, i) => {
    const json = join(dir, `${t.name}-${clients}-${i}.json`);
    const args = [
      join(REPO_ROOT, 'loadtest/dist/main.js'),
      '--url',
      url,
      '--clients',
      String(share),
      '--ramp-up',
      `${RAMP_S}s`,
      '--duration',
      `${DURATION_S}s`,
      '--grace',
      '2s',
      '--progress',
      '0',
      '--json',
      json,
      '--label',
      `${t.name} ${clients}`,
      '--workers',
      String(Math.max(1, 2 / t.urls.length)),
    ];
    if (t.gateways.length === t.urls.length) args.push('--server-pid', String(t.gateways[i]!.child.pid));
    const p = start(`loadtest ${i}`, process.execPath, args);
    return { p, json, done: new Promise<void>((r) => p.child.once('exit', () => r())) };
  });
  // Server CPU over the steady window (after ramp and settle), read from /proc like the load tester does.
  await new Promise((r) => setTimeout(r, (RAMP_S + SETTLE_S) * 1000));
  const before = t.servers.map((s) => cpuSeconds(s.child.pid!));
  const busBefore = await busCounters(t.monitorPort);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, DURATION_S * 1000 - 500));
  const after = t.servers.map((s) => cpuSeconds(s.child.pid!));
  const busAfter = await busCounters(t.monitorPort);
  const wall = (Date.now() - t0) / 1000;
  const hardDeadline = setTimeout(() => runs.forEach((r) => void r.p.stop()), 60_000);
  await Promise.all(runs.map((r) => r.done));
  clearTimeout(hardDeadline);
  const results = runs.map((r) => JSON.parse(readFileSync(r.json, 'utf8')) as LoadTestResult);
  const pct = (i: number) => ((after[i]! - before[i]!) / wall) * 100;
  const serverCpu = t.servers.reduce((sum, _, i) => sum + pct(i), 0);
  const gatewayCpu = t.gateways.reduce((sum, g) => sum + pct(t.servers.indexOf(g)), 0);
  const updatesPerSec = results.reduce((s, r) => s + r.rates.updatesPerSec, 0);
  return {
    topology: t.name,
    clients,
    updatesPerSec: Math.round(updatesPerSec),
    bytesPerSec: Math.round(results.reduce((s, r) => s + r.rates.bytesPerSec, 0)),
    busMsgsPerSec: busBefore && busAfter ? Math.round((busAfter.msgs - busBefore.msgs) / wall) : null,
    busBytesPerSec: busBefore && busAfter ? Math.round((busAfter.bytes - busBefore.bytes) / wall) : null,
    p50: Math.max(...results.map((r) => r.latency.event.p50)),
    p99: Math.max(...results.map((r) => r.latency.event.p99)),
    lossFree: results.every((r) => r.verdict.lossFree),
    missing: results.reduce((s, r) => s + r.verdict.missing, 0),
    serverCpu: Math.round(serverCpu),
    gatewayCpu: Math.round(gatewayCpu),
    busCpu: Math.round(serverCpu - gatewayCpu),
    generatorCpu: Math.round(results.reduce((s, r) => s + (r.generator.cpuPercent ?? 0), 0)),
    machineBusy: results[0]!.machineLoad.busyPercent,
    usPerUpdate: updatesPerSec > 0 ? Math.round(((serverCpu / 100) * 1e6 * 100) / updatesPerSec) / 100 : 0,
  };
}

/** One row per topology and client count: the median of its repetitions, field by field. */
function medians(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.topology} ${r.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const med = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return [...groups.values()].map((g) => {
    const m = (f: (r: Row) => number) => med(g.map(f));
    return {
      ...g[0]!,
      updatesPerSec: Math.round(m((r) => r.updatesPerSec)),
      bytesPerSec: Math.round(m((r) => r.bytesPerSec)),
      busMsgsPerSec: g.some((r) => r.busMsgsPerSec === null) ? null : Math.round(m((r) => r.busMsgsPerSec!)),
      busBytesPerSec: g.some((r) => r.busBytesPerSec === null) ? null : Math.round(m((r) => r.busBytesPerSec!)),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      lossFree: g.every((r) => r.lossFree),
      missing: g.reduce((s, r) => s + r.missing, 0),
      serverCpu: Math.round(m((r) => r.serverCpu)),
      gatewayCpu: Math.round(m((r) => r.gatewayCpu)),
      busCpu: Math.round(m((r) => r.busCpu)),
      generatorCpu: Math.round(m((r) => r.generatorCpu)),
      machineBusy: g.some((r) => r.machineBusy === null) ? null : Math.round(m((r) => r.machineBusy!)),
      usPerUpdate: Math.round(m((r) => r.usPerUpdate) * 100) / 100,
    };
  });
}

interface Saved {
  meta: Record<string, string | number>;
  tickRate: number;
  symbols: number;
  reps: number;
  topologies: Array<{ name: string; describe: string }>;
  rows: Row[];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/** Two significant digits, for estimates that do not deserve more. */
const approx = (n: number) => {
  const p = 10 ** Math.max(0, Math.floor(Math.log10(Math.abs(n))) - 1);
  return fmt(Math.round(n / p) * p);
};

/** The "## Scale-out" section: setup, table, what it shows, and the projection for N machines. */
function section(saved: Saved): string {
  const { meta } = saved;
  const rows = medians(saved.rows);
  const out: string[] = ['## Scale-out', ''];
  out.push(
    `Machine: ${meta.cpu} × ${meta.nproc}, Linux ${meta.kernel}, Node ${meta.node}; ${meta.date}. Workload: ${saved.symbols} symbols at ` +
      `${fmt(saved.tickRate)} ticks/s, 20 ms batches, WebSocket clients with 5 uniform symbols each (≈ 200 updates/s per client), ramp ` +
      `${RAMP_S} s + ${DURATION_S} s steady per step, median of ${saved.reps} runs. The load generator (2 worker threads in total) and ` +
      "other engineers' processes share the same 2 cores: the last column says how much they took. Produced by " +
      '`node bench/dist/scaleout.js` (raw: `bench/results/scaleout.json`).',
  );
  out.push('');
  for (const t of saved.topologies) out.push(`- **${t.name}**: ${t.describe}`);
  out.push('');
  out.push(
    '| topology | clients | updates/s | p50 ms | p99 ms | loss-free | server CPU % (gateways + feed/NATS) | µs server CPU per update | generator CPU % | other processes CPU % |',
  );
  out.push('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const other = r.machineBusy === null ? 'n/a' : String(Math.max(0, r.machineBusy - r.serverCpu - r.generatorCpu));
    out.push(
      `| ${r.topology} | ${fmt(r.clients)} | ${fmt(r.updatesPerSec)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.lossFree ? 'yes' : `no (${r.missing})`} | ` +
        `${r.serverCpu} (${r.gatewayCpu} + ${r.busCpu}) | ${r.usPerUpdate.toFixed(2)} | ${r.generatorCpu} | ${other} |`,
    );
  }
  out.push('');

  // The busiest loss-free step of each topology carries its cost figures (fixed costs weigh least there).
  const top = (name: string) => rows.filter((r) => r.topology === name && r.lossFree).sort((a, b) => b.updatesPerSec - a.updatesPerSec)[0];
  const single = top('single');
  const workers = top('workers-2');
  const nats = top('nats-2gw');
  if (single === undefined || workers === undefined || nats === undefined) return out.join('\n');
  const perCore = (r: Row) => 1e6 / r.usPerUpdate;
  const natsSteps = rows.filter((r) => r.topology === 'nats-2gw' && r.lossFree).sort((a, b) => a.updatesPerSec - b.updatesPerSec);
  const prev = natsSteps.at(-2);
  const trend =
    prev === undefined
      ? 'one step only'
      : nats.usPerUpdate <= prev.usPerUpdate * 1.1
        ? `for two NATS gateways it went from ${prev.usPerUpdate.toFixed(2)} to ${nats.usPerUpdate.toFixed(2)} µs between the ${fmt(prev.clients)}- and ${fmt(nats.clients)}-client steps, as fixed costs spread`
        : `caution: for two NATS gateways it rose from ${prev.usPerUpdate.toFixed(2)} to ${nats.usPerUpdate.toFixed(2)} µs between the ${fmt(prev.clients)}- and ${fmt(nats.clients)}-client steps`;
  const gwCost = ((nats.gatewayCpu / 100) * 1e6) / nats.updatesPerSec;
  const busPerGateway = nats.busCpu / 2;
  const busMsgs = (nats.busMsgsPerSec ?? 0) / 2;
  const busBytes = (nats.busBytesPerSec ?? 0) / 2;
  const bytesPerUpdate = nats.bytesPerSec / nats.updatesPerSec;
  const planned = 0.6;
  const perCorePlanned = (planned * 1e6) / gwCost;
  const clientsPerCore = perCorePlanned / 200;

  out.push('What this shows:');
  out.push('');
  out.push(
    `- **On this box the topologies tie on delivered throughput** (${fmt(single.updatesPerSec)} / ${fmt(workers.updatesPerSec)} / ` +
      `${fmt(nats.updatesPerSec)} updates/s at ${fmt(single.clients)} clients, all loss-free): two cores hold the server, the load ` +
      'generator (which needs as much CPU per update as the server, or more) and whatever else runs, so the box — not the server ' +
      'layout — is the limit, and p99 latency mostly shows the contention. Capacity is therefore compared by CPU cost per update.',
  );
  out.push(
    `- **Cost per delivered update** at the busiest step: one process ${single.usPerUpdate.toFixed(2)} µs ` +
      `(≈ ${approx(perCore(single))} updates/s per core), \`--workers 2\` ${workers.usPerUpdate.toFixed(2)} µs (both threads and the ` +
      `in-process feed; ≈ ${approx(perCore(workers))} per core), two NATS gateways ${gwCost.toFixed(2)} µs in the gateways plus ` +
      `${(((nats.busCpu / 100) * 1e6) / nats.updatesPerSec).toFixed(2)} µs in feed + nats-server. Splitting the clients over more event ` +
      'loops costs some efficiency per update (each loop pays its own per-batch wake-ups and timers), but it is what lets one ' +
      'machine use all its cores and many machines share one feed: one process is capped at one core, whatever its efficiency.',
  );
  out.push(
    `- **The bus is cheap and does not grow with clients**: feed + nats-server used ${nats.busCpu}% of a core for two gateways ` +
      `(≈ ${busPerGateway.toFixed(1)}% per gateway), with ${fmt(busMsgs)} messages/s (${fmt(busBytes / 1024)} KiB/s) to each gateway — ` +
      'at most one message per held symbol per batch window (quiet symbols skip windows), whatever the number of clients behind it.',
  );
  out.push('');
  out.push('Projection for N gateway machines of C cores (`npm start -- --nats … --workers C` behind an L4 balancer, one feed):');
  out.push('');
  out.push(
    `- Clients' updates/s ≈ N × C × ${approx(perCorePlanned)}: the gateway cost measured here (${gwCost.toFixed(2)} µs per update) at ` +
      `${planned * 100}% planned utilisation per core. With this workload (≈ 200 updates/s per client) that is ≈ ${approx(clientsPerCore)} ` +
      `clients per core: ≈ ${approx(clientsPerCore * 8)} per 8-core machine, ≈ ${approx(clientsPerCore * 8 * 10)} for ten. Egress per core ≈ ` +
      `${fmt((perCorePlanned * bytesPerUpdate) / 1048576)} MiB/s of payload (${bytesPerUpdate.toFixed(0)} B per update, frames amortised over a batch), ` +
      `so a 10 Gbit/s NIC carries ≈ ${approx(1.25e9 / (perCorePlanned * bytesPerUpdate * 1.1))} cores' worth (10 % for TCP/WebSocket framing).`,
  );
  out.push(
    '- Assumptions: the kernel (SO_REUSEPORT) and the balancer spread clients evenly by count; per-update cost stays flat per core ' +
      `(workers and gateways share nothing but the feed; ${trend}); the ` +
      'client mix matches this one (more symbols per client or higher tick rates scale updates per client, not the per-update cost); ' +
      'memory per connection is not the limit (see the idle-connection figures above).',
  );
  out.push(
    `- The bus side grows with N, not with clients: ≈ ${fmt(busMsgs)} msgs/s and ${fmt(busBytes / 1024)} KiB/s per gateway holding all ` +
      `${saved.symbols} symbols, so 100 gateways mean ≈ ${approx(busMsgs * 100)} msgs/s (${fmt((busBytes * 100) / 1048576)} MiB/s) out of NATS — ` +
      'linear extrapolation of what was measured here, not measured; past one nats-server, a NATS cluster spreads the fan-out. The feed ' +
      'publishes each batch once whatever N is. What does grow with N is resync traffic: a symbol sync costs one snapshot of up to ' +
      '~250 KB (candles + 4,096 recent ticks), so N gateways reconnecting at once pull N × held symbols × that from the feed — the ' +
      'burst to plan for (gateways jitter their reconnects, but sync every held symbol at once).',
  );
  return out.join('\n');
}

/** Replaces the "## Scale-out" section of docs/benchmarks.md (up to the next "## " heading), or appends it. */
function updateDocs(text: string): void {
  const path = join(REPO_ROOT, 'docs/benchmarks.md');
  let doc: string;
  try {
    doc = readFileSync(path, 'utf8');
  } catch {
    doc = '# Tickwire benchmarks\n';
  }
  const start = doc.search(/^## Scale-out$/m);
  if (start < 0) {
    doc = `${doc.trimEnd()}\n\n${text}\n`;
  } else {
    const rest = doc.slice(start + 1);
    const next = rest.search(/^## /m);
    doc = `${doc.slice(0, start)}${text}\n${next < 0 ? '' : `\n${rest.slice(next)}`}`;
  }
  writeFileSync(path, doc);
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const resultsPath = join(REPO_ROOT, 'bench/results/scaleout.json');
  if (process.argv.includes('--render')) {
    const saved = JSON.parse(readFileSync(resultsPath, 'utf8')) as Saved;
    updateDocs(section(saved));
    return;
  }
  const levels = (arg('--levels') ?? '1000,2000,3000').split(',').map(Number);
  // Each step runs this many times; the table shows medians (the machine may be shared).
  const reps = Number(arg('--reps') ?? '2');
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-scaleout-'));
  const rows: Row[] = [];
  const topologies: Array<{ name: string; describe: string }> = [];
  for (const make of [single, workers2, natsTwo]) {
    const t = await make();
    topologies.push({ name: t.name, describe: t.describe });
    try {
      for (const clients of levels) {
        for (let rep = 0; rep < reps; rep++) {
          const row = await runLevel(t, clients, dir);
          rows.push(row);
          process.stdout.write(`${JSON.stringify(row)}\n`);
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    } finally {
      for (const s of t.servers) await s.stop();
    }
  }
  const meta = {
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: availableParallelism(),
    kernel: release(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
  const saved: Saved = { meta, tickRate: TICK_RATE, symbols: SYMBOLS, reps, topologies, rows };
  writeFileSync(resultsPath, `${JSON.stringify(saved, null, 2)}\n`);
  const md = section(saved);
  writeFileSync(join(REPO_ROOT, 'bench/results/scaleout.md'), `${md}\n`);
  updateDocs(md);
  process.stdout.write(`\n${md}\n`);
}

const stopAll = () => Promise.all([...procs].map((p) => p.stop()));
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
main().then(
  () => stopAll(),
  async (error: unknown) => {
    process.stderr.write(`scaleout: ${(error as Error).stack ?? String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
