// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS configs
const shared = require('./jest.shared');

/**
 * Two projects, both run by `npm test`: `unit` (a module with its inputs, in-memory fakes or a
 * double of the server it talks to) and `integration` (`*.int.test.ts`: a whole program against
 * the doubles and real git; `*.e2e.test.ts`: the built CLI in its own process). One of them:
 * `npx jest --selectProjects unit`.
 */
/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [
        ...shared.testPathIgnorePatterns,
        '\\.int\\.test\\.ts$',
        '\\.e2e\\.test\\.ts$',
      ],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts', '<rootDir>/**/*.e2e.test.ts'],
    },
  ],
};
