// Lint for the whole tree (npm run lint): ESLint's and typescript-eslint's recommended rules without type
// information (fast: the tsc/svelte-check run in `npm run check` already does the type-level work),
// eslint-plugin-svelte for the dashboard's components, and the layering rules that keep the data path
// one-way between the @tickwire packages: protocol depends on nothing, each package imports only what its
// package.json declares, and no relative import leaves a package's folder.
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PACKAGES = ['protocol', 'feeds', 'core', 'server', 'client', 'web', 'loadtest', 'bench'];

/** The @tickwire packages a package declares (its tests may also use its devDependencies). */
function dependenciesOf(pkg, withDev) {
  const manifest = JSON.parse(readFileSync(new URL(`./${pkg}/package.json`, import.meta.url), 'utf8'));
  const names = Object.keys({ ...manifest.dependencies, ...(withDev ? manifest.devDependencies : {}) });
  return names.filter((name) => name.startsWith('@tickwire/')).map((name) => name.slice('@tickwire/'.length));
}

/** The `no-restricted-imports` pattern against a relative path (`../`) into another package's folder. */
function escapePattern(pkg) {
  const others = PACKAGES.filter((p) => p !== pkg);
  return { regex: `^(\\.\\./)+(${others.join('|')})/`, message: `Import other packages by name (@tickwire/<part>), not by a relative path out of ${pkg}/.` };
}

/** `no-restricted-imports` patterns: no `../` into another package, no undeclared @tickwire package, no test helpers from src. */
function boundaryPatterns(pkg, allowed, isTest = false) {
  const forbidden = PACKAGES.filter((p) => p !== pkg && !allowed.includes(p));
  const patterns = [escapePattern(pkg)];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^@tickwire/(${forbidden.join('|')})(/|$)`,
      message: `Not a dependency of @tickwire/${pkg} (${pkg}/package.json): the layering forbids it.`,
    });
  }
  if (!isTest) patterns.push({ regex: '^@tickwire/[a-z]+/test/', message: 'Test helpers are for tests, not for package sources.' });
  return patterns;
}

export default defineConfig(
  globalIgnores(['**/dist/', '**/dist-bundle/', 'node_modules/', 'test-results/', 'bench/results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names mark parameters a signature demands and destructured fields dropped on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Browser code; the web tests also pass functions into the page, so they see both sets of globals.
    files: ['web/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // TypeScript (svelte-check) resolves names in components, including type-only ones no-undef cannot see.
      'no-undef': 'off',
      // Bookkeeping Maps/Sets (chart registry, per-call scratch sets) are non-reactive on purpose: hot data stays out of reactivity.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  // Layering, reported at the import (the compiler enforces the same through project references:
  // protocol/test/layering.test.ts). A package imports other packages by name, and only those its
  // package.json declares; no relative path leaves its folder.
  ...PACKAGES.map((pkg) => ({
    files: [`${pkg}/**`],
    ignores: [`${pkg}/test/**`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaryPatterns(pkg, dependenciesOf(pkg, false)) }] },
  })),
  ...PACKAGES.map((pkg) => ({
    files: [`${pkg}/test/**`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaryPatterns(pkg, dependenciesOf(pkg, true), true) }] },
  })),
  {
    // Replaces protocol's boundary rule above (a later config's rule wins), so it repeats the relative-path
    // pattern; the bare-specifier one already covers every @tickwire package and test helper.
    files: ['protocol/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^[^.]', message: 'protocol/src has zero dependencies: no packages and no node: built-ins (it runs in the browser too).' },
            escapePattern('protocol'),
          ],
        },
      ],
    },
  },
  {
    files: ['client/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'The client runs in browsers too: take Node-only pieces (ws, fetch) as options instead of importing them.' },
            ...boundaryPatterns('client', dependenciesOf('client', false)),
          ],
        },
      ],
    },
  },
);
