// Self-contained HTML report: the result JSON embedded in the page and a small inline script that draws
// SVG line charts from it (throughput, latency percentiles, connections, CPU). No external files, no
// network, no dependencies; it opens from disk in any browser. Tables are rendered here, charts there.
import type { LatencySummary } from '../histogram.js';
import type { LoadTestResult } from '../run.js';
import { resumeRows } from './storm.js';
import { fmtBytes, fmtInt, fmtMs } from './format.js';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe inside <script>: no "</script>", no HTML comment openers, no U+2028/2029 surprises. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function rows(cells: string[][]): string {
  return cells.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`).join('\n');
}

function latencyCells(name: string, l: LatencySummary): string[] {
  return [esc(name), fmtInt(l.count), fmtMs(l.p50), fmtMs(l.p90), fmtMs(l.p99), fmtMs(l.p999), fmtMs(l.max)];
}

// The chart code runs in the browser. Plain ES2020, kept small: linear axes with "nice" ticks, one path
// per series, a legend, a shaded steady window and a hover read-out.
const CHART_SCRIPT = String.raw`
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const tl = data.timeline;
  const NS = 'http://www.w3.org/2000/svg';
  const el = (name, attrs, parent) => {
    const n = document.createElementNS(NS, name);
    for (const k in attrs) n.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(n);
    return n;
  };
  const nice = (max) => {
    if (!(max > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(max)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
    return 10 * p;
  };
  const fmt = (v) => {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (Number.isInteger(v) || a >= 100) return v.toFixed(0);
    return v.toFixed(a >= 10 ? 1 : 2);
  };
  function chart(id, title, unit, series) {
    const host = document.getElementById(id);
    const W = 760, H = 260, L = 64, R = 16, T = 28, B = 34;
    const svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': title }, host);
    el('text', { x: L, y: 18, class: 'title' }, svg).textContent = title + (unit ? ' (' + unit + ')' : '');
    const xs = tl.map((p) => p.t);
    const xMax = xs.length ? xs[xs.length - 1] : 1;
    let yMax = 0;
    for (const s of series) for (const p of tl) { const v = s.get(p); if (v != null && v > yMax) yMax = v; }
    yMax = nice(yMax * 1.05);
    const x = (t) => L + ((W - L - R) * t) / (xMax || 1);
    const y = (v) => T + (H - T - B) * (1 - v / yMax);
    const steady = tl.filter((p) => p.steady);
    if (steady.length) {
      const x0 = x(steady[0].t - 1), x1 = x(steady[steady.length - 1].t);
      el('rect', { x: x0, y: T, width: Math.max(0, x1 - x0), height: H - T - B, class: 'steady' }, svg);
    }
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }, svg);
      el('text', { x: L - 6, y: y(v) + 4, class: 'ylab' }, svg).textContent = fmt(v);
    }
    const step = Math.max(1, Math.ceil(xMax / 10));
    for (let t = 0; t <= xMax; t += step) {
      el('text', { x: x(t), y: H - B + 16, class: 'xlab' }, svg).textContent = t + 's';
    }
    series.forEach((s, si) => {
      let d = '';
      for (const p of tl) {
        const v = s.get(p);
        if (v == null) continue;
        d += (d ? 'L' : 'M') + x(p.t).toFixed(1) + ',' + y(v).toFixed(1);
      }
      if (d) el('path', { d, class: 'line', stroke: s.color, 'data-series': s.name }, svg);
      const lx = L + 8 + si * 120;
      el('rect', { x: lx, y: H - 12, width: 10, height: 4, fill: s.color }, svg);
      el('text', { x: lx + 14, y: H - 8, class: 'legend' }, svg).textContent = s.name;
    });
    const cursor = el('line', { x1: 0, x2: 0, y1: T, y2: H - B, class: 'cursor', visibility: 'hidden' }, svg);
    const readout = el('text', { x: W - R, y: 18, class: 'readout' }, svg);
    svg.addEventListener('mousemove', (ev) => {
      const box = svg.getBoundingClientRect();
      const t = ((ev.clientX - box.left) * (W / box.width) - L) / (W - L - R) * xMax;
      let best = null;
      for (const p of tl) if (best === null || Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
      if (!best) return;
      cursor.setAttribute('x1', x(best.t)); cursor.setAttribute('x2', x(best.t));
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = best.t + 's  ' + series.map((s) => { const v = s.get(best); return s.name + ' ' + (v == null ? '-' : fmt(v)); }).join('  ');
    });
    svg.addEventListener('mouseleave', () => { cursor.setAttribute('visibility', 'hidden'); readout.textContent = ''; });
  }
  chart('chart-throughput', 'Updates delivered per second', 'updates/s', [
    { name: 'updates/s', color: '#2563eb', get: (p) => p.updatesPerSec },
    { name: 'frames/s', color: '#9333ea', get: (p) => p.framesPerSec },
  ]);
  chart('chart-latency', 'Feed → client latency per second', 'ms', [
    { name: 'p50', color: '#16a34a', get: (p) => (p.p50 || null) },
    { name: 'p90', color: '#ca8a04', get: (p) => (p.p90 || null) },
    { name: 'p99', color: '#dc2626', get: (p) => (p.p99 || null) },
    { name: 'max', color: '#6b7280', get: (p) => (p.max || null) },
  ]);
  chart('chart-connections', 'Connections', 'clients', [
    { name: 'open', color: '#0891b2', get: (p) => p.open },
    { name: 'ready', color: '#65a30d', get: (p) => p.ready },
    { name: 'failures', color: '#dc2626', get: (p) => p.failures },
    { name: 'stalled', color: '#9333ea', get: (p) => p.stalled },
  ]);
  chart('chart-cpu', 'CPU', '% of one core', [
    { name: 'load generator', color: '#ea580c', get: (p) => p.generatorCpu },
    { name: 'server', color: '#2563eb', get: (p) => p.serverCpu },
  ]);
  document.body.dataset.chartsRendered = String(document.querySelectorAll('svg path.line').length);
})();
`;

export function renderHtml(r: LoadTestResult): string {
  const c = r.counters;
  const title = `Tickwire load test${r.label ? ` — ${r.label}` : ''}`;
  const closes = Object.entries(r.connections.unexpectedCloses)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  const adapters = Object.entries(r.clients.byAdapter)
    .map(([a, n]) => `${a}×${n}`)
    .join(', ');
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${v}%`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 820px; color: #111827; }
  h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 28px; }
  .meta { color: #4b5563; font-size: 13px; }
  table { border-collapse: collapse; margin: 8px 0; }
  th, td { padding: 3px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; font-variant-numeric: tabular-nums; }
  th:first-child { text-align: left; font-weight: 500; }
  thead th { font-weight: 600; text-align: right; } thead th:first-child { text-align: left; }
  .verdict { padding: 8px 12px; border-radius: 6px; display: inline-block; margin-top: 8px; }
  .ok { background: #dcfce7; } .bad { background: #fee2e2; }
  .chart svg { display: block; margin: 12px 0; background: #fafafa; border: 1px solid #e5e7eb; max-width: 100%; height: auto; }
  .chart .title { font-weight: 600; font-size: 13px; fill: #111827; }
  .chart .grid { stroke: #e5e7eb; } .chart .line { fill: none; stroke-width: 1.8; }
  .chart .ylab { font-size: 11px; text-anchor: end; fill: #6b7280; } .chart .xlab { font-size: 11px; text-anchor: middle; fill: #6b7280; }
  .chart .legend { font-size: 11px; fill: #374151; } .chart .steady { fill: #dbeafe; opacity: 0.45; }
  .chart .cursor { stroke: #9ca3af; stroke-dasharray: 3 3; } .chart .readout { font-size: 11px; text-anchor: end; fill: #111827; }
  details pre { background: #f3f4f6; padding: 8px; overflow: auto; font-size: 12px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">${esc(r.startedAt)} · target ${esc(r.config.url)} · ${fmtInt(r.config.clients)} clients (${esc(adapters)}; ${r.clients.slow} slow, ${r.clients.churn} churning) × ${r.config.symbolsPerClient} symbols (${esc(r.config.popularity)}) · steady window ${r.window.steadyS}s (shaded) after ${r.window.steadyStartS}s ramp-up · ${r.machine.nproc} × ${esc(r.machine.cpuModel)}, Node ${esc(r.machine.node)}</div>
<div class="verdict ${r.verdict.lossFree && c.ticks > 0 ? 'ok' : 'bad'}">${c.ticks + r.slowCounters.ticks === 0 ? 'No updates received: see connect failures and errors below.' : r.verdict.lossFree ? 'No update lost, duplicated or reordered.' : `Delivery problems: ${fmtInt(r.verdict.missing)} missing, ${fmtInt(r.verdict.duplicates)} duplicates, ${fmtInt(r.verdict.outOfOrder)} out of order, ${fmtInt(r.verdict.decodeErrors)} decode errors.`}</div>

<h2>Throughput and latency (steady window)</h2>
<table>
<tbody>
${rows([
  ['updates/s delivered', fmtInt(r.rates.updatesPerSec)],
  ['frames/s', fmtInt(r.rates.framesPerSec)],
  ['bytes/s', `${fmtBytes(r.rates.bytesPerSec)}/s`],
])}
</tbody>
</table>
<table>
<thead><tr><th>latency, ms</th><th>samples</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead>
<tbody>
${rows([
  latencyCells('feed → client (tick event time)', r.latency.event),
  latencyCells('server → client (frame send time)', r.latency.send),
  ...(r.clients.slow > 0 ? [latencyCells('slow clients: feed → client', r.slowLatency.event)] : []),
  latencyCells('connect (whole run)', r.connections.connectMs),
  latencyCells('time to first snapshot (whole run)', r.connections.firstSnapshotMs),
])}
</tbody>
</table>

<div class="chart" id="chart-throughput"></div>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-connections"></div>
<div class="chart" id="chart-cpu"></div>

<h2>Delivery and connections (whole run, non-slow clients)</h2>
<table>
<tbody>
${rows([
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
  ['unexpected closes (by code)', esc(closes || '0')],
  ['churn reconnects', fmtInt(r.connections.churnReconnects)],
])}
</tbody>
</table>
${
  resumeRows(r).length > 0
    ? `
<h2 id="resume">Reconnects, resume and gap repair (whole run, all clients)</h2>
<table>
<tbody>
${rows(resumeRows(r).map((row) => row.map(esc)))}
</tbody>
</table>
`
    : ''
}
<h2>Cost</h2>
<table>
<tbody>
${rows([
  ['load generator CPU (steady, % of one core)', `${pct(r.generator.cpuPercent)} (workers ${r.generator.workerCpuPercent.map(pct).join(' + ')})`],
  ['load generator peak RSS', fmtBytes(r.generator.peakRssBytes)],
  ['machine busy (steady, % of one core, all processes)', `${pct(r.machineLoad.busyPercent)} (load average ${r.machineLoad.loadAverage1m})`],
  ...(r.server === null
    ? []
    : [
        ['server CPU (steady, % of one core)', pct(r.server.cpuPercent)],
        ['server peak RSS', fmtBytes(r.server.peakRssBytes)],
      ]),
])}
</tbody>
</table>
${r.connections.errors.length > 0 ? `<p>Errors seen: ${esc(r.connections.errors.join(' | '))}</p>` : ''}
<details><summary>Configuration</summary><pre>${esc(JSON.stringify(r.config, null, 2))}</pre></details>
<script type="application/json" id="report-data">${scriptJson({ timeline: r.timeline })}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
