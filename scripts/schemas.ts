import { z } from 'zod';
import { FILE_SCHEMAS } from '../src/shared/model/index.ts';
import { gatewayFile } from '../src/shared/model/gateway.ts';

export const SCHEMA_DIR = new URL('../resources/schemas/', import.meta.url);

/** The JSON Schema text of each project file kind, as committed in resources/schemas. */
export function jsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  // gateway.yaml belongs to an exported bundle, not to a project folder (docs/gateway.md).
  for (const [kind, schema] of Object.entries({ ...FILE_SCHEMAS, gateway: gatewayFile })) {
    // io: 'input' describes what a person writes: fields with defaults are optional.
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
    const document = { title: `Plantbench ${kind} file`, ...json };
    out.set(`${kind}.schema.json`, `${JSON.stringify(document, null, 2)}\n`);
  }
  return out;
}
