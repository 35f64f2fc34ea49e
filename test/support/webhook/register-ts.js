/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload script */
// Preloaded into worker threads started from Jest (`execArgv: ['--require', this file]`), so a
// worker can run the TypeScript sources as the tests do: each .ts module is compiled with swc.
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
