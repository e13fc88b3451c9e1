// Seeded pseudo-random numbers for the simulated market. Everything random in the feed is drawn from
// one of these, in a fixed order, so a seed reproduces a stream exactly on any machine and JS engine.
// The generator is sfc32 (small, fast, passes PractRand) with its state filled by splitmix32.

const TWO_POW_32 = 0x1_0000_0000;

/** splitmix32 step: spreads even adjacent or tiny seeds over the whole 32-bit state space. */
function splitmix32(state: number): number {
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export interface RngState {
  words: number[];
  spare: number;
  hasSpare: boolean;
}

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  // Box–Muller yields normals in pairs; keeping the second halves the log/sqrt/trig work.
  #spare = 0;
  #hasSpare = false;

  /** `seed` is any safe integer; both 32-bit halves of it matter. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = lo;
    const next = (): number => {
      s = (s + 0x9e37_79b9) | 0;
      return splitmix32(s);
    };
    this.#a = next();
    this.#b = next() ^ hi;
    this.#c = next();
    this.#d = next() | 1;
    // sfc32's authors advise discarding the first outputs so correlated seeds decorrelate.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The generator's complete state (to persist a simulation across a restart). */
  getState(): RngState {
    return { words: [this.#a, this.#b, this.#c, this.#d], spare: this.#spare, hasSpare: this.#hasSpare };
  }

  /** Continues exactly where a saved state left off. */
  setState(state: RngState): void {
    const [a, b, c, d] = state.words;
    if (state.words.length !== 4 || [a, b, c, d].some((w) => !Number.isInteger(w))) throw new RangeError('RNG state needs four integer words');
    this.#a = a! | 0;
    this.#b = b! | 0;
    this.#c = c! | 0;
    this.#d = d! | 0;
    this.#spare = state.spare;
    this.#hasSpare = state.hasSpare;
  }

  /** Next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on [0, 1) with 32 bits of resolution (ample for a simulation, and one draw per call). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    // 1 - u is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    this.#hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Exponential with the given rate (mean 1 / rate); may return exactly 0. */
  exponential(rate: number): number {
    return -Math.log(1 - this.uniform()) / rate;
  }

  /** exp(N(mu, sigma²)). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }
}
