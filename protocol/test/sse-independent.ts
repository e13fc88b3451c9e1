// A text/event-stream reader written for the tests from the WHATWG HTML "server-sent events" parsing
// rules alone (§9.2.6 "Interpreting an event stream"), so integration tests do not check the product's
// SSE parser against itself. It also holds a forgiving-base64 decoder written from the WHATWG Infra
// "forgiving-base64 decode" steps, to judge the product's base64ToFrame. Clarity over speed.

export interface SpecSseEvent {
  /** The source's last event ID string when the event was dispatched. */
  id: string;
  event: string;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/** Incremental reader: accepts bytes (decoded as UTF-8 across chunk edges) or already-decoded text. */
export class SpecSseReader {
  readonly events: SpecSseEvent[] = [];
  /** The reconnection time from the last valid `retry` field, ms. */
  retryMs: number | null = null;
  comments = 0;
  private readonly decoder = new TextDecoder('utf-8');
  private line: string[] = [];
  private pendingCR = false;
  private atStreamStart = true;
  private dataBuffer = '';
  private eventTypeBuffer = '';
  private lastEventIdBuffer = '';
  private lastEventId = '';

  constructor(private readonly onEvent: (event: SpecSseEvent) => void = () => {}) {}

  feedBytes(bytes: Uint8Array): void {
    this.feedText(this.decoder.decode(bytes, { stream: true }));
  }

  feedText(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // "The stream must then be parsed by reading everything line by line": a single leading BOM is skipped.
      if (this.atStreamStart) {
        this.atStreamStart = false;
        if (code === BOM) continue;
      }
      // CRLF is one line end even when the CR and the LF arrive in different chunks.
      if (this.pendingCR) {
        this.pendingCR = false;
        if (code === LF) continue;
      }
      if (code === CR) {
        this.pendingCR = true;
        this.endLine();
      } else if (code === LF) {
        this.endLine();
      } else {
        this.line.push(text[i]!);
      }
    }
  }

  private endLine(): void {
    const line = this.line.join('');
    this.line = [];
    if (line.length === 0) return this.dispatch();
    if (line[0] === ':') {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon >= 0) {
      field = line.substring(0, colon);
      value = line.substring(colon + 1);
      if (value[0] === ' ') value = value.substring(1);
    }
    this.processField(field, value);
  }

  private processField(field: string, value: string): void {
    if (field === 'event') this.eventTypeBuffer = value;
    else if (field === 'data') this.dataBuffer += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\u0000')) this.lastEventIdBuffer = value;
    } else if (field === 'retry') {
      if (value.length > 0 && [...value].every((c) => c >= '0' && c <= '9')) this.retryMs = Number.parseInt(value, 10);
    }
    // Any other field is ignored.
  }

  private dispatch(): void {
    this.lastEventId = this.lastEventIdBuffer;
    if (this.dataBuffer === '') {
      this.eventTypeBuffer = '';
      return;
    }
    const data = this.dataBuffer.endsWith('\n') ? this.dataBuffer.slice(0, -1) : this.dataBuffer;
    const event: SpecSseEvent = { id: this.lastEventId, event: this.eventTypeBuffer === '' ? 'message' : this.eventTypeBuffer, data };
    this.dataBuffer = '';
    this.eventTypeBuffer = '';
    this.events.push(event);
    this.onEvent(event);
  }
}

/** Parses a complete stream in one go. */
export function parseSseStream(text: string): SpecSseReader {
  const reader = new SpecSseReader();
  reader.feedText(text);
  return reader;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;

/** WHATWG forgiving-base64 decode: the bytes, or null for "failure". */
export function forgivingBase64Decode(input: string): Uint8Array | null {
  let s = input.replace(ASCII_WHITESPACE, '');
  if (s.length % 4 === 0) {
    if (s.endsWith('==')) s = s.slice(0, -2);
    else if (s.endsWith('=')) s = s.slice(0, -1);
  }
  if (s.length % 4 === 1) return null;
  const sextets: number[] = [];
  for (const c of s) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return null;
    sextets.push(v);
  }
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const v of sextets) {
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
    buffer &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}
