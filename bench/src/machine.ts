// The machine a benchmark ran on, recorded beside every result (results are only comparable on the same
// machine). Its own module so the sections that record it (clients-per-core, storms) and the renderer
// (markdown.ts) can share it without importing each other.

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  kernel: string;
  date: string;
}
