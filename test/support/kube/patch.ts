/**
 * The three PATCH content types the API server accepts (apply-patch aside): JSON Patch (RFC 6902,
 * client-node's default), JSON Merge Patch (RFC 7386) and strategic merge patch, the latter with
 * the merge keys of the fields our resources use. Pure functions over plain JSON values.
 */
type Json = unknown;
type JsonObject = Record<string, Json>;

export class PatchError extends Error {}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** List fields merged by key under strategic merge patch ('' = a set of scalars). */
const STRATEGIC_MERGE_KEYS: Readonly<Record<string, string>> = {
  'metadata.finalizers': '',
  'metadata.ownerReferences': 'uid',
  'spec.ports': 'port',
  'status.addresses': 'type',
  'status.conditions': 'type',
};

export function applyPatch(contentType: string, target: JsonObject, patch: Json): JsonObject {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  let result: Json;
  if (type === PATCH_TYPES.json) result = applyJsonPatch(target, patch);
  else if (type === PATCH_TYPES.merge) result = mergePatch(target, patch);
  else if (type === PATCH_TYPES.strategic) result = strategicMerge(target, patch, '');
  else throw new PatchError(`unsupported patch content type ${JSON.stringify(contentType)}`);
  if (!isObject(result)) throw new PatchError('the patch did not produce an object');
  return result;
}

function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function strategicMerge(target: Json, patch: Json, path: string): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const fieldPath = path ? `${path}.${key}` : key;
    const mergeKey = STRATEGIC_MERGE_KEYS[fieldPath];
    if (value === null) delete result[key];
    else if (Array.isArray(value) && mergeKey !== undefined)
      result[key] = mergeList(result[key], value, mergeKey, fieldPath);
    else result[key] = strategicMerge(result[key], value, fieldPath);
  }
  return result;
}

function mergeList(target: Json, patch: Json[], mergeKey: string, path: string): Json[] {
  const result: Json[] = Array.isArray(target) ? [...target] : [];
  for (const item of patch) {
    if (mergeKey === '') {
      if (!result.includes(item)) result.push(item);
      continue;
    }
    if (!isObject(item)) throw new PatchError(`${path}: list items must be objects with ${mergeKey}`);
    const index = result.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMerge(result[index], item, path);
    } else {
      result.push(withoutDirectives(item));
    }
  }
  return result;
}

function applyJsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new PatchError(`invalid JSON patch operation ${JSON.stringify(op)}`);
    }
    switch (op.op) {
      case 'add':
        doc = setPointer(doc, op.path, clone(op.value), 'add');
        break;
      case 'replace':
        doc = setPointer(doc, op.path, clone(op.value), 'replace');
        break;
      case 'remove':
        doc = removePointer(doc, op.path);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`${op.op}: "from" is required`);
        const value = clone(getPointer(doc, op.from));
        if (op.op === 'move') doc = removePointer(doc, op.from);
        doc = setPointer(doc, op.path, value, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(getPointer(doc, op.path)) !== JSON.stringify(op.value)) {
          throw new PatchError(`test operation failed at ${op.path}`);
        }
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getPointer(doc: Json, pointer: string): Json {
  let current = doc;
  for (const token of tokens(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current) && token in current) current = current[token];
    else throw new PatchError(`path ${pointer} does not exist`);
    if (current === undefined) throw new PatchError(`path ${pointer} does not exist`);
  }
  return current;
}

function setPointer(doc: Json, pointer: string, value: Json, mode: 'add' | 'replace'): Json {
  const parts = tokens(pointer);
  const last = parts.pop();
  if (last === undefined) return value;
  const parent = getPointer(doc, parts.length ? `/${parts.map(escape).join('/')}` : '');
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index > parent.length ||
      (mode === 'replace' && index >= parent.length)
    ) {
      throw new PatchError(`index ${last} out of range at ${pointer}`);
    }
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isObject(parent)) {
    if (mode === 'replace' && !(last in parent)) throw new PatchError(`path ${pointer} does not exist`);
    parent[last] = value;
  } else {
    throw new PatchError(`cannot set ${pointer}: parent is not a container`);
  }
  return doc;
}

function removePointer(doc: Json, pointer: string): Json {
  const parts = tokens(pointer);
  const last = parts.pop();
  if (last === undefined) throw new PatchError('cannot remove the whole document');
  const parent = getPointer(doc, parts.length ? `/${parts.map(escape).join('/')}` : '');
  if (Array.isArray(parent) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw new PatchError(`path ${pointer} does not exist`);
  return doc;
}

const escape = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

function withoutDirectives(obj: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) if (!key.startsWith('$')) result[key] = clone(value);
  return result;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
