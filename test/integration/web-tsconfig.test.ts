import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The renderer must only see the contract (ARCHITECTURE.md §2, §7): tsconfig.web.json
// may not pull in Node's or Electron's type definitions, not even through a dependency.

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '../..');

describe('tsconfig.web.json', () => {
  it('type-checks renderer and shared without Node or Electron types', async () => {
    const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
    const { stdout } = await execFileAsync(process.execPath, [tsc, '-p', 'tsconfig.web.json', '--listFilesOnly'], {
      cwd: projectRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    const files = stdout.split(/\r?\n/).filter((line) => line.length > 0).map((file) => file.replaceAll('\\', '/'));
    expect(files.some((file) => file.includes('/src/renderer/'))).toBe(true);
    expect(files.filter((file) => file.includes('/node_modules/@types/node/'))).toEqual([]);
    expect(files.filter((file) => file.includes('/node_modules/electron/'))).toEqual([]);
    expect(files.filter((file) => /\/src\/(main|preload|engine|store|host|cli|connectors|simulators)\//.test(file))).toEqual([]);
  });
});
