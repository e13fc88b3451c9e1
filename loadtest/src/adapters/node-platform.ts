// What @tickwire/client's transports take from their platform (TransportDeps), built for a load generator:
// a WebSocket class over the minimal RawWebSocket (or `ws`), an EventSource over node:http, and a fetch
// over node:http. All bind each connection to a --source-addresses local address, expose the TCP socket
// (wire-byte metering, pause/resume of slow readers) and report HTTP statuses and errors, which the
// platform classes of browsers and undici either hide or do more slowly. The client's transports still
// do everything Tickwire-specific on top: URLs, subscribe/resume, session controls, framing, polling.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { SseParser } from '@tickwire/protocol/sse';
import type { EventSourceConstructor, EventSourceLike, FetchLike, WebSocketConstructor, WebSocketLike } from '@tickwire/client/transport/types';
import { openWebSocket, type WsClientKind, type WsTransport } from './ws-transport.js';

/** What an adapter learns about the connection its transport opened. */
export interface SocketWatch {
  /** The connection's TCP socket exists (again: keep-alive sockets are announced each time). */
  socket(socket: Socket): void;
  error(error: Error): void;
  /** A body chunk of `bytes` is about to be parsed, and was parsed (streamed HTTP bodies only). */
  chunk?(bytes: number, parsed: boolean): void;
}

/** The WebSocket instance a WsTransport created, as the adapter sees it. */
export interface LoadWebSocket extends WebSocketLike {
  readonly wire: WsTransport;
  /** Set before close(): cut the socket instead of a closing handshake. */
  abrupt: boolean;
}

/** A WebSocket class whose instances use `kind`'s client from `localAddress`; `created` gets each instance. */
export function webSocketClass(
  kind: WsClientKind,
  localAddress: string | undefined,
  watch: SocketWatch,
  created: (ws: LoadWebSocket) => void,
): WebSocketConstructor {
  return class implements LoadWebSocket {
    binaryType = 'arraybuffer';
    readyState = 0;
    abrupt = false;
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onclose: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    readonly wire: WsTransport;

    constructor(url: string) {
      this.wire = openWebSocket(kind, url, localAddress, {
        open: () => {
          this.readyState = 1;
          const socket = this.wire.socket();
          if (socket !== null) watch.socket(socket);
          (this.onopen as ((event: object) => void) | null)?.({});
        },
        message: (data, isBinary) => {
          // The client's WebSocket contract is an ArrayBuffer per binary message; `data` may be a view
          // into a shared read buffer, so this copy is also what makes it safe to keep.
          if (!isBinary) return;
          const copy = new Uint8Array(data).buffer;
          (this.onmessage as ((event: { data: ArrayBuffer }) => void) | null)?.({ data: copy });
        },
        close: (code, reason) => {
          this.readyState = 3;
          (this.onclose as ((event: { code: number; reason: string }) => void) | null)?.({ code, reason });
        },
        error: (error) => watch.error(error),
      });
      created(this);
    }

    send(data: string): void {
      this.wire.sendText(data);
    }

    close(): void {
      this.wire.close(!this.abrupt);
    }
  };
}

/** The HTTP status and reason an HTTP connection ended with (0 = no answer), for the report's close codes. */
export interface HttpEnd {
  status: number;
  reason: string;
}

/** The EventSource an SseTransport created, as the adapter sees it. */
export interface LoadEventSource extends EventSourceLike {
  readonly end: HttpEnd | null;
  pause(): void;
  resume(): void;
}

/**
 * An EventSource class over node:http: one GET, the body decoded as latin1 (the stream is base64 and ids,
 * pure ASCII) into the protocol's SSE parser. Like a browser's it never retries on its own (the client's
 * SseTransport closes it on the first error, and the load tester's reconnect policy takes over).
 */
export function eventSourceClass(localAddress: string | undefined, watch: SocketWatch, created: (source: LoadEventSource) => void): EventSourceConstructor {
  return class implements LoadEventSource {
    readyState = 0;
    end: HttpEnd | null = null;
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    readonly #req: http.ClientRequest;
    #res: http.IncomingMessage | null = null;

    constructor(url: string) {
      const parser = new SseParser((event) => (this.onmessage as ((e: { data: string }) => void) | null)?.({ data: event.data }));
      const get = url.startsWith('https:') ? https.get : http.get;
      this.#req = get(url, { agent: false, localAddress, headers: { accept: 'text/event-stream' }, timeout: 10_000 }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return this.#fail(res.statusCode ?? 0, `GET answered ${res.statusCode}`);
        }
        this.#req.setTimeout(0);
        this.#res = res;
        this.readyState = 1;
        (this.onopen as ((event: object) => void) | null)?.({});
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          watch.chunk?.(chunk.length, false);
          parser.feed(chunk);
          watch.chunk?.(chunk.length, true);
        });
        res.on('end', () => this.#fail(200, 'stream ended'));
        res.on('close', () => this.#fail(200, 'stream closed'));
        res.on('error', (error) => this.#fail(200, error.message));
      });
      this.#req.on('socket', (socket) => watch.socket(socket));
      this.#req.on('timeout', () => this.#req.destroy(new Error('SSE connect timed out')));
      this.#req.on('error', (error) => {
        watch.error(error);
        this.#fail(0, error.message);
      });
      created(this);
    }

    #fail(status: number, reason: string): void {
      if (this.end !== null) return;
      this.end = { status, reason };
      this.readyState = 2;
      (this.onerror as ((event: object) => void) | null)?.({});
    }

    close(): void {
      if (this.end === null) this.end = { status: 200, reason: 'closed by client' };
      this.readyState = 2;
      this.#req.destroy();
    }

    pause(): void {
      this.#res?.pause();
    }

    resume(): void {
      this.#res?.resume();
    }
  };
}

/**
 * fetch over node:http for the client's HTTP transports: streamed bodies (the binary stream), whole
 * answers (polling) and control POSTs. `agent` keeps a polling client on one keep-alive socket; without
 * one every request gets its own connection, like a browser's stream. Not a general fetch: only the
 * request fields those transports use (method, headers, string body, signal).
 */
export function nodeFetch(localAddress: string | undefined, watch: SocketWatch, agent?: http.Agent): FetchLike {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = typeof input === 'string' ? new URL(input) : input;
      const lib = url.protocol === 'https:' ? https : http;
      const body = typeof init?.body === 'string' ? init.body : undefined;
      const headers: Record<string, string | number> = { ...(init?.headers as Record<string, string> | undefined) };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = lib.request(url, { method: init?.method ?? 'GET', agent: agent ?? false, localAddress, headers }, (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        const status = res.statusCode ?? 0;
        // Bodiless statuses (204, 304) may not carry a stream in a Response.
        const stream = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status, headers: responseHeaders }));
      });
      const signal = init?.signal;
      if (signal) {
        if (signal.aborted) req.destroy(new Error('aborted'));
        else signal.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
      }
      req.on('socket', (socket) => watch.socket(socket));
      req.on('error', (error) => {
        if (!signal?.aborted) watch.error(error);
        reject(error);
      });
      req.end(body);
    });
}
