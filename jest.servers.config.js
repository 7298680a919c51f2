/** The real-server stage (npm run test:servers): slow, needs Debian packages, run in band. */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testMatch: ['**/__tests__/servers/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
};
