// Test harness: real Tickwire servers (in-process or as a child process) on ephemeral loopback ports and
// real clients (ws, and an SSE reader over node:http) that decode every frame with the shared codec. The SSE
// client reads the event stream with the tests' own spec-derived parser (sse-independent.ts), not the product's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame } from '@tickwire/protocol/codec';
import type { Frame } from '@tickwire/protocol/messages';
import { FrameStreamParser, splitFrames } from '@tickwire/protocol/framing';
import type { ServerConfig } from '../src/config.js';
import { createServer, type ServerOptions, type TickwireServer } from '../src/server.js';
import { SpecSseReader, forgivingBase64Decode, type SpecSseEvent } from '@tickwire/protocol/test/sse-independent';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const MAIN_JS = join(REPO_ROOT, 'server/dist/main.js');

export async function waitFor<T>(probe: () => T | undefined | null | false, { timeoutMs = 5000, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let webDir: string | undefined;
/** A minimal dashboard build so server tests do not depend on the web build. */
export function testWebDir(): string {
  if (webDir) return webDir;
  webDir = mkdtempSync(join(tmpdir(), 'tickwire-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Tickwire test</title>');
  return webDir;
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+ here), chosen up front. Tests that restart
 * a server on the same port need one: rebinding a port picked by `--port 0` (ephemeral) can fail for ~60 s
 * while the old connections sit in TIME_WAIT, whereas a port outside that range rebinds at once (the
 * kernel also never hands it to an outgoing connection in between).
 */
export async function freeFixedPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createNetServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found in 20000..32000');
}

/** In-process server on an ephemeral port with a short warm-up and silent logs. */
export function startServer(config: Partial<ServerConfig> = {}, options: ServerOptions = {}): Promise<TickwireServer> {
  return createServer({ port: 0, warmupSec: 5, logLevel: 'silent', webDir: testWebDir(), ...config }, options);
}

export interface ServerProcess {
  port: number;
  url: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /**
   * Sends the signal (default SIGTERM) and resolves with the exit code (null if killed by a signal). A child
   * still alive after `graceMs` (default 10 s) gets SIGKILL, so a hung shutdown cannot outlive the test file.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** How long stop() waits for a signalled child before SIGKILL; longer than the server's own shutdown drain. */
export const STOP_GRACE_MS = 10_000;

export const BUILT_WEB_DIR = join(REPO_ROOT, 'web/dist');

/**
 * Runs the built server (dist/) as a child process and resolves once it logged "listening".
 * `web: 'built'` serves the real dashboard build (e2e tests); the default serves a stub page.
 */
export function startServerProcess(
  args: string[] = [],
  opts: { port?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number; web?: 'built' | 'stub' } = {},
): Promise<ServerProcess> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
  const web = opts.web === 'built' ? BUILT_WEB_DIR : testWebDir();
  const child = spawn(process.execPath, [MAIN_JS, '--port', String(opts.port ?? 0), '--warmup', '5', '--web-dir', web, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = STOP_GRACE_MS) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    const escalate = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, graceMs);
    const code = await exited;
    clearTimeout(escalate);
    return code;
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time; stderr: ${err}`));
    }, opts.timeoutMs ?? 15_000);
    const onData = () => {
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      const { port, url } = JSON.parse(line) as { port: number; url: string };
      resolvePromise({ port, url, child, stdout: () => out, stderr: () => err, stop });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

/** Runs the built server expecting it to refuse to start; resolves with its exit code and stderr. */
export function runServerExpectingFailure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN_JS, '--port', '0', '--warmup', '0', '--web-dir', testWebDir(), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((r) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      r({ code, stderr: err });
    }),
  );
}

export interface Received {
  bytes: Uint8Array;
  frame: Frame;
}

/** Collects decoded frames and answers "wait until a frame like this arrived". */
export class FrameLog {
  readonly frames: Received[] = [];
  readonly decodeErrors: string[] = [];

  push(bytes: Uint8Array): void {
    const result = decodeFrame(bytes);
    if (result.ok) this.frames.push({ bytes, frame: result.value });
    else this.decodeErrors.push(result.error);
  }

  of<T extends Frame['type']>(type: T): Array<Received & { frame: Extract<Frame, { type: T }> }> {
    return this.frames.filter((r) => r.frame.type === type) as Array<Received & { frame: Extract<Frame, { type: T }> }>;
  }

  waitFor<T extends Frame['type']>(type: T, match: (f: Extract<Frame, { type: T }>) => boolean = () => true, timeoutMs = 5000) {
    return waitFor(() => this.of(type).find((r) => match(r.frame)), { timeoutMs, what: `frame type ${type}` });
  }
}

export interface WsClient extends FrameLog {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  send(text: string | Buffer): void;
  close(): void;
}

export async function connectWs(baseUrl: string): Promise<WsClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  ws.binaryType = 'nodebuffer';
  const log = new FrameLog();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) log.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else log.decodeErrors.push(`unexpected text message: ${data.toString().slice(0, 100)}`);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolveOpen, reject) => {
    ws.once('open', () => resolveOpen());
    ws.once('error', reject);
  });
  return Object.assign(log, {
    ws,
    closed,
    send: (text: string | Buffer) => ws.send(text),
    close: () => ws.close(),
  }) as WsClient;
}

export interface SseClient extends FrameLog {
  response: IncomingMessage;
  events: SpecSseEvent[];
  parser: SpecSseReader;
  ended: Promise<void>;
  close(): void;
}

/** Opens an SSE stream; rejects with the status and body when the server answers non-200. */
export function connectSse(baseUrl: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolveSse, reject) => {
    const req = request(`${baseUrl}${pathAndQuery}`, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => (body += s));
        res.on('end', () => reject(Object.assign(new Error(`SSE answered ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
        return;
      }
      const log = new FrameLog();
      const parser = new SpecSseReader((event) => {
        for (const line of event.data.split('\n')) {
          const bytes = forgivingBase64Decode(line);
          if (bytes) log.push(bytes);
          else log.decodeErrors.push(`bad base64 data line: ${line.slice(0, 50)}`);
        }
      });
      const events = parser.events;
      res.on('data', (chunk: Buffer) => parser.feedBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      const ended = new Promise<void>((r) => {
        res.once('end', r);
        res.once('close', r);
      });
      resolveSse(Object.assign(log, { response: res, events, parser, ended, close: () => req.destroy() }) as SseClient);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function httpJson(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.headers !== undefined ? { headers: init.headers } : {}),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: `body` stays null and the caller reads `text`.
  }
  return { status: res.status, headers: res.headers, body, text };
}

/**
 * The value of a counter (or gauge) in Prometheus text: the sum of every series of `name` whose labels
 * include all of `labels` (0 when no such series was created yet). Throws when the metric is not exposed at
 * all, so a renamed or removed metric fails the check instead of reading as 0. Compare a value read before
 * an action with one read after it: a test then counts only its own events.
 */
export function counterValue(text: string, name: string, labels: Record<string, string> = {}): number {
  if (!new RegExp(`^# TYPE ${name} `, 'm').test(text)) throw new Error(`metric ${name} is not exposed`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Fetches `/metrics` and reads one counter with `counterValue`. */
export async function readCounter(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await httpJson(baseUrl, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return counterValue(res.text, name, labels);
}

/** POSTs a control message to a stream's control endpoint the way clients must: JSON, session id in a header. */
export function postControl(
  baseUrl: string,
  path: '/sse/control' | '/stream/control',
  sessionId: string,
  body: string,
  headers: Record<string, string> = {},
): ReturnType<typeof httpJson> {
  return httpJson(baseUrl, path, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-tickwire-session': sessionId, ...headers } });
}

export interface StreamClient extends FrameLog {
  response: IncomingMessage;
  parser: FrameStreamParser;
  ended: Promise<void>;
  close(): void;
}

/** Opens a binary HTTP stream (/stream): length-prefixed frames in a chunked body. */
export function connectStream(baseUrl: string, pathAndQuery: string): Promise<StreamClient> {
  return new Promise((resolveStream, reject) => {
    const req = request(`${baseUrl}${pathAndQuery}`, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => (body += s));
        res.on('end', () => reject(Object.assign(new Error(`stream answered ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
        return;
      }
      const log = new FrameLog();
      const parser = new FrameStreamParser((frame) => log.push(frame));
      res.on('data', (chunk: Buffer) => {
        if (!parser.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) log.decodeErrors.push(parser.error ?? 'broken');
      });
      const ended = new Promise<void>((r) => {
        res.once('end', r);
        res.once('close', r);
      });
      resolveStream(Object.assign(log, { response: res, parser, ended, close: () => req.destroy() }) as StreamClient);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface PollAnswer {
  status: number;
  cursor: string | null;
  frames: Received[];
  text: string;
}

/** One /poll request; frames decoded, the next cursor read from X-Tickwire-Cursor. */
export async function pollOnce(baseUrl: string, query: string, signal?: AbortSignal): Promise<PollAnswer> {
  const res = await fetch(`${baseUrl}/poll?${query}`, signal ? { signal } : {});
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, cursor: null, frames: [], text: Buffer.from(body).toString('utf8') };
  const split = splitFrames(body);
  if (!split.ok) throw new Error(split.error);
  const log = new FrameLog();
  for (const f of split.value) log.push(f);
  if (log.decodeErrors.length > 0) throw new Error(log.decodeErrors.join('; '));
  return { status: res.status, cursor: res.headers.get('x-tickwire-cursor'), frames: log.frames, text: '' };
}

/**
 * A throw-away self-signed certificate for 127.0.0.1 made with openssl (valid one day), written as
 * `<name>.crt` and `<name>.key` in `dir`: for the TLS tests of the server itself and of the proxies.
 */
export function throwAwayCertificate(dir: string, name = 'tickwire'): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/**
 * Waits (bounded, ≤ 15 s) until the RSS of process `pid` stops growing: a server generates its candle
 * history in the background after start-up (tens of MiB), which memory-bound tests must not count.
 */
export async function settledRss(pid: number): Promise<void> {
  const rssMiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  for (let prev = rssMiB(), t = 0; t < 30; t++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = rssMiB();
    if (Math.abs(now - prev) < 0.5) return;
    prev = now;
  }
}
