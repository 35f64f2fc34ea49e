import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_DOCS } from './generated-docs';

describe('generated docs', () => {
  it.each(Object.keys(GENERATED_DOCS))(
    '%s is current (run `npm run docs` after changing rules or flags)',
    (file) => {
      const onDisk = readFileSync(path.resolve(__dirname, '..', file), 'utf8');
      expect(onDisk).toBe(GENERATED_DOCS[file]!());
    },
  );
});
