import { existsSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { planExport, writeExport } from '../../gateway/export.ts';
import type { exportMethods } from '../../shared/rpc/methods/export.ts';
import type { Handlers } from '../rpc/server.ts';

// export.plan and export.write (docs/gateway.md, "Export in the app"): the same planExport and
// writeExport as `plantbench export`. The archive goes into <project>/.plantbench/exports/ (git-
// ignored) under a name the host picks: the UI never passes a path.

export const EXPORTS_DIR = join('.plantbench', 'exports');

/** "<project folder>-20261122-094012.tar.gz", with -2, -3, … when that name is taken. */
function archivePath(projectRoot: string, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  const name = basename(projectRoot).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'project';
  const dir = join(projectRoot, EXPORTS_DIR);
  for (let n = 1; ; n++) {
    const path = join(dir, `${name}-${stamp}${n > 1 ? `-${n}` : ''}.tar.gz`);
    if (!existsSync(path)) return path;
  }
}

export function createExportHandlers(projectRoot: string, options: { now?: () => Date } = {}): Handlers<typeof exportMethods> {
  const now = options.now ?? (() => new Date());
  return {
    'export.plan': async ({ pipelines }) => planExport(projectRoot, { pipelines }),
    'export.write': async ({ pipelines }) => {
      const path = archivePath(projectRoot, now());
      const plan = await writeExport(projectRoot, { pipelines }, path);
      if (plan.problems.length) return { plan };
      return { plan, path, file: relative(projectRoot, path).split('\\').join('/'), bytes: statSync(path).size };
    },
  };
}
