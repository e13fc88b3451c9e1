// The layering is enforced by the compiler: each package is a composite TypeScript project that
// references only the packages its package.json declares, and tsconfig.base.json maps every
// @tickwire/* import to that package's sources, so an import the references do not allow is a file
// outside the project (TS6307) and `npm run check` fails. This test compiles probe files in memory
// against the real tsconfig of each package and expects exactly that — and a clean compile for an
// allowed import, so the probe itself is known to work.
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Error codes from compiling `pkg`'s project with one extra in-memory file holding `source`. */
function compileProbe(pkg: string, source: string): number[] {
  const configPath = join(ROOT, pkg, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`);
  const probe = join(ROOT, pkg, 'src', '__layering_probe__.ts');
  const options = { ...parsed.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => (file === probe ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === probe || fileExists(file);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (file === probe ? source : readFile(file));
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, probe], options, projectReferences: parsed.projectReferences ?? [], host });
  const probeFile = program.getSourceFile(probe);
  expect(probeFile, 'the probe is part of the program').toBeDefined();
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(probeFile),
    ...program.getSemanticDiagnostics(probeFile),
  ];
  return diagnostics.map((d) => d.code);
}

/** TS6307: "File … is not listed within the file list of project …"; TS6059: "… is not under 'rootDir'". */
const OUTSIDE_PROJECT = [6307, 6059];

describe('imports the layering forbids do not compile', () => {
  it.each([
    ['web', "import { StartupError } from '@tickwire/server/errors'; export const probe = StartupError;"],
    ['web', "import { StartupError } from '../../server/src/errors.js'; export const probe = StartupError;"],
    ['web', "import { MarketSimulator } from '@tickwire/feeds/simulator'; export const probe = MarketSimulator;"],
    ['protocol', "export type { Clock } from '@tickwire/feeds/clock';"],
    ['protocol', "import { Fanout } from '@tickwire/core/fanout'; export const probe = Fanout;"],
    ['client', "import { StartupError } from '@tickwire/server/errors'; export const probe = StartupError;"],
    ['feeds', "import { StartupError } from '@tickwire/server/errors'; export const probe = StartupError;"],
    ['core', "import { StartupError } from '@tickwire/server/errors'; export const probe = StartupError;"],
  ])('%s: %s', (pkg, source) => {
    const codes = compileProbe(pkg, source);
    expect(
      codes.some((code) => OUTSIDE_PROJECT.includes(code)),
      `diagnostics: ${codes.join(', ')}`,
    ).toBe(true);
  });
});

describe('imports the layering allows compile cleanly', () => {
  it.each([
    [
      'web',
      "import { HEADER_SIZE } from '@tickwire/protocol/codec'; import { ConnectionManager } from '@tickwire/client/connection'; export const probe = [HEADER_SIZE, ConnectionManager];",
    ],
    [
      'server',
      "import { HEADER_SIZE } from '@tickwire/protocol/codec'; import type { Clock } from '@tickwire/feeds/clock'; export type Probe = Clock; export const probe = HEADER_SIZE;",
    ],
  ])('%s: %s', (pkg, source) => {
    expect(compileProbe(pkg, source)).toEqual([]);
  });
});
