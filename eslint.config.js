// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'scratch/**', '.outflow-demo/**', 'dist/**', 'test/fixtures/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Plain Node scripts (no type information).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', performance: 'readonly' } },
  },
  {
    // Rooms and the directions they may import in (docs/architecture.md).
    // src/ is the product: it never imports test/ (sandboxes live in src/sandbox/).
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.{1,2}/(.*/)?test(/|$)', message: 'src/ is product code: it never imports test/ (docs/architecture.md)' }] }],
    },
  },
  {
    // The web UI runs in the browser and calls only the public API: from the rest of Outflow it
    // imports types (the API's response schemas, rule types) and the pure health-term list.
    files: ['src/ui/*.ts', 'src/ui/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!segments/health-terms$)', allowTypeImports: true, message: 'src/ui imports only types from the rest of Outflow (it calls the public API)' }] }],
    },
  },
  {
    files: ['src/ui/*/**/*.ts', 'src/ui/*/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./\\.\\./(?!segments/health-terms$)', allowTypeImports: true, message: 'src/ui imports only types from the rest of Outflow (it calls the public API)' }] }],
    },
  },
  {
    // A connector imports the connector kit (connectors/shared/), the destination contract and
    // src/identity, nothing else of Outflow: not another connector, not the config or the sync engine.
    files: ['connectors/**/*.ts'],
    // The kit's encoder list names each connector's thread encoder (the worker threads load it).
    ignores: ['connectors/shared/encoders.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!shared(/|$)|\\.\\./src/destinations/contract$|\\.\\./src/identity(/|$))',
              message: 'a connector imports only connectors/shared/, src/destinations/contract and src/identity (docs/architecture.md)',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflows must be deterministic: no Node built-ins, no I/O. They import only types from the
    // rest of Outflow, except the orchestration function itself (src/sync/orchestrate.ts, pure).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflows run in a deterministic sandbox: no Node built-ins' })),
          patterns: [
            {
              regex: '^\\.\\./(?!src/sync/orchestrate$)',
              allowTypeImports: true,
              message: 'workflows import only types from the rest of Outflow (the orchestration function excepted): import type',
            },
          ],
        },
      ],
    },
  },
);
