/**
 * The real-server tier (`npm run test:real`): suites against a real Consul, etcd, kube-apiserver,
 * kubectl, kustomize and helm, built by `npm run real:setup`. The contract suites run here
 * unmodified, aimed at the real servers that the global setup starts.
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS configs
const base = require('./jest.shared');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/**/*.real.test.ts',
    '<rootDir>/test/contract/consul.test.ts',
    '<rootDir>/test/contract/kube.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/out/'],
  globalSetup: '<rootDir>/test/real/global-setup.ts',
  globalTeardown: '<rootDir>/test/real/global-teardown.ts',
  // Real servers start in seconds and the machine has two cores: one suite at a time.
  maxWorkers: 1,
  testTimeout: 120000,
};
