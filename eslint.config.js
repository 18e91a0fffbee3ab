// Lint: typescript-eslint strictTypeChecked everywhere, plus the import boundaries of DESIGN.md per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders under src/ and which of our folders each may not import (DESIGN.md "Who may import whom"). */
const adapters = ['logs', 'capture', 'store', 'enrich', 'respond'];
const everything = ['cli', 'config', 'logs', 'capture', 'fingerprint', 'detect', 'enrich', 'store', 'respond', 'api', 'ui', 'service'];
const forbid = (names) => ({
  patterns: names.map((n) => ({
    group: n === 'service' ? ['**/service.ts', '**/service.js'] : [`**/${n}/**`],
    message: `this folder may not import src/${n} (DESIGN.md: who may import whom)`,
  })),
});
const boundary = (folder, banned, extra = []) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      ...forbid(banned.filter((b) => b !== folder)),
      paths: extra,
    }],
  },
});
const nodeIo = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'dgram', 'node:dgram', 'child_process', 'node:child_process', 'http', 'node:http']
  .map((name) => ({ name, message: 'pure code: no I/O here (DESIGN.md); take text, bytes or events as arguments' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'src/ui/dist/**', 'test-artifacts/**', 'bench/out/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['bin/*.js', 'eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // numbers and booleans in template strings are the normal way to build log and report lines
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // hot-path parsers use charCodeAt loops and bitwise flags on purpose
      'no-bitwise': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      // noUncheckedIndexedAccess makes every indexed read optional; inside bounds-checked loops `!` is the honest assertion
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  boundary('domain', everything, nodeIo),
  boundary('fingerprint', everything, nodeIo),
  boundary('detect', everything, nodeIo),
  ...adapters.map((a) => boundary(a, everything.filter((f) => f !== 'config'))),
  boundary('api', ['cli', 'logs', 'capture', 'fingerprint', 'detect', 'enrich', 'store', 'respond', 'ui', 'service']),
  boundary('config', ['cli', 'logs', 'capture', 'fingerprint', 'detect', 'enrich', 'store', 'respond', 'api', 'ui', 'service']),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // tests poke at results whose shape they assert
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
