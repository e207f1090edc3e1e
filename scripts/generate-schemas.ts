// Writes resources/schemas/*.schema.json from the zod schemas (npm run schemas).
import { mkdirSync, writeFileSync } from 'node:fs';
import { jsonSchemas, SCHEMA_DIR } from './schemas.ts';

mkdirSync(SCHEMA_DIR, { recursive: true });
for (const [name, text] of jsonSchemas()) {
  writeFileSync(new URL(name, SCHEMA_DIR), text);
  console.log(`wrote resources/schemas/${name}`);
}
