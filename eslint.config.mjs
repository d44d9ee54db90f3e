// House rules: typed linting everywhere (no floating promises), and workflow code that
// cannot reach Node built-ins or I/O libraries (it must stay deterministic and replayable).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const ioLibraries = ['pino', 'fastify', 'commander', 'csv-parse', 'cli-progress', 'cli-table3', 'prom-client', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'chinese-days', 'date-holidays', 'yaml'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'coverage/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // CommonJS files Node loads before any TypeScript (scripts/register-tsx.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests may poke at loosely typed payloads.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts', 'src/shared/**/*.ts'],
    ignores: ['src/domain/compliance/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...ioLibraries])].map((name) => ({
            name,
            message: 'Workflow code (and the pure modules it imports) must be deterministic: no Node built-ins or I/O; use an activity.',
          })),
        },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use workflow timers (condition with a timeout).' }, { name: 'setInterval', message: 'Use workflow timers.' }],
    },
  },
);
