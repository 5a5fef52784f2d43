// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (see docs/architecture.md): gateway/ and hub/ never import each other, shared/ imports
// neither, and pure core/ code imports no I/O (node built-ins, brokers, SQLite, BLE, GPIO).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_MODULES = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:http2',
  'node:child_process',
  'node:dgram',
  'node:dns',
  'node:os',
  'node:process',
  'node:worker_threads',
  'node:readline',
  'node:cluster',
  'fs',
  'net',
  'tls',
  'http',
  'https',
  'child_process',
  'os',
  'mqtt',
  'aedes',
  'better-sqlite3',
  'node-cron',
  'johnny-five',
  '@abandonware/noble',
  'pino',
  'raspi-io',
];
const ioPaths = IO_MODULES.map((name) => ({ name, message: 'core/ code is pure: pass I/O in through a port.' }));

const SEEDED = {
  group: ['**/shared/testing/**'],
  message: 'The seeded RandomSource is for tests and the simulator only: use CryptoRandomSource.',
};

function boundary(files, patterns, extraPaths = []) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths: extraPaths, patterns }],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Math.random is not allowed: use the RandomSource port (node:crypto, pooled).',
        },
      ],
    },
  },
  boundary(
    ['gateway/**/*.ts'],
    [{ group: ['**/hub/**', '../hub/*'], message: 'gateway/ must not import hub/.' }, SEEDED],
  ),
  boundary(
    ['hub/**/*.ts'],
    [{ group: ['**/gateway/**', '../gateway/*'], message: 'hub/ must not import gateway/.' }, SEEDED],
  ),
  boundary(['provisioning/**/*.ts'], [SEEDED]),
  // HQ is its own program: it reads stores' releases, never the hub's or the gateway's code.
  boundary(
    ['hq/**/*.ts'],
    [
      {
        group: ['**/hub/**', '**/gateway/**', '**/scripts/**'],
        message: 'hq/ imports neither hub/, gateway/ nor scripts/.',
      },
      SEEDED,
    ],
  ),
  boundary(
    ['hq/**/*.test.ts', 'hq/**/*.contract.ts'],
    [{ group: ['**/hub/**', '**/gateway/**'], message: 'hq/ imports neither hub/ nor gateway/.' }],
  ),
  // Tests may use the seeded source; the gateway/hub separation still holds.
  boundary(['gateway/**/*.test.ts'], [{ group: ['**/hub/**', '../hub/*'], message: 'gateway/ must not import hub/.' }]),
  boundary(
    ['hub/**/*.test.ts'],
    [{ group: ['**/gateway/**', '../gateway/*'], message: 'hub/ must not import gateway/.' }],
  ),
  boundary(['provisioning/**/*.test.ts'], []),
  boundary(
    ['shared/**/*.ts'],
    [
      {
        group: ['**/gateway/**', '**/hub/**', '**/provisioning/**', '**/cli/**'],
        message: 'shared/ imports neither gateway/ nor hub/.',
      },
    ],
  ),
  boundary(
    ['**/core/**/*.ts', 'shared/protocol/**/*.ts', 'shared/privacy/**/*.ts'],
    [{ group: ['**/adapters/**', '**/app.ts', '**/main.ts'], message: 'core/ code is pure: no adapters.' }],
    ioPaths,
  ),
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
