// Raw HTTP/1.1 over node:net for the admission tests: exact bytes out (no client adding Content-Type, Host
// or Origin for us), every response on the connection parsed back by a small independent reader.
import { connect } from 'node:net';
import WebSocket from 'ws';
import { decodeFrame } from '@tickwire/protocol/codec';
import type { Frame } from '@tickwire/protocol/messages';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses every complete response in `text` (Content-Length bodies only: our JSON answers). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return out;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '');
    if (!m) return out;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({ status: Number(m[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

/**
 * Writes `bytes` on a fresh connection to 127.0.0.1:port and collects what comes back until `count`
 * responses arrived, the server closed, or `timeoutMs` passed.
 */
export function rawExchange(port: number, bytes: string, count = 1, timeoutMs = 3000): Promise<{ responses: RawResponse[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(text), closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (parseResponses(text).length >= count) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {});
    socket.write(bytes, 'latin1');
  });
}

/** A POST with exactly these headers (plus Host and Content-Length) and body. */
export function rawPost(port: number, path: string, headers: Record<string, string>, body: string, host = `127.0.0.1:${port}`): string {
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export function rawGet(port: number, path: string, headers: Record<string, string> = {}, host = `127.0.0.1:${port}`): string {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface OpenWs {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string; atMs: number }>;
}

/** Opens /ws with a query and headers; resolves with the socket, or the HTTP status of the refusal. */
export function openWs(baseUrl: string, query = '', headers: Record<string, string> = {}): Promise<OpenWs | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws${query}`, { headers });
    const frames: Frame[] = [];
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const f = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (f.ok) frames.push(f.value);
    });
    const closed = new Promise<{ code: number; reason: string; atMs: number }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString(), atMs: Date.now() })),
    );
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => {});
  });
}
