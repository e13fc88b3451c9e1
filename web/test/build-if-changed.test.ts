// The dashboard's incremental build (scripts/build-if-changed.mjs, used by `npm run build:web`): the
// command runs when an input's content changed or the stamp is missing, and is skipped otherwise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/build-if-changed.mjs');

describe('build-if-changed', () => {
  it('runs the command on the first build and after a content change, skips it when nothing changed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-incremental-'));
    mkdirSync(join(dir, 'src/deep'), { recursive: true });
    writeFileSync(join(dir, 'src/deep/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'index.html'), '<!doctype html>\n');
    const counter = join(dir, 'runs.txt');
    const build = (): string =>
      execFileSync(
        process.execPath,
        [
          SCRIPT,
          '--stamp',
          join(dir, 'out/.stamp'),
          '--inputs',
          `${join(dir, 'src')},${join(dir, 'index.html')}`,
          '--',
          process.execPath,
          '-e',
          `require('fs').appendFileSync(${JSON.stringify(counter)}, 'x')`,
        ],
        { encoding: 'utf8' },
      );
    const runs = (): number => (existsSync(counter) ? readFileSync(counter, 'utf8').length : 0);

    build();
    expect(runs()).toBe(1);
    expect(build()).toContain('skipped');
    expect(runs()).toBe(1);
    writeFileSync(join(dir, 'src/deep/a.ts'), 'export const a = 2;\n');
    build();
    expect(runs()).toBe(2);
    build();
    expect(runs()).toBe(2);
    writeFileSync(join(dir, 'src/deep/b.ts'), 'export const b = 1;\n'); // a new file counts as a change
    build();
    expect(runs()).toBe(3);
  });

  it('a failing command leaves no stamp, so the next build runs it again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-incremental-'));
    writeFileSync(join(dir, 'in.txt'), 'x');
    const args = [SCRIPT, '--stamp', join(dir, '.stamp'), '--inputs', join(dir, 'in.txt'), '--', process.execPath, '-e', 'process.exit(3)'];
    expect(() => execFileSync(process.execPath, args, { stdio: 'pipe' })).toThrow();
    expect(existsSync(join(dir, '.stamp'))).toBe(false);
  });

  it('npm run build:web hashes every source the dashboard bundles', () => {
    const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:web'] ?? '';
    expect(script).toContain('build-if-changed.mjs');
    for (const input of ['web/src', 'web/index.html', 'client/src', 'protocol/src', 'package-lock.json']) expect(script).toContain(input);
  });
});
