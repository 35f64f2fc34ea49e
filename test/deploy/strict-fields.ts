/**
 * Unknown-field check for Kubernetes built-in kinds. kubernetes-models validates shape and
 * types but lets unknown fields through (the API server would drop them silently, so a typo
 * like `unhealthyPodEvictionPolicy` misspelt disables a safety setting without a word). Here
 * every object becomes an object literal typed with its kubernetes-models interface and the
 * TypeScript compiler's excess-property check reports any field the API does not define.
 */
import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './render';

const VIRTUAL_FILE = path.join(__dirname, '__rendered_objects__.ts');
let previousProgram: ts.Program | undefined;

function isBuiltIn(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/** Problems per object (`Kind/name: message`); built-in kinds only, others are skipped. */
export function unknownFieldProblems(objects: readonly K8sObject[]): string[] {
  const builtIn = objects.filter((o) => isBuiltIn(o.apiVersion));
  const lines: string[] = [];
  const owners: string[] = []; // line index -> object id
  builtIn.forEach((o, i) => {
    lines.push(`import type { I${o.kind} as T${i} } from 'kubernetes-models/${o.apiVersion}/${o.kind}';`);
    owners.push(`${o.kind}/${o.metadata.name}`);
  });
  builtIn.forEach((o, i) => {
    // One line per object, so a diagnostic's line names its object.
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
    owners.push(`${o.kind}/${o.metadata.name}`);
  });
  const source = lines.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    // The object literals need no DOM or newer library types; a small lib parses fast.
    lib: ['lib.es5.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    path.resolve(fileName) === VIRTUAL_FILE
      ? ts.createSourceFile(fileName, source, languageVersion)
      : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => path.resolve(fileName) === VIRTUAL_FILE || fileExists(fileName);

  // Reusing the previous program skips re-parsing the unchanged kubernetes-models typings.
  const program = ts.createProgram([VIRTUAL_FILE], options, host, previousProgram);
  previousProgram = program;
  const file = program.getSourceFile(VIRTUAL_FILE);
  return ts.getPreEmitDiagnostics(program, file).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    return `${owners[line] ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
