/** Jest settings the fast tier's projects and the real tier share. */
module.exports = {
  testEnvironment: 'node',
  // Type checking is done once by `tsc --noEmit` in `npm test`; swc only strips types.
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Several dependencies (client-node, octokit, zod, fast-check) ship ESM only: transform them too.
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // The real-server tier (*.real.test.ts) runs with jest.real.config.js (`npm run test:real`).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/out/', '\\.real\\.test\\.ts$'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/out/'],
};
