// Lint step: the committed JSON Schemas must match the zod schemas they are generated from.
import { existsSync, readFileSync } from 'node:fs';
import { jsonSchemas, SCHEMA_DIR } from './schemas.ts';

let stale = 0;
for (const [name, text] of jsonSchemas()) {
  const file = new URL(name, SCHEMA_DIR);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    console.error(`resources/schemas/${name} is out of date: run \`npm run schemas\` and commit the result`);
    stale++;
  }
}
if (stale) process.exit(1);
console.log(`resources/schemas: ${jsonSchemas().size} JSON Schemas up to date`);
