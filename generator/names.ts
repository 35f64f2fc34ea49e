/**
 * Consul service name -> Kubernetes Service name (a DNS-1035 label). Pure.
 *
 * - A name that is already a valid label (after the prefix) keeps its plain form.
 * - One that is valid once lowercased becomes that (as consul-k8s names it: `X--Y` -> `x--y`).
 * - Otherwise: lowercased, runs of invalid characters (and of `-`) become one `-`, leading and
 *   trailing `-` dropped, `c-` put in front when it does not start with a letter.
 * - Longer than 63, or colliding with another service's name (or a reserved file name): cut and
 *   given a short hash suffix of the original name, so the result is stable across runs.
 */
import { createHash } from 'node:crypto';
import { isDns1035Label } from '../core/names/dns';

const MAX_LABEL = 63;
const HASH_LENGTH = 8;
/** Names whose `<name>.yaml` is a file the generator writes itself. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['kustomization']);

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/** Replaces what a DNS-1035 label cannot hold; does not shorten. */
function toLabelCharacters(raw: string): string {
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '');
  return /^[a-z]/.test(cleaned) ? cleaned : `c-${cleaned}`.replace(/-+$/, '');
}

/** `label` cut so that `-<hash>` fits in 63 characters, plus that suffix. */
function withHashSuffix(label: string, original: string): string {
  const room = MAX_LABEL - HASH_LENGTH - 1;
  return `${label.slice(0, room).replace(/-+$/, '')}-${shortHash(original)}`;
}

/** The name a single Consul service gets when nothing collides with it. */
export function baseKubernetesName(prefix: string, consulName: string): string {
  const raw = prefix + consulName;
  if (isDns1035Label(raw)) return raw;
  // consul-k8s lowercases, nothing more: keep its names where they are valid (migration).
  if (isDns1035Label(raw.toLowerCase())) return raw.toLowerCase();
  const label = toLabelCharacters(raw);
  return label.length > MAX_LABEL ? withHashSuffix(label, raw) : label;
}

interface CaseVariants {
  /** One Consul name per DNS name, in input order. */
  kept: string[];
  /** Every other spelling -> the kept one it shares its DNS name with. */
  shadowed: Map<string, string>;
}

/**
 * Consul names that differ only in case are one DNS name (`Web.service.consul` is
 * `web.service.consul`), so they get one Service. The one kept is the all-lowercase spelling when
 * there is one (its Kubernetes name is its Consul name), else the first in code-unit order.
 */
export function resolveCaseVariants(consulNames: readonly string[]): CaseVariants {
  const winners = new Map<string, string>();
  for (const name of new Set(consulNames)) {
    const key = name.toLowerCase();
    const current = winners.get(key);
    if (current === undefined || rank(name) < rank(current)) winners.set(key, name);
  }
  const kept: string[] = [];
  const shadowed = new Map<string, string>();
  for (const name of new Set(consulNames)) {
    const winner = winners.get(name.toLowerCase())!;
    if (winner === name) kept.push(name);
    else shadowed.set(name, winner);
  }
  return { kept, shadowed };
}

/** Sort key for resolveCaseVariants: lowercase spelling first, then code-unit order. */
function rank(name: string): string {
  return `${name === name.toLowerCase() ? 0 : 1}${name}`;
}

interface NameAssignment {
  /** Consul name -> Kubernetes name, for every name that got one. */
  names: Map<string, string>;
  /** Consul names that could not get a unique name (practically never: a hash collision). */
  unassigned: string[];
}

/**
 * Gives every Consul name a unique Kubernetes name. Deterministic for a given set of names,
 * whatever their order: a plain-valid name always keeps its plain form; any other name that
 * collides gets the hash suffix.
 */
export function assignKubernetesNames(consulNames: readonly string[], prefix: string): NameAssignment {
  const sorted = [...new Set(consulNames)].sort();
  const byBase = new Map<string, string[]>();
  for (const consulName of sorted) {
    const base = baseKubernetesName(prefix, consulName);
    const group = byBase.get(base);
    if (group) group.push(consulName);
    else byBase.set(base, [consulName]);
  }
  const names = new Map<string, string>();
  const taken = new Set<string>();
  const unassigned: string[] = [];
  const claim = (consulName: string, name: string): void => {
    if (taken.has(name) || RESERVED_NAMES.has(name)) unassigned.push(consulName);
    else {
      taken.add(name);
      names.set(consulName, name);
    }
  };
  // Plain names first, so a hashed name can never take a plain name's place.
  const hashed: [string, string][] = [];
  for (const [base, group] of byBase) {
    const contested = group.length > 1 || RESERVED_NAMES.has(base);
    for (const consulName of group) {
      const plain = prefix + consulName === base;
      if (!contested || (plain && !RESERVED_NAMES.has(base))) claim(consulName, base);
      else
        hashed.push([
          consulName,
          withHashSuffix(toLabelCharacters(prefix + consulName), prefix + consulName),
        ]);
    }
  }
  for (const [consulName, name] of hashed) claim(consulName, name);
  return { names, unassigned };
}
