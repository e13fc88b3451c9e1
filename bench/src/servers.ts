// Starts the servers under test as child processes — Tickwire (server/dist/main.js) and the peers
// (bench/src/peers: per-tick JSON and same-design batching, on Socket.IO and plain ws) — with the same
// feed flags, optionally pinned to a core, waits for their "listening" line, and stops them by pid
// (SIGTERM, then SIGKILL after a deadline). Nothing else is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'tickwire' | 'socketio' | 'ws-json' | 'socketio-batch' | 'ws-batch';

/** Repo root, from bench/dist/servers.js (compiled) or bench/src/servers.ts (tests): two levels up either way. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const SCRIPTS: Readonly<Record<ServerKind, string>> = {
  tickwire: join(REPO_ROOT, 'server/dist/main.js'),
  socketio: join(REPO_ROOT, 'bench/dist/peers/socketio-server.js'),
  'ws-json': join(REPO_ROOT, 'bench/dist/peers/ws-json-server.js'),
  'socketio-batch': join(REPO_ROOT, 'bench/dist/peers/socketio-batch-server.js'),
  'ws-batch': join(REPO_ROOT, 'bench/dist/peers/ws-batch-server.js'),
};

/** Tickwire's --batch-ms in every bench run (the same-design peers default to the same: peers/common.ts). */
export const TICKWIRE_BATCH_MS = 20;

export interface FeedFlags {
  seed: number;
  symbols: number;
  tickRate: number;
}

export interface StartOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeFlags?: string[];
  /** Extra server flags after the common ones. */
  serverArgs?: string[];
  startTimeoutMs?: number;
  /** Entry script to run instead of SCRIPTS[kind] (e.g. an older build to compare against). */
  script?: string;
  /** Run the server pinned to these CPUs (`taskset -c`, e.g. "0"); see cpu-pinning.ts. */
  cpus?: string;
}

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  port: number;
  url: string;
  /** Last few KiB of stderr, for error messages. */
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Servers started and not yet stopped, so an interrupted bench can stop them (by pid) on its way out. */
const running = new Set<RunningServer>();

export async function stopAllTargets(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

let stubWebDir: string | undefined;
function webDir(): string {
  if (stubWebDir === undefined) {
    stubWebDir = mkdtempSync(join(tmpdir(), 'tickwire-bench-web-'));
    writeFileSync(join(stubWebDir, 'index.html'), '<!doctype html><title>Tickwire bench</title>');
  }
  return stubWebDir;
}

function argsFor(kind: ServerKind, feed: FeedFlags): string[] {
  const common = ['--port', '0', '--host', '127.0.0.1', '--seed', String(feed.seed), '--symbols', String(feed.symbols), '--tick-rate', String(feed.tickRate)];
  if (kind === 'tickwire') {
    // Short warm-up keeps start-up fast; the stub web dir keeps the bench independent of the web build.
    return [...common, '--batch-ms', String(TICKWIRE_BATCH_MS), '--warmup', '5', '--web-dir', webDir(), '--log-level', 'info'];
  }
  return common;
}

export function startTarget(kind: ServerKind, feed: FeedFlags, options: StartOptions = {}): Promise<RunningServer> {
  const argv = [...(options.nodeFlags ?? []), options.script ?? SCRIPTS[kind], ...argsFor(kind, feed), ...(options.serverArgs ?? [])];
  // taskset execs node in place, so the child's pid is the server's own (CPU sampling, stop by pid).
  const child: ChildProcess = spawn(
    options.cpus === undefined ? process.execPath : 'taskset',
    options.cpus === undefined ? argv : ['-c', options.cpus, process.execPath, ...argv],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-8192);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const pid = child.pid;
  let self: RunningServer | null = null;
  const stop = async (): Promise<number | null> => {
    if (self !== null) running.delete(self);
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolvePromise, reject) => {
    if (pid === undefined) {
      reject(new Error(`could not spawn ${kind}`));
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start within ${options.startTimeoutMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.startTimeoutMs ?? 20_000);
    const onData = (s: string): void => {
      stdout += s;
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      // Keep draining stdout (logs) so the child never blocks on a full pipe.
      child.stdout!.resume();
      const { port } = JSON.parse(line) as { port: number };
      self = { kind, pid, port, url: `http://127.0.0.1:${port}`, stderr: () => stderr, stop };
      running.add(self);
      resolvePromise(self);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
}
