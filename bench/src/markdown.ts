// Renders docs/benchmarks.md from a bench run: machine, micro-benchmarks, the peer capacity table with
// Tickwire/peer ratios and every sweep step, idle-connection memory, the targets, a placeholder for the
// frontend's render-load numbers, hand-written analysis (bench/analysis.md, if present) and how to reproduce;
// also the "Clients per core" section (renderClientsPerCore), which leads the file.
import { SATURATED_PERCENT, adaptiveId, type CpcReport, type CpcSeries } from './clients-per-core.js';
import type { IdleResult } from './idle.js';
import type { Machine } from './machine.js';
import type { MicroResult } from './micro.js';
import type { SeriesResult, StepResult } from './sweep.js';
import { P99_LIMIT_MS } from './sweep.js';

export interface BenchReport {
  formatVersion: 1;
  /** Where the raw JSON of this run was written, relative to the repo. */
  resultsFile: string;
  quick: boolean;
  machine: Machine;
  command: string;
  durationS: number;
  settings: Record<string, unknown>;
  micro: MicroResult[];
  sweep: SeriesResult[];
  idle: IdleResult[];
  /** When later narrower runs were folded in with --update: every run that contributed. */
  runs?: Array<{ command: string; date: string; durationS: number }>;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const f = (n: number | null | undefined, suffix = ''): string => (n === null || n === undefined ? 'n/a' : `${int.format(n)}${suffix}`);
const ms = (n: number): string => (n >= 100 ? int.format(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** CPU time per update, in µs or ns. */
function perUpdate(us: number): string {
  return us >= 1 ? `${us.toFixed(2)} µs` : `${Math.round(us * 1000)} ns`;
}

/** The busiest step that delivered everything to everyone, whatever its latency. */
export function costStep(s: SeriesResult): StepResult | null {
  const ok = s.steps.filter(
    (st) => st.missing === 0 && st.unexpectedCloses === 0 && st.connectFailures === 0 && st.readyAtEnd >= s.spec.clients && st.updatesPerSec > 0,
  );
  return ok.length === 0 ? null : ok.reduce((best, st) => (st.updatesPerSec > best.updatesPerSec ? st : best));
}

/** True when a step above the capacity failed, i.e. the capacity is a measured limit, not a lower bound. */
function reached(s: SeriesResult | undefined): boolean {
  if (s === undefined || s.capacity === null) return true;
  const cap = s.capacity.tickRate;
  return s.steps.some((st) => !st.pass && st.tickRate > cap);
}

function ratio(tw: SeriesResult | undefined, peer: SeriesResult | undefined): { text: string; value: number | null } {
  const a = tw?.capacity?.updatesPerSec;
  const b = peer?.capacity?.updatesPerSec;
  if (a === undefined || a <= 0 || peer === undefined) return { text: 'n/a', value: null };
  if (b === undefined || b <= 0) return { text: '∞ (peer held no step)', value: Number.POSITIVE_INFINITY };
  // A Tickwire capacity that was not reached makes the ratio a lower bound; an unreached peer one, an upper bound.
  const lower = !reached(tw);
  const upper = !reached(peer);
  const prefix = lower && !upper ? '≥ ' : upper && !lower ? '≤ ' : upper && lower ? '~ ' : '';
  return { text: `${prefix}${(a / b).toFixed(1)}×`, value: a / b };
}

function serverName(s: SeriesResult): string {
  if (s.spec.note !== undefined) return `${baseName(s)} — ${s.spec.note}`;
  return baseName(s);
}

function baseName(s: SeriesResult): string {
  return s.spec.server === 'tickwire'
    ? `Tickwire (${s.spec.transport === 'sse' ? 'SSE' : 'WebSocket'})`
    : s.spec.server === 'socketio'
      ? 'Socket.IO 4'
      : 'plain ws (JSON)';
}

/** What stopped a series: read off the first failing step above its capacity. */
export function limitNote(s: SeriesResult, workers: number): string {
  const cap = s.capacity;
  const next = s.steps.find((st) => !st.pass && (cap === null || st.tickRate > cap.tickRate));
  if (cap !== null && next === undefined) return 'not reached (highest step tried passed)';
  if (next === undefined) return '';
  const at = `at ${int.format(next.tickRate)} ticks/s`;
  if (next.reasons.some((r) => r.includes('sent no final report'))) return `${at}: load generator overloaded (its workers could not even report)`;
  if (next.reasons.some((r) => r.startsWith('step failed'))) return `${at}: ${next.reasons[0]}`;
  if (next.unexpectedCloses > 0) return `${at}: server disconnected slow consumers`;
  if ((next.serverCpu ?? 0) >= 90) return `${at}: server CPU (${next.serverCpu}% of its one thread)`;
  if ((next.machineCpu ?? 0) >= 180) {
    return `${at}: both cores busy (generator ${next.generatorCpu ?? '?'}%, server ${next.serverCpu ?? '?'}%, other ${next.otherCpu ?? '?'}%)`;
  }
  if ((next.generatorCpu ?? 0) >= 90 * Math.min(workers, 2)) return `${at}: load generator CPU (${next.generatorCpu}%)`;
  return `${at}: ${next.reasons.join('; ')}`;
}

function stepRow(s: SeriesResult, st: StepResult): string {
  const cap = s.capacity === st ? ' **(capacity)**' : '';
  return `| ${s.spec.id} | ${f(st.tickRate)} | ${f(st.updatesPerSec)}${cap} | ${f(st.framesPerSec)} | ${ms(st.p50)} | ${ms(st.p90)} | ${ms(st.p99)} | ${ms(st.max)} | ${f(st.serverCpu, '%')} | ${st.serverPeakRssMiB ?? 'n/a'} | ${f(st.generatorCpu, '%')} | ${f(st.otherCpu, '%')} | ${st.pass ? 'pass' : `fail: ${st.reasons.join('; ').replace(/\|/g, '/')}`}${st.attempts > 1 ? ` (run ${st.attempts}×: disturbed)` : ''} |`;
}

/** Hand-written sections measured outside `npm run bench` (bench/notes/*.md), kept across re-renders. */
export interface BenchNotes {
  renderLoad: string | null;
  soak: string | null;
  /** The "## Scale-out" section written by bench/src/scaleout.ts (bench/results/scaleout.md). */
  scaleout: string | null;
  /** The "## Cost of nginx in front" section written by bench/src/nginx-cost.ts (bench/results/nginx-cost.md). */
  nginxCost?: string | null;
  /** The "## Compact frames" section written by bench/src/compact.ts (bench/results/compact.md). */
  compact?: string | null;
  /** The "## Ingest" section written by bench/src/ingest.ts (bench/results/ingest.md). */
  ingest?: string | null;
  /** The "## Reconnect storms" section written by `npm run bench -- --storm` (bench/results/storm.md, or storm-quick.md). */
  storms?: string | null;
  /** The "## SSE and binary stream cost" section (bench/src/stream-cost.ts streamCostSection()). */
  streamCost?: string | null;
  /** The "## Clients per core" section of the last full `--clients-per-core` run (bench/results/clients-per-core.md). */
  clientsPerCore?: string | null;
}

export function renderMarkdown(r: BenchReport, analysis: string | null, notes: BenchNotes = { renderLoad: null, soak: null, scaleout: null }): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Tickwire benchmarks');
  out.push('');
  out.push(
    `Measured ${m.date} on ${m.nproc} × ${m.cpuModel} (${m.platform}, Linux ${m.kernel}), Node ${m.node}. ` +
      `Run: \`${r.command}\` (${r.quick ? 'QUICK mode — indicative only' : 'full run'}, ${Math.round(r.durationS / 60)} min). ` +
      `Servers and load generator share the same ${m.nproc} cores; the load generator runs its clients in ${String(r.settings.workers)} worker thread(s) ` +
      `and its CPU is reported next to every result (CPU figures are % of one core). Raw data: \`${r.resultsFile}\`.`,
  );
  if (r.runs !== undefined && r.runs.length > 1) {
    out.push('');
    out.push('Results combine these runs (a later run replaced the series, idle or micro results it re-measured):');
    out.push('');
    for (const run of r.runs) out.push(`- ${run.date}: \`${run.command}\` (${Math.round(run.durationS / 60)} min)`);
  }
  out.push('');

  // The headline: placed first, before the micro-benchmarks and the tick-rate ladder.
  if (notes.clientsPerCore != null && notes.clientsPerCore.trim() !== '') {
    out.push(notes.clientsPerCore.trim());
    out.push('');
  }

  out.push('## Micro-benchmarks');
  out.push('');
  if (r.micro.length === 0) {
    out.push('_Not run._');
  } else {
    out.push(
      'Median of 11 calibrated runs (~80 ms each; 5 in quick mode), min–max over the runs. Single-threaded, in the bench process, after waiting for the machine to be quiet.',
    );
    out.push('');
    out.push('| case | median | unit | per second | min–max (ns) |');
    out.push('| --- | ---: | --- | ---: | ---: |');
    for (const x of r.micro) out.push(`| ${x.name} | ${x.medianNs} ns | ${x.unit} | ${f(x.perSecond)} | ${x.minNs}–${x.maxNs} |`);
  }
  out.push('');

  out.push('## Peer capacity');
  out.push('');
  if (r.sweep.length === 0) {
    out.push('_Not run._');
  } else {
    const st = r.settings;
    out.push(
      `Same seeded feed for every server (feeds/ simulator, seed ${String(st.seed)}, ${String(st.symbols)} symbols, Zipf-distributed activity), ` +
        `each client subscribes ${String(st.symbolsPerClient)} symbols picked uniformly, ${String(st.durationS)} s steady window per step after a ramp of ~1,000 connects/s. ` +
        `The feed rate climbs a ladder (${String(st.ladder)} ticks/s); a step passes when every client is connected and current, ` +
        `no update is missing, duplicated or reordered, nobody is disconnected, and feed → client p99 ≤ ${P99_LIMIT_MS} ms. ` +
        '**Capacity** = highest delivered updates/s (ticks received by all clients per second) of a passing step. ' +
        "Latency is receive time − tick event time (it includes Tickwire's 20 ms batch window; peers poll the feed every 5 ms and send each tick at once).",
    );
    out.push('');
    out.push(
      '| series | server | transport | clients | capacity (updates/s) | at feed rate | p50 / p99 at capacity (ms) | server CPU | server peak RSS (MiB) | load-gen CPU | what stopped it |',
    );
    out.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const s of r.sweep) {
      const c = s.capacity;
      out.push(
        `| ${s.spec.id} | ${serverName(s)} | ${s.spec.transport} | ${f(s.spec.clients)} | ${c ? `${reached(s) ? '' : '≥ '}${f(c.updatesPerSec)}` : 'none held'} | ${c ? f(c.tickRate) : '—'} | ${c ? `${ms(c.p50)} / ${ms(c.p99)}` : '—'} | ${c ? f(c.serverCpu, '%') : '—'} | ${c?.serverPeakRssMiB ?? '—'} | ${c ? f(c.generatorCpu, '%') : '—'} | ${limitNote(s, Number(r.settings.workers))} |`,
      );
    }
    out.push('');
    out.push('### Ratios (Tickwire WebSocket capacity ÷ peer capacity, same client count)');
    out.push('');
    out.push('| clients | vs Socket.IO (target ≥ 10×) | vs plain ws (target ≥ 3×) |');
    out.push('| ---: | ---: | ---: |');
    const counts = [...new Set(r.sweep.map((s) => s.spec.clients))].sort((a, b) => a - b);
    for (const n of counts) {
      const find = (server: string, transport: string) =>
        r.sweep.find((s) => s.spec.clients === n && s.spec.server === server && s.spec.transport === transport);
      const tw = find('tickwire', 'ws');
      if (tw === undefined) continue;
      out.push(`| ${f(n)} | ${ratio(tw, find('socketio', 'socketio')).text} | ${ratio(tw, find('ws-json', 'ws-json')).text} |`);
    }
    out.push('');
    out.push('### Server CPU per update (robust to a busy machine)');
    out.push('');
    out.push(
      'Latency limits move with whatever else the shared machine runs; CPU time per update barely does. For each series, the ' +
        "busiest step that delivered everything (no loss, no disconnect, all clients current — latency ignored): the server's CPU " +
        'per delivered update, and the updates/s one full core would sustain at that cost (an extrapolation: fixed costs such as the ' +
        'feed, timers and heartbeats make it conservative for the less loaded servers).',
    );
    out.push('');
    out.push('| series | step (feed ticks/s) | updates/s | server CPU | server CPU per update | updates/s per server core | vs Tickwire WS, same clients |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const s of r.sweep) {
      const st = costStep(s);
      if (st === null || st.serverCpu === null || st.serverCpu <= 0) {
        out.push(`| ${s.spec.id} | — | — | — | — | — | — |`);
        continue;
      }
      const perCore = (st.updatesPerSec * 100) / st.serverCpu;
      const twSeries = r.sweep.find((x) => x.spec.server === 'tickwire' && x.spec.transport === 'ws' && x.spec.clients === s.spec.clients);
      const tw = twSeries === undefined ? null : costStep(twSeries);
      const twPerCore = tw !== null && tw.serverCpu ? (tw.updatesPerSec * 100) / tw.serverCpu : null;
      const vs = s.spec.server === 'tickwire' || twPerCore === null ? '—' : `${(twPerCore / perCore).toFixed(1)}×`;
      out.push(
        `| ${s.spec.id} | ${f(st.tickRate)} | ${f(st.updatesPerSec)} | ${f(st.serverCpu, '%')} | ${perUpdate((st.serverCpu * 10_000) / st.updatesPerSec)} | ${f(perCore)} | ${vs} |`,
      );
    }
    out.push('');
    out.push('### Every step');
    out.push('');
    out.push('CPU columns are % of one core over the steady window; "other" is what the rest of the machine (other engineers\' processes) used meanwhile.');
    out.push('');
    out.push(
      '| series | feed ticks/s | updates/s | frames/s | p50 | p90 | p99 | max (ms) | server CPU | server peak RSS (MiB) | load-gen CPU | other CPU | verdict |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const s of r.sweep) for (const st of s.steps) out.push(stepRow(s, st));
  }
  out.push('');

  out.push('## Idle-connection memory');
  out.push('');
  if (r.idle.length === 0) {
    out.push('_Not run._');
  } else {
    out.push(
      'Server RSS (median of 3 samples) before and after N WebSocket clients that connect and subscribe to nothing, 3 s after the last connect. Kernel socket buffers are not part of RSS.',
    );
    out.push('');
    out.push('| server | clients open | RSS before (MiB) | RSS after (MiB) | per idle connection | server CPU while idle | connect time |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const x of r.idle) {
      const name = x.server === 'tickwire' ? 'Tickwire' : x.server === 'socketio' ? 'Socket.IO 4' : 'plain ws';
      out.push(
        `| ${name} | ${f(x.opened)}/${f(x.clients)} | ${x.baselineRssMiB} | ${x.loadedRssMiB} | ${(x.bytesPerConnection / 1024).toFixed(2)} KiB | ${f(x.serverCpuIdlePercent, '%')} | ${x.connectSeconds} s |`,
      );
    }
  }
  out.push('');

  out.push('## Targets');
  out.push('');
  const rows = targets(r);
  out.push(...rows);
  if (rows.some((row) => row.endsWith('| no |'))) {
    out.push('');
    out.push('Missed targets are explained under Analysis (what limits each series).');
  }
  out.push('');

  out.push('## Dashboard render load');
  out.push('');
  out.push(notes.renderLoad?.trim() ?? '_Not measured in this run: `npx vitest run --config web/vitest.perf.config.ts`, then bench/notes/render-load.md._');
  out.push('');

  out.push('## Soak');
  out.push('');
  out.push(notes.soak?.trim() ?? '_Not measured in this run: `node bench/dist/soak.js`, then bench/notes/soak.md._');
  out.push('');

  if (notes.scaleout !== null && notes.scaleout.trim() !== '') {
    out.push(notes.scaleout.trim());
    out.push('');
  }

  if (notes.nginxCost != null && notes.nginxCost.trim() !== '') {
    out.push(notes.nginxCost.trim());
    out.push('');
  }

  if (notes.compact != null && notes.compact.trim() !== '') {
    out.push(notes.compact.trim());
    out.push('');
  }

  if (notes.streamCost != null && notes.streamCost.trim() !== '') {
    out.push(notes.streamCost.trim());
    out.push('');
  }

  if (notes.ingest != null && notes.ingest.trim() !== '') {
    out.push(notes.ingest.trim());
    out.push('');
  }

  if (notes.storms != null && notes.storms.trim() !== '') {
    out.push(notes.storms.trim());
    out.push('');
  }

  if (analysis !== null && analysis.trim() !== '') {
    out.push('## Analysis');
    out.push('');
    out.push(analysis.trim());
    out.push('');
  }

  out.push('## How to reproduce');
  out.push('');
  out.push('```sh');
  out.push('npm ci');
  out.push('npm run bench                      # everything; rewrites this file and bench/results/latest.json');
  out.push('                                   # ~11 min on a quiet 2-core box, ~20 min while others run tests');
  out.push('npm run bench -- --quick           # small and fast (2–5 min), writes bench/results/quick.{json,md} instead');
  out.push('npm run bench -- --only micro      # or sweep, idle; --series tw-ws-1k,sio-1k picks sweep series');
  out.push('npm run bench -- --only sweep --series tw-ws-5k --rates 200,300   # exact feed rates instead of the ladder');
  out.push('npm run bench -- --only sweep --series tw-sse-1k --rates 5000 --profile   # server under --cpu-prof, hottest functions printed');
  out.push('npm run bench -- --only sweep --series tw-ws-5k --update   # re-measure one series into latest.json and this file');
  out.push('npm run bench -- --render bench/results/latest.json      # re-render this file (e.g. after editing bench/analysis.md)');
  out.push(
    'npm run bench -- --clients-per-core   # clients per core (server and generator pinned), Tickwire vs per-tick and same-design peers (--quick: smoke)',
  );
  out.push(
    'npm run bench -- --storm             # reconnect storms (blip, SIGTERM restart) at 5,000 WebSocket clients, pinned (--quick: 500 clients, < 1 min)',
  );
  out.push('node bench/dist/nginx-cost.js --clients 1000 --reps 5   # direct vs through nginx (--tls: also wss): latency, CPU per update');
  out.push('node bench/dist/compact.js --clients 1000 --reps 5   # compact vs standard Updates: exact bytes per update, server CPU per update');
  out.push(
    'node bench/dist/stream-cost.js --clients 1000 --reps 3   # SSE and binary stream vs WebSocket: server CPU per update (--baseline <main.js> adds an older build)',
  );
  out.push('node bench/dist/stream-hub.js --builds <old dist>,server/dist --write   # the SSE/stream hub alone, builds side by side');
  out.push('node bench/dist/ingest.js   # ingest via /ingest/ws and NATS, records and JSON: trades/s into the core, ingest → client latency');
  out.push('# one load test by hand against a running server (npm run build first: the server serves web/dist):');
  out.push('node server/dist/main.js --port 9001 --tick-rate 5000 &');
  out.push('npm run loadtest -- --url http://127.0.0.1:9001 --clients 1000 --ramp-up 2s --duration 10s --json out/lt.json --html out/lt.html');
  out.push('```');
  out.push('');
  return out.join('\n');
}

function targets(r: BenchReport): string[] {
  const lines: string[] = ['| target | measured | met? |', '| --- | --- | --- |'];
  const find = (server: string, transport: string, clients: number) =>
    r.sweep.find((s) => s.spec.server === server && s.spec.transport === transport && s.spec.clients === clients);
  for (const n of [1000, 5000]) {
    const tw = find('tickwire', 'ws', n);
    for (const [server, name, target] of [
      ['socketio', 'Socket.IO', 10],
      ['ws-json', 'plain ws', 3],
    ] as const) {
      const peer = find(server, server, n);
      if (tw?.capacity == null || peer === undefined) continue;
      const q = ratio(tw, peer);
      lines.push(`| capacity ≥ ${target}× ${name} at ${f(n)} clients | ${q.text} | ${q.value !== null && q.value >= target ? 'yes' : 'no'} |`);
    }
  }
  const at1k = find('tickwire', 'ws', 1000)?.steps.find((s) => s.tickRate === 1000);
  if (at1k !== undefined) {
    lines.push(
      `| p99 feed → client < 50 ms, 1,000 clients × 5 symbols, default 1,000 ticks/s | p99 ${ms(at1k.p99)} ms | ${at1k.p99 < 50 && at1k.pass ? 'yes' : 'no'} |`,
    );
  }
  const idle = r.idle.find((x) => x.server === 'tickwire');
  if (idle !== undefined) {
    lines.push(
      `| ${f(idle.clients)} idle WS clients at ≤ 10 KiB server RSS each | ${f(idle.opened)} open, ${(idle.bytesPerConnection / 1024).toFixed(2)} KiB each | ${idle.opened === idle.clients && idle.bytesPerConnection <= 10240 ? 'yes' : 'no'} |`,
    );
  }
  return lines;
}

/** Tickwire ÷ peer clients per core, with the bound each side's walk leaves (ladder exhausted, first step failed). */
export function clientsRatio(tw: CpcSeries | undefined, peer: CpcSeries | undefined, ladder: readonly number[]): string {
  if (tw === undefined || peer === undefined) return 'n/a';
  const first = ladder[0] ?? 1;
  const twOpen = tw.capacity !== null && tw.steps.every((s) => s.pass);
  if (tw.capacity === null) return peer.capacity === null ? 'both failed the first step' : `< ${(first / peer.capacity).toFixed(1)}×`;
  if (peer.capacity === null) return `> ${(tw.capacity / first).toFixed(1)}× (peer failed ${f(first)})`;
  return `${twOpen ? '≥ ' : ''}${(tw.capacity / peer.capacity).toFixed(1)}×`;
}

/** Tickwire's batch window in a clients-per-core run, one sentence (nothing for reports from before it adapted). */
function batchWindowNote(settings: CpcReport['settings']): string | null {
  const { batchMs, batchMaxMs, adaptive } = settings;
  if (adaptive === undefined) return null;
  if (adaptive === 'off') return `Tickwire batches over a fixed ${batchMs} ms window (\`--batch-max-ms ${batchMs}\`: adaptation off).`;
  const window = `adaptive window (${batchMs} ms, widened up to ${batchMaxMs} ms while the server is busy: \`--batch-max-ms ${batchMaxMs}\`)`;
  if (adaptive === 'on') return `Tickwire batches over its ${window}.`;
  return `Tickwire's series run twice, with a fixed ${batchMs} ms window and with its ${window}; a table under each feed compares them.`;
}

/** Gain of the adaptive window in clients per core, with the bound each walk leaves. */
export function adaptiveGain(fixed: CpcSeries, adaptive: CpcSeries, ladder: readonly number[]): string {
  const first = f(ladder[0]);
  const open = (s: CpcSeries) => s.capacity !== null && s.steps.every((st) => st.pass);
  if (fixed.capacity === null) return adaptive.capacity === null ? 'both failed the first step' : `fixed failed ${first}, adaptive passed`;
  if (adaptive.capacity === null) return `adaptive failed ${first}, fixed passed`;
  if (open(fixed) && open(adaptive)) return 'both passed every step';
  const bound = open(adaptive) ? '≥ ' : open(fixed) ? '≤ ' : '';
  return `${bound}${(adaptive.capacity / fixed.capacity).toFixed(2)}×`;
}

/** Fixed against adaptive window for each Tickwire series that ran both ways (`--adaptive both`). */
function adaptiveTable(series: readonly CpcSeries[], r: CpcReport): string[] {
  const pairs = series.flatMap((fixed) => {
    const adaptive = series.find((s) => s.spec.id === adaptiveId(fixed.spec.id));
    return adaptive === undefined ? [] : [{ fixed, adaptive }];
  });
  if (pairs.length === 0) return [];
  const capacity = (s: CpcSeries) => (s.capacity === null ? `< ${f(r.settings.ladder[0])}` : `${s.steps.every((st) => st.pass) ? '≥ ' : ''}${f(s.capacity)}`);
  const atCapacity = (s: CpcSeries) => s.steps.find((st) => st.pass && st.clients === s.capacity);
  const lightest = (s: CpcSeries) => s.steps[0];
  const p99 = (st: { p99: number } | undefined) => (st === undefined ? 'n/a' : ms(st.p99));
  const out = [
    '',
    `Adaptive batch window, same run: fixed ${r.settings.batchMs} ms against ${r.settings.batchMs}–${r.settings.batchMaxMs ?? '?'} ms (worth keeping only if it serves more clients without raising p99 at the lightest step):`,
    '',
    '| Tickwire | clients per core, fixed → adaptive | gain | p99 at the lightest step (ms), fixed / adaptive | p99 at capacity (ms), fixed / adaptive | server µs / update at capacity, fixed / adaptive |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { fixed, adaptive } of pairs) {
    out.push(
      `| ${fixed.spec.id} | ${capacity(fixed)} → ${capacity(adaptive)} | ${adaptiveGain(fixed, adaptive, r.settings.ladder)} | ` +
        `${p99(lightest(fixed))} / ${p99(lightest(adaptive))} | ${p99(atCapacity(fixed))} / ${p99(atCapacity(adaptive))} | ` +
        `${atCapacity(fixed)?.serverUsPerUpdate ?? 'n/a'} / ${atCapacity(adaptive)?.serverUsPerUpdate ?? 'n/a'} |`,
    );
  }
  return out;
}

/** The "## Clients per core" section of docs/benchmarks.md (also bench/results/clients-per-core*.md). */
export function renderClientsPerCore(r: CpcReport): string {
  const m = r.machine;
  const out: string[] = ['## Clients per core', ''];
  if (r.quick) {
    out.push(
      '**Smoke run (quick mode, tiny steps, on a machine loaded by other jobs): it shows the harness works and measures nothing.** ' +
        'The full measurement is `npm run bench -- --clients-per-core` on a quiet machine.',
    );
    out.push('');
  }
  const pin = r.pinning.pinned
    ? `server pinned to CPU ${r.pinning.server} and load generator (${r.settings.workers} worker thread(s)) to CPU ${r.pinning.generator} with \`taskset -c\``
    : `**not pinned** (${r.pinning.reason}): server and load generator share the cores`;
  out.push(
    `How many dashboards one server core serves at a realistic feed, within p99 ≤ ${r.settings.p99LimitMs} ms, losing nothing. ` +
      `Measured ${m.date} on ${m.nproc} × ${m.cpuModel} (${m.platform}, Linux ${m.kernel}), Node ${m.node}; ${pin}. ` +
      `Run: \`${r.command}\` (${Math.round(r.durationS / 60)} min; raw: \`${r.resultsFile}\`).`,
  );
  out.push('');
  out.push(
    `Every server runs the same seeded feed (seed ${r.settings.seed}); each client subscribes ${r.settings.symbolsPerClient} symbols picked uniformly. ` +
      `Clients walk ${r.settings.ladder.map((n) => f(n)).join(' → ')}; each step starts a fresh server, ramps ~1,000 connects/s, then measures ${r.settings.durationS} s. ` +
      `A step passes when every client is connected and current, no update is missing, duplicated or reordered, nobody is disconnected and feed → client p99 ≤ ${r.settings.p99LimitMs} ms; ` +
      `the walk stops at the first failure. **Clients per core** = the largest client count that passed. ` +
      `Peers: per-tick JSON (the tutorial design: one message per tick per subscriber) and same-design (Tickwire's design on their stack: ` +
      `ticks batched per symbol per ${r.settings.batchMs} ms into one binary Updates frame, built once per symbol with Tickwire's encoder and sent to every subscriber). ` +
      `"Saturated" names the process at ≥ ${SATURATED_PERCENT} % of its core; generator µs / update is the load generator's own CPU per update it received.`,
  );
  const windowNote = batchWindowNote(r.settings);
  if (windowNote !== null) out.push('', windowNote);
  if (r.fdLimit !== null)
    out.push('', `File descriptors: \`ulimit -n\` = ${f(r.fdLimit)} for server and generator; a step that needs more sockets is not run.`);
  for (const s of r.skipped) out.push('', `Not run: ${s.id} — ${s.reason}.`);
  for (const { shape, series } of r.shapes) {
    out.push('', `### Feed: ${shape.label}`, '');
    out.push('| server | design | clients per core | p99 at capacity (ms) | server µs / update | generator µs / update | what stopped it |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const s of series) {
      const cap = s.steps.find((st) => st.pass && st.clients === s.capacity);
      const open = s.capacity !== null && s.steps.every((st) => st.pass) ? '≥ ' : '';
      out.push(
        `| ${s.spec.label} | ${s.spec.design} | ${s.capacity === null ? `< ${f(r.settings.ladder[0])}` : `${open}${f(s.capacity)}`} | ${cap ? ms(cap.p99) : 'n/a'} | ` +
          `${cap?.serverUsPerUpdate ?? 'n/a'} | ${cap?.generatorUsPerUpdate ?? 'n/a'} | ${s.stoppedBy} |`,
      );
    }
    const peer = (id: string) => series.find((s) => s.spec.id === id);
    const tickwire = series.filter((s) => s.spec.design === 'tickwire');
    if (tickwire.length > 0 && series.some((s) => s.spec.design !== 'tickwire')) {
      out.push('', 'Ratios (Tickwire clients per core ÷ peer clients per core, same run):', '');
      out.push('| Tickwire | ÷ Socket.IO per tick | ÷ ws per tick | ÷ Socket.IO same design | ÷ ws same design |');
      out.push('| --- | ---: | ---: | ---: | ---: |');
      for (const tw of tickwire) {
        const cells = ['sio', 'wsjson', 'sio-batch', 'ws-batch'].map((id) => clientsRatio(tw, peer(id), r.settings.ladder));
        out.push(`| ${tw.spec.label} | ${cells.join(' | ')} |`);
      }
    }
    out.push(...adaptiveTable(series, r));
  }
  out.push('', '### Every step', '');
  out.push(
    '| feed | server | clients | result | updates/s | p50 / p99 (ms) | latency samples | server CPU | generator CPU | server µs / upd | generator µs / upd | saturated | other CPU |',
  );
  out.push('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const { shape, series } of r.shapes) {
    for (const s of series) {
      for (const st of s.steps) {
        out.push(
          `| ${shape.id} | ${s.spec.id} | ${f(st.clients)} | ${st.pass ? 'pass' : `FAIL: ${st.reasons.join('; ')}`} | ${f(st.updatesPerSec)} | ${ms(st.p50)} / ${ms(st.p99)} | ${f(st.latencyCount)} | ` +
            `${f(st.serverCpu, '%')} | ${f(st.generatorCpu, '%')} | ${st.serverUsPerUpdate ?? 'n/a'} | ${st.generatorUsPerUpdate ?? 'n/a'} | ${st.saturated} | ${f(st.otherCpu, '%')} |`,
        );
      }
    }
  }
  return out.join('\n');
}
