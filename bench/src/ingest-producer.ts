// The producer of the ingest benchmark (bench/src/ingest.ts), a process of its own so its CPU is not the
// server's: pushes trades for the bench's instruments through the WebSocket door (/ingest/ws) or the NATS
// door (tickwire.ingest.rec|json as requests), as 32-byte records or NDJSON, at a target rate or as fast
// as the door acks. Backpressure: at most --window batches without an answer (and, on WebSocket, nothing
// sent while the socket holds unsent bytes). Every trade carries the producer's clock as its event time, so
// the load tester's feed → client latency is ingest → client. One JSON line per second on stdout:
// { t, sent, accepted, rejected, refused, cpuMs } (totals); the last line comes at exit.
import WebSocket from 'ws';
import { Command } from 'commander';
import { TICK_RECORD_SIZE } from '@tickwire/protocol/codec';
import type { IngestAnswer } from '@tickwire/protocol/ingest-wire';
import { Route } from '@tickwire/protocol/routes';
import { createLogger } from '@tickwire/core/log';
import { connectNatsBus, type Bus } from '@tickwire/core/nats/bus';
import { INGEST_JSON_SUBJECT, INGEST_RECORDS_SUBJECT } from '@tickwire/core/nats/subjects';

/** Ticker of bench instrument `i` (its id): the bench's instrument file and the JSON lines agree on it. */
export const benchTicker = (i: number): string => `IB${String(i).padStart(4, '0')}`;

/** Prices stay near 100.00 (priceScale 2) on a one-tick random walk per instrument. */
const BASE_PRICE = 10_000;

export interface ProducerProgress {
  /** Seconds since the producer started sending. */
  t: number;
  sent: number;
  accepted: number;
  rejected: number;
  /** Trades in batches refused whole (queue full, rate): not applied. */
  refused: number;
  /** This process's CPU time so far (user + system), ms. */
  cpuMs: number;
}

interface Options {
  door: 'ws' | 'nats';
  url: string;
  token?: string;
  encoding: 'bin' | 'json';
  instruments: number;
  /** Trades per second; 0 = as fast as answers come back. */
  rate: number;
  batch: number;
  window: number;
  seconds: number;
}

/** Builds batches: symbols round-robin, event time = now, a walk of the price per symbol. */
export class Batcher {
  private next = 0;
  private readonly price: Int32Array;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly instruments: number,
    private readonly encoding: Options['encoding'],
  ) {
    this.price = new Int32Array(instruments).fill(BASE_PRICE);
  }

  private step(id: number): number {
    const p = this.price[id]! + (Math.random() < 0.5 ? -1 : 1);
    this.price[id] = p < 100 ? 100 : p;
    return this.price[id]!;
  }

  /** A fresh buffer per batch: a socket may still hold the previous one. */
  build(n: number): Uint8Array {
    const now = Date.now();
    if (this.encoding === 'bin') {
      const bytes = new Uint8Array(n * TICK_RECORD_SIZE);
      const view = new DataView(bytes.buffer);
      for (let i = 0, o = 0; i < n; i++, o += TICK_RECORD_SIZE) {
        const id = this.next;
        this.next = (id + 1) % this.instruments;
        // flags 0, trade id 0 (no duplicate check), bid = ask = 0 (quote at the price): docs/ingest.md records.
        view.setUint16(o, id, true);
        view.setFloat64(o + 8, now, true);
        view.setUint32(o + 16, this.step(id), true);
        view.setUint32(o + 20, 1 + (i % 100), true);
      }
      return bytes;
    }
    let text = '';
    for (let i = 0; i < n; i++) {
      const id = this.next;
      this.next = (id + 1) % this.instruments;
      const p = this.step(id);
      text += `{"ticker":"${benchTicker(id)}","price":"${Math.floor(p / 100)}.${String(p % 100).padStart(2, '0')}","size":"${1 + (i % 100)}","ts":${now}}\n`;
    }
    return this.encoder.encode(text);
  }
}

/** One door: send a batch, and hear of each batch's answer in order. */
interface Door {
  send(bytes: Uint8Array, trades: number): void;
  /** Sending now would only queue bytes in this process. */
  congested(): boolean;
  close(): Promise<void>;
}

async function openWs(o: Options, onAnswer: (a: IngestAnswer, trades: number) => void): Promise<Door> {
  const ws = new WebSocket(o.url, { headers: { Authorization: `Bearer ${o.token ?? ''}` }, perMessageDeflate: false });
  const pending: number[] = [];
  ws.on('message', (data: Buffer) => {
    const trades = pending.shift() ?? 0;
    onAnswer(JSON.parse(data.toString('utf8')) as IngestAnswer, trades);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${Route.ingestWs} answered ${res.statusCode}`)));
  });
  ws.on('error', (e) => process.stderr.write(`ingest-producer: ${e.message}\n`));
  return {
    send(bytes, trades) {
      pending.push(trades);
      ws.send(bytes, { binary: o.encoding === 'bin' });
    },
    congested: () => ws.bufferedAmount > 0,
    async close() {
      ws.close(1000);
      await new Promise((r) => setTimeout(r, 200));
      ws.terminate();
    },
  };
}

async function openNats(o: Options, onAnswer: (a: IngestAnswer, trades: number) => void): Promise<Door> {
  const bus: Bus = await connectNatsBus({ servers: o.url, name: 'tickwire-bench-producer', log: createLogger('warn') });
  const subject = o.encoding === 'bin' ? INGEST_RECORDS_SUBJECT : INGEST_JSON_SUBJECT;
  const decoder = new TextDecoder();
  return {
    send(bytes, trades) {
      bus.request(subject, bytes, 10_000).then(
        (reply) => onAnswer(JSON.parse(decoder.decode(reply)) as IngestAnswer, trades),
        () => onAnswer({ type: 'refused', batch: 0, error: { name: 'Timeout', message: 'no reply in 10 s' } }, trades),
      );
    },
    congested: () => false,
    close: () => bus.close(),
  };
}

async function main(): Promise<void> {
  const int = (v: string) => Number.parseInt(v, 10);
  const o = new Command('ingest-producer')
    .requiredOption('--door <door>', 'ws | nats')
    .requiredOption('--url <url>', 'ws://…/ingest/ws or nats://…')
    .option('--token <token>', 'ingest Bearer token (WebSocket door)')
    .option('--encoding <e>', 'bin | json', 'bin')
    .option('--instruments <n>', 'instrument ids 0..n-1 (tickers benchTicker(i))', int, 200)
    .option('--rate <n>', 'trades per second (0: as fast as acks allow)', int, 0)
    .option('--batch <n>', 'trades per message', int, 500)
    .option('--window <n>', 'batches in flight without an answer at most', int, 16)
    .option('--seconds <n>', 'how long to send', Number, 10)
    .parse()
    .opts<Options>();
  const totals: ProducerProgress = { t: 0, sent: 0, accepted: 0, rejected: 0, refused: 0, cpuMs: 0 };
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const onAnswer = (a: IngestAnswer, trades: number) => {
    inFlight--;
    if (a.type === 'ack') {
      totals.accepted += a.accepted;
      totals.rejected += a.rejected;
    } else totals.refused += trades;
    wake?.();
  };
  const door = o.door === 'ws' ? await openWs(o, onAnswer) : await openNats(o, onAnswer);
  const batcher = new Batcher(o.instruments, o.encoding);
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const report = () => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ ...totals, t: Math.round(elapsed() * 1000) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  };
  const reporter = setInterval(report, 1000);
  // A producer that fell behind its rate catches up by at most this much: no burst after a stall.
  const maxDebt = Math.max(o.batch, o.rate / 10);
  let credit = 0;
  let last = performance.now();
  while (elapsed() < o.seconds) {
    const now = performance.now();
    credit = o.rate === 0 ? Infinity : Math.min(credit + ((now - last) / 1000) * o.rate, maxDebt + o.batch);
    last = now;
    while (credit >= o.batch && inFlight < o.window && !door.congested()) {
      door.send(batcher.build(o.batch), o.batch);
      inFlight++;
      totals.sent += o.batch;
      credit -= o.batch;
    }
    // Wait for an answer (window full) or for the rate's next batch, whichever first, at most 5 ms.
    const waitMs = o.rate === 0 ? 5 : Math.min(5, Math.max(1, ((o.batch - credit) / o.rate) * 1000));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, waitMs);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  }
  // Answers still in flight count if they come within 2 s.
  const drainUntil = performance.now() + 2000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  clearInterval(reporter);
  report();
  await door.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`ingest-producer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
