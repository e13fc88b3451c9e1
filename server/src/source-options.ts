// The --source option (a trade file or an exchange for the --instruments marked ingest), shared by the
// server (config.ts) and the feed process (nats/feed-process.ts) so both take the same words, the same
// environment variable and the same validation.
import type { Option } from 'commander';
import { envOption } from './cli-options.js';
import { StartupError } from './errors.js';

/** Trades from a file (csv|ndjson FILE) or an exchange (coinbase|binance [URL]) through the ingest core. */
export type TradeSourceSpec = { kind: 'csv' | 'ndjson'; file: string } | { kind: 'coinbase' | 'binance'; url: string | null };

/** The replay speeds --source takes: the file's pace, ten times it, or as fast as the queue allows. */
export const SOURCE_SPEEDS = ['1', '10', 'max'] as const;

export function sourceOption(): Option {
  return envOption(
    '--source <kind-and-file...>',
    'trades from a file (csv FILE, ndjson FILE) or an exchange (coinbase [URL], binance [URL]) for the --instruments marked ingest (docs/ingest.md)',
    'TICKWIRE_SOURCE',
  ).argParser(sourceWords);
}

/** `--source csv FILE`: commander hands a variadic option's words one by one (the environment's as one string). */
function sourceWords(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(/\s+/).filter(Boolean)];
}

/** The words of --source as a spec; TW_CONFIG when they are not one of the four forms. */
export function sourceSpec(words: string[] | undefined): TradeSourceSpec | null {
  if (words === undefined) return null;
  const [kind, arg, ...rest] = words;
  if ((kind === 'csv' || kind === 'ndjson') && arg !== undefined && rest.length === 0) return { kind, file: arg };
  if ((kind === 'coinbase' || kind === 'binance') && rest.length === 0 && (arg === undefined || /^wss?:\/\/\S+$/.test(arg))) return { kind, url: arg ?? null };
  throw new StartupError(
    'TW_CONFIG',
    `invalid configuration: --source takes "csv FILE", "ndjson FILE", "coinbase [wss://URL]" or "binance [wss://URL]", got "${words.join(' ')}"`,
  );
}
