// Rewrites a project's files in canonical form (what a save from the app writes). Usage: node scripts/canonicalize.ts <project>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_SCHEMAS } from '../src/shared/model/index.ts';
import { toCanonicalYaml } from '../src/store/canonical.ts';
import { loadProject } from '../src/store/project.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: node scripts/canonicalize.ts <project folder>');
const loaded = loadProject(root);
const entries = [
  ...(loaded.project ? [['project', loaded.project] as const] : []),
  ...[...loaded.devices.values()].map((e) => ['device', e] as const),
  ...[...loaded.pipelines.values()].map((e) => ['pipeline', e] as const),
  ...loaded.tests.map((e) => ['pipeline-test', e] as const),
  ...[...loaded.simulators.values()].map((e) => ['simulator', e] as const),
];
for (const [kind, entry] of entries) {
  if (entry.raw === undefined) continue;
  writeFileSync(join(root, entry.file), toCanonicalYaml(entry.raw, FILE_SCHEMAS[kind]));
  console.log(`canonical: ${entry.file}`);
}
