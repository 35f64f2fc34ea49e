/**
 * Schema validation for rendered objects: Kubernetes built-in kinds through kubernetes-models
 * (shape and types; it lets unknown fields through), custom resources and skaffold.yaml
 * through the JSON schemas stored in ./schemas (subsets of the published CRDs/schemas, strict
 * about unknown fields).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { K8sObject } from './render';

const SCHEMA_DIR = path.join(__dirname, 'schemas');

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

/** Stored schemas by file name without `.json`, compiled once. */
const compiled = new Map<string, ValidateFunction>();
export function storedSchema(name: string): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.json`), 'utf8')) as object;
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

export const storedSchemaNames = (): string[] =>
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));

/** `cert-manager.io/v1` + `Certificate` → `cert-manager.io_v1_Certificate` */
const schemaNameFor = (apiVersion: string, kind: string) => `${apiVersion.replace('/', '_')}_${kind}`;

/** Kubernetes built-in API groups, as laid out in the kubernetes-models package. */
function isBuiltIn(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return group === '' || !group?.includes('.') || group.endsWith('.k8s.io');
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

function builtInModel(apiVersion: string, kind: string): ModelClass | undefined {
  try {
    // kubernetes-models/<group>/<version>/<Kind>, core group under v1/.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

/** Problems with one object; empty when it validates. */
export function validateObject(object: K8sObject): string[] {
  const id = `${object.kind}/${object.metadata?.name ?? '?'}`;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
    return [`${id}: no apiVersion/kind`];
  if (isBuiltIn(object.apiVersion)) {
    const Model = builtInModel(object.apiVersion, object.kind);
    if (!Model)
      return [`${id}: ${object.apiVersion} ${object.kind} is not a Kubernetes type (kubernetes-models)`];
    try {
      new Model(object).validate();
      return [];
    } catch (err) {
      return [`${id}: ${(err as Error).message}`];
    }
  }
  const name = schemaNameFor(object.apiVersion, object.kind);
  if (!storedSchemaNames().includes(name))
    return [`${id}: no stored schema ${name}.json in test/deploy/schemas`];
  return schemaErrors(storedSchema(name), object, id);
}

export function schemaErrors(validate: ValidateFunction, value: unknown, id: string): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${id}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}
