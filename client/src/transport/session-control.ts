// Control messages for the streaming HTTP transports (SSE, binary stream): the response only carries
// server → client frames, so subscribe/unsubscribe go out as POSTs addressed by the session id the
// stream's Hello announces. That id is the stream's capability: it goes in the X-Tickwire-Session header,
// never the URL (URLs reach logs). Messages sent before that Hello wait here, in order.
import { decodeFrame, decodeHeader } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { browserFetch, type FetchLike } from './types.js';

export class SessionControl {
  private readonly pending: string[] = [];
  private session: string | null = null;

  /** `path` is the control endpoint of the stream, e.g. `/sse/control`. */
  constructor(
    private readonly baseUrl: string,
    private readonly path: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: FetchLike = browserFetch,
  ) {}

  /** Looks at a frame of the stream: the first Hello gives the session id and releases queued messages. */
  observe(bytes: Uint8Array): void {
    if (this.session !== null) return;
    const head = decodeHeader(bytes);
    if (!head.ok || head.value.type !== FrameType.Hello) return;
    const hello = decodeFrame(bytes);
    if (!hello.ok || hello.value.type !== FrameType.Hello) return;
    this.session = hello.value.sessionId;
    for (const text of this.pending.splice(0)) this.post(text);
  }

  send(text: string): void {
    if (this.session === null) this.pending.push(text);
    else this.post(text);
  }

  private post(text: string): void {
    const url = new URL(this.path, this.baseUrl);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tickwire-session': this.session ?? '' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    // The reply (Ack or Error) also arrives on the stream, which is where the manager reads it; a failed
    // POST means the session is gone, which the stream reports by ending.
    this.fetchImpl(url, { method: 'POST', headers, body: text, cache: 'no-store' }).catch(() => {});
  }
}
