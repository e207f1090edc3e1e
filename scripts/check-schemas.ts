// Lint step: the committed JSON Schemas and node reference must match the zod schemas they come from.
import { existsSync, readFileSync } from 'node:fs';
import { nodeKindsDoc } from './node-kinds-doc.ts';
import { jsonSchemas, SCHEMA_DIR } from './schemas.ts';

let stale = 0;
for (const [name, text] of jsonSchemas()) {
  const file = new URL(name, SCHEMA_DIR);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    console.error(`resources/schemas/${name} is out of date: run \`npm run schemas\` and commit the result`);
    stale++;
  }
}
const docs = new URL('../docs/node-kinds.md', import.meta.url);
if (!existsSync(docs) || readFileSync(docs, 'utf8') !== nodeKindsDoc()) {
  console.error('docs/node-kinds.md is out of date: run `npm run schemas` and commit the result');
  stale++;
}
if (stale) process.exit(1);
console.log(`resources/schemas: ${jsonSchemas().size} JSON Schemas up to date`);
