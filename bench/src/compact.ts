// Compact frames (type 7) against standard Updates (type 3) at the default feed: wire bytes per update
// counted exactly from the frames the fan-out builds (no sockets: deterministic), and the server's CPU per
// delivered update with real WebSocket clients, standard and compact runs interleaved over repetitions
// (medians and per-repetition ratios; the machine is shared, so its busy share is recorded). Writes
// bench/results/compact.{json,md} and replaces only the "## Compact frames" section of docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import WebSocket from 'ws';
import { COMPACT_HEADER_SIZE, HEADER_SIZE } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { controlText } from '@tickwire/protocol/control';
import { webSocketUrl } from '@tickwire/protocol/routes';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { Fanout } from '@tickwire/core/fanout';
import { machineCpu, sampleProcess } from '@tickwire/loadtest/proc';
import { REPO_ROOT, startTarget, stopAllTargets } from './servers.js';

const SYMBOLS = 50;
const TICK_RATE = 1000;
const BATCH_MS = 20;
const PER_CLIENT = 5;

/** Seeded choice of 5 distinct uniform symbols per client (mulberry32), the load tester's default shape. */
function picks(clients: number, seed: number): number[][] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: clients }, () => {
    const set = new Set<number>();
    while (set.size < PER_CLIENT) set.add(Math.floor(rnd() * SYMBOLS));
    return [...set];
  });
}

// ---- Bytes per update, exactly, from the frames the fan-out builds --------------------------------

interface SymbolBytes {
  frames: number;
  ticks: number;
  standard: number;
  compact: number;
  /** With each transport's own framing per frame. */
  standardWs: number;
  compactWs: number;
  standardSse: number;
  compactSse: number;
}

export interface BytesResult {
  warmupSec: number;
  seconds: number;
  clients: number;
  ticksPerFrame: number;
  perUpdate: { standard: number; compact: number; standardWs: number; compactWs: number; standardSse: number; compactSse: number };
  ratio: { frames: number; ws: number; sse: number };
}

/** RFC 6455 server frame header: 2 bytes up to 125 payload bytes, 4 up to 65535. */
const wsOverhead = (n: number) => (n < 126 ? 2 : n < 65536 ? 4 : 10);
/** One SSE `data: <base64>\n` line per frame (the event's id line is shared by the batch, left out). */
const sseBytes = (n: number) => 4 * Math.ceil(n / 3) + 7;

export function measureBytes(warmupSec: number, seconds: number, clients: number): BytesResult {
  const universe = defaultUniverse(SYMBOLS);
  const start = 1_767_225_600_000;
  const sim = new MarketSimulator({ seed: 1, instruments: universe, ticksPerSecond: TICK_RATE, startTimeMs: start - warmupSec * 1000 });
  const fanout = new Fanout(universe, 7, 10, 0);
  // Warm-up as the server does (--warmup): seqs grow, and a varint seq grows with them.
  for (let t = start - warmupSec * 1000; t < start; t += 60_000) {
    sim.advanceTo(Math.min(t + 60_000, start), (tick) => fanout.ingest(tick));
    fanout.absorb();
  }
  const bySymbol: SymbolBytes[] = universe.map(() => ({
    frames: 0,
    ticks: 0,
    standard: 0,
    compact: 0,
    standardWs: 0,
    compactWs: 0,
    standardSse: 0,
    compactSse: 0,
  }));
  fanout.addSink({
    publish(id, frame, compact) {
      const c = compact.get();
      const s = bySymbol[id]!;
      s.frames++;
      s.ticks += new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(HEADER_SIZE, true);
      s.standard += frame.length;
      s.compact += c.length;
      s.standardWs += frame.length + wsOverhead(frame.length);
      s.compactWs += c.length + wsOverhead(c.length);
      s.standardSse += sseBytes(frame.length);
      s.compactSse += sseBytes(c.length);
    },
    endOfBatch() {},
  });
  for (let t = start + BATCH_MS; t <= start + seconds * 1000; t += BATCH_MS) {
    sim.advanceTo(t, (tick) => fanout.ingest(tick));
    fanout.flush(t);
  }
  // Every client receives every frame of its symbols: sum over clients, then per delivered update.
  const total = { updates: 0, frames: 0, standard: 0, compact: 0, standardWs: 0, compactWs: 0, standardSse: 0, compactSse: 0 };
  for (const symbols of picks(clients, 7)) {
    for (const id of symbols) {
      const s = bySymbol[id]!;
      total.updates += s.ticks;
      total.frames += s.frames;
      total.standard += s.standard;
      total.compact += s.compact;
      total.standardWs += s.standardWs;
      total.compactWs += s.compactWs;
      total.standardSse += s.standardSse;
      total.compactSse += s.compactSse;
    }
  }
  const per = (n: number) => n / total.updates;
  return {
    warmupSec,
    seconds,
    clients,
    ticksPerFrame: total.updates / total.frames,
    perUpdate: {
      standard: per(total.standard),
      compact: per(total.compact),
      standardWs: per(total.standardWs),
      compactWs: per(total.compactWs),
      standardSse: per(total.standardSse),
      compactSse: per(total.compactSse),
    },
    ratio: { frames: total.standard / total.compact, ws: total.standardWs / total.compactWs, sse: total.standardSse / total.compactSse },
  };
}

// ---- Server CPU per delivered update, real server and real WebSocket clients -------------------------

export interface CpuRun {
  rep: number;
  mode: 'standard' | 'compact';
  updates: number;
  updatesPerSec: number;
  /** Received payload bytes (frames) per update, and with WebSocket framing. */
  bytesPerUpdate: number;
  serverCpuUsPerUpdate: number;
  serverCpuPercent: number;
  machineBusyPercent: number | null;
}

/** Tick count of an Updates frame, standard or compact, without decoding the records. */
function tickCount(bytes: Uint8Array): number {
  if (bytes[1] === FrameType.Updates) return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(HEADER_SIZE, true);
  if (bytes[1] !== FrameType.UpdatesCompact) return 0;
  let value = 0;
  for (let i = COMPACT_HEADER_SIZE, shift = 0; i < bytes.length; i++, shift += 7) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if (bytes[i]! < 0x80) break;
  }
  return value;
}

async function cpuRun(url: string, pid: number, rep: number, mode: CpuRun['mode'], clients: number, settleMs: number, windowMs: number): Promise<CpuRun> {
  const counters = { updates: 0, bytes: 0, frames: 0 };
  const sockets: WebSocket[] = [];
  const wsUrl = webSocketUrl(url);
  const tickers = defaultUniverse(SYMBOLS).map((i) => i.ticker);
  const chosen = picks(clients, 100 + rep);
  // Ramp in groups so the handshakes do not land in the measured window.
  for (let i = 0; i < clients; i += 50) {
    await Promise.all(
      chosen.slice(i, i + 50).map(
        (ids) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(wsUrl);
            ws.binaryType = 'nodebuffer';
            ws.on('open', () => {
              ws.send(
                controlText(
                  'subscribe',
                  ids.map((id) => tickers[id]!),
                  { id: 1, history: 0, ...(mode === 'compact' ? { compact: true } : {}) },
                ),
              );
              resolve();
            });
            ws.on('message', (data: Buffer) => {
              const n = tickCount(data);
              if (n === 0) return;
              counters.updates += n;
              counters.frames++;
              counters.bytes += data.length;
            });
            ws.on('error', reject);
            sockets.push(ws);
          }),
      ),
    );
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const cpu0 = sampleProcess(pid);
  const machine0 = machineCpu();
  const updates0 = counters.updates;
  const bytes0 = counters.bytes;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const cpu1 = sampleProcess(pid);
  const machine1 = machineCpu();
  const elapsed = (performance.now() - t0) / 1000;
  const updates = counters.updates - updates0;
  for (const ws of sockets) ws.terminate();
  await new Promise((r) => setTimeout(r, 500));
  if (cpu0 === null || cpu1 === null) throw new Error('cannot read the server process CPU from /proc');
  const cpuMs = cpu1.cpuMs - cpu0.cpuMs;
  return {
    rep,
    mode,
    updates,
    updatesPerSec: updates / elapsed,
    bytesPerUpdate: (counters.bytes - bytes0) / updates,
    serverCpuUsPerUpdate: (cpuMs * 1000) / updates,
    serverCpuPercent: cpuMs / 10 / elapsed,
    machineBusyPercent:
      machine0 === null || machine1 === null ? null : ((machine1.busyMs - machine0.busyMs) / (machine1.totalMs - machine0.totalMs)) * 100 * cpus().length,
  };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface CompactReport {
  date: string;
  machine: { cpu: string; nproc: number; kernel: string; node: string };
  command: string;
  bytes: BytesResult[];
  cpu: { clients: number; reps: number; windowSec: number; runs: CpuRun[] };
}

const fmt = (n: number, d = 2) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

export function renderSection(r: CompactReport): string {
  const out: string[] = ['## Compact frames', ''];
  out.push(
    `Machine: ${r.machine.cpu} × ${r.machine.nproc}, Linux ${r.machine.kernel}, Node ${r.machine.node}; ${r.date}. Default feed (50 symbols, 1,000 ticks/s, Zipf popularity, ` +
      `20 ms batches), ${PER_CLIENT} uniform symbols per client. Standard Updates (type 3) against compact Updates (type 7, ` +
      '[protocol](protocol.md#updates-compact-type-7-negotiated)). Produced by `' +
      r.command +
      '` (raw: `bench/results/compact.json`).',
    '',
    '**Wire bytes per delivered update**, counted exactly from the frames the fan-out builds for the simulated feed (no sockets, so ' +
      'deterministic): every client receives every frame of its symbols. "frames" is the frame bytes alone, "WebSocket" adds the RFC 6455 ' +
      'frame header, "SSE" is the base64 `data:` line per frame. Seqs (varints in compact frames) grow with uptime, hence the warm-up column.',
    '',
    '| warm-up (feed uptime) | ticks / frame | standard B / update | compact B / update | × fewer (frames) | × fewer (WebSocket) | × fewer (SSE) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const b of r.bytes) {
    out.push(
      `| ${b.warmupSec >= 3600 ? `${b.warmupSec / 3600} h` : `${b.warmupSec / 60} min`} | ${fmt(b.ticksPerFrame)} | ${fmt(b.perUpdate.standard, 1)} | ${fmt(b.perUpdate.compact, 1)} | ` +
        `${fmt(b.ratio.frames)}× | ${fmt(b.ratio.ws)}× | ${fmt(b.ratio.sse)}× |`,
    );
  }
  const { runs } = r.cpu;
  const of = (mode: CpuRun['mode']) => runs.filter((x) => x.mode === mode);
  const ratios = [...new Set(runs.map((x) => x.rep))].flatMap((rep) => {
    const s = runs.find((x) => x.rep === rep && x.mode === 'standard');
    const c = runs.find((x) => x.rep === rep && x.mode === 'compact');
    return s && c ? [{ cpu: c.serverCpuUsPerUpdate / s.serverCpuUsPerUpdate, bytes: s.bytesPerUpdate / c.bytesPerUpdate }] : [];
  });
  out.push(
    '',
    `**Server CPU per delivered update**: one Tickwire server (\`server/dist/main.js\`, default feed, \`--warmup 5\`), ${r.cpu.clients.toLocaleString('en-US')} WebSocket ` +
      `clients (\`ws\`, in the bench process) × ${PER_CLIENT} symbols, all standard or all compact, ${r.cpu.reps} repetitions with the two modes interleaved ` +
      `(order alternating), ${r.cpu.windowSec} s measured per run after a settle. Server CPU from \`/proc/<pid>/stat\` over the window ÷ updates the clients received. ` +
      "Values are medians; ratios are medians of each repetition's compact ÷ standard.",
    '',
    '| mode | updates/s | payload B / update (received) | server µs CPU / update | server CPU % | machine busy % |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const mode of ['standard', 'compact'] as const) {
    const xs = of(mode);
    const busy = xs.map((x) => x.machineBusyPercent).filter((x): x is number => x !== null);
    out.push(
      `| ${mode} | ${fmt(median(xs.map((x) => x.updatesPerSec)), 0)} | ${fmt(median(xs.map((x) => x.bytesPerUpdate)), 1)} | ${fmt(median(xs.map((x) => x.serverCpuUsPerUpdate)))} | ` +
        `${fmt(median(xs.map((x) => x.serverCpuPercent)), 0)} | ${busy.length > 0 ? fmt(median(busy), 0) : 'n/a'} |`,
    );
  }
  const cpuRatio = median(ratios.map((x) => x.cpu));
  const cpuRatios = ratios.map((x) => `${fmt(x.cpu)}×`).join(', ');
  const lo = Math.min(...ratios.map((x) => x.cpu));
  const hi = Math.max(...ratios.map((x) => x.cpu));
  const spread =
    lo < 1 && hi > 1
      ? 'The spread crosses 1.0: compact frames cost no measurable extra server CPU (the compact twin is encoded once per symbol per batch, and each publish moves fewer bytes), but this shared box cannot resolve a difference of a few percent either way.'
      : hi <= 1
        ? 'Every repetition spent less server CPU per update on compact frames.'
        : 'Every repetition spent more server CPU per update on compact frames: the target is missed.';
  out.push(
    '',
    `Compact ÷ standard server CPU per update: **${fmt(cpuRatio)}×** (per repetition: ${cpuRatios}); received bytes per update: ` +
      `**${fmt(median(ratios.map((x) => x.bytes)))}× fewer**. The target is ≥ 2× fewer bytes and no more CPU per update. ${spread} ` +
      'Received bytes per update are lower than the exact table because this server ran with `--warmup 5` (small seqs, short varints) and a ' +
      'server running late publishes batches with more ticks per frame; quote the table.',
    '',
    "**Caution: the machine is shared** (2 cores, other engineers' jobs and the bench's own clients on them; the last column says how busy). " +
      'CPU per update drifts with how starved the server was (late batches carry more ticks), so the per-repetition ratios matter more than ' +
      'the absolute µs. The bytes table does not depend on load.',
    '',
  );
  return out.join('\n');
}

/** Replaces the section named by `section`'s first line (up to the next "## ") or inserts it before "## Analysis". */
export function spliceSection(doc: string, section: string): string {
  const start = doc.indexOf(`\n${section.slice(0, section.indexOf('\n'))}\n`);
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + 1);
    return doc.slice(0, start + 1) + section + (next >= 0 ? '\n' + doc.slice(next + 1) : '');
  }
  const analysis = doc.indexOf('\n## Analysis\n');
  if (analysis < 0) return `${doc.trimEnd()}\n\n${section}`;
  return doc.slice(0, analysis + 1) + section + '\n' + doc.slice(analysis + 1);
}

async function main(): Promise<void> {
  const program = new Command('compact')
    .description('Compact frames against standard Updates: exact bytes per update, server CPU per update')
    .option('--clients <n>', 'WebSocket clients per CPU run', (v) => Number.parseInt(v, 10), 1000)
    .option('--reps <n>', 'repetitions of the CPU runs (each: standard and compact)', (v) => Number.parseInt(v, 10), 3)
    .option('--window <s>', 'measured seconds per CPU run', (v) => Number.parseInt(v, 10), 10)
    .option('--quick', 'a smoke run: fewer clients, short windows, no docs update')
    .option('--no-docs', 'do not touch docs/benchmarks.md')
    .option('--render <json>', 'only re-render the section from a saved bench/results/compact.json');
  program.parse();
  const o = program.opts<{ clients: number; reps: number; window: number; quick?: boolean; docs: boolean; render?: string }>();
  if (o.render !== undefined) {
    const section = renderSection(JSON.parse(readFileSync(o.render, 'utf8')) as CompactReport);
    writeFileSync(join(REPO_ROOT, 'bench/results/compact.md'), section);
    if (o.docs) writeFileSync(join(REPO_ROOT, 'docs/benchmarks.md'), spliceSection(readFileSync(join(REPO_ROOT, 'docs/benchmarks.md'), 'utf8'), section));
    return;
  }
  const quick = o.quick === true;
  const clients = quick ? 100 : o.clients;
  const reps = quick ? 1 : Math.max(3, o.reps);
  const windowSec = quick ? 3 : o.window;

  const bytes = [measureBytes(1800, quick ? 20 : 120, 1000)];
  if (!quick) bytes.push(measureBytes(86_400, 120, 1000));
  for (const b of bytes)
    console.log(
      `bytes/update (warm-up ${b.warmupSec} s): standard ${fmt(b.perUpdate.standard)} compact ${fmt(b.perUpdate.compact)} → ${fmt(b.ratio.frames)}× (ws ${fmt(b.ratio.ws)}×, sse ${fmt(b.ratio.sse)}×)`,
    );

  const server = await startTarget('tickwire', { seed: 1, symbols: SYMBOLS, tickRate: TICK_RATE });
  const runs: CpuRun[] = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const order: Array<CpuRun['mode']> = rep % 2 === 1 ? ['standard', 'compact'] : ['compact', 'standard'];
      for (const mode of order) {
        const run = await cpuRun(server.url, server.pid, rep, mode, clients, quick ? 1000 : 2000, windowSec * 1000);
        runs.push(run);
        console.log(
          `rep ${rep} ${mode.padEnd(8)} ${fmt(run.updatesPerSec, 0)} updates/s, ${fmt(run.bytesPerUpdate, 1)} B/update, server ${fmt(run.serverCpuUsPerUpdate)} µs/update (${fmt(run.serverCpuPercent, 0)}%), machine ${run.machineBusyPercent === null ? 'n/a' : fmt(run.machineBusyPercent, 0)}%`,
        );
      }
    }
  } finally {
    await server.stop();
    await stopAllTargets();
  }

  const report: CompactReport = {
    date: new Date().toISOString().slice(0, 10),
    machine: { cpu: (cpus()[0]?.model ?? 'unknown').replace(/\s+\d+-Core Processor$/, ''), nproc: cpus().length, kernel: release(), node: process.version },
    command: `node bench/dist/compact.js${quick ? ' --quick' : ` --clients ${clients} --reps ${reps} --window ${windowSec}`}`,
    bytes,
    cpu: { clients, reps, windowSec, runs },
  };
  const section = renderSection(report);
  console.log(`\n${section}`);
  if (quick) return;
  const results = join(REPO_ROOT, 'bench/results');
  if (!existsSync(results)) mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'compact.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(results, 'compact.md'), section);
  if (o.docs) {
    const docPath = join(REPO_ROOT, 'docs/benchmarks.md');
    writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), section));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(async (error: unknown) => {
    console.error(error);
    await stopAllTargets();
    process.exit(1);
  });
}
