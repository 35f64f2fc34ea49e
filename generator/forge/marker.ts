/**
 * What a run remembers lives on the forge, in hidden HTML comments, so nothing is stored
 * locally: the pull-request body carries the managed tree it proposes and the labels the
 * generator set; each comment the generator makes once carries a key. Pure.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const BODY_MARKER = /<!-- consul-k8s-gitops (\{.*?\}) -->/s;

const bodyStateSchema = z.object({
  /** Tree id of the managed path in the commit the pull request proposes. */
  tree: z.string().regex(/^[0-9a-f]{40,64}$/),
  /** Labels the generator set (`--pull-request-label`); only these are ever removed. */
  labels: z.array(z.string()),
});

type BodyState = z.infer<typeof bodyStateSchema>;

/** The hidden line for the end of a body. `>` is escaped so no label can end the comment. */
export function bodyMarker(state: BodyState): string {
  return `<!-- consul-k8s-gitops ${JSON.stringify(state).replace(/>/g, '\\u003e')} -->`;
}

/** The state a body carries, or undefined (a body we did not write, or one edited by hand). */
export function readBodyMarker(body: string): BodyState | undefined {
  const match = BODY_MARKER.exec(body);
  if (!match) return undefined;
  try {
    const result = bodyStateSchema.safeParse(JSON.parse(match[1]!));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** The hidden key of a comment made once per `kind` and `subject` (a refusal reason, a commit set). */
export function commentMarker(kind: string, subject: string): string {
  const digest = createHash('sha256').update(subject).digest('hex').slice(0, 16);
  return `<!-- consul-k8s-gitops ${kind} ${digest} -->`;
}
