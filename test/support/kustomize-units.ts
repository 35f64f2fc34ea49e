/**
 * What Argo CD or Flux would render from a generated tree, with real kustomize: the units (each
 * shard directory listed by the top kustomization.yaml, or the directory itself when it is not
 * sharded), each built by `kustomize build`, timed, with its objects and the largest one's size.
 * Shared by the real-tier test and the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export interface UnitBuild {
  /** The unit's directory, relative to the managed directory (`.` for the directory itself). */
  unit: string;
  ms: number;
  objects: number;
  /** Names of the Services it renders. */
  services: string[];
  /** The largest object as JSON (an apply request's body; client-side apply copies it into an annotation). */
  largestObjectBytes: number;
  largestObject: string;
}

/** The units of a managed directory: its shard directories, or the directory itself. */
export function generatedUnits(managedDir: string): string[] {
  const top = yaml.load(readFileSync(path.join(managedDir, 'kustomization.yaml'), 'utf8')) as {
    resources: string[];
  };
  const directories = top.resources.filter((resource) => {
    const full = path.join(managedDir, resource);
    return existsSync(full) && statSync(full).isDirectory();
  });
  return directories.length > 0 ? directories : ['.'];
}

/** `kustomize build` of one unit. */
export function buildUnit(kustomize: string, managedDir: string, unit: string): UnitBuild {
  const start = process.hrtime.bigint();
  const output = execFileSync(kustomize, ['build', path.join(managedDir, unit)], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const objects = yaml.loadAll(output) as { kind: string; metadata: { name: string } }[];
  let largestObjectBytes = 0;
  let largestObject = '';
  const services: string[] = [];
  for (const object of objects) {
    if (object.kind === 'Service') services.push(object.metadata.name);
    const bytes = Buffer.byteLength(JSON.stringify(object));
    if (bytes > largestObjectBytes) {
      largestObjectBytes = bytes;
      largestObject = `${object.kind}/${object.metadata.name}`;
    }
  }
  return { unit, ms, objects: objects.length, services, largestObjectBytes, largestObject };
}
