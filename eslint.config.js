// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (docs/architecture.md): gateway/, hub/ and hq/ never import each other, shared/ imports none
// of the programs, pure core/ code imports no I/O, a hub feature imports another feature only
// through its mod.ts (or its config.schema.ts), and nothing but an entry point imports a
// program's composition root (app.ts).
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
  'pg',
  'fastify',
  'prom-client',
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
const HUB_FEATURES = [
  'http',
  'broker',
  'presence',
  'shoppers',
  'privacy',
  'offers',
  'purchases',
  'recommend',
  'status',
  'storage',
];
const PROGRAMS = {
  gateway: { group: ['**/gateway/**'], message: 'only gateway/ (and cli/, scripts/, test/) may import gateway/.' },
  hub: { group: ['**/hub/**'], message: 'only hub/ (and cli/, scripts/, test/, provisioning/) may import hub/.' },
  hq: { group: ['**/hq/**'], message: 'only hq/ (and cli/, scripts/, test/) may import hq/.' },
};
const ROOT_OF = (program) => ({
  regex: `(^|/)${program}/app\\.ts$|^\\./app\\.ts$|^(\\.\\./)+app\\.ts$`,
  message: `${program}/app.ts is the composition root: only ${program}/main.ts (and code outside ${program}/) imports it.`,
});

/** A hub feature may import another feature only through its mod.ts or its config.schema.ts. */
function featureBoundary(feature) {
  const others = HUB_FEATURES.filter((f) => f !== feature).join('|');
  return {
    regex: `^(\\.\\./)+(${others})/(?!(mod|config\\.schema)\\.ts$)`,
    message: `hub/${feature}/ may import another feature only through its mod.ts (or config.schema.ts).`,
  };
}

const NO_SCRIPTS = {
  group: ['**/scripts/**'],
  message: 'scripts/ are dev and ops tools: shipped code never imports them.',
};
const CORE = { group: ['**/adapters/**', '**/app.ts', '**/main.ts'], message: 'core/ code is pure: no adapters.' };

/**
 * One `no-restricted-imports` block. In a flat config the LAST block that matches a file sets the
 * rule for it (options are replaced, not merged), so the blocks below go from broad to narrow and
 * each narrow block repeats the broad patterns it refines.
 */
function restrict(files, patterns, { ignores = [], pure = false } = {}) {
  return {
    files,
    ...(ignores.length > 0 ? { ignores } : {}),
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: pure ? ioPaths : [], patterns: pure ? [...patterns, CORE] : patterns },
      ],
    },
  };
}

/** The blocks for one program's shipped code: everywhere, then its features, then its pure core. */
function programBlocks(program, others, features = [], { rootIgnores = [] } = {}) {
  const base = [...others.map((o) => PROGRAMS[o]), SEEDED, NO_SCRIPTS];
  const tests = ['**/*.test.ts', '**/*.contract.ts'];
  return [
    restrict([`${program}/**/*.ts`], [...base, ROOT_OF(program)], {
      ignores: [`${program}/main.ts`, ...rootIgnores, ...tests],
    }),
    restrict([`${program}/main.ts`, ...rootIgnores], base),
    ...features.map((feature) =>
      restrict([`${program}/${feature}/**/*.ts`], [...base, ROOT_OF(program), featureBoundary(feature)], {
        ignores: tests,
      }),
    ),
    ...features.map((feature) =>
      restrict([`${program}/${feature}/**/core/**/*.ts`], [...base, ROOT_OF(program), featureBoundary(feature)], {
        ignores: tests,
        pure: true,
      }),
    ),
    restrict([`${program}/core/**/*.ts`], [...base, ROOT_OF(program)], { ignores: tests, pure: true }),
    // Tests may use the seeded source; the separation between programs still holds.
    restrict(
      [`${program}/**/*.test.ts`],
      others.map((o) => PROGRAMS[o]),
    ),
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'test-output/**', '.bench/**'] },
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
  // Programs: none imports another; shipped code never uses the seeded source nor scripts/.
  // hq/ still re-exports its root from mod.ts (its entry point for tests).
  ...programBlocks('gateway', ['hub', 'hq'], []),
  ...programBlocks('hub', ['gateway', 'hq'], HUB_FEATURES),
  ...programBlocks('hq', ['gateway', 'hub'], [], { rootIgnores: ['hq/mod.ts'] }),
  restrict(['provisioning/**/*.ts'], [PROGRAMS.hq, SEEDED, NO_SCRIPTS], { ignores: ['**/*.test.ts'] }),
  // The layers run one way: cli → scripts → programs → shared.
  restrict(
    ['scripts/**/*.ts'],
    [{ regex: '^(\\.\\./)+cli/', message: 'scripts/ never import cli/ (cli → scripts → programs).' }],
  ),
  restrict(['provisioning/**/core/**/*.ts'], [PROGRAMS.hq, SEEDED, NO_SCRIPTS], { pure: true }),
  restrict(
    ['shared/**/*.ts'],
    [
      {
        group: ['**/gateway/**', '**/hub/**', '**/hq/**', '**/provisioning/**', '**/cli/**', '**/scripts/**'],
        message: 'shared/ imports none of the programs.',
      },
    ],
  ),
  restrict(
    ['shared/protocol/**/*.ts', 'shared/privacy/**/*.ts', 'shared/**/core/**/*.ts'],
    [
      {
        group: ['**/gateway/**', '**/hub/**', '**/hq/**', '**/provisioning/**', '**/cli/**', '**/scripts/**'],
        message: 'shared/ imports none of the programs.',
      },
    ],
    { pure: true },
  ),
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
