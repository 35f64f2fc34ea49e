/** Docs derived from code: file -> renderer. `npm run docs` writes them; a test checks they are current. */
import { renderAnnotationsDoc } from '../core/annotations/docs';
import { renderCliDoc } from './cli-doc';
import { exportPolicy } from '../policy/export';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/annotations.md': renderAnnotationsDoc,
  'docs/cli.md': renderCliDoc,
  'deploy/components/admission-policy/policy.yaml': () => exportPolicy('deny'),
};
