// Opens the bus-fed FeedSource (a gateway relaying a feed process over NATS or the --workers hub). Kept
// apart from feed-source.ts, whose seam types gateway-source.ts implements, so neither imports the other.
import type { BusSourceOptions, FeedSource } from './feed-source.js';

/** Connects a gateway to the feed bus (NATS loaded only here, so the embedded default never pays for it). */
export async function openBusSource(options: BusSourceOptions): Promise<FeedSource> {
  const { openGatewaySource } = await import('./nats/gateway-source.js');
  return openGatewaySource(options);
}
