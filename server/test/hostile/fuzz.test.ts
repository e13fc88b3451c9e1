// Fuzz run against the built server as a child process (so a crash shows as the process exiting, not as
// the test runner dying): random HTTP request bytes and random WebSocket frames after a hand-made RFC 6455
// upgrade, all over raw node:net sockets to 127.0.0.1. After every case the server must still answer
// /healthz; at the end the very same process must still serve /healthz and stream Updates to a fresh
// client. A crash is recorded with the bytes that preceded it (and written to FUZZ_FINDINGS when set),
// the server restarted, and the run goes on, so one run reports every crash it finds.
// Bounded: FUZZ_HTTP_RUNS + FUZZ_WS_RUNS cases (300 + 300), each ≤ CASE_WAIT_MS of waiting.
import { appendFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, startServerProcess, type ServerProcess } from '../harness.js';

const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 300);
const WS_RUNS = Number(process.env.FUZZ_WS_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 0x7fff_ffff));
/** Longest a case waits for the server to answer or close before the socket is destroyed. */
const CASE_WAIT_MS = 60;
const SERVER_ARGS = ['--tick-rate', '2000'];

interface Finding {
  kind: 'http' | 'ws';
  /** The bytes of the case that was running, and of the one before it (a crash may surface one case late). */
  bytes: string;
  previous: string;
  stderr: string;
}

let server: ServerProcess;
let firstPid: number | undefined;
let lastCase = '';
const findings: Finding[] = [];

/** JSON with the bytes as a Node Buffer literal's hex, so a finding can be replayed with `Buffer.from(hex, 'hex')`. */
const hex = (chunks: Uint8Array[]) => chunks.map((c) => Buffer.from(c).toString('hex')).join(' | ');

async function alive(): Promise<boolean> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return false;
  try {
    const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Checks the server after a case; a dead one is recorded and replaced so the run goes on. */
async function afterCase(kind: Finding['kind'], chunks: Uint8Array[]): Promise<void> {
  const bytes = hex(chunks);
  const previous = lastCase;
  lastCase = bytes;
  if (await alive()) return;
  const finding: Finding = { kind, bytes, previous, stderr: server.stderr().slice(-2000) };
  findings.push(finding);
  if (process.env.FUZZ_FINDINGS) {
    appendFileSync(
      process.env.FUZZ_FINDINGS,
      `\n## ${new Date().toISOString()} ${kind} case killed the server (seed ${SEED})\n- bytes (hex, chunks split by |): ${bytes}\n- previous case: ${previous}\n- stderr tail:\n\`\`\`\n${finding.stderr}\n\`\`\`\n`,
    );
  }
  await server.stop('SIGKILL');
  server = await startServerProcess(SERVER_ARGS);
}

type Outcome = 'answered' | 'closed' | 'silent';

/** Writes the chunks, then waits until the server closes the socket or CASE_WAIT_MS passes. */
function exchange(socket: Socket, chunks: Uint8Array[], halfClose: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    let answered = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answered ? 'answered' : closedByServer ? 'closed' : 'silent');
    };
    const timer = setTimeout(() => finish(false), CASE_WAIT_MS);
    socket.on('data', () => (answered = true));
    socket.once('close', () => finish(true));
    socket.on('error', () => finish(true));
    for (const c of chunks) socket.write(c);
    if (halfClose) socket.end();
  });
}

function openSocket(): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

// ---- HTTP request bytes ----

const ROUTES = [
  '/',
  '/index.html',
  '/healthz',
  '/metrics',
  '/api/symbols',
  '/sse',
  '/stream',
  '/poll',
  '/ws',
  '/sse/control',
  '/stream/control',
  '/assets/x.js',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/.env',
  '//',
  '*',
  '',
];
const TICKERS = ['AAPL', 'MSFT', 'EURUSD', 'BTCUSD', 'NVDA', 'NOPE', '', 'A'.repeat(300)];
const textArb = fc.string({ maxLength: 40 });
const wildValueArb = fc.oneof(
  textArb,
  fc.constantFrom(
    '0',
    '-1',
    '1e9',
    '18446744073709551616',
    'NaN',
    '%00',
    '%ff%fe',
    '\u0000',
    ' ',
    'e1-0',
    'e0-',
    'chunked',
    'websocket',
    'close',
    'keep-alive',
  ),
  fc.integer().map(String),
  fc.array(fc.constantFrom(...TICKERS), { maxLength: 6 }).map((t) => t.join(',')),
);
const queryArb = fc
  .array(fc.tuple(fc.constantFrom('symbols', 'history', 'resume', 'transport', 'token', 'session', 'id', 'cursor', 'wait', 'since', 'x'), wildValueArb), {
    maxLength: 5,
  })
  .map((kv) => (kv.length === 0 ? '' : `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`));
const methodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('GET') },
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'get', 'PRI') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) },
  { weight: 1, arbitrary: textArb },
);
const versionArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 2, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'http/1.1', 'HTTP/1.', '') },
);
// Mostly real names: a header name that is not an HTTP token makes uWS drop the whole request unanswered.
const headerNameArb = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.constantFrom(
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'Connection',
      'Upgrade',
      'Origin',
      'Accept',
      'Content-Type',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Authorization',
      'Cookie',
      'Range',
      'Expect',
      'X-Forwarded-For',
      'Last-Event-ID',
      'If-None-Match',
      'Accept-Encoding',
    ),
  },
  { weight: 1, arbitrary: textArb },
);
const headerArb = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(headerNameArb, wildValueArb).map(([n, v]) => `${n}: ${v}`) },
  // Oversized header value (the server must refuse, not buffer without end).
  { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 70_000 }).map((n) => `X-Big: ${'a'.repeat(n)}`) },
  // Obsolete line folding and colon-less lines.
  { weight: 1, arbitrary: fc.constantFrom(' folded continuation', '\tfolded', 'NoColonHere', ': empty-name', 'Host:') },
);
const bodyArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 2000 }),
  fc
    .constantFrom('{"op":"subscribe","symbols":["AAPL"]}', '{"op":"unsubscribe","symbols":[]}', '{', 'null', '0\r\n\r\n', 'zz\r\nxx\r\n')
    .map((s) => new TextEncoder().encode(s)),
);
const requestArb = fc
  .record({
    method: methodArb,
    path: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...ROUTES) }, { weight: 1, arbitrary: fc.webPath() }, { weight: 1, arbitrary: textArb }),
    query: queryArb,
    version: versionArb,
    headers: fc.array(headerArb, { maxLength: 8 }),
    host: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
    eol: fc.oneof({ weight: 7, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') }),
    body: bodyArb,
  })
  .map(({ method, path, query, version, headers, host, eol, body }) => {
    const head = [`${method} ${path}${query} ${version}`, ...(host ? [`Host: 127.0.0.1:${server.port}`] : []), ...headers].join(eol) + eol + eol;
    return Buffer.concat([Buffer.from(head, 'utf8'), body]);
  });
const httpCaseArb = fc.record({
  chunks: fc
    .oneof(
      { weight: 6, arbitrary: fc.array(requestArb, { minLength: 1, maxLength: 3 }).map((reqs) => Buffer.concat(reqs)) },
      { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((b) => Buffer.from(b)) },
      { weight: 1, arbitrary: fc.tuple(requestArb, fc.uint8Array({ maxLength: 512 })).map(([r, g]) => Buffer.concat([r, g])) },
    )
    .chain((bytes) =>
      // Truncated anywhere, and split into up to 4 writes at random points.
      fc
        .tuple(
          fc.nat({ max: bytes.length }),
          fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
          fc.array(fc.nat({ max: Math.max(0, bytes.length) }), { maxLength: 3 }),
        )
        .map(([cutAt, truncate, splits]) => {
          const b = truncate ? bytes.subarray(0, cutAt) : bytes;
          const points = [...new Set(splits.filter((p) => p > 0 && p < b.length))].sort((x, y) => x - y);
          const out: Uint8Array[] = [];
          let start = 0;
          for (const p of points) {
            out.push(b.subarray(start, p));
            start = p;
          }
          out.push(b.subarray(start));
          return out.filter((c) => c.length > 0);
        }),
    ),
  halfClose: fc.boolean(),
});

// ---- WebSocket frames ----

const controlJsonArb = fc
  .record(
    {
      op: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'SUBSCRIBE', ''), textArb),
      symbols: fc.oneof(fc.array(fc.constantFrom(...TICKERS), { maxLength: 60 }), fc.anything({ maxDepth: 2 })),
      history: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), fc.constant('10'), fc.constant(null)),
      resume: fc.oneof(textArb, fc.constantFrom('e1-0:1', 'e0-', 'e99999999999-65535:4294967295')),
      id: fc.oneof(fc.integer(), fc.double(), textArb),
    },
    { requiredKeys: ['op'] },
  )
  .map((o) => new TextEncoder().encode(JSON.stringify(o)));
const badUtf8Arb = fc
  .constantFrom([0xff], [0xfe, 0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x7b, 0x22, 0xe2, 0x82])
  .map((b) => Uint8Array.from(b));
const payloadArb = fc.oneof(
  { weight: 4, arbitrary: controlJsonArb },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: badUtf8Arb },
  { weight: 1, arbitrary: fc.integer({ min: 126, max: 70_000 }).chain((n) => fc.constant(new Uint8Array(n).fill(0x61))) },
);

interface FrameSpec {
  fin: boolean;
  rsv: number;
  opcode: number;
  mask: boolean;
  payload: Uint8Array;
  /** 'natural' = the shortest length form; 'wide16'/'wide64' = non-minimal forms; others declare a false length. */
  length: 'natural' | 'wide16' | 'wide64' | 'short-lie' | 'long-lie' | 'huge64';
  lie: bigint;
}

const frameArb: fc.Arbitrary<FrameSpec> = fc.record({
  fin: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
  opcode: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0x1, 0x2, 0x8, 0x9, 0xa, 0x0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  mask: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  payload: payloadArb,
  length: fc.oneof(
    { weight: 8, arbitrary: fc.constant('natural' as const) },
    { weight: 1, arbitrary: fc.constantFrom('wide16' as const, 'wide64' as const, 'short-lie' as const, 'long-lie' as const, 'huge64' as const) },
  ),
  lie: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

/** A text message split over a start frame and continuations, optionally with a ping between them. */
const fragmentedArb = fc.tuple(controlJsonArb, fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([payload, parts, interleavePing]) => {
  const size = Math.ceil(payload.length / parts);
  const frames: FrameSpec[] = [];
  for (let i = 0; i < parts; i++) {
    const last = i === parts - 1;
    frames.push({
      fin: last,
      rsv: 0,
      opcode: i === 0 ? 0x1 : 0x0,
      mask: true,
      payload: payload.subarray(i * size, (i + 1) * size),
      length: 'natural',
      lie: 0n,
    });
    if (interleavePing && !last) frames.push({ fin: true, rsv: 0, opcode: 0x9, mask: true, payload: new Uint8Array([1, 2]), length: 'natural', lie: 0n });
  }
  return frames;
});

function encodeFrame(f: FrameSpec): Uint8Array {
  const n = f.payload.length;
  const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode];
  const maskBit = f.mask ? 0x80 : 0;
  const len16 = (v: number) => head.push(maskBit | 126, (v >> 8) & 0xff, v & 0xff);
  const len64 = (v: bigint) => {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((v >> BigInt(i * 8)) & 0xffn));
  };
  switch (f.length) {
    case 'natural':
      if (n < 126) head.push(maskBit | n);
      else if (n < 65536) len16(n);
      else len64(BigInt(n));
      break;
    case 'wide16':
      if (n < 65536) len16(n);
      else len64(BigInt(n));
      break;
    case 'wide64':
      len64(BigInt(n));
      break;
    case 'short-lie':
      head.push(maskBit | Number(f.lie % 126n));
      break;
    case 'long-lie':
      len16(Number(f.lie % 65536n));
      break;
    case 'huge64':
      len64(f.lie | (1n << 62n));
      break;
  }
  const key = f.mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(f.payload);
  if (f.mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

const wsCaseArb = fc.record({
  frames: fc.oneof({ weight: 4, arbitrary: fc.array(frameArb, { minLength: 1, maxLength: 8 }) }, { weight: 1, arbitrary: fragmentedArb }),
  trailingGarbage: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }),
  halfClose: fc.boolean(),
});

/** A hand-made RFC 6455 opening handshake; resolves with the socket once the 101 head arrived. */
async function upgrade(): Promise<Socket | null> {
  const socket = await openSocket();
  if (!socket) return null;
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => done(false), 3000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (ok) resolve(socket);
      else {
        socket.destroy();
        resolve(null);
      }
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0) done(head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101'));
    };
    socket.on('data', onData);
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

beforeAll(async () => {
  server = await startServerProcess(SERVER_ARGS);
  firstPid = server.child.pid;
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

/** Hex is shortened in assertion messages (an oversized header makes it megabytes); FUZZ_FINDINGS keeps it whole. */
const clip = (s: string) => (s.length > 600 ? `${s.slice(0, 600)}… (${s.length} hex chars)` : s);
const report = (kind?: Finding['kind']) =>
  findings
    .filter((f) => kind === undefined || f.kind === kind)
    .map(
      (f) =>
        `${f.kind} case killed the server (seed ${SEED}); bytes (hex, writes split by |): ${clip(f.bytes)}\nprevious case: ${clip(f.previous)}\nstderr: ${f.stderr}`,
    )
    .join('\n\n');

describe('fuzz', () => {
  it(`random HTTP request bytes (${HTTP_RUNS} cases) never take the server down`, { timeout: 90_000 }, async () => {
    const outcomes: Record<Outcome, number> = { answered: 0, closed: 0, silent: 0 };
    await fc.assert(
      fc.asyncProperty(httpCaseArb, async ({ chunks, halfClose }) => {
        const socket = await openSocket();
        if (!socket) throw new Error('could not connect to the server before the case');
        outcomes[await exchange(socket, chunks, halfClose)]++;
        await afterCase('http', chunks);
      }),
      { numRuns: HTTP_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(findings.filter((f) => f.kind === 'http').length, report('http')).toBe(0);
    console.log(`HTTP fuzz (seed ${SEED}): ${JSON.stringify(outcomes)}`);
    // A run the server never reacts to would test nothing: most cases get an answer or a close, and some
    // (about a tenth: most random requests are malformed and uWS closes them unanswered) reach a handler.
    expect(outcomes.answered).toBeGreaterThan(HTTP_RUNS / 20);
    expect(outcomes.answered + outcomes.closed).toBeGreaterThan(HTTP_RUNS / 2);
  });

  it(`random WebSocket frames (${WS_RUNS} cases) never take the server down`, { timeout: 90_000 }, async () => {
    let upgraded = 0;
    const wsOutcomes: Record<Outcome, number> = { answered: 0, closed: 0, silent: 0 };
    await fc.assert(
      fc.asyncProperty(wsCaseArb, async ({ frames, trailingGarbage, halfClose }) => {
        const socket = await upgrade();
        if (!socket) throw new Error('the WebSocket upgrade before the case failed');
        upgraded++;
        const chunks = frames.map(encodeFrame);
        if (trailingGarbage) chunks.push(trailingGarbage);
        wsOutcomes[await exchange(socket, chunks, halfClose)]++;
        await afterCase('ws', chunks);
      }),
      { numRuns: WS_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(findings.filter((f) => f.kind === 'ws').length, report('ws')).toBe(0);
    console.log(`WebSocket fuzz (seed ${SEED}): ${JSON.stringify(wsOutcomes)}`);
    expect(upgraded).toBe(WS_RUNS);
    // Most random frame sequences break the protocol: the server must have closed a good share of them.
    expect(wsOutcomes.closed + wsOutcomes.answered).toBeGreaterThan(WS_RUNS / 3);
  });

  it('afterwards the same process serves /healthz and streams Updates to a fresh client', async () => {
    expect(findings.length, report()).toBe(0);
    expect(server.child.pid).toBe(firstPid);
    expect(await alive()).toBe(true);
    const c = await connectWs(server.url);
    try {
      c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT'], history: 0 }));
      await c.waitFor(FrameType.Updates, (f) => f.ticks.length > 0, 10_000);
      expect(c.decodeErrors).toEqual([]);
    } finally {
      c.close();
    }
  });
});
