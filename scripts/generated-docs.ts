/** Docs derived from code: file -> renderer. `npm run docs` writes them; a test checks they are current. */
import { renderAnnotationsDoc } from '../core/annotations/docs';
import { renderCliDoc } from './cli-doc';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/annotations.md': renderAnnotationsDoc,
  'docs/cli.md': renderCliDoc,
};
