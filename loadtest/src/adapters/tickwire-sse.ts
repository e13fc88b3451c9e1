// Tickwire over Server-Sent Events through @tickwire/client's SseTransport (URL with symbols, history,
// cursor and token; controls POSTed with the session id from Hello; frames from base64 data lines), on
// the load tester's EventSource and fetch over node:http.
import { SseTransport } from '@tickwire/client/transport/sse';
import type { Connect } from './types.js';
import { eventSourceClass, nodeFetch, type LoadEventSource, type SocketWatch } from './node-platform.js';
import { installResync } from './resync.js';
import { WireMeter } from './wire-meter.js';

export const connectTickwireSse: Connect = ({ base, symbols, history, localAddress, hooks, now, token, resume }) => {
  const counters = hooks.stream.sink.counters;
  const meter = new WireMeter(() => counters);
  let source: LoadEventSource | null = null;
  let done = false;
  const finish = (code: number, reason: string): void => {
    if (done) return;
    done = true;
    meter.flush();
    hooks.closed(code, reason);
  };
  let recvMs = 0;
  const streamWatch: SocketWatch = {
    socket: (s) => meter.attach(s),
    error: (error) => hooks.failed(error),
    // Bytes as delivered (SSE text), and one receive time per chunk, as the stream arrived.
    chunk: (bytes, parsed) => {
      if (parsed) return hooks.received(bytes);
      recvMs = now();
      meter.flush();
      counters.bytes += bytes;
    },
  };
  // Control POSTs are short requests on their own sockets: their bytes are not the stream's.
  const controlWatch: SocketWatch = { socket: () => {}, error: (error) => hooks.failed(error) };
  counters.requests++;
  const transport = new SseTransport(
    {
      baseUrl: base.href,
      symbols: symbols.map((s) => s.ticker),
      history,
      requestId: 1,
      ...(resume !== undefined ? { resume } : {}),
      ...(token !== null ? { token } : {}),
    },
    {
      open: () => hooks.opened(),
      frame: (bytes) => hooks.stream.tickwireFrame(bytes, recvMs),
      closed: (info) => finish(source?.end?.status ?? 0, source?.end?.reason ?? info.reason),
    },
    { EventSource: eventSourceClass(localAddress, streamWatch, (s) => (source = s)), fetch: nodeFetch(localAddress, controlWatch) },
  );
  installResync(hooks, transport, symbols, history, now, true);
  return {
    close() {
      transport.close();
      finish(200, 'closed by client');
    },
    pause: () => source?.pause(),
    resume: () => source?.resume(),
  };
};
