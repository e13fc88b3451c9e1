// Retry-After as the HTTP transports read it (503 past a connection cap, 429 past a per-address cap, a
// held-poll limit): delta-seconds as ms, the only form the server sends; a date or junk reads as none.

/** Seconds of a Retry-After header as ms; null when absent or not delta-seconds. */
export function retryAfterMs(header: string | null): number | null {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return null;
  return Number(header.trim()) * 1000;
}
