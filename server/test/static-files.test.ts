// The static loader (server/src/static-files.ts) on a scratch web root: dotfiles and dot-directories are
// never served, a symlink inside the root is, a symlink leaving the root stops the start-up with
// TW_WEB_DIR naming it, and the CSP admits exactly the page's inline scripts by hash.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../src/errors.js';
import { StaticFiles, contentSecurityPolicy } from '../src/static-files.js';

function webRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'tickwire-web-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><script>1</script>');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  return root;
}

describe('StaticFiles', () => {
  it('skips dotfiles and dot-directories', () => {
    const root = webRoot();
    writeFileSync(join(root, '.env'), 'SECRET=1');
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'config'), '[core]');
    writeFileSync(join(root, 'assets', '.DS_Store'), 'x');
    // index.html and assets/app.js only.
    expect(new StaticFiles(root).count).toBe(2);
  });

  it('serves a symlink that stays inside the root', () => {
    const root = webRoot();
    symlinkSync(join(root, 'assets', 'app.js'), join(root, 'alias.js'));
    expect(new StaticFiles(root).count).toBe(3);
  });

  it('refuses to start with a symlink leaving the root, naming it', () => {
    const root = webRoot();
    const outside = mkdtempSync(join(tmpdir(), 'tickwire-outside-'));
    writeFileSync(join(outside, 'passwd'), 'root:x:0:0');
    symlinkSync(join(outside, 'passwd'), join(root, 'assets', 'leak.txt'));
    let error: unknown;
    try {
      new StaticFiles(root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('TW_WEB_DIR');
    expect((error as Error).message).toMatch(/leak\.txt.*outside the web root/);
  });

  it('hashes each inline script into script-src and no external one', () => {
    const inline = "document.documentElement.dataset.theme = 'light';";
    const csp = contentSecurityPolicy(`<script>${inline}</script><script type="module" src="/assets/a.js"></script>`);
    const hash = createHash('sha256').update(inline).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}';`);
    expect(csp.match(/sha256-/g)).toHaveLength(1);
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
