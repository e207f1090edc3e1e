#!/usr/bin/env node
// Entry of the `plantbench` command. Plantbench runs its TypeScript sources directly on Node 22
// (type stripping). Started by an older Node (e.g. a system Node 20), it re-runs itself with the
// project's own Node 22 from node_modules, so the command works the same from any shell.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    console.error(`plantbench needs Node 22.18 or newer (this is ${process.version}); run \`npm install\` in the Plantbench folder to get it.`);
    process.exit(1);
  }
  const child = spawn(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await import('../src/cli/main.ts');
}
