// Entry point of `npm run loadtest -- …`: parse options, run, print the summary, write the reports.
// Exit codes: 0 done (even with delivery problems: read the verdict), 1 bad options or the run failed.
import { CommanderError } from 'commander';
import { buildProgram, configFromOptions } from './cli.js';
import { ConfigError } from './config.js';
import { progressLine, summaryText } from './report/summary.js';
import { writeReports } from './report/write.js';
import { runLoadTest } from './run.js';

async function main(): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    program.parse(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  let config;
  try {
    config = configFromOptions(program.opts());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tickwire-loadtest: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const every = Math.max(1, Math.round(config.progressMs / 1000));
  let n = 0;
  const result = await runLoadTest(config, {
    onSample: (point, info) => {
      if (config.progressMs > 0 && ++n % every === 0) {
        process.stderr.write(`${progressLine(point, info.clients, info.elapsedS, info.totalS)}\n`);
      }
    },
  });
  process.stdout.write(`\n${summaryText(result)}\n`);
  await writeReports(result, config.jsonPath, config.htmlPath);
  if (config.jsonPath !== null) process.stdout.write(`JSON report: ${config.jsonPath}\n`);
  if (config.htmlPath !== null) process.stdout.write(`HTML report: ${config.htmlPath}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // fetch() says only "fetch failed"; the cause names the real problem (refused, an untrusted certificate…).
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    process.stderr.write(`tickwire-loadtest: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
    process.exitCode = 1;
  },
);
