// ESLint with typescript-eslint. The import-boundary rule keeps the pure layers (rules, report,
// render, model, schema) free of the AWS SDK, the file system and the process.
import tseslint from 'typescript-eslint';

const sideEffects = {
  paths: [
    { name: 'fs', message: 'Pure layers do no I/O: read files at the edge (src/io, src/cli).' },
    { name: 'node:fs', message: 'Pure layers do no I/O: read files at the edge (src/io, src/cli).' },
    { name: 'fs/promises', message: 'Pure layers do no I/O.' },
    { name: 'node:fs/promises', message: 'Pure layers do no I/O.' },
    { name: 'process', message: 'Pure layers take what they need as arguments.' },
    { name: 'node:process', message: 'Pure layers take what they need as arguments.' },
    { name: 'child_process', message: 'Pure layers run nothing.' },
    { name: 'node:child_process', message: 'Pure layers run nothing.' },
    { name: 'node:http', message: 'Pure layers do no network I/O.' },
    { name: 'node:https', message: 'Pure layers do no network I/O.' },
  ],
  patterns: [
    { group: ['@aws-sdk/*', '@smithy/*'], message: 'Pure layers never talk to AWS: the collector does (src/collect).' },
    { group: ['**/collect/*', '**/cli/*', '**/io/*', '**/emulator/*', '**/paths.js'], message: 'Pure layers do not import the edges.' },
  ],
};

/** The collector talks to AWS, but never to the command line, the renderers, the report builder or the local endpoint. */
const collectBoundary = {
  patterns: [
    { group: ['**/cli/*', '**/render/*', '**/report/*', '**/emulator/*', '**/history/*'], message: 'The collector returns an inventory; the command line, the report and its renderers come after it.' },
  ],
};

/** Config and options are read by the command line, never the other way round; they do not reach AWS. */
const configBoundary = {
  patterns: [
    { group: ['**/cli/*', '**/emulator/*', '**/history/*', '**/collect/*', '!**/collect/filters.js'], message: 'Config and options do not import the command line, the collector or the local endpoint (the filter syntax in collect/filters is the one shared part).' },
    { group: ['@aws-sdk/*', '@smithy/*'], message: 'Config never talks to AWS.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // the HTML report's own script: plain ES5 for any browser, run under a strict CSP
    files: ['templates/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', window: 'readonly' } },
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    files: ['src/rules/**/*.ts', 'src/report/**/*.ts', 'src/render/**/*.ts', 'src/model/**/*.ts', 'src/schema/**/*.ts', 'src/history/semantics.ts'],
    rules: {
      'no-restricted-imports': ['error', sideEffects],
      'no-restricted-globals': ['error', { name: 'process', message: 'Pure layers take what they need as arguments.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Time is injected: no new Date() in pure layers.' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Time is injected: no Date.now() in pure layers.' },
        { selector: "CallExpression[callee.object.name='DateTime'][callee.property.name=/^(now|local|utc)$/][arguments.length=0]", message: 'Time is injected: no DateTime.now() in pure layers.' }],
    },
  },
  {
    files: ['src/collect/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', collectBoundary] },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', configBoundary] },
  },
);
