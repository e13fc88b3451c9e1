// The systemd units in deploy/systemd/ name only what the programs accept: every --flag of an ExecStart
// line appears in that program's --help, every TICKWIRE_* variable set in Environment= is one the
// program reads, and the script each unit runs exists in the build.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness.js';

const DIR = join(REPO_ROOT, 'deploy/systemd');
const units = readdirSync(DIR).filter((f) => f.endsWith('.service'));

describe('deploy/systemd units', () => {
  it('exist for the feed and the gateways', () => {
    expect(units.sort()).toEqual(['tickwire-feed.service', 'tickwire-gateway@.service']);
  });

  for (const unit of units) {
    it(`${unit}: ExecStart flags and Environment variables are ones the program knows`, () => {
      const text = readFileSync(join(DIR, unit), 'utf8');
      const exec = /^ExecStart=\/usr\/bin\/node (\S+)(.*)$/m.exec(text);
      expect(exec, 'an ExecStart running node').not.toBeNull();
      const script = join(REPO_ROOT, exec![1]!);
      expect(existsSync(script), `${exec![1]} is built`).toBe(true);
      // Commander wraps its help at 80 columns: compare on single spaces.
      const help = execFileSync(process.execPath, [script, '--help'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
      const flags = [...exec![2]!.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!);
      expect(flags.length).toBeGreaterThan(0);
      for (const flag of flags) expect(help, `${unit}: ${flag}`).toMatch(new RegExp(`\\s${flag}[\\s<]`));
      for (const m of text.matchAll(/^Environment=(TICKWIRE_[A-Z_]+)=/gm)) expect(help, `${unit}: ${m[1]}`).toContain(`env: ${m[1]}`);
    });
  }
});
