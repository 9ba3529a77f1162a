import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Lint, and the layer rules of the design brief: only the Electron shell and the preload import
 * electron; the core and the shared protocol never reach up into the shell, the IPC layer or the
 * UI; the renderer has no Node and reaches the core only through window.waypost.
 */
const ELECTRON = {
  name: 'electron',
  message: 'Only the Electron shell (main/shell/) and preload/ import electron: everything else runs under plain Node.',
};

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', '.waypost-dev/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      'no-restricted-imports': ['error', { paths: [ELECTRON] }],
    },
  },
  {
    files: ['protocol/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: [
            {
              regex: '(^|/)(db|main|server|renderer|preload)/',
              message: 'protocol/ is the pure module device and office share: it depends on nothing of theirs.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/core/**', 'db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: [
            {
              regex: '(^|/)(shell|ipc|renderer|preload)/',
              message: 'The core and its database know nothing of the shell, the IPC layer or the UI.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests build malformed and loosely typed values on purpose.
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-sparse-arrays': 'off' },
  },
  {
    files: ['main/shell/**', 'preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The office console is a browser app over the office's HTTP API: it shares the wire schemas
    // and record types with the server, and nothing else of the office or the device.
    files: ['console/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON, ...NODE_BUILTINS.map((name) => ({ name, message: 'The console runs in a browser: no Node.' }))],
          patterns: [
            {
              regex: '(^|/)(db|main|server|renderer|preload|scripts|bench)/',
              message: 'The console reaches the office only through its HTTP API; it shares protocol/ alone.',
            },
            {
              regex: '(^|/)protocol/(?!(field-operations|text|office-access|maintenance|app-version)\\.js$|records/|wire/(records|review|audit|office|events|dispatch|shapes|outcomes|errors|console|maintenance|updates)\\.js$)',
              message: 'The console may use only the browser-safe protocol modules (wire schemas without cryptography, record types): the rest need Node.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON, ...NODE_BUILTINS.map((name) => ({ name, message: 'The renderer has no Node: ask the core through window.waypost.' }))],
          patterns: [
            {
              regex: '(^|/)main/(?!ipc/contract\\.js$)',
              message: 'The renderer reaches the core only through window.waypost; it may import types from main/ipc/contract.js.',
            },
            {
              regex: '(^|/)main/ipc/contract\\.js$',
              allowTypeImports: true,
              message: 'Import only types from the IPC contract (use "import type").',
            },
            {
              regex: '(^|/)(db|server|preload|scripts|bench)/',
              message: 'The renderer reaches the core only through window.waypost.',
            },
            {
              regex: '(^|/)protocol/(?!(iso6346|actions|checklists)\\.js$|records/)',
              message: 'The renderer may use only the pure protocol modules (iso6346, actions, checklists, records): the rest need Node.',
            },
          ],
        },
      ],
    },
  },
);
