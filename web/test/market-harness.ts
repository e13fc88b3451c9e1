// The dashboard's store on the client's ingest, as the page wires them (TickwireClient.feed → MarketStore),
// fed scripted frames without a connection: what the store tests drive.
import { MarketFeed } from '@tickwire/client';
import { decodeFrame, decodeHeader, encodeHello } from '@tickwire/protocol/codec';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { FrameType } from '@tickwire/protocol/messages';
import { MarketStore, type StoreOptions } from '../src/lib/market/store.js';

export function marketHarness(now: () => number, catalogue: InstrumentInfo[], watched: string[], history?: StoreOptions['history']) {
  const resyncs: string[][] = [];
  const feed = new MarketFeed({ requestResync: (t) => resyncs.push(t), now });
  const store = new MarketStore({ feed, onDirty: () => {}, now, ...(history === undefined ? {} : { history }) });
  store.setCatalogue(catalogue);
  const watch = (tickers: string[]) => {
    feed.setSymbols(tickers);
    store.setWatched(tickers);
  };
  watch(watched);
  const frame = (bytes: Uint8Array) => {
    const head = decodeHeader(bytes);
    if (!head.ok) throw new Error(head.error);
    feed.frame(bytes, head.value);
  };
  const hello = (epoch: number, resumed = false) => {
    const f = decodeFrame(encodeHello(epoch, now(), { heartbeatMs: 1000, maxSymbols: 100, sessionId: 's', serverId: 'x' }));
    if (!f.ok || f.value.type !== FrameType.Hello) throw new Error('bad hello');
    feed.sessionStarted(f.value, resumed);
  };
  return { feed, store, resyncs, watch, frame, hello };
}
