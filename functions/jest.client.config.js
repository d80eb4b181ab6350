// The client-SDK suite (test/client): the official `firebase` JS SDK against the official Firestore
// emulator (with firestore.rules), the Auth emulator and the callables served locally. Run through
// `npm run test:client` (scripts/test-rules.cjs --suite=client), which finds or starts the emulator.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'client',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
  testMatch: ['<rootDir>/test/client/**/*.client.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60_000,
};
