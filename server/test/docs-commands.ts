// Reads the shell commands out of the READMEs and adapts them for a bounded test run; used by
// docs-commands.test.ts. Convention (also in README.md, "Tests"): every line of a ```sh / ```bash block is
// run from the repository root; a block that cannot run in a test (it serves forever, runs the whole
// suite, benchmarks for minutes) carries `<!-- docs-test: skip: why -->` on the line before its fence.
// Anything the reader does not understand (unknown directive, marker before no shell block, unclosed
// fence) is an error, so a command is either run or skipped with a reason — never silently dropped.
import { spawn } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface DocCommand {
  /** Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the command's first line. */
  line: number;
  /** The command with continuation lines joined and its trailing comment removed. */
  text: string;
  /** Reason given by a skip marker, or null when the command runs. */
  skip: string | null;
}

export class DocsFormatError extends Error {
  override readonly name = 'DocsFormatError';
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'zsh']);
const MARKER = /^\s*<!--\s*docs-test:(.*?)-->\s*$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/** Every command of every shell block in `markdown`; throws DocsFormatError on markers or fences it cannot place. */
export function extractCommands(markdown: string, file: string): DocCommand[] {
  const lines = markdown.split(/\r?\n/);
  const out: DocCommand[] = [];
  let pendingSkip: { reason: string; line: number } | null = null;
  let block: { marker: string; indent: number; shell: boolean; skip: string | null; lines: { n: number; text: string }[] } | null = null;
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (block !== null) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(raw);
      if (close && close[1]![0] === block.marker[0] && close[1]!.length >= block.marker.length) {
        if (block.shell) out.push(...blockCommands(block.lines, file, block.skip));
        block = null;
        return;
      }
      const strip = Math.min(block.indent, raw.length - raw.trimStart().length);
      block.lines.push({ n, text: raw.slice(strip) });
      return;
    }
    const marker = MARKER.exec(raw);
    if (marker) {
      const directive = marker[1]!.trim();
      const skip = /^skip:\s*(\S.*)$/.exec(directive);
      if (!skip) throw new DocsFormatError(`${file}:${n}: unknown docs-test directive "${directive}" (write <!-- docs-test: skip: the reason -->)`);
      pendingSkip = { reason: skip[1]!.trim(), line: n };
      return;
    }
    const fence = FENCE.exec(raw);
    if (fence) {
      const shell = SHELL_LANGUAGES.has(fence[3]!.toLowerCase());
      if (pendingSkip !== null && !shell) {
        throw new DocsFormatError(`${file}:${pendingSkip.line}: the docs-test marker is followed by a "${fence[3]}" block, not a shell block`);
      }
      block = { marker: fence[2]!, indent: fence[1]!.length, shell, skip: pendingSkip?.reason ?? null, lines: [] };
      pendingSkip = null;
      return;
    }
    if (pendingSkip !== null && raw.trim() !== '') {
      throw new DocsFormatError(`${file}:${pendingSkip.line}: a docs-test marker must stand directly before a shell block's fence`);
    }
  });
  if (block !== null) throw new DocsFormatError(`${file}: a code block is never closed`);
  if (pendingSkip !== null) throw new DocsFormatError(`${file}:${(pendingSkip as { line: number }).line}: the docs-test marker stands before no block`);
  return out;
}

function blockCommands(lines: { n: number; text: string }[], file: string, skip: string | null): DocCommand[] {
  const out: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.n;
    let text = lines[i]!.text;
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = `${text.replace(/\s*\\\s*$/, '')} ${lines[++i]!.text.trim()}`;
    const command = stripComment(text).trim();
    if (command !== '') out.push({ file, line: first, text: command, skip });
  }
  return out;
}

interface Tokens {
  words: string[];
  /** Unquoted shell syntax beyond plain words: pipes, lists, redirections, expansions. */
  operators: boolean;
}

/** Splits like a POSIX shell does for plain words (quotes, backslashes, a `#` comment); flags anything more. */
export function tokenize(text: string): Tokens {
  const words: string[] = [];
  let word: string | null = null;
  let operators = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new DocsFormatError(`unterminated ' in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      let s = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) s += text[++j];
        else if (text[j] === '$' || text[j] === '`') {
          operators = true;
          s += text[j];
        } else s += text[j];
      }
      if (j >= text.length) throw new DocsFormatError(`unterminated " in: ${text}`);
      word = (word ?? '') + s;
      i = j;
    } else if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === '#' && word === null) {
      break;
    } else {
      if ('|&;<>()$`'.includes(ch)) operators = true;
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) words.push(word);
  return { words, operators };
}

/** The command without a trailing `# comment` (a `#` that starts a word, outside quotes). */
export function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"') i++;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\') i++;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i);
  }
  return text;
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface Adapted {
  command: string;
  /** What was changed to make the command bounded and point at the test server, for the log. */
  changes: string[];
}

/** Load-test bounds for a docs run: a few clients for a few seconds, whatever the README asks for. */
export const LOADTEST_BOUNDS = { clients: 20, duration: '2s', rampUp: '1s' } as const;

/**
 * Points a README command at the test server and bounds it: the server's default port 8080 in a loopback
 * URL becomes the test server's port; a load test gets at most LOADTEST_BOUNDS and, without --url, the
 * test server's URL. Options are otherwise left exactly as written (a wrong flag must still fail).
 */
export function adaptCommand(text: string, target: { port: number; url: string }): Adapted {
  if (/(^|[^&])&\s*$/.test(text)) {
    throw new DocsFormatError(`a command left running in the background cannot be tested (mark its block with a docs-test skip): ${text}`);
  }
  const changes: string[] = [];
  let command = text.replace(/\b(127\.0\.0\.1|localhost|\[::1\]):8080\b/g, (_m, host: string) => {
    changes.push(`${host}:8080 → ${host}:${target.port}`);
    return `${host}:${target.port}`;
  });
  const { words, operators } = tokenize(command);
  const loadtestAt = loadtestArgsStart(words);
  if (loadtestAt < 0) return { command, changes };
  if (operators) throw new DocsFormatError(`a load-test command with shell operators cannot be bounded by the docs test: ${text}`);
  const args = words.slice(loadtestAt);
  if (args.includes('--help') || args.includes('-h')) return { command, changes };
  const bounded = [...words.slice(0, loadtestAt)];
  const seen = new Set<string>();
  const cap = (flag: string, value: string): string => {
    const name = { '-c': '--clients', '-d': '--duration', '-r': '--ramp-up', '-u': '--url' }[flag] ?? flag;
    seen.add(name);
    let next = value;
    if (name === '--clients' && Number(value) > LOADTEST_BOUNDS.clients) next = String(LOADTEST_BOUNDS.clients);
    if (name === '--duration') next = LOADTEST_BOUNDS.duration;
    if (name === '--ramp-up') next = LOADTEST_BOUNDS.rampUp;
    if (next !== value) changes.push(`${name} ${value} → ${next}`);
    return next;
  };
  const valued = new Set(['-c', '--clients', '-d', '--duration', '-r', '--ramp-up', '-u', '--url']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = /^(--[\w-]+)=(.*)$/.exec(arg);
    if (eq && valued.has(eq[1]!)) bounded.push(`${eq[1]}=${cap(eq[1]!, eq[2]!)}`);
    else if (valued.has(arg) && i + 1 < args.length) bounded.push(arg, cap(arg, args[++i]!));
    else bounded.push(arg);
  }
  if (!seen.has('--url')) {
    bounded.push('--url', target.url);
    changes.push(`+ --url ${target.url}`);
  }
  if (!seen.has('--duration')) {
    bounded.push('--duration', LOADTEST_BOUNDS.duration);
    changes.push(`+ --duration ${LOADTEST_BOUNDS.duration}`);
  }
  command = bounded.map(quote).join(' ');
  return { command, changes };
}

/** Index of the first load-tester argument in `npm run loadtest -- …` (or -1 for other commands). */
function loadtestArgsStart(words: string[]): number {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
  if (words[i] !== 'npm' || words[i + 1] !== 'run' || words[i + 2] !== 'loadtest') return -1;
  return words[i + 3] === '--' ? i + 4 : i + 3;
}

/**
 * A copy of the working tree in a temporary directory (sources, built output; node_modules linked, not
 * copied) so README commands — builds included — never rewrite files that tests running in parallel
 * read. Workspace links inside node_modules point into the copy; everything else at the original.
 */
export function scratchCopy(root: string): string {
  const dst = mkdtempSync(join(tmpdir(), 'tickwire-docs-'));
  const nodeModules: string[] = [];
  cpSync(root, dst, {
    recursive: true,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    filter: (src) => {
      const rel = relative(root, src);
      const name = rel.split(sep).pop() ?? '';
      if (name === 'node_modules') {
        nodeModules.push(rel);
        return false;
      }
      return rel !== '.git' && rel !== 'test-results';
    },
  });
  for (const rel of nodeModules) mirrorNodeModules(root, dst, rel);
  return dst;
}

function mirrorNodeModules(root: string, dst: string, rel: string): void {
  const from = join(root, rel);
  const to = join(dst, rel);
  mkdirSync(to, { recursive: true });
  const link = (src: string, target: string): void => {
    const st = lstatSync(src);
    if (st.isSymbolicLink()) {
      const pointsTo = readlinkSync(src);
      const resolved = isAbsolute(pointsTo) ? pointsTo : resolve(dirname(src), pointsTo);
      const inTree = !relative(root, resolved).startsWith('..') && !resolved.split(sep).includes('node_modules');
      // A workspace package: link to its copy, so the scratch tree uses its own sources and builds.
      symlinkSync(inTree ? join(dst, relative(root, resolved)) : resolved, target);
    } else {
      symlinkSync(src, target);
    }
  };
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    // Tool caches stay out: they are written to, and must not be the original's.
    if (entry.name === '.vite' || entry.name === '.cache') continue;
    const src = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      mkdirSync(target);
      for (const scoped of readdirSync(src)) link(join(src, scoped), join(target, scoped));
    } else {
      link(src, target);
    }
  }
}

export interface CommandResult {
  code: number | null;
  timedOut: boolean;
  /** Interleaved stdout and stderr, the last 64 KiB. */
  output: string;
}

/** Runs `command` with bash in `cwd`, killing its whole process group if it overstays `timeoutMs`. */
export function runCommand(command: string, cwd: string, timeoutMs: number): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = {};
  // The outer npm/vitest run's variables would leak into the README's npm commands; a new user has none.
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|VITEST|INIT_CWD$|NODE_ENV$|TEST$)/.test(k)) env[k] = v;
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (s: string): void => {
    output = (output + s).slice(-65_536);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }, timeoutMs);
  return new Promise((resolvePromise) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, timedOut, output });
    }),
  );
}
