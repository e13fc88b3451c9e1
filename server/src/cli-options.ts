// Pieces shared by the server's and the feed process's command lines: value parsers, options that also
// read an environment variable, and a parse that turns any bad value into one TW_CONFIG line.
import { Command, InvalidArgumentError, Option } from 'commander';
import { StartupError } from './errors.js';
import { parseNatsUrls } from '@tickwire/core/nats/subjects';

/** An option that falls back to an environment variable (the flag wins). */
export function envOption(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(env);
}

export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

export function natsUrls(value: string): string {
  const urls = parseNatsUrls(value);
  if (typeof urls === 'string') throw new InvalidArgumentError(urls);
  return urls.join(',');
}

/**
 * Parses argv (without node and script) against `env` instead of process.env, so tests can inject it.
 * --help passes through (the caller exits 0); anything else wrong becomes StartupError TW_CONFIG.
 */
export function parseCommandLine(program: Command, argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const saved = process.env;
  process.env = env;
  program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    const e = error as { code?: string; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') throw error;
    throw new StartupError('TW_CONFIG', `invalid configuration: ${e.message.replace(/^error: /, '')}`, { cause: error });
  } finally {
    process.env = saved;
  }
}
