// The built server as a child process: graceful shutdown leaves nothing behind, start-up refuses bad
// configuration and a non-native uWebSockets.js with one clear line, and a taken port is reported.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CloseCode, retryAfterFromReason } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { connectSse, connectWs, runServerExpectingFailure, startServerProcess } from './harness.js';
import { loadUws, uwsIsNative } from '../src/uws.js';

describe('server process', () => {
  it('on SIGTERM closes WebSockets with 1001, ends SSE streams and exits 0 promptly', async () => {
    const server = await startServerProcess();
    try {
      const ws = await connectWs(server.url);
      ws.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
      await ws.waitFor(FrameType.Updates);
      const sse = await connectSse(server.url, '/sse?symbols=AAPL&history=0');
      await sse.waitFor(FrameType.Updates);
      const started = Date.now();
      const exit = server.stop('SIGTERM');
      const closed = await ws.closed;
      expect(closed.code).toBe(CloseCode.GoingAway);
      // A per-client jittered delay, so a restart under many clients is no thundering herd.
      const delay = retryAfterFromReason(closed.reason);
      expect(delay).not.toBeNull();
      expect(delay!).toBeGreaterThanOrEqual(0);
      expect(delay!).toBeLessThanOrEqual(5000);
      await sse.ended;
      expect(await exit).toBe(0);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(server.child.exitCode).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('exits on SIGINT too', async () => {
    const server = await startServerProcess();
    expect(await server.stop('SIGINT')).toBe(0);
  });

  it('uses the native uWebSockets.js binary', () => {
    const uws = loadUws();
    expect(uwsIsNative(uws)).toBe(true);
  });

  it('refuses to start when the native binary cannot load', async () => {
    const { code, stderr } = await runServerExpectingFailure([], { TICKWIRE_UWS_BINARY: '/nonexistent/uws.node' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/TW_UWS_NATIVE: cannot load the native uWebSockets.js binary/);
    expect(stderr).toMatch(/Node.js 20/);
  });

  it('refuses to run on the pure-JS fallback', async () => {
    const fallback = createRequire(import.meta.url).resolve('uWebSockets.js/dist/index.js');
    const { code, stderr } = await runServerExpectingFailure([], { TICKWIRE_UWS_BINARY: fallback });
    expect(code).toBe(78);
    expect(stderr).toMatch(/TW_UWS_NATIVE: .*not native code/);
  });

  it.each([
    [['--port', '70000'], /--port.*integer from 0 to 65535/],
    [['--tick-rate', 'fast'], /--tick-rate.*"fast"/],
    [['--transports', 'ws,carrier-pigeon'], /unknown transport "carrier-pigeon"/],
    [['--history', '900', '--candles', '100'], /--history 900 exceeds --candles 100/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('refuses bad configuration %j with one clear line', async (args, message) => {
    const { code, stderr } = await runServerExpectingFailure(args);
    expect(code).toBe(78);
    expect(stderr).toMatch(/^tickwire: TW_CONFIG: invalid configuration: /);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads configuration from the environment', async () => {
    const { code, stderr } = await runServerExpectingFailure([], { TICKWIRE_SYMBOLS: '0' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/--symbols/);
  });

  it('reports a port that is already taken', async () => {
    const first = await startServerProcess();
    try {
      const { code, stderr } = await runServerExpectingFailure(['--port', String(first.port)]);
      expect(code).toBe(78);
      expect(stderr).toMatch(/TW_LISTEN: cannot listen on 127.0.0.1:\d+/);
    } finally {
      await first.stop();
    }
  });
});
