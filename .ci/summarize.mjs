// Reads vitest's JSON report (and its console log) and prints CI's closing line, "N passed, N failed",
// with every way a run can go wrong counted as failed: failing tests; test files that failed without a
// failing test (a beforeAll/afterAll hook that threw — its tests show as skipped —, an import error);
// unhandled errors (only the report's `success` flag and the log's "Errors" line show them); tests skipped
// in files that otherwise passed (CI installs everything, so nothing may skip); and failed steps (lint,
// check) given as NAME=EXIT_CODE. Exit code 0 only when the line is clean.
// Usage: node .ci/summarize.mjs REPORT.json LOG.txt [?test-command=code] [step=code ...]
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, logPath, ...steps] = process.argv.slice(2);
const problems = [];
let passed = 0;
let failed = 0;

if (!reportPath || !existsSync(reportPath)) {
  problems.push(`no vitest JSON report at ${reportPath} (the build or vitest failed before the tests ran)`);
  failed++;
} else {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  if ((report.numFailedTests ?? 0) > 0) problems.push(`${report.numFailedTests} failing test(s)`);
  let explained = (report.numFailedTests ?? 0) > 0;
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    const name = String(file.name ?? '?').replace(`${process.cwd()}/`, '');
    if (file.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
      const why = String(file.message ?? '').split('\n')[0] || 'a hook failed (its tests were not run)';
      problems.push(`${name}: file failed without a failing test — ${why}`);
      failed++;
      explained = true;
    } else if (file.status !== 'failed') {
      const skipped = tests.filter((t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo');
      if (skipped.length > 0) {
        problems.push(
          `${name}: ${skipped.length} test(s) skipped (${skipped
            .map((t) => t.title)
            .slice(0, 3)
            .join('; ')})`,
        );
        failed += skipped.length;
        explained = true;
      }
    }
  }
  let unhandled = 0;
  if (logPath && existsSync(logPath)) {
    // eslint-disable-next-line no-control-regex -- ANSI colour codes in the captured console output
    const log = readFileSync(logPath, 'utf8').replace(/\u001b\[[0-9;]*m/g, '');
    const m = /^\s*Errors\s+(\d+)\s+errors?\b/m.exec(log);
    if (m) unhandled = Number(m[1]);
  }
  if (unhandled > 0) {
    problems.push(`${unhandled} unhandled error(s) (see "Unhandled Errors" in the log)`);
    failed += unhandled;
  } else if (report.success === false && !explained) {
    problems.push('vitest reports success: false without a failing test (an unhandled error?)');
    failed++;
  }
  if (passed === 0) {
    problems.push('no test passed');
    failed = Math.max(failed, 1);
  }
}

// "?name=code": the test command's own exit code, counted only when nothing above explains it.
const unexplained = failed === 0;
for (const step of steps) {
  const fallback = step.startsWith('?');
  const [name, code] = (fallback ? step.slice(1) : step).split('=');
  if (code !== '0' && (!fallback || unexplained)) {
    problems.push(`${name} failed (exit code ${code})`);
    failed++;
  }
}

for (const p of problems) console.log(`CI: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
