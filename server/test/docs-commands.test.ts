// The READMEs' shell commands work as written: every command of every ```sh/```bash block in README.md and
// the package READMEs runs from the root of a scratch copy of the tree against a real server on a free
// port (8080 in URLs becomes that port; load tests are cut to a few clients for a few seconds), and must
// exit 0 in time. Blocks marked <!-- docs-test: skip: why --> are listed with their reason. The reader
// and the adapter are tested too, and so is the point of it all: a wrong flag makes a command fail.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/config.js';
import {
  adaptCommand,
  DocsFormatError,
  extractCommands,
  LOADTEST_BOUNDS,
  runCommand,
  scratchCopy,
  stripComment,
  tokenize,
  type DocCommand,
} from './docs-commands.js';
import { REPO_ROOT, startServerProcess, type ServerProcess } from './harness.js';

/** Generous: a command may build the node code first (tsc), on a box shared with other test files. */
const COMMAND_TIMEOUT_MS = 150_000;

function readmes(dir: string, depth = 0): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'test-results', '.git'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth < 3) out.push(...readmes(path, depth + 1));
    else if (entry.isFile() && entry.name === 'README.md') out.push(path);
  }
  return out;
}

const files = readmes(REPO_ROOT).sort();
const commands: DocCommand[] = files.flatMap((path) => extractCommands(readFileSync(path, 'utf8'), relative(REPO_ROOT, path)));
const runnable = commands.filter((c) => c.skip === null);
const skipped = commands.filter((c) => c.skip !== null);

describe('README commands', () => {
  let server: ServerProcess | undefined;
  let scratch: string | undefined;

  beforeAll(async () => {
    scratch = scratchCopy(REPO_ROOT);
    server = await startServerProcess(['--tick-rate', '1000']);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('finds the READMEs and their commands, and names a reason for each one it does not run', () => {
    expect(files.map((f) => relative(REPO_ROOT, f))).toContain('README.md');
    expect(runnable.length).toBeGreaterThan(0);
    for (const c of skipped) expect(c.skip, `${c.file}:${c.line}`).toMatch(/\S{3}/);
    console.log(
      `docs commands: ${runnable.length} run, ${skipped.length} not run:\n` +
        skipped.map((c) => `  ${c.file}:${c.line} ${c.text}\n      — ${c.skip}`).join('\n'),
    );
  });

  it(
    "the load tester's default target is the server's default address",
    async () => {
      const r = await runCommand('npm run loadtest -- --help', scratch!, COMMAND_TIMEOUT_MS);
      expect(r.code, r.output).toBe(0);
      // Help text wraps to the terminal width: compare with whitespace collapsed.
      // The --url option's own line ends with its default; nothing else may sit between them.
      expect(r.output.replace(/\s+/g, ' ')).toMatch(
        new RegExp(`--url <url> [^-]*server base URL[^"]*\\(default: "http://${DEFAULT_CONFIG.host.replace(/\./g, '\\.')}:${DEFAULT_CONFIG.port}"\\)`),
      );
    },
    COMMAND_TIMEOUT_MS + 5_000,
  );

  it(
    'fails a command whose flag the tool does not know (the README bug this test exists for)',
    async () => {
      const { command } = adaptCommand('npm run loadtest -- --url http://127.0.0.1:8080 --clients 1 --symbols 5', server!);
      const r = await runCommand(command, scratch!, COMMAND_TIMEOUT_MS);
      expect(r.timedOut).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("unknown option '--symbols'");
    },
    COMMAND_TIMEOUT_MS + 5_000,
  );

  for (const c of runnable) {
    it(
      `${c.file}:${c.line}: ${c.text}`,
      async () => {
        const { command, changes } = adaptCommand(c.text, server!);
        if (changes.length > 0) console.log(`${c.file}:${c.line} runs as: ${command}\n  (${changes.join('; ')})`);
        const r = await runCommand(command, scratch!, COMMAND_TIMEOUT_MS);
        const hint = `\n${c.file}:${c.line} failed as written. Fix the command, or, if it cannot run in a test, put <!-- docs-test: skip: why --> before its block.\n--- output (tail) ---\n${r.output.slice(-4_000)}`;
        expect(r.timedOut, `did not finish in ${COMMAND_TIMEOUT_MS / 1000} s${hint}`).toBe(false);
        expect(r.code, `exit code ${r.code}${hint}`).toBe(0);
      },
      COMMAND_TIMEOUT_MS + 5_000,
    );
  }
});

describe('reading commands out of markdown', () => {
  const md = [
    '# T',
    '```sh',
    'npm start    # serves forever',
    '# a comment line',
    '',
    'npm run loadtest -- --url http://127.0.0.1:8080 \\',
    '    --clients 5',
    '```',
    '<!-- docs-test: skip: runs for ten minutes -->',
    '```bash',
    'npm run bench',
    '```',
    '```js',
    'console.log("# not shell")',
    '```',
    '1. In a list:',
    '   ```sh',
    '   npm run feed -- --help',
    '   ```',
    '````sh',
    'echo "a ``` inside"',
    '````',
  ].join('\n');

  it('joins continuations, drops comments, keeps line numbers, reads indented and longer fences', () => {
    expect(extractCommands(md, 'X.md')).toEqual([
      { file: 'X.md', line: 3, text: 'npm start', skip: null },
      { file: 'X.md', line: 6, text: 'npm run loadtest -- --url http://127.0.0.1:8080 --clients 5', skip: null },
      { file: 'X.md', line: 11, text: 'npm run bench', skip: 'runs for ten minutes' },
      { file: 'X.md', line: 18, text: 'npm run feed -- --help', skip: null },
      { file: 'X.md', line: 21, text: 'echo "a ``` inside"', skip: null },
    ]);
  });

  it('refuses markers it cannot apply instead of ignoring them', () => {
    expect(() => extractCommands('<!-- docs-test: skipp: x -->\n```sh\nls\n```', 'a.md')).toThrow(/a\.md:1: unknown docs-test directive/);
    expect(() => extractCommands('<!-- docs-test: skip: x -->\n```js\nx\n```', 'a.md')).toThrow(/not a shell block/);
    expect(() => extractCommands('<!-- docs-test: skip: x -->\nsome prose\n```sh\nls\n```', 'a.md')).toThrow(/directly before/);
    expect(() => extractCommands('<!-- docs-test: skip: -->\n```sh\nls\n```', 'a.md')).toThrow(DocsFormatError);
    expect(() => extractCommands('```sh\nls\n', 'a.md')).toThrow(/never closed/);
    expect(() => extractCommands('text\n<!-- docs-test: skip: x -->', 'a.md')).toThrow(/before no block/);
  });

  it('splits words like a shell for plain commands and flags shell syntax', () => {
    expect(tokenize(`a 'b c' "d \\"e\\"" f\\ g # h`)).toEqual({ words: ['a', 'b c', 'd "e"', 'f g'], operators: false });
    expect(tokenize('a | b').operators).toBe(true);
    expect(tokenize('echo "$HOME"').operators).toBe(true);
    expect(stripComment(`echo '# kept' "#kept" a#b # gone`)).toBe(`echo '# kept' "#kept" a#b `);
  });
});

describe('adapting a command for the test', () => {
  const target = { port: 41234, url: 'http://127.0.0.1:41234' };

  it('points URLs on the default port at the test server and leaves other commands alone', () => {
    expect(adaptCommand('curl -s http://127.0.0.1:8080/healthz', target)).toEqual({
      command: 'curl -s http://127.0.0.1:41234/healthz',
      changes: ['127.0.0.1:8080 → 127.0.0.1:41234'],
    });
    expect(adaptCommand('npm run feed -- --help', target)).toEqual({ command: 'npm run feed -- --help', changes: [] });
  });

  it('bounds load tests and keeps every flag as written, right or wrong', () => {
    const a = adaptCommand('npm run loadtest -- --url http://127.0.0.1:8080 --clients 1000 --symbols 5 --ramp-up 5s --duration 30s --json lt.json', target);
    expect(a.command).toBe(
      `npm run loadtest -- --url http://127.0.0.1:41234 --clients ${LOADTEST_BOUNDS.clients} --symbols 5 --ramp-up 1s --duration 2s --json lt.json`,
    );
    const b = adaptCommand('npm run loadtest -- -c 5 -t mix -d 20s', target);
    expect(b.command).toBe('npm run loadtest -- -c 5 -t mix -d 2s --url http://127.0.0.1:41234');
    expect(adaptCommand('npm run loadtest -- --help', target).changes).toEqual([]);
  });

  it('refuses what it cannot bound', () => {
    expect(() => adaptCommand('npm run loadtest -- -c 5 | tee out.txt', target)).toThrow(DocsFormatError);
    expect(() => adaptCommand('npm start &', target)).toThrow(/background/);
    expect(adaptCommand('npm run build && npm run check', target).command).toBe('npm run build && npm run check');
  });
});
