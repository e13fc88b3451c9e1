// Number formatting shared by every report (terminal summary, storm and resume tables, HTML): one leaf
// module, so the report modules import it instead of each other.
const n0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const n1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function fmtInt(n: number): string {
  return n0.format(n);
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? n0.format(ms) : ms >= 10 ? n1.format(ms) : ms.toFixed(2);
}

export function fmtBytes(n: number): string {
  if (n >= 1048576) return `${n1.format(n / 1048576)} MiB`;
  if (n >= 1024) return `${n1.format(n / 1024)} KiB`;
  return `${n0.format(n)} B`;
}
