/** Unit, snapshot, schema and policy tests. The real-server stage has its own config. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/servers/'],
  // esbuild strips types without TypeScript's compiler API; `npm run typecheck` checks types.
  transform: { '^.+\\.ts$': '<rootDir>/tools/jest-esbuild-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Jest's default leaves one core idle (cores - 1 = 1 worker on the 2-core machines here);
  // the files are independent and CPU-bound, so use every core.
  maxWorkers: '100%',
};
