// Test helpers shared by loadtest/ and bench/ tests: run the built load-tester CLI as a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@tickwire/server/test/harness';

export const LOADTEST_JS = join(REPO_ROOT, 'loadtest/dist/main.js');

/** Runs the built CLI; resolves with its exit code and output, killing it if it overstays. */
export function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LOADTEST_JS, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
