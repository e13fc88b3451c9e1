// Lint for the whole tree (npm run lint): ESLint's and typescript-eslint's recommended rules without type
// information (fast: the tsc/svelte-check run in `npm run check` already does the type-level work),
// eslint-plugin-svelte for the dashboard's components, and the layering rules that keep the data path
// one-way: protocol depends on nothing, server and web never import each other, feeds know no transport.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** One `no-restricted-imports` entry per forbidden relative target (any depth of `../`). */
function forbidRelative(dirs, message) {
  return dirs.map((dir) => ({ regex: `^(\\.\\./)+${dir}(/|$)`, message }));
}

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'test-results/', 'bench/results/']),
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
  // Layering (the same contract protocol/test/layering.test.ts checks, here reported at the import).
  {
    files: ['protocol/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^[^.]', message: 'protocol/src has zero dependencies: no packages and no node: built-ins (it runs in the browser too).' },
            { regex: '^\\.\\./\\.\\./', message: 'protocol/src must not import anything outside protocol/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidRelative(['web'], 'Server code must not import from web/ (share code through protocol/).') }],
    },
  },
  {
    files: ['web/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: forbidRelative(['server', 'feeds', 'loadtest', 'bench'], 'The dashboard may import only web/src and protocol/src.') },
      ],
    },
  },
  {
    files: ['feeds/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: forbidRelative(['server', 'web', 'loadtest', 'bench'], 'The feed knows nothing of the server, transports or the web app.') },
      ],
    },
  },
);
