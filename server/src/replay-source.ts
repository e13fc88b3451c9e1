// --source csv|ndjson FILE (server or feed process): the trade file is read and checked for shape at start
// (TW_SOURCE), then released into the ingest core once per batch window at --speed, counted through the
// process's sink (the server's ingest metrics, the feed's stats), with rejections logged once per reason
// per window and a summary at the end.
import { readFileSync } from 'node:fs';
import { TradeFileError, TradeReplay, readTradeFile } from '@tickwire/core/replay';
import type { IngestCore, IngestRejection, IngestResult } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { StartupError } from './errors.js';
import { rejectionLog } from './ingest-guard.js';
import type { SourceSink } from './source-sink.js';

export interface ReplaySource {
  /** Binds where counts go (the server's metrics arrive with the feed's start hooks); starts what runs on its own. */
  attach(sink: SourceSink): void;
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
    attach(sink) {
      const note = rejectionLog(log);
      record = (r) => {
        sink.ingested(r);
        note(r);
      };
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
