// Light subscribers for server-cost benchmarks: WebSocket, SSE and binary-stream clients that only count
// the ticks of the Updates frames they receive (peekUpdates: header and last record, no decoding, no
// latency or loss bookkeeping). On a shared 2-core box the full load tester's SSE clients starve before
// the server does; these keep the generator cheap so that a run measures the server.
import http from 'node:http';
import WebSocket from 'ws';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import { peekUpdates } from '@tickwire/protocol/peek';
import { STREAM_ROUTES, routeUrl, webSocketUrl } from '@tickwire/protocol/routes';

export type CountingTransport = 'ws' | 'sse' | 'stream';

export interface Counts {
  ticks: number;
  frames: number;
  /** Connections that ended or failed after opening. */
  lost: number;
}

export interface Swarm {
  counts: Counts;
  close(): void;
}

function countFrame(counts: Counts, frame: Uint8Array): void {
  if (frame[1] !== FrameType.Updates) return;
  const peek = peekUpdates(frame);
  if (peek === null) return;
  counts.ticks += peek.count;
  counts.frames++;
}

/** Counts the frames of an SSE body: one base64 frame per `data:` line (docs/protocol.md). */
function sseReader(counts: Counts): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      if (text.startsWith('data: ', start)) countFrame(counts, Buffer.from(text.slice(start + 6, end), 'base64'));
      start = end + 1;
    }
    rest = text.slice(start);
  };
}

/** Counts the frames of a binary stream body: u32 LE length, then the frame. */
function streamReader(counts: Counts): (chunk: Buffer) => void {
  let rest: Buffer = Buffer.alloc(0);
  return (chunk) => {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let offset = 0;
    while (data.length - offset >= 4) {
      const length = data.readUInt32LE(offset);
      if (data.length - offset - 4 < length) break;
      countFrame(counts, data.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    rest = data.subarray(offset);
  };
}

/** Opens one client per symbol list, in groups, resolving once every one of them has received bytes. */
export async function openSwarm(url: string, transport: CountingTransport, symbolLists: readonly string[][], group = 50): Promise<Swarm> {
  const counts: Counts = { ticks: 0, frames: 0, lost: 0 };
  const closers: Array<() => void> = [];
  let closing = false;
  const lost = () => {
    if (!closing) counts.lost++;
  };
  const base = new URL(url);
  const open = (symbols: string[]) =>
    new Promise<void>((resolve, reject) => {
      if (transport === 'ws') {
        const ws = new WebSocket(webSocketUrl(base), { perMessageDeflate: false });
        ws.binaryType = 'nodebuffer';
        ws.on('open', () => {
          ws.send(controlText('subscribe', symbols, { id: 1, history: 0 }));
          resolve();
        });
        ws.on('message', (data: Buffer) => countFrame(counts, data));
        ws.on('error', reject);
        ws.on('close', lost);
        closers.push(() => ws.terminate());
        return;
      }
      const path = STREAM_ROUTES[transport].stream;
      const req = http.get(`${routeUrl(base, path).href}?symbols=${symbols.join(',')}&history=0`, { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`${path} answered ${res.statusCode}`));
        if (transport === 'sse') {
          res.setEncoding('latin1');
          res.on('data', sseReader(counts));
        } else res.on('data', streamReader(counts));
        res.on('close', lost);
        resolve();
      });
      req.on('error', reject);
      closers.push(() => req.destroy());
    });
  // A loaded box resets the odd connection attempt (full accept queue): each gets a few tries.
  const openWithRetry = async (symbols: string[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open(symbols);
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };
  const close = () => {
    closing = true;
    for (const c of closers) c();
  };
  try {
    for (let i = 0; i < symbolLists.length; i += group) await Promise.all(symbolLists.slice(i, i + group).map(openWithRetry));
  } catch (error) {
    close();
    throw error;
  }
  return { counts, close };
}
