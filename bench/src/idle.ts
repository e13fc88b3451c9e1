// Idle-connection memory: server RSS before and after N WebSocket clients that connect and subscribe to
// nothing (Tickwire still sends them Hello and heartbeats). RSS per idle connection = ΔRSS / N, median of
// three samples a second apart after a settle time. Connects with bounded concurrency, all to loopback,
// from SOURCE_ADDRESSES loopback addresses (Tickwire caps connections per client address at 10,000).
import { StreamAccounting } from '@tickwire/loadtest/accounting';
import { AccountingSink } from '@tickwire/loadtest/counters';
import { ADAPTER_CONNECT } from '@tickwire/loadtest/adapters/index';
import type { Connection } from '@tickwire/loadtest/adapters/types';
import type { AdapterName } from '@tickwire/loadtest/config';
import { sampleProcess } from '@tickwire/loadtest/proc';
import { sourceAddress } from '@tickwire/loadtest/swarm';
import { startTarget, type ServerKind } from './servers.js';

export interface IdleResult {
  server: ServerKind;
  clients: number;
  opened: number;
  failures: number;
  baselineRssMiB: number;
  loadedRssMiB: number;
  peakRssMiB: number;
  bytesPerConnection: number;
  serverCpuIdlePercent: number | null;
  connectSeconds: number;
}

const SOURCE_ADDRESSES = 4;
const ADAPTER_OF: Record<ServerKind, AdapterName> = {
  tickwire: 'tickwire-ws',
  socketio: 'socketio',
  'ws-json': 'ws-json',
  'socketio-batch': 'socketio-batch',
  'ws-batch': 'ws-batch',
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function medianRss(pid: number, samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? sampleProcess(pid)?.rssBytes ?? 0;
}

async function rssSamples(pid: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(sampleProcess(pid)?.rssBytes ?? 0);
    if (i + 1 < count) await sleep(1_000);
  }
  return out;
}

export async function runIdle(kind: ServerKind, clients: number, log: (line: string) => void, nodeFlags: string[] = [], seed = 1): Promise<IdleResult> {
  const server = await startTarget(kind, { seed, symbols: 50, tickRate: 1000 }, { nodeFlags });
  const conns: Connection[] = [];
  try {
    await sleep(2_000);
    const baseline = medianRss(server.pid, await rssSamples(server.pid, 3));
    const sink = new AccountingSink();
    sink.recording = false;
    const base = new URL(server.url);
    let opened = 0;
    let failures = 0;
    let settled = 0;
    const connectOne = (index: number): Promise<void> =>
      new Promise((resolve) => {
        let done = false;
        const finish = (): void => {
          if (!done) {
            done = true;
            settled++;
            resolve();
          }
        };
        const conn = ADAPTER_CONNECT[ADAPTER_OF[kind]]({
          base,
          symbols: [],
          history: 0,
          localAddress: sourceAddress(index, SOURCE_ADDRESSES, base),
          now: () => performance.timeOrigin + performance.now(),
          wsClient: 'raw',
          token: null,
          hooks: {
            stream: new StreamAccounting(sink),
            opened: () => {
              opened++;
              finish();
            },
            received: () => undefined,
            failed: () => undefined,
            closed: () => {
              if (!done) failures++;
              finish();
            },
          },
        });
        conns.push(conn);
      });
    const t0 = performance.now();
    const CONCURRENCY = 200;
    for (let i = 0; i < clients; i += CONCURRENCY) {
      const batch: Promise<void>[] = [];
      for (let k = i; k < Math.min(clients, i + CONCURRENCY); k++) batch.push(connectOne(k));
      await Promise.race([Promise.all(batch), sleep(15_000)]);
    }
    const connectSeconds = (performance.now() - t0) / 1000;
    const cpu0 = sampleProcess(server.pid);
    const tc0 = performance.now();
    await sleep(3_000);
    const loadedSamples = await rssSamples(server.pid, 3);
    const cpu1 = sampleProcess(server.pid);
    const tc1 = performance.now();
    const loaded = medianRss(server.pid, loadedSamples);
    const peak = sampleProcess(server.pid)?.peakRssBytes ?? loaded;
    sink.destroy();
    const result: IdleResult = {
      server: kind,
      clients,
      opened,
      failures: failures + (clients - settled),
      baselineRssMiB: Math.round(baseline / 104857.6) / 10,
      loadedRssMiB: Math.round(loaded / 104857.6) / 10,
      peakRssMiB: Math.round(peak / 104857.6) / 10,
      bytesPerConnection: opened > 0 ? Math.round((loaded - baseline) / opened) : 0,
      serverCpuIdlePercent: cpu0 && cpu1 ? Math.round((100 * (cpu1.cpuMs - cpu0.cpuMs)) / (tc1 - tc0)) : null,
      connectSeconds: Math.round(connectSeconds * 10) / 10,
    };
    log(
      `  ${kind}: ${opened}/${clients} open in ${result.connectSeconds}s, RSS ${result.baselineRssMiB} → ${result.loadedRssMiB} MiB ` +
        `= ${(result.bytesPerConnection / 1024).toFixed(2)} KiB per idle connection, server CPU ${result.serverCpuIdlePercent ?? '?'}%`,
    );
    return result;
  } finally {
    for (const c of conns) c.close(false);
    await server.stop();
  }
}
