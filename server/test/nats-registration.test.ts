// Run-time registration is the embedded server's: a feed process with a real nats-server answers a
// registration request on tickwire.ingest.instruments with a refusal that says where to register instead,
// and its instrument list (the meta reply gateways start from) stays as the file made it.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestAnswer } from '@tickwire/protocol/ingest-wire';
import { createLogger } from '@tickwire/core/log';
import { connectNatsBus, type Bus } from '@tickwire/core/nats/bus';
import { INGEST_INSTRUMENTS_SUBJECT, META_SUBJECT, parseFeedMeta } from '@tickwire/core/nats/subjects';
import { parseFeedConfig, runFeed, type RunningFeed } from '../src/nats/feed-process.js';
import { INGEST_TEST_INSTRUMENTS, ingestInstrumentFile } from './bad-inputs.js';
import { startNats, type NatsServer } from './nats-harness.js';

const silent = createLogger('silent');
let nats: NatsServer;
let producer: NatsConnection;
let bus: Bus;
let feed: RunningFeed;

beforeAll(async () => {
  nats = await startNats();
  producer = await connect({ servers: nats.url, name: 'nats-registration-producer' });
  bus = await connectNatsBus({ servers: nats.url, name: 'nats-registration-feed', log: silent });
  feed = await runFeed(parseFeedConfig(['--nats', nats.url, '--instruments', ingestInstrumentFile(), '--warmup', '5', '--tick-rate', '100'], {}), bus, silent);
  await bus.flush();
}, 30_000);

afterAll(async () => {
  await feed?.close();
  await bus?.close();
  await producer?.close();
  await nats?.stop();
}, 30_000);

describe('registration on a feed process', () => {
  it('is refused with RegistrationUnavailable naming the way that works, and the list stays', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 }));
    const reply = await producer.request(INGEST_INSTRUMENTS_SUBJECT, body, { timeout: 3000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as IngestAnswer;
    expect(answer).toMatchObject({ type: 'refused', error: { name: 'RegistrationUnavailable' } });
    expect(answer.type === 'refused' && answer.error.message).toContain('--instruments file and restart the feed');
    const meta = parseFeedMeta((await producer.request(META_SUBJECT, new Uint8Array(0), { timeout: 3000 })).data);
    expect(meta?.symbols.map((s) => s.ticker)).toEqual(INGEST_TEST_INSTRUMENTS.map((i) => i.ticker));
  });
});
