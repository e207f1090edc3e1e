import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const EXAMPLE = new URL('../../flows/bottling-line/', import.meta.url).pathname;

/** A throw-away copy of the example project; edit its files, then dispose. */
export function copyExample(): { root: string; edit(file: string, change: (text: string) => string): void; write(file: string, text: string): void; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-project-'));
  cpSync(EXAMPLE, root, { recursive: true });
  return {
    root,
    edit(file, change) {
      const path = join(root, file);
      const before = readFileSync(path, 'utf8');
      const after = change(before);
      if (after === before) throw new Error(`edit of ${file} changed nothing`);
      writeFileSync(path, after);
    },
    write(file, text) {
      writeFileSync(join(root, file), text);
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a project into `root`: plantbench.yaml for a project called `name` (unless `files` has
 * one), then each file (path relative to the root → text), making folders as needed.
 */
export function writeProjectFiles(root: string, name: string, files: Record<string, string>): void {
  const all = { 'plantbench.yaml': `apiVersion: plantbench/v1\nkind: Project\nname: ${name}\nuns: { enterprise: acme, site: s1 }\n`, ...files };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
}
