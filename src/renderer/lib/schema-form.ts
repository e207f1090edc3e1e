// Turns a node kind's config schema (as JSON Schema, from z.toJSONSchema) into a tree of form
// fields the inspector can draw. What a plain form cannot show well becomes a raw YAML field.
// Pure; unit-tested in test/unit/renderer.

export type Simple = string | number | boolean;

interface Common {
  readonly key: string;
  readonly path: readonly (string | number)[];
  readonly required: boolean;
  readonly default?: unknown;
  readonly description?: string;
}

export type Field =
  | (Common & { kind: 'string'; pattern?: string; minLength?: number })
  | (Common & { kind: 'number'; integer: boolean; min?: number; max?: number; exclusiveMin?: boolean })
  | (Common & { kind: 'boolean' })
  | (Common & { kind: 'enum'; options: readonly Simple[] })
  | (Common & { kind: 'object'; fields: readonly Field[] })
  | (Common & { kind: 'record' })
  | (Common & { kind: 'list'; item: 'string' | 'number' | 'integer' | 'mixed'; options?: readonly Simple[]; minItems?: number })
  | (Common & { kind: 'variant'; discriminator: string; variants: readonly { value: Simple; fields: readonly Field[] }[] })
  | (Common & { kind: 'raw' });

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

// z.toJSONSchema writes Number.MAX_SAFE_INTEGER bounds for every int(); they say nothing to a user.
const bound = (v: unknown): number | undefined => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);

function constOf(s: Schema): Simple | undefined {
  const c = s.const;
  return typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean' ? c : undefined;
}

function simpleEnum(s: Schema): Simple[] | undefined {
  if (Array.isArray(s.enum) && s.enum.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return s.enum as Simple[];
  const alts = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(alts) && alts.length > 0 && alts.every((a) => isSchema(a) && constOf(a) !== undefined && !('properties' in a))) {
    return alts.map((a) => constOf(a as Schema)!);
  }
  if (constOf(s) !== undefined) return [constOf(s)!];
  return undefined;
}

/** The property whose const value tells the alternatives of a oneOf/anyOf apart, if there is one. */
function discriminatorOf(alts: readonly Schema[]): string | undefined {
  const first = alts[0];
  if (!first || !isSchema(first.properties)) return undefined;
  for (const key of Object.keys(first.properties)) {
    const values = alts.map((a) => (isSchema(a.properties) && isSchema(a.properties[key]) ? constOf(a.properties[key]) : undefined));
    if (values.every((v) => v !== undefined) && new Set(values).size === values.length) return key;
  }
  return undefined;
}

function objectFields(s: Schema, path: readonly (string | number)[]): Field[] {
  const props = isSchema(s.properties) ? s.properties : {};
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  return Object.entries(props).map(([key, sub]) => fieldOf(key, isSchema(sub) ? sub : {}, [...path, key], required.has(key)));
}

export function fieldOf(key: string, s: Schema, path: readonly (string | number)[], required: boolean): Field {
  const common: Common = {
    key,
    path,
    required,
    ...('default' in s ? { default: s.default } : {}),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  };
  const options = simpleEnum(s);
  if (options) return { ...common, kind: 'enum', options };

  const alts = (s.oneOf ?? s.anyOf) as unknown;
  if (Array.isArray(alts) && alts.length > 0 && alts.every(isSchema)) {
    const discriminator = discriminatorOf(alts);
    if (discriminator) {
      return {
        ...common,
        kind: 'variant',
        discriminator,
        variants: alts.map((a) => ({
          value: constOf((a.properties as Schema)[discriminator] as Schema)!,
          fields: objectFields(a, path).filter((f) => f.key !== discriminator),
        })),
      };
    }
    return { ...common, kind: 'raw' };
  }

  switch (s.type) {
    case 'string':
      return {
        ...common,
        kind: 'string',
        ...(typeof s.pattern === 'string' ? { pattern: s.pattern } : {}),
        ...(typeof s.minLength === 'number' ? { minLength: s.minLength } : {}),
      };
    case 'number':
    case 'integer': {
      const min = bound(s.minimum) ?? bound(s.exclusiveMinimum);
      const max = bound(s.maximum) ?? bound(s.exclusiveMaximum);
      const exclusiveMin = bound(s.minimum) === undefined && bound(s.exclusiveMinimum) !== undefined;
      return {
        ...common,
        kind: 'number',
        integer: s.type === 'integer',
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        ...(exclusiveMin ? { exclusiveMin } : {}),
      };
    }
    case 'boolean':
      return { ...common, kind: 'boolean' };
    case 'object':
      if (isSchema(s.properties)) return { ...common, kind: 'object', fields: objectFields(s, path) };
      if (isSchema(s.additionalProperties) && s.additionalProperties.type === 'string') return { ...common, kind: 'record' };
      return { ...common, kind: 'raw' };
    case 'array': {
      const items = isSchema(s.items) ? s.items : {};
      const minItems = typeof s.minItems === 'number' ? { minItems: s.minItems } : {};
      const itemOptions = simpleEnum(items);
      if (itemOptions) return { ...common, kind: 'list', item: 'string', options: itemOptions, ...minItems };
      if (items.type === 'string' || items.type === 'number' || items.type === 'integer') return { ...common, kind: 'list', item: items.type, ...minItems };
      if (Array.isArray(items.type) && items.type.every((t) => t === 'string' || t === 'number' || t === 'boolean')) return { ...common, kind: 'list', item: 'mixed', ...minItems };
      return { ...common, kind: 'raw' };
    }
    default:
      return { ...common, kind: 'raw' };
  }
}

/** The fields of a config object schema (the root of every node kind's config). */
export function formOf(schema: unknown): Field[] {
  return isSchema(schema) && isSchema(schema.properties) ? objectFields(schema, []) : [fieldOf('config', isSchema(schema) ? schema : {}, [], true)];
}

/** A copy of `obj` with `value` at `path`; `undefined` removes the key. Arrays and objects are copied, never mutated. */
export function setIn(obj: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const base = (Array.isArray(obj) ? [...(obj as unknown[])] : isSchema(obj) ? { ...obj } : typeof head === 'number' ? [] : {}) as Record<string | number, unknown>;
  const next = setIn(base[head], rest, value);
  if (next === undefined && !Array.isArray(base)) delete base[head];
  else base[head] = next;
  return base;
}

export function getIn(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** A list item typed in as text: a number where the list holds numbers, true/false as booleans in mixed lists. */
export function parseListItem(text: string, item: 'string' | 'number' | 'integer' | 'mixed'): Simple | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (item === 'string') return t;
  const n = Number(t);
  if (item === 'number' || item === 'integer') return Number.isFinite(n) ? n : undefined;
  if (t === 'true' || t === 'false') return t === 'true';
  return Number.isFinite(n) ? n : t;
}

/**
 * A starting config for a node kind dropped from the palette: the schema's defaults, and for
 * required fields without one an empty value of their type (the inspector then flags what to fill in).
 */
export function starterValue(fields: readonly Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.default !== undefined) {
      out[f.key] = structuredClone(f.default);
      continue;
    }
    if (!f.required) continue;
    switch (f.kind) {
      case 'string':
        out[f.key] = '';
        break;
      case 'number':
        out[f.key] = f.min === undefined ? 0 : f.exclusiveMin ? f.min + 1 : f.min;
        break;
      case 'boolean':
        out[f.key] = false;
        break;
      case 'enum':
        out[f.key] = f.options[0];
        break;
      case 'object':
        out[f.key] = starterValue(f.fields);
        break;
      case 'record':
        out[f.key] = {};
        break;
      case 'list':
        out[f.key] = f.options && (f.minItems ?? 0) > 0 ? [f.options[0]] : [];
        break;
      case 'variant': {
        const v = f.variants[0];
        if (v) out[f.key] = { [f.discriminator]: v.value, ...starterValue(v.fields) };
        break;
      }
      case 'raw':
        break;
    }
  }
  return out;
}
