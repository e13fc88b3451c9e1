// --source csv|ndjson FILE in the server process: the trade file is read and checked for shape at start
// (TW_SOURCE), then released into the ingest core once per batch window at --speed, counted in the same
// ingest metrics as the doors, with rejections logged once per reason per window and a summary at the end.
import { readFileSync } from 'node:fs';
import { TradeFileError, TradeReplay, readTradeFile } from '@tickwire/core/replay';
import type { IngestCore, IngestRejection, IngestResult } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { StartupError } from './errors.js';
import { batchRecorder } from './ingest-guard.js';
import type { Metrics } from './metrics.js';

export interface ReplaySource {
  /** Binds the metrics (the feed's start hooks have them). */
  attach(metrics: Metrics): void;
  /** Once per batch window, after the queue emptied: releases the rows due by now. */
  pump(core: IngestCore, nowMs: number): void;
  /** Stops what runs on its own (an exchange socket); nothing for a file. */
  close?(): void;
}

export function openReplay(source: { kind: 'csv' | 'ndjson'; file: string }, speed: number, log: Logger): ReplaySource {
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (error) {
    throw new StartupError('TW_SOURCE', `cannot read --source ${source.kind} ${source.file}: ${(error as Error).message}`, { cause: error });
  }
  let replay: TradeReplay;
  try {
    replay = new TradeReplay(readTradeFile(text, source.kind), speed);
  } catch (error) {
    if (error instanceof TradeFileError)
      throw new StartupError('TW_SOURCE', `invalid --source ${source.kind} ${source.file}: ${error.message}`, { cause: error });
    throw error;
  }
  log.info({ file: source.file, rows: replay.rows.length, speed: speed === Infinity ? 'max' : speed }, 'replaying trades');
  let record: ((r: IngestResult) => void) | null = null;
  let accepted = 0;
  const rejected: Partial<Record<IngestRejection, number>> = {};
  return {
    attach(metrics) {
      record = batchRecorder(metrics, log);
    },
    pump(core, nowMs) {
      if (replay.done) return;
      const r = replay.pump(core, nowMs);
      if (r === null) return;
      record?.(r);
      accepted += r.accepted;
      for (const [reason, n] of Object.entries(r.reasons) as Array<[IngestRejection, number]>) rejected[reason] = (rejected[reason] ?? 0) + n;
      if (replay.done) log.info({ file: source.file, accepted, rejected }, 'replay finished');
    },
  };
}
