// Security-rules tests (test/rules): run against the official Firestore emulator only, through
// `npm run test:rules` (scripts/test-rules.cjs) or `firebase emulators:exec --only firestore`.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'rules',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
  testMatch: ['<rootDir>/test/rules/**/*.rules.test.ts'],
  // Every file loads the rules into, and clears, the same emulator project: one file at a time.
  maxWorkers: 1,
  testTimeout: 20_000,
};
