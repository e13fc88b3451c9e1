// Test harness for the scale-out tests: a real nats-server child process on a free loopback port (with
// its monitoring endpoint, so tests can see which subjects each client subscribed), the built feed
// process, and built gateway processes. Every child is stopped by its PID; a missing nats-server is a
// failure, never a skip (CI installs it; `npm test` installs it when run as root).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, testWebDir, waitFor } from './harness.js';

export const FEED_MAIN_JS = join(REPO_ROOT, 'server/dist/feed-main.js');
export const SERVER_MAIN_JS = join(REPO_ROOT, 'server/dist/main.js');

/** Like harness waitFor, for probes that have to await (HTTP, NATS monitoring). */
export async function eventually(probe: () => Promise<boolean>, { timeoutMs = 5000, what = 'condition', intervalMs = 50 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The nats-server binary, or an Error saying how to install it. */
export function natsServerBinary(): string {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  throw new Error('nats-server is not installed: apt-get install -y nats-server (the scale-out tests need a real NATS server)');
}

/** A TCP port free on 127.0.0.1 right now (bound and released by the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Sends the signal (default SIGTERM) by PID; after `graceMs` sends SIGKILL. Resolves on exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Waits for a line of stdout or stderr matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const children = new Set<Child>();

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: Child = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (handle.running()) process.kill(handle.pid, signal);
      const timer = setTimeout(() => {
        if (handle.running()) process.kill(handle.pid, 'SIGKILL');
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      children.delete(handle);
      return code;
    },
    async waitForOutput(pattern, timeoutMs = 15_000) {
      const describe = () => `output ${pattern} from ${command} ${args.join(' ')}; so far: ${(out + err).slice(-3000)}`;
      const line = await waitFor(
        () => (out + err).split('\n').find((l) => pattern.test(l)) ?? (handle.running() ? undefined : `\u0000exited ${child.exitCode ?? child.signalCode}`),
        { timeoutMs, what: describe() },
      ).catch((error: Error) => {
        throw new Error(`${error.message.split(' waiting for ')[0]} waiting for ${describe()}`);
      });
      if (line.startsWith('\u0000')) throw new Error(`process ${line.slice(1)} before printing ${describe()}`);
      return line;
    },
  };
  children.add(handle);
  return handle;
}

/** Stops every child this harness started that is still running (afterAll safety net). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop('SIGKILL', 1000)));
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  process: Child;
  stop(): Promise<void>;
  /** Starts it again on the same ports (a NATS restart as clients see it). */
  restart(): Promise<void>;
  /** Subjects each client connection holds, by client name (monitoring endpoint /connz?subs=1). */
  subscriptions(): Promise<Map<string, string[]>>;
}

/**
 * A nats-server on a free (or the given) loopback port. `config` lines go into a config file, for
 * settings without a flag (e.g. `write_deadline: "500ms"`).
 */
export async function startNats(fixedPort?: number, config: string[] = []): Promise<NatsServer> {
  const binary = natsServerBinary();
  const port = fixedPort ?? (await freePort());
  const monitorPort = await freePort();
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];
  if (config.length > 0) {
    const file = join(mkdtempSync(join(tmpdir(), 'tickwire-nats-')), 'nats.conf');
    writeFileSync(file, `${config.join('\n')}\n`);
    args.push('-c', file);
  }
  const launch = async () => {
    const proc = startChild(binary, args);
    await proc.waitForOutput(/Server is ready/, 10_000);
    return proc;
  };
  const nats: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    process: await launch(),
    async stop() {
      await nats.process.stop('SIGTERM');
    },
    async restart() {
      await nats.process.stop('SIGTERM');
      nats.process = await launch();
    },
    async subscriptions() {
      const res = await fetch(`http://127.0.0.1:${monitorPort}/connz?subs=1&limit=1024`);
      const body = (await res.json()) as { connections?: Array<{ name?: string; subscriptions_list?: string[] }> };
      return new Map((body.connections ?? []).map((c) => [c.name ?? '', c.subscriptions_list ?? []]));
    },
  };
  return nats;
}

/** The built feed process (`npm run feed`); resolves once it publishes. */
export async function startFeed(natsUrl: string, args: string[] = []): Promise<Child & { epoch: number }> {
  if (!existsSync(FEED_MAIN_JS)) throw new Error(`${FEED_MAIN_JS} is missing: run "npm run build:node" first`);
  const feed = startChild(process.execPath, [FEED_MAIN_JS, '--nats', natsUrl, '--warmup', '5', ...args]);
  const line = await feed.waitForOutput(/"msg":"feed publishing"/);
  return Object.assign(feed, { epoch: (JSON.parse(line) as { epoch: number }).epoch });
}

/** A built gateway process (`npm start -- --nats URL`) on a free port; resolves once it listens. */
export async function startGateway(natsUrl: string, args: string[] = [], waitForListening = true): Promise<Child & { url: string; port: number }> {
  if (!existsSync(SERVER_MAIN_JS)) throw new Error(`${SERVER_MAIN_JS} is missing: run "npm run build:node" first`);
  const gw = startChild(process.execPath, [SERVER_MAIN_JS, '--nats', natsUrl, '--port', '0', '--web-dir', testWebDir(), '--listen-wait', '0', ...args]);
  if (!waitForListening) return Object.assign(gw, { url: '', port: 0 });
  const line = await gw.waitForOutput(/"msg":"listening"/, 20_000);
  const { url, port } = JSON.parse(line) as { url: string; port: number };
  return Object.assign(gw, { url, port });
}

/** The NATS client name a gateway process uses (see server.ts). */
export function gatewayClientName(names: Iterable<string>, pid: number): string | undefined {
  return [...names].find((n) => n.startsWith('tickwire-gateway-') && (n.endsWith(`-${pid}`) || n.includes(`-${pid}-w`)));
}
