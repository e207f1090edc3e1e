import { Document, isScalar, visit } from 'yaml';
import type { z } from 'zod';

// Canonical YAML: keys in the order the schema declares them (records sorted by key), arrays in
// their given order, fixed formatting. The same data always gives the same bytes, so a save that
// changes nothing changes no byte and git diffs show only real edits.

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> } };

function def(schema: AnySchema): Record<string, unknown> & { type: string } {
  return schema._zod.def as Record<string, unknown> & { type: string };
}

/** Unwraps optional/default/nullable/pipe/lazy/readonly down to the schema that shapes the value. */
function unwrap(schema: AnySchema): AnySchema {
  for (let i = 0; i < 20; i++) {
    const d = def(schema);
    if (['optional', 'default', 'nullable', 'readonly', 'prefault', 'nonoptional', 'catch'].includes(d.type)) {
      schema = d.innerType as AnySchema;
    } else if (d.type === 'pipe') {
      schema = d.in as AnySchema;
    } else if (d.type === 'lazy') {
      schema = (d.getter as () => AnySchema)();
    } else return schema;
  }
  return schema;
}

function pickUnionOption(schema: AnySchema, value: unknown): AnySchema | undefined {
  const d = def(schema);
  const options = d.options as AnySchema[];
  const discriminator = d.discriminator as string | undefined;
  if (discriminator && value && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[discriminator];
    return options.find((o) => {
      const shape = def(unwrap(o)).shape as Record<string, AnySchema> | undefined;
      const lit = shape?.[discriminator];
      return lit && (def(unwrap(lit)).values as unknown[] | undefined)?.includes(tag);
    });
  }
  return options.find((o) => o.safeParse(value).success);
}

export function canonicalize(value: unknown, schema?: AnySchema): unknown {
  const s = schema ? unwrap(schema) : undefined;
  if (Array.isArray(value)) {
    const element = s && def(s).type === 'array' ? (def(s).element as AnySchema) : undefined;
    return value.map((v) => canonicalize(v, element));
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const d = s ? def(s) : undefined;
  if (d?.type === 'union') return canonicalize(value, pickUnionOption(s!, value));
  const out: Record<string, unknown> = {};
  if (d?.type === 'object') {
    const shape = d.shape as Record<string, AnySchema>;
    for (const key of Object.keys(shape)) if (key in obj && obj[key] !== undefined) out[key] = canonicalize(obj[key], shape[key]);
    for (const key of Object.keys(obj).sort()) if (!(key in out) && obj[key] !== undefined) out[key] = canonicalize(obj[key]);
    return out;
  }
  const valueSchema = d?.type === 'record' ? (d.valueType as AnySchema) : undefined;
  for (const key of Object.keys(obj).sort()) if (obj[key] !== undefined) out[key] = canonicalize(obj[key], valueSchema);
  return out;
}

/** Short maps and lists of plain values go on one line ({ x: 0, y: 0 }); everything else is block style. */
const FLOW_MAX_CHARS = 72;

export function toCanonicalYaml(value: unknown, schema?: z.ZodType): string {
  const doc = new Document(canonicalize(value, schema as AnySchema | undefined), { aliasDuplicateObjects: false });
  visit(doc, {
    Map(_key, node) {
      const flat = node.items.every((p) => isScalar(p.value));
      if (flat && node.items.length > 0 && JSON.stringify(node.toJSON()).length <= FLOW_MAX_CHARS) node.flow = true;
    },
    Seq(_key, node) {
      const flat = node.items.every((i) => isScalar(i));
      if (flat && node.items.length > 0 && JSON.stringify(node.toJSON()).length <= FLOW_MAX_CHARS) node.flow = true;
    },
  });
  return doc.toString({ indent: 2, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: true });
}
