/** `npm run docs`: regenerates the docs that are derived from code. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_DOCS } from './generated-docs';

const root = path.resolve(__dirname, '..', '..');
for (const [file, render] of Object.entries(GENERATED_DOCS)) {
  writeFileSync(path.join(root, file), render());
  console.log(`wrote ${file}`);
}
