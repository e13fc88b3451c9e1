// The feed bus inside one process: the main thread runs the market core on a PortHub and each gateway
// worker thread talks to it through a MessagePort (PortBus), with the same subjects and payloads as over
// NATS. This is how `--workers N` without `--nats` fans the one in-process feed in to every worker, and
// why the gateway code path is the same with or without NATS. Ports preserve order, like one NATS
// connection does.
import type { MessagePort } from 'node:worker_threads';
import type { Bus, BusStatus, BusSubscription } from '@tickwire/core/nats/bus';

type ToHub = { t: 'sub'; s: string } | { t: 'unsub'; s: string } | { t: 'req'; id: number; s: string; d: Uint8Array };
type ToClient = { t: 'msg'; s: string; d: Uint8Array } | { t: 'rep'; id: number; d?: Uint8Array; e?: string };

type Handler = (data: Uint8Array, subject: string) => Uint8Array;

/** Frames can be large (a snapshot with history); ports have no NATS-like limit, this one is ours. */
const PORT_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Owns a copy of `data` whose buffer holds nothing else (postMessage clones the whole ArrayBuffer). */
function own(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

function matches(pattern: string, subject: string): boolean {
  return pattern.endsWith('.*') ? subject.startsWith(pattern.slice(0, -1)) && !subject.slice(pattern.length - 1).includes('.') : pattern === subject;
}

/** The feed side: publishes to attached ports that asked for a subject, answers their requests. */
export class PortHub implements Bus {
  readonly name = 'in-process';
  readonly connected = true;
  readonly maxPayload = PORT_MAX_PAYLOAD;
  private readonly clients: Array<{ port: MessagePort; subjects: Set<string> }> = [];
  private readonly handlers: Array<{ pattern: string; handler: Handler }> = [];
  private readonly local = new Map<string, Set<(data: Uint8Array, subject: string) => void>>();

  attach(port: MessagePort): void {
    const client = { port, subjects: new Set<string>() };
    this.clients.push(client);
    port.on('message', (m: ToHub) => {
      if (m.t === 'sub') client.subjects.add(m.s);
      else if (m.t === 'unsub') client.subjects.delete(m.s);
      else if (m.t === 'req') port.postMessage(this.answer(m.id, m.s, m.d));
    });
    port.on('close', () => {
      const i = this.clients.indexOf(client);
      if (i >= 0) this.clients.splice(i, 1);
    });
  }

  /** Ports that hold a subscription to `subject` (tests and metrics). */
  interestIn(subject: string): number {
    return this.clients.filter((c) => c.subjects.has(subject)).length;
  }

  private answer(id: number, subject: string, data: Uint8Array): ToClient {
    const entry = this.handlers.find((h) => matches(h.pattern, subject));
    if (!entry) return { t: 'rep', id, e: `no responders for ${subject}` };
    try {
      return { t: 'rep', id, d: own(entry.handler(data, subject)) };
    } catch (error) {
      return { t: 'rep', id, e: (error as Error).message };
    }
  }

  publish(subject: string, data: Uint8Array): void {
    let owned: Uint8Array | null = null;
    for (const c of this.clients) if (c.subjects.has(subject)) c.port.postMessage({ t: 'msg', s: subject, d: (owned ??= own(data)) } satisfies ToClient);
    const subs = this.local.get(subject);
    if (subs) for (const cb of subs) cb(data, subject);
  }

  subscribe(subject: string, onMessage: (data: Uint8Array, subject: string) => void): BusSubscription {
    let set = this.local.get(subject);
    if (!set) this.local.set(subject, (set = new Set()));
    set.add(onMessage);
    return { unsubscribe: () => set.delete(onMessage) };
  }

  serve(subject: string, handler: Handler): BusSubscription {
    const entry = { pattern: subject, handler };
    this.handlers.push(entry);
    return {
      unsubscribe: () => {
        const i = this.handlers.indexOf(entry);
        if (i >= 0) this.handlers.splice(i, 1);
      },
    };
  }

  async request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    const reply = this.answer(0, subject, data);
    if (reply.t !== 'rep' || reply.d === undefined) throw new Error(reply.t === 'rep' ? reply.e : 'no reply');
    return reply.d;
  }

  onStatus(_listener: (status: BusStatus) => void): void {}

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    for (const c of this.clients) c.port.close();
    this.clients.length = 0;
  }
}

/** The gateway side, in a worker thread: subscriptions and requests travel over one MessagePort. */
export class PortBus implements Bus {
  readonly name = 'in-process';
  readonly connected = true;
  readonly maxPayload = PORT_MAX_PAYLOAD;
  private readonly subs = new Map<string, Set<(data: Uint8Array, subject: string) => void>>();
  private readonly pending = new Map<number, { resolve: (d: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextId = 1;

  constructor(private readonly port: MessagePort) {
    port.on('message', (m: ToClient) => {
      if (m.t === 'msg') {
        const set = this.subs.get(m.s);
        if (set) for (const cb of set) cb(m.d, m.s);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.d !== undefined) p.resolve(m.d);
      else p.reject(new Error(m.e ?? 'request failed'));
    });
  }

  publish(): void {
    throw new Error('gateways do not publish on the in-process bus');
  }

  subscribe(subject: string, onMessage: (data: Uint8Array, subject: string) => void): BusSubscription {
    let set = this.subs.get(subject);
    if (!set) {
      this.subs.set(subject, (set = new Set()));
      this.port.postMessage({ t: 'sub', s: subject } satisfies ToHub);
    }
    set.add(onMessage);
    return {
      unsubscribe: () => {
        if (!set.delete(onMessage) || set.size > 0) return;
        this.subs.delete(subject);
        this.port.postMessage({ t: 'unsub', s: subject } satisfies ToHub);
      },
    };
  }

  serve(): BusSubscription {
    throw new Error('gateways do not serve requests on the in-process bus');
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request on ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.port.postMessage({ t: 'req', id, s: subject, d: data } satisfies ToHub);
    });
  }

  onStatus(_listener: (status: BusStatus) => void): void {}

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('bus closed'));
    }
    this.pending.clear();
    this.port.close();
  }
}
