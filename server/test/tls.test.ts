// TLS in the server itself (--tls-cert/--tls-key, uWS SSLApp): https and wss on one port with a
// throw-away openssl certificate, frames decoded on arrival, a plain-http request on that port never
// answered, the start-up refusals (a certificate without its key, a key that is not the certificate's)
// with TW_TLS and exit code 78, and SIGHUP: the server keeps serving with its open connections and warns
// that a renewed certificate needs a restart (uWS cannot swap the default TLS context of a listening app).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { runServerExpectingFailure, startServerProcess, throwAwayCertificate, waitFor, type ServerProcess } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tickwire-tls-'));
const a = throwAwayCertificate(dir, 'a');
const b = throwAwayCertificate(dir, 'b');
let server: ServerProcess;

/** SHA-256 fingerprint of a PEM certificate file, as Node's getPeerCertificate() writes it. */
function fingerprintOf(certFile: string): string {
  return execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim();
}

/** GET over a new TLS connection: the status and the fingerprint of the certificate the server presented. */
function httpsProbe(url: string): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, fingerprint: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256 });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  server = await startServerProcess(['--tls-cert', a.cert, '--tls-key', a.key]);
}, 30_000);
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

describe('TLS in the server', () => {
  it('announces an https URL and answers https with the certificate it was given', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, fingerprint } = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
      const req = request(`${server.url}/api/symbols`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, fingerprint: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256 });
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(fingerprint).toBe(fingerprintOf(a.cert));
  });

  it('carries a wss subscription: Hello, Snapshot, then Updates', async () => {
    const ws = new WebSocket(`${server.url.replace(/^https/, 'wss')}/ws`, { rejectUnauthorized: false });
    ws.binaryType = 'arraybuffer';
    const types: number[] = [];
    ws.on('message', (d: ArrayBuffer) => {
      const h = decodeHeader(new Uint8Array(d));
      if (h.ok) types.push(h.value.type);
    });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 5, id: 1 }));
    await waitFor(() => types.filter((t) => t === FrameType.Updates).length >= 3, { what: 'Updates over wss' });
    expect(types[0]).toBe(FrameType.Hello);
    expect(types).toContain(FrameType.Snapshot);
    ws.close();
  });

  it('never answers plain http on the TLS port', async () => {
    const answered = await fetch(server.url.replace(/^https/, 'http') + '/api/symbols', { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => null,
    );
    expect(answered).toBeNull();
  });

  it('refuses to start with a certificate but no key, or a key of another certificate', async () => {
    const alone = await runServerExpectingFailure(['--tls-cert', a.cert]);
    expect(alone.code).toBe(78);
    expect(alone.stderr).toMatch(/TW_TLS: .*--tls-cert and --tls-key go together/);
    const mismatched = await runServerExpectingFailure(['--tls-cert', a.cert, '--tls-key', b.key]);
    expect(mismatched.code).toBe(78);
    expect(mismatched.stderr).toMatch(/TW_TLS: cannot use --tls-cert/);
  });

  it('on SIGHUP keeps serving and keeps its connections, warning that a new certificate takes a restart', { timeout: 30_000 }, async () => {
    // Its own files: the renewal below overwrites them.
    const own = mkdtempSync(join(tmpdir(), 'tickwire-tls-hup-'));
    const live = { cert: join(own, 'live.crt'), key: join(own, 'live.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const hup = await startServerProcess(['--tls-cert', live.cert, '--tls-key', live.key]);
    try {
      const ws = new WebSocket(`${hup.url.replace(/^https/, 'wss')}/ws`, { rejectUnauthorized: false });
      ws.binaryType = 'arraybuffer';
      const types: number[] = [];
      let closed = false;
      ws.on('message', (d: ArrayBuffer) => {
        const h = decodeHeader(new Uint8Array(d));
        if (h.ok) types.push(h.value.type);
      });
      ws.on('close', () => (closed = true));
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('error', j);
      });
      ws.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0, id: 1 }));
      await waitFor(() => types.filter((t) => t === FrameType.Updates).length >= 2, { what: 'Updates over wss before SIGHUP' });
      // An operator renews the certificate in place and sends SIGHUP (Node's default would end the process).
      copyFileSync(b.cert, live.cert);
      copyFileSync(b.key, live.key);
      hup.child.kill('SIGHUP');
      await waitFor(() => /"msg":"SIGHUP: TLS certificates are read at start only; restart the server/.test(hup.stdout()), {
        what: 'the SIGHUP warning',
      });
      const updatesAtHup = types.filter((t) => t === FrameType.Updates).length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(hup.child.exitCode).toBeNull();
      expect(hup.child.signalCode).toBeNull();
      // The open connection carries on: same socket, still receiving, no second Hello.
      expect(closed).toBe(false);
      expect(types.filter((t) => t === FrameType.Updates).length).toBeGreaterThan(updatesAtHup);
      expect(types.filter((t) => t === FrameType.Hello)).toHaveLength(1);
      // A new connection is served, still with the certificate read at start (what the warning says).
      const probe = await httpsProbe(`${hup.url}/api/symbols`);
      expect(probe.status).toBe(200);
      expect(probe.fingerprint).toBe(fingerprintOf(a.cert));
      expect(probe.fingerprint).not.toBe(fingerprintOf(b.cert));
      ws.close();
    } finally {
      expect(await hup.stop()).toBe(0);
    }
  });
});
