/**
 * test/README.md tells how to aim each contract suite at a real server: it must name every
 * environment variable the suite reads to leave the double, and the command that runs the suite.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const TEST_DIR = path.join(__dirname, '..');
const readme = readFileSync(path.join(TEST_DIR, 'README.md'), 'utf8');

/** The variables in the suite's `const REAL_… = …` switch (the one place it picks its server). */
function switchVariables(suite: string): string[] {
  const source = readFileSync(path.join(TEST_DIR, 'contract', suite), 'utf8');
  const line = /^const REAL_\w+ = (.+);$/m.exec(source)?.[1];
  if (line === undefined) throw new Error(`${suite}: no "const REAL_… =" switch found`);
  return [...line.matchAll(/process\.env\.(\w+)/g)].map((m) => m[1]!);
}

test.each([
  ['consul.test.ts', ['CONSUL_HTTP_ADDR']],
  ['kube.test.ts', ['K8S_CONTRACT_REAL', 'KUBECONFIG']],
])('%s: test/README.md names the variables that point it at a real server', (suite, expected) => {
  const variables = switchVariables(suite);
  expect([...new Set(variables)].sort()).toEqual(expected);
  for (const variable of variables) expect(readme).toContain(`${variable}=`);
  expect(readme).toContain(`npx jest test/contract/${suite}`);
});
