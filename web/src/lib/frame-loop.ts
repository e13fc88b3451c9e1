// The one render loop of the app. Any number of "something changed" signals collapse into a single
// flush, at most once per `minIntervalMs` (≥ one display frame), so DOM and charts change at most once
// per painted frame. The flush runs from a timer, not from requestAnimationFrame, on purpose: the
// charts draw in their own animation-frame callback, so a flush inside rAF would make every update
// cost two frames (ours, then the charts'); from a timer, Svelte's DOM patch (a microtask) and the
// charts' draw land in the same next frame. Measured in docs/benchmarks.md.

export interface FrameLoopOptions {
  /** Shortest time between two flushes (keep it above one frame, ~16.7 ms). */
  minIntervalMs: number;
  now?: () => number;
  setTimer?: (cb: () => void, ms: number) => unknown;
}

export class FrameLoop {
  private pending = false;
  private lastRun = -Infinity;
  private readonly tasks: Array<(now: number) => void> = [];
  private readonly now: () => number;
  private readonly setTimer: (cb: () => void, ms: number) => unknown;

  constructor(private readonly options: FrameLoopOptions) {
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((cb, ms) => setTimeout(cb, ms));
  }

  /** Runs `task` on every flush, in registration order. Returns an unregister function. */
  add(task: (now: number) => void): () => void {
    this.tasks.push(task);
    return () => {
      const i = this.tasks.indexOf(task);
      if (i !== -1) this.tasks.splice(i, 1);
    };
  }

  /** Something changed: flush as soon as the interval allows. */
  request(): void {
    if (this.pending) return;
    this.pending = true;
    this.setTimer(this.run, Math.max(0, this.lastRun + this.options.minIntervalMs - this.now()));
  }

  private readonly run = (): void => {
    this.pending = false;
    const now = this.now();
    this.lastRun = now;
    for (const task of this.tasks) {
      try {
        task(now);
      } catch (error) {
        // One broken consumer must not freeze the rest of the screen.
        console.error('frame task failed', error);
      }
    }
  };
}
