import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
