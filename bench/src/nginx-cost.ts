// What nginx in front costs: one server, the same WebSocket load (default 1,000 clients × 5 symbols at the
// default feed) straight to it, through nginx in plain HTTP, and (--tls) through nginx with TLS, in one run
// with the rows interleaved per repetition so drifting machine load hits every row alike. Per row:
// p50/p99 feed→client latency from the load tester, server CPU per delivered update from the server's
// own /metrics process counter, nginx CPU per update from /proc/<pid>/stat of the nginx processes this
// script started (deploy/nginx/tickwire.conf as shipped, via bench/src/proxies.ts). Medians of the
// repetitions and paired ratios against the direct row go to bench/results/nginx-cost.{json,md} and the
// "## Cost of nginx in front" section of docs/benchmarks.md (replaced or inserted; the rest untouched;
// `npm run bench` keeps it when it re-renders that file).
// Loopback only, every wait bounded, only the processes started here are stopped (by PID).
// Run: npm run build:node && node bench/dist/nginx-cost.js [--clients 1000] [--reps 3] [--tls]
//      node bench/dist/nginx-cost.js --render   (re-renders the docs section from the saved JSON)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadTestResult } from '@tickwire/loadtest/run';
import { sampleProcess } from '@tickwire/loadtest/proc';
import { parseProcessCounters } from '@tickwire/loadtest/server-metrics';
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { freePort, selfSignedCertificate, startNginx, type RunningProxy } from './proxies.js';
import { REPO_ROOT } from './servers.js';

const RAMP_S = 3;
/** The load tester settles 1 s after its ramp before its steady window; CPU is read over the same span. */
const SETTLE_S = 1;
const DURATION_S = 8;
const SYMBOLS_PER_CLIENT = 5;

type RowName = 'direct' | 'nginx' | 'nginx-tls';
const DESCRIBE: Record<RowName, string> = {
  direct: 'clients → server (ws://)',
  nginx: 'clients → nginx (http, ws://) → server',
  'nginx-tls': 'clients → nginx (https, wss://; the `ws` library as client, NODE_EXTRA_CA_CERTS) → server',
};

interface Sample {
  row: RowName;
  rep: number;
  updatesPerSec: number;
  p50: number;
  p99: number;
  lossFree: boolean;
  /** CPU over the steady window, % of one core. */
  serverCpu: number;
  nginxCpu: number;
  generatorCpu: number;
  machineBusy: number | null;
  /** CPU µs per delivered update. */
  serverUs: number;
  nginxUs: number;
}

/** The built server as a child; its /metrics is read directly (the shipped nginx file hides /metrics). */
async function startServer(webDir: string): Promise<{ child: ChildProcess; port: number; stop(): Promise<void> }> {
  const args = [join(REPO_ROOT, 'server/dist/main.js'), '--port', '0', '--web-dir', webDir, '--listen-wait', '0', '--trust-proxy', '127.0.0.1/32'];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-65_536)));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-65_536)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line !== undefined) return { child, port: (JSON.parse(line) as { port: number }).port, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`server did not start: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function serverCpuSeconds(port: number): Promise<number> {
  const res = await fetch(routeUrl(`http://127.0.0.1:${port}`, Route.metrics), { signal: AbortSignal.timeout(5_000) });
  const counters = parseProcessCounters(await res.text());
  if (counters === null) throw new Error('the server /metrics has no process CPU counter');
  return counters.cpuMs / 1000;
}

/** CPU seconds of every nginx process now (a worker that ended meanwhile is missed: none do here). */
function nginxCpuSeconds(nginx: RunningProxy): number {
  return nginx.pids().reduce((sum, pid) => sum + (sampleProcess(pid)?.cpuMs ?? 0) / 1000, 0);
}

async function measure(
  row: RowName,
  rep: number,
  url: string,
  env: NodeJS.ProcessEnv,
  clients: number,
  serverPort: number,
  nginx: RunningProxy,
  dir: string,
): Promise<Sample> {
  const json = join(dir, `${row}-${rep}.json`);
  const args = [
    join(REPO_ROOT, 'loadtest/dist/main.js'),
    ...['--url', url, '--clients', String(clients), '--symbols-per-client', String(SYMBOLS_PER_CLIENT)],
    ...['--ramp-up', `${RAMP_S}s`, '--duration', `${DURATION_S}s`, '--grace', '2s', '--progress', '0', '--json', json, '--label', `${row} ${rep}`],
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-16_384)));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-16_384)));
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const hardStop = setTimeout(() => child.kill('SIGKILL'), (RAMP_S + SETTLE_S + DURATION_S) * 1000 + 60_000);
  try {
    // CPU over the load tester's steady window (after ramp and settle), as bench/src/scaleout.ts does.
    await new Promise((r) => setTimeout(r, (RAMP_S + SETTLE_S) * 1000));
    const s0 = await serverCpuSeconds(serverPort);
    const n0 = nginxCpuSeconds(nginx);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, DURATION_S * 1000 - 500));
    const s1 = await serverCpuSeconds(serverPort);
    const n1 = nginxCpuSeconds(nginx);
    const wall = (performance.now() - t0) / 1000;
    const code = await done;
    if (code !== 0 || !existsSync(json)) throw new Error(`loadtest (${row}) exited with ${code}${existsSync(json) ? '' : ', no report'}: ${out}`);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestResult;
    if (r.connections.opened < clients)
      throw new Error(`${row}: only ${r.connections.opened} of ${clients} clients connected: ${r.connections.errors.join('; ')}`);
    const updates = r.rates.updatesPerSec * wall;
    return {
      row,
      rep,
      updatesPerSec: Math.round(r.rates.updatesPerSec),
      p50: r.latency.event.p50,
      p99: r.latency.event.p99,
      lossFree: r.verdict.lossFree,
      serverCpu: ((s1 - s0) / wall) * 100,
      nginxCpu: row === 'direct' ? 0 : ((n1 - n0) / wall) * 100,
      generatorCpu: r.generator.cpuPercent ?? 0,
      machineBusy: r.machineLoad.busyPercent,
      serverUs: updates > 0 ? ((s1 - s0) * 1e6) / updates : 0,
      nginxUs: updates > 0 && row !== 'direct' ? ((n1 - n0) * 1e6) / updates : 0,
    };
  } finally {
    clearTimeout(hardStop);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Saved {
  meta: { cpu: string; nproc: number; kernel: string; node: string; nginx: string; date: string; command: string };
  clients: number;
  reps: number;
  rows: RowName[];
  samples: Sample[];
}

interface Summary {
  row: RowName;
  updatesPerSec: number;
  p50: number;
  p99: number;
  serverUs: number;
  nginxUs: number;
  totalUs: number;
  serverCpu: number;
  nginxCpu: number;
  generatorCpu: number;
  machineBusy: number | null;
  lossFree: boolean;
  /** Medians of the per-repetition ratios to the direct row of the same repetition (paired). */
  ratio: { p50: number; p99: number; serverUs: number; totalUs: number };
}

function summarize(saved: Saved): Summary[] {
  const direct = new Map(saved.samples.filter((s) => s.row === 'direct').map((s) => [s.rep, s]));
  return saved.rows.map((row) => {
    const g = saved.samples.filter((s) => s.row === row);
    const m = (f: (s: Sample) => number) => median(g.map(f));
    const paired = (f: (s: Sample) => number) => median(g.filter((s) => direct.has(s.rep)).map((s) => f(s) / f(direct.get(s.rep)!)));
    return {
      row,
      updatesPerSec: m((s) => s.updatesPerSec),
      p50: m((s) => s.p50),
      p99: m((s) => s.p99),
      serverUs: m((s) => s.serverUs),
      nginxUs: m((s) => s.nginxUs),
      totalUs: m((s) => s.serverUs + s.nginxUs),
      serverCpu: m((s) => s.serverCpu),
      nginxCpu: m((s) => s.nginxCpu),
      generatorCpu: m((s) => s.generatorCpu),
      machineBusy: g.some((s) => s.machineBusy === null) ? null : m((s) => s.machineBusy!),
      lossFree: g.every((s) => s.lossFree),
      ratio: {
        p50: paired((s) => s.p50),
        p99: paired((s) => s.p99),
        serverUs: paired((s) => s.serverUs),
        totalUs: paired((s) => s.serverUs + s.nginxUs),
      },
    };
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const x = (n: number) => `${n.toFixed(2)}×`;

/** The "## Cost of nginx in front" section of docs/benchmarks.md. */
function section(saved: Saved): string {
  const { meta } = saved;
  const rows = summarize(saved);
  const out = ['## Cost of nginx in front', ''];
  out.push(
    `Machine: ${meta.cpu} × ${meta.nproc}, Linux ${meta.kernel}, Node ${meta.node}, ${meta.nginx}; ${meta.date}. One server (default ` +
      `feed: 50 symbols, 1,000 ticks/s, 20 ms batches; \`--trust-proxy 127.0.0.1/32\`), ${fmt(saved.clients)} WebSocket clients × ` +
      `${SYMBOLS_PER_CLIENT} uniform symbols, ramp ${RAMP_S} s + ${SETTLE_S} s settle + ${DURATION_S} s steady per run, ${saved.reps} ` +
      'repetitions with the rows interleaved; nginx runs `deploy/nginx/tickwire.conf` as shipped (one worker process, a plain listener ' +
      'added beside the TLS one). Server CPU from its own `/metrics` process counter, nginx CPU from `/proc/<pid>/stat` of its master ' +
      "and worker, both over the load tester's steady window; latency is the load tester's feed → client (event time). Everything, the " +
      "load generator and other engineers' jobs included, shares the same 2 cores: the last column says how busy the machine was. " +
      `Produced by \`${meta.command}\` (raw: \`bench/results/nginx-cost.json\`).`,
  );
  out.push('');
  for (const r of saved.rows) out.push(`- **${r}**: ${DESCRIBE[r]}`);
  out.push('');
  out.push(
    '| path | updates/s | p50 ms | p99 ms | server µs CPU / update | nginx µs CPU / update | total µs / update | p50 × direct | p99 × direct | server CPU × direct | total CPU × direct | loss-free | server / nginx / generator CPU % | machine busy % |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const r of rows) {
    out.push(
      `| ${r.row} | ${fmt(r.updatesPerSec)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.serverUs.toFixed(2)} | ${r.nginxUs.toFixed(2)} | ` +
        `${r.totalUs.toFixed(2)} | ${x(r.ratio.p50)} | ${x(r.ratio.p99)} | ${x(r.ratio.serverUs)} | ${x(r.ratio.totalUs)} | ${r.lossFree ? 'yes' : 'no'} | ` +
        `${fmt(r.serverCpu)} / ${fmt(r.nginxCpu)} / ${fmt(r.generatorCpu)} | ${r.machineBusy === null ? 'n/a' : fmt(r.machineBusy)} |`,
    );
  }
  out.push('');
  out.push(
    'Values are medians of the repetitions; ratios are medians of each repetition against the direct run of the same repetition. ' +
      'Server CPU per update should not change with a proxy (the server writes the same frames to one socket per client either way); ' +
      'what nginx adds is its own CPU — reading every frame from the upstream socket and writing it to the client socket, plus ' +
      'encryption with TLS — and a hop of latency, most visible at p99 when the two cores are contended.' +
      (saved.rows.includes('nginx-tls')
        ? ' The TLS row also runs a costlier WebSocket client in the generator (the built-in one speaks ws:// only), which takes CPU ' + 'from the same cores.'
        : ' TLS (`--tls`) is left out here: at this client count its wss clients (the `ws` library) overload the one generator worker ' +
          'this box can spare.'),
  );
  const busy = median(saved.samples.map((s) => s.machineBusy ?? 0));
  if (busy >= 0.75 * 100 * meta.nproc) {
    out.push('');
    out.push(
      `**Caution: this run shared the machine** (median ${fmt(busy)}% of ${100 * meta.nproc}% busy; the server, nginx and generator ` +
        'took only part of it). Latency then measures waiting for a core more than the proxy hop, and CPU per update drifts with ' +
        'how starved each process was (batches grow when a process runs late). Re-run on a quiet machine before quoting the ratios.',
    );
  }
  return out.join('\n');
}

/**
 * Replaces the section in docs/benchmarks.md (up to the next "## " heading), or inserts it where
 * `npm run bench` renders it (before Analysis / How to reproduce), which re-renders it from
 * bench/results/nginx-cost.md.
 */
function updateDocs(text: string): void {
  const path = join(REPO_ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const start = doc.search(/^## Cost of nginx in front$/m);
  if (start < 0) {
    const before = [doc.search(/^## Analysis$/m), doc.search(/^## How to reproduce$/m)].filter((i) => i >= 0);
    const at = before.length > 0 ? Math.min(...before) : -1;
    writeFileSync(path, at < 0 ? `${doc.trimEnd()}\n\n${text}\n` : `${doc.slice(0, at)}${text}\n\n${doc.slice(at)}`);
    return;
  }
  const rest = doc.slice(start + 1);
  const next = rest.search(/^## /m);
  writeFileSync(path, `${doc.slice(0, start)}${text}\n${next < 0 ? '' : `\n${rest.slice(next)}`}`);
}

function nginxVersion(): string {
  // `nginx -v` prints to stderr.
  const v = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return (v.stderr ?? '').trim().replace(/^nginx version: /, '') || 'nginx';
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const resultsPath = join(REPO_ROOT, 'bench/results/nginx-cost.json');
  if (process.argv.includes('--render')) {
    const md = section(JSON.parse(readFileSync(resultsPath, 'utf8')) as Saved);
    writeFileSync(join(REPO_ROOT, 'bench/results/nginx-cost.md'), `${md}\n`);
    updateDocs(md);
    return;
  }
  const clients = Number(arg('--clients') ?? '1000');
  const reps = Number(arg('--reps') ?? '3');
  if (!(Number.isInteger(clients) && clients >= 1 && clients <= 5000)) throw new Error('--clients must be 1..5000');
  if (!(Number.isInteger(reps) && reps >= 1 && reps <= 20)) throw new Error('--reps must be 1..20');
  // TLS is opt-in: its clients need the `ws` library (the built-in client speaks ws:// only), and at 1,000
  // of them one generator worker on this 2-core box falls behind ("sent no final report").
  const rowNames: RowName[] = process.argv.includes('--tls') ? ['direct', 'nginx', 'nginx-tls'] : ['direct', 'nginx'];

  const dir = mkdtempSync(join(tmpdir(), 'tickwire-nginx-cost-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>bench</title>');
  const certificate = selfSignedCertificate(dir);
  const server = await startServer(dir);
  let nginx: RunningProxy | null = null;
  const stopAll = async () => {
    await nginx?.stop();
    await server.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const [tlsPort, plainPort] = await Promise.all([freePort(), freePort()]);
    // nginx needs worker_connections ≥ 2 per client (client side + upstream side).
    nginx = await startNginx({ upstreamPort: server.port, tlsPort, plainPort, certificate, workerProcesses: 1, workerConnections: 2 * clients + 256 });
    const target: Record<RowName, { url: string; env: NodeJS.ProcessEnv }> = {
      direct: { url: `http://127.0.0.1:${server.port}`, env: {} },
      nginx: { url: `http://127.0.0.1:${plainPort}`, env: {} },
      'nginx-tls': { url: `https://127.0.0.1:${tlsPort}`, env: { NODE_EXTRA_CA_CERTS: certificate.cert } },
    };
    const samples: Sample[] = [];
    for (let rep = 0; rep < reps; rep++) {
      for (const row of rowNames) {
        const s = await measure(row, rep, target[row].url, target[row].env, clients, server.port, nginx, dir);
        samples.push(s);
        process.stdout.write(`${JSON.stringify(s)}\n`);
        // Let closed connections drain out of both processes before the next row.
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    const saved: Saved = {
      meta: {
        cpu: cpus()[0]?.model ?? 'unknown',
        nproc: availableParallelism(),
        kernel: release(),
        node: process.version,
        nginx: nginxVersion(),
        date: new Date().toISOString().slice(0, 10),
        command: `node bench/dist/nginx-cost.js --clients ${clients} --reps ${reps}${rowNames.includes('nginx-tls') ? ' --tls' : ''}`,
      },
      clients,
      reps,
      rows: rowNames,
      samples,
    };
    writeFileSync(resultsPath, `${JSON.stringify(saved, null, 2)}\n`);
    const md = section(saved);
    writeFileSync(join(REPO_ROOT, 'bench/results/nginx-cost.md'), `${md}\n`);
    updateDocs(md);
    process.stdout.write(`\n${md}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`nginx-cost: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
