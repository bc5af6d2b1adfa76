/** Jest runs the TypeScript sources directly (SWC strips types; `npm test` type-checks with tsc first). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  // Two test files at once even on two cores: the end-to-end and browser tests spend most of their
  // time waiting on child processes, the local endpoint and Chromium (measured: 189 s against 328 s
  // with jest's default of one worker on a 2-core machine).
  maxWorkers: 2,
};
