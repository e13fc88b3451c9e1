// A minimal typed event emitter (no Node `events`, so the client bundles for browsers): `on` returns
// its own unsubscribe function, listeners run in the order they were added, a throwing listener is
// reported and does not stop the others or the frame being applied.

// `any[]` is what lets each event keep its own parameter list; listeners are typed per event below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  /** Reports a listener that threw (default: console.error), so one bad listener cannot break the feed. */
  constructor(private readonly onListenerError: (error: unknown) => void = (error) => console.error(error)) {}

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    // A wrapper per registration, so the same function added twice is removed once per call.
    const entry: Listener = (...args) => listener(...args);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Whether anything listens: lets hot paths skip building values nobody reads. */
  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
