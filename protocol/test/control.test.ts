// Control-message parser, resume-cursor parser, units, and the SSE stream parser (fed whole and one
// byte at a time) — all of it runs on untrusted input, so every path must answer rather than throw.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/codes.js';
import { PEEK_ID_CHARS, controlText, parseControl, peekRequestId } from '../src/control.js';
import { cursorEntry, cursorHead, formatCursor, joinCursor, parseCursor } from '../src/cursor.js';
import { SseParser, base64ToFrame, frameToBase64, type SseEvent } from '../src/sse.js';
import { barStart, formatScaled, numberToTicks, ticksToNumber } from '../src/units.js';

describe('parseControl', () => {
  it('accepts subscribe and unsubscribe with id and history, de-duplicating tickers', () => {
    expect(parseControl('{"op":"subscribe","symbols":["AAPL","BRK.B","AAPL"],"id":3,"history":10}', 100)).toEqual({
      ok: true,
      message: { op: 'subscribe', symbols: ['AAPL', 'BRK.B'], requestId: 3, history: 10 },
    });
    expect(parseControl(controlText('unsubscribe', ['EURUSD']), 100)).toEqual({
      ok: true,
      message: { op: 'unsubscribe', symbols: ['EURUSD'], requestId: 0 },
    });
  });
  it.each([
    ['', ErrorCode.BadJson],
    ['nul', ErrorCode.BadJson],
    ['null', ErrorCode.BadMessage],
    ['"subscribe"', ErrorCode.BadMessage],
    ['{"symbols":[]}', ErrorCode.UnknownOp],
    ['{"op":5,"symbols":[]}', ErrorCode.UnknownOp],
    ['{"op":"subscribe"}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":{"0":"AAPL"}}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":["aapl"]}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":["TOOLONGTICKERNAME1"]}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":[null]}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":[],"id":1.5}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":[],"id":"7"}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":[],"history":5000}', ErrorCode.BadMessage],
    ['{"op":"subscribe","symbols":["A","B","C"]}', ErrorCode.TooManySymbols],
  ])('rejects %s', (text, code) => {
    const r = parseControl(text, 2);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(10);
    }
  });
  it('echoes the request id in errors found after reading it', () => {
    expect(parseControl('{"op":"nope","symbols":[],"id":12}', 5)).toMatchObject({ ok: false, requestId: 12 });
  });
  it('counts distinct tickers against maxSymbols: duplicates are dropped first', () => {
    const dupes = JSON.stringify({ op: 'subscribe', symbols: Array.from({ length: 10_000 }, (_, i) => (i % 2 ? 'AAPL' : 'MSFT')), id: 4 });
    expect(parseControl(dupes, 2)).toEqual({ ok: true, message: { op: 'subscribe', symbols: ['MSFT', 'AAPL'], requestId: 4 } });
    const three = '{"op":"subscribe","symbols":["A","A","B","B","C"],"id":9}';
    expect(parseControl(three, 2)).toMatchObject({ ok: false, code: ErrorCode.TooManySymbols, requestId: 9 });
    expect(parseControl(three, 3)).toMatchObject({ ok: true, message: { symbols: ['A', 'B', 'C'] } });
  });
  it('reads the compact choice as a boolean, refusing anything else with the request id', () => {
    expect(parseControl('{"op":"subscribe","symbols":["AAPL"],"compact":true}', 5)).toMatchObject({ ok: true, message: { compact: true } });
    expect(parseControl('{"op":"subscribe","symbols":[],"compact":false}', 5)).toMatchObject({ ok: true, message: { compact: false } });
    expect(parseControl('{"op":"subscribe","symbols":["AAPL"]}', 5)).toEqual({ ok: true, message: { op: 'subscribe', symbols: ['AAPL'], requestId: 0 } });
    expect(parseControl('{"op":"subscribe","symbols":["AAPL"],"compact":1,"id":8}', 5)).toMatchObject({ ok: false, code: ErrorCode.BadMessage, requestId: 8 });
    expect(controlText('subscribe', ['AAPL'], { id: 1, compact: true })).toBe('{"op":"subscribe","symbols":["AAPL"],"id":1,"compact":true}');
  });
  it('stops at the first distinct ticker past the limit', () => {
    const text = JSON.stringify({ op: 'subscribe', symbols: [...Array.from({ length: 101 }, (_, i) => `S${i}`), 'not a ticker'] });
    expect(parseControl(text, 100)).toMatchObject({ ok: false, code: ErrorCode.TooManySymbols });
  });
});

describe('peekRequestId (messages refused unparsed)', () => {
  it.each([
    ['{"op":"subscribe","symbols":["AAPL"],"id":77}', 77],
    ['{ "id" : 4294967295 , "op":"subscribe"}', 0xffff_ffff],
    ['{"id":4294967296}', 0],
    ['{"id":12345678901}', 0],
    ['{"id":1.5}', 0],
    ['{"id":15e3}', 0],
    ['{"id":"7"}', 0],
    ['{"op":"subscribe"}', 0],
    ['not json at all', 0],
    ['', 0],
  ])('%j -> %d', (text, id) => {
    expect(peekRequestId(text)).toBe(id);
  });
  it('looks only at a bounded prefix', () => {
    const padded = `{"pad":"${'x'.repeat(PEEK_ID_CHARS)}","id":5}`;
    expect(peekRequestId(padded)).toBe(0);
    expect(peekRequestId(`{"id":5,"pad":"${'x'.repeat(PEEK_ID_CHARS * 4)}"}`)).toBe(5);
  });
});

describe('resume cursors', () => {
  it('round-trips', () => {
    const text = formatCursor(0xffff_ffff, [
      [0, 1],
      [65535, 0xffff_ffff],
      [42, 12345],
    ]);
    expect(text).toMatch(/^[0-9a-z._-]+$/);
    const r = parseCursor(text, 10);
    expect(r).toEqual({
      ok: true,
      value: {
        epoch: 0xffff_ffff,
        seqs: new Map([
          [0, 1],
          [65535, 0xffff_ffff],
          [42, 12345],
        ]),
      },
    });
    expect(formatCursor(5, [])).toBe('e5');
    expect(parseCursor(formatCursor(5, []), 10)).toEqual({ ok: true, value: { epoch: 5, seqs: new Map() } });
    // The empty cursor is written e<epoch>; e<epoch>- (a writer that always adds the dash) means the same.
    expect(parseCursor('e5-', 10)).toEqual({ ok: true, value: { epoch: 5, seqs: new Map() } });
  });
  it('is assembled from cached pieces exactly as formatCursor writes it (the SSE hub caches them per batch)', () => {
    expect(joinCursor(cursorHead(0x1e2d3c4b), [])).toBe(formatCursor(0x1e2d3c4b, []));
    expect(joinCursor(cursorHead(7), [cursorEntry(0, 1)])).toBe('e7-0.1');
    expect(joinCursor(cursorHead(0xffff_ffff), [cursorEntry(65535, 0xffff_ffff), cursorEntry(42, 12345)])).toBe(
      formatCursor(0xffff_ffff, [
        [65535, 0xffff_ffff],
        [42, 12345],
      ]),
    );
  });
  it.each(['', 'x', 'e', 'eZZ', 'e1-1', 'e1-1.', 'e1-.1', 'e1-1.1_', 'e1-1.1__2.2', 'e1-zzzzz.1', 'e1-1.zzzzzzzz', 'ezzzzzzz', 'e1-1.1-2.2'])(
    'rejects malformed cursor %j',
    (text) => {
      expect(parseCursor(text, 10).ok).toBe(false);
    },
  );
  it('bounds the work on hostile cursors', () => {
    expect(parseCursor('e1-' + Array.from({ length: 50 }, (_, i) => `${i}.1`).join('_'), 10)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/more than 10/),
    });
    expect(parseCursor('e1-' + '1.1_'.repeat(5000), 100_000)).toMatchObject({ ok: false, error: expect.stringMatching(/longer/) });
  });
});

describe('units', () => {
  it('formats scaled integers exactly', () => {
    expect(formatScaled(108345, 5)).toBe('1.08345');
    expect(formatScaled(5, 5)).toBe('0.00005');
    expect(formatScaled(18950, 2)).toBe('189.50');
    expect(formatScaled(7, 0)).toBe('7');
    expect(formatScaled(-1205, 2)).toBe('-12.05');
    expect(formatScaled(4_294_967_295, 8)).toBe('42.94967295');
  });
  it('converts between numbers and ticks', () => {
    expect(ticksToNumber(108345, 5)).toBeCloseTo(1.08345, 10);
    expect(numberToTicks(1.08345, 5)).toBe(108345);
    expect(numberToTicks(0.1 + 0.2, 2)).toBe(30);
    expect(() => ticksToNumber(1, 13)).toThrow(RangeError);
  });
  it('aligns bars to interval boundaries in UTC seconds', () => {
    expect(barStart(1_767_225_601_999, 1)).toBe(1_767_225_601);
    expect(barStart(1_767_225_601_999, 5)).toBe(1_767_225_600);
    expect(barStart(1_767_225_659_000, 60)).toBe(1_767_225_600);
    expect(barStart(1_767_225_899_999, 300)).toBe(1_767_225_600);
  });
});

describe('SSE', () => {
  const stream =
    'retry: 1000\n\n: keepalive\n\nid: e1-0.5\ndata: AQID\ndata: BAUG\n\nid: e1-0.6\r\nevent: custom\r\ndata:no-space\r\n\r\ndata: x\rdata: y\r\r' +
    'id\ndata\n\nid: a\0b\ndata: keep-old-id\n\n';
  const expected: SseEvent[] = [
    { id: 'e1-0.5', event: 'message', data: 'AQID\nBAUG' },
    { id: 'e1-0.6', event: 'custom', data: 'no-space' },
    { id: 'e1-0.6', event: 'message', data: 'x\ny' },
    { id: '', event: 'message', data: '' },
    { id: '', event: 'message', data: 'keep-old-id' },
  ];

  it('parses a whole stream (LF, CRLF and CR line ends, comments, retry, id persistence)', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.feed(stream);
    expect(events).toEqual(expected);
    expect(parser.comments).toBe(1);
    expect(parser.retryMs).toBe(1000);
  });

  it('parses the same stream fed one character at a time', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    for (const ch of stream) parser.feed(ch);
    expect(events).toEqual(expected);
  });

  it('maps frames to base64 and back, and rejects non-base64', () => {
    const frame = new Uint8Array(70_000).map((_, i) => i * 31);
    expect(base64ToFrame(frameToBase64(frame))).toEqual(frame);
    expect(frameToBase64(new Uint8Array([1, 2, 3]))).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    expect(base64ToFrame('not base64!')).toBeNull();
  });
});
