// ${secret:NAME} and ${env:NAME} references inside project files. They are resolved into a
// separate copy at run time; the model that gets saved keeps the references.

export interface SecretRefUse {
  /** Field path inside the file. */
  readonly path: readonly (string | number)[];
  readonly kind: 'secret' | 'env';
  readonly name: string;
}

const REF = /\$\{(secret|env):([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

export function findSecretRefs(value: unknown, path: (string | number)[] = []): SecretRefUse[] {
  if (typeof value === 'string') {
    return [...value.matchAll(REF)].map((m) => ({ path, kind: m[1] as 'secret' | 'env', name: m[2]! }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findSecretRefs(v, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => findSecretRefs(v, [...path, k]));
  }
  return [];
}

export type SecretLookup = (kind: 'secret' | 'env', name: string) => string | undefined;

/** A resolved copy of `value`, and the references that could not be resolved. */
export function resolveSecretRefs<T>(value: T, lookup: SecretLookup): { value: T; missing: SecretRefUse[] } {
  const missing: SecretRefUse[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      return v.replace(REF, (whole, kind: 'secret' | 'env', name: string) => {
        const found = lookup(kind, name);
        if (found === undefined) {
          missing.push({ path, kind, name });
          return whole;
        }
        return found;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { value: walk(value, []) as T, missing };
}
