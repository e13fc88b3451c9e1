// Keeps the architecture honest: the protocol module depends on nothing, the dashboard reaches only
// the protocol (never server, feeds or load-tester code), and the feed knows nothing of the server.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|svelte)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every import specifier of a file, resolved to a repo-relative path for relative ones. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.map((s) => (s.startsWith('.') ? relative(ROOT, resolve(dirname(file), s)) : s));
}

function violations(part: string, allowed: (spec: string) => boolean): string[] {
  const files = sources(join(ROOT, part));
  // A scanner that finds nothing proves nothing: every part imports something.
  expect(files.flatMap(imports).length).toBeGreaterThan(files.length / 2);
  return files.flatMap((file) =>
    imports(file)
      .filter((s) => !allowed(s))
      .map((s) => `${relative(ROOT, file)} → ${s}`),
  );
}

describe('layering', () => {
  it('protocol/src imports nothing outside itself', () => {
    expect(violations('protocol/src', (s) => s.startsWith('protocol/src/'))).toEqual([]);
  });
  it('web/src imports only itself, the protocol and browser-side packages', () => {
    const packages = /^(svelte|lightweight-charts)(\/|$)|\.css$/;
    expect(violations('web/src', (s) => s.startsWith('web/src/') || s.startsWith('protocol/src/') || packages.test(s))).toEqual([]);
  });
  it('feeds/src knows nothing of the server, transports or the web app', () => {
    expect(violations('feeds/src', (s) => s.startsWith('feeds/src/') || s.startsWith('protocol/src/') || s.startsWith('node:'))).toEqual([]);
  });
});
