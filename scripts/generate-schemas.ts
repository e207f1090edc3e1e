// Writes resources/schemas/*.schema.json and docs/node-kinds.md from the zod schemas (npm run schemas).
import { mkdirSync, writeFileSync } from 'node:fs';
import { nodeKindsDoc } from './node-kinds-doc.ts';
import { jsonSchemas, SCHEMA_DIR } from './schemas.ts';

mkdirSync(SCHEMA_DIR, { recursive: true });
for (const [name, text] of jsonSchemas()) {
  writeFileSync(new URL(name, SCHEMA_DIR), text);
  console.log(`wrote resources/schemas/${name}`);
}
writeFileSync(new URL('../docs/node-kinds.md', import.meta.url), nodeKindsDoc());
console.log('wrote docs/node-kinds.md');
