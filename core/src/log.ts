// Structured JSON logs (pino) on stdout: one line per event, machine-readable for operators and tests.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tickwire' } });
}
