// deploy/grafana/tickwire.json asks only for what the server exports: every metric name in a panel's
// PromQL is registered by server/src/metrics.ts (histograms through _bucket/_sum/_count), every label a
// query groups by is one of that metric's label names, and a live server's /metrics carries each name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../src/metrics.js';
import { SessionRegistry } from '../src/sessions.js';
import type { TickwireServer } from '../src/server.js';
import { REPO_ROOT, startServer } from './harness.js';

interface Panel {
  title: string;
  targets: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/tickwire.json'), 'utf8')) as { panels: Panel[] };
const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'increase', 'histogram_quantile', 'le']);

function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(tickwire_[a-z_]+)\b/g)].map((m) => m[1]!).filter((n) => !PROMQL_WORDS.has(n));
}

let server: TickwireServer;
beforeAll(async () => {
  server = await startServer({});
});
afterAll(async () => {
  await server.close();
});

describe('deploy/grafana/tickwire.json', () => {
  const registry = new Metrics(new SessionRegistry()).registry;

  it('has panels, each with a query', () => {
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });

  it('names only registered metrics and their labels', () => {
    let checked = 0;
    for (const p of dashboard.panels) {
      for (const { expr } of p.targets) {
        for (const name of metricNames(expr)) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
          expect(metric, `${p.title}: ${name}`).toBeDefined();
          const labels = new Set<string>([...((metric as unknown as { labelNames?: string[] }).labelNames ?? []), 'le']);
          for (const m of expr.matchAll(/by \(([^)]*)\)/g)) {
            for (const label of m[1]!.split(',').map((s) => s.trim())) expect(labels.has(label), `${p.title}: ${name} has no label "${label}"`).toBe(true);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('finds every name on a live server /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    for (const p of dashboard.panels)
      for (const { expr } of p.targets) for (const name of metricNames(expr)) expect(exported.has(name.replace(/_(bucket|sum|count)$/, '')), name).toBe(true);
  });
});
