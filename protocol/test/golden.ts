// Golden byte vectors of protocol v1, the negotiated compact Updates included: fixed inputs and the
// exact bytes they encode to. The same hex strings appear in docs/protocol.md; tests check the server
// encoder, the Node decoder and the browser (Chromium) decoder against them.
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from '../src/units.js';
import { AckOp, FrameType, type Frame } from '../src/messages.js';

const EPOCH = 0x01020304;
const SENT = 1_767_225_600_123 as EpochMs; // 2026-01-01T00:00:00.123Z

export interface GoldenVector {
  name: string;
  frame: Frame;
  hex: string;
}

const header = { version: 1, flags: 0, epoch: EPOCH, sendTimeMs: SENT } as const;

export const GOLDEN: GoldenVector[] = [
  {
    name: 'hello',
    frame: { ...header, type: FrameType.Hello, heartbeatMs: 1000, maxSymbols: 100, sessionId: 'abc', serverId: 'gw-1' },
    hex: '010100000403020100b087aa6db77942e80300006400036162630467772d31',
  },
  {
    name: 'snapshot',
    frame: {
      ...header,
      type: FrameType.Snapshot,
      symbolId: 7,
      ticker: 'AAPL',
      priceScale: 2,
      sizeScale: 0,
      seq: 42,
      lastTimeMs: 1_767_225_599_900 as EpochMs,
      last: 18_950 as PriceTicks,
      lastSize: 100 as SizeLots,
      bid: 18_949 as PriceTicks,
      ask: 18_951 as PriceTicks,
      open: 18_900 as PriceTicks,
      high: 19_000 as PriceTicks,
      low: 18_800 as PriceTicks,
      volume: 123_456,
      sessionStartMs: 1_767_225_000_000 as EpochMs,
      candles: [
        {
          intervalSec: 60,
          candles: [
            {
              time: 1_767_225_540 as UtcSeconds,
              open: 18_900 as PriceTicks,
              high: 18_960 as PriceTicks,
              low: 18_890 as PriceTicks,
              close: 18_950 as PriceTicks,
              volume: 5_000,
            },
          ],
        },
      ],
    },
    hex: '010200000403020100b087aa6db77942070000002a00000000c079aa6db77942064a000064000000054a0000074a0000d4490000384a000070490000000000000024fe40000004186db779420200044141504c013c0000000100c4b85569d4490000104a0000ca490000064a0000000000000088b340',
  },
  {
    name: 'updates',
    frame: {
      ...header,
      type: FrameType.Updates,
      ticks: [
        {
          symbolId: 7,
          flags: 0,
          seq: 43,
          eventTimeMs: 1_767_225_600_001 as EpochMs,
          price: 18_951 as PriceTicks,
          size: 200 as SizeLots,
          bid: 18_950 as PriceTicks,
          ask: 18_952 as PriceTicks,
        },
        {
          symbolId: 7,
          flags: 1,
          seq: 45,
          eventTimeMs: 1_767_225_600_050.5 as EpochMs,
          price: 18_949 as PriceTicks,
          size: 1 as SizeLots,
          bid: 18_948 as PriceTicks,
          ask: 18_950 as PriceTicks,
        },
      ],
    },
    hex: '010300000403020100b087aa6db7794202000000070000002b000000001080aa6db77942074a0000c8000000064a0000084a0000070001002d000000002883aa6db77942054a000001000000044a0000064a0000',
  },
  {
    name: 'heartbeat',
    frame: {
      ...header,
      type: FrameType.Heartbeat,
      symbols: [
        { symbolId: 7, seq: 45 },
        { symbolId: 300, seq: 1 },
      ],
    },
    hex: '010400000403020100b087aa6db7794202000000070000002d0000002c01000001000000',
  },
  {
    name: 'ack',
    frame: { ...header, type: FrameType.Ack, requestId: 9, op: AckOp.Subscribe, symbolIds: [7, 300] },
    hex: '010500000403020100b087aa6db7794209000000010200000007002c01',
  },
  {
    name: 'error',
    frame: { ...header, type: FrameType.Error, code: 4, requestId: 9, message: 'unknown symbol: NOPE' },
    hex: '010600000403020100b087aa6db779420400090000001400756e6b6e6f776e2073796d626f6c3a204e4f5045',
  },
  {
    // A server that offers compact Updates says so in the Hello's header flags (HelloFlag.Compact).
    name: 'hello-compact',
    frame: { ...header, flags: 1, type: FrameType.Hello, heartbeatMs: 1000, maxSymbols: 100, sessionId: 'abc', serverId: 'gw-1' },
    hex: '010101000403020100b087aa6db77942e80300006400036162630467772d31',
  },
  {
    // The 'updates' ticks plus a record of another symbol: symbol + absolute seq/price (record 0 and 2), an
    // implied seq + 1 never appears here, a seq jump with the conflated bit (record 1), reserved tick flag
    // bits and an unpacked quote (record 2), an event time after the send time (record 2).
    name: 'updates-compact',
    frame: {
      ...header,
      type: FrameType.UpdatesCompact,
      ticks: [
        {
          symbolId: 7,
          flags: 0,
          seq: 43,
          eventTimeMs: 1_767_225_600_001 as EpochMs,
          price: 18_951 as PriceTicks,
          size: 200 as SizeLots,
          bid: 18_950 as PriceTicks,
          ask: 18_952 as PriceTicks,
        },
        {
          symbolId: 7,
          flags: 1,
          seq: 45,
          eventTimeMs: 1_767_225_600_050.5 as EpochMs,
          price: 18_949 as PriceTicks,
          size: 1 as SizeLots,
          bid: 18_948 as PriceTicks,
          ask: 18_950 as PriceTicks,
        },
        {
          symbolId: 300,
          flags: 4,
          seq: 1,
          eventTimeMs: 1_767_225_600_123.25 as EpochMs,
          price: 6_501_250 as PriceTicks,
          size: 5_000_000 as SizeLots,
          bid: 6_501_240 as PriceTicks,
          ask: 6_501_260 as PriceTicks,
        },
      ],
    },
    hex: '01070403020100b087aa6db779420314072b90b907879401c801211901dc82030301210602ac0201aeb80482e78c03c096b1021314',
  },
  {
    // The common case: consecutive ticks of one symbol, so seq and symbol are implied after record 0.
    name: 'updates-compact-run',
    frame: {
      ...header,
      type: FrameType.UpdatesCompact,
      ticks: [
        {
          symbolId: 7,
          flags: 0,
          seq: 46,
          eventTimeMs: 1_767_225_600_110 as EpochMs,
          price: 18_950 as PriceTicks,
          size: 100 as SizeLots,
          bid: 18_949 as PriceTicks,
          ask: 18_951 as PriceTicks,
        },
        {
          symbolId: 7,
          flags: 0,
          seq: 47,
          eventTimeMs: 1_767_225_600_112.5 as EpochMs,
          price: 18_951 as PriceTicks,
          size: 300 as SizeLots,
          bid: 18_950 as PriceTicks,
          ask: 18_951 as PriceTicks,
        },
      ],
    },
    hex: '01070403020100b087aa6db779420214072ec865869401642110c41302ac0201',
  },
];
