import { z } from 'zod';
import { method } from '../define.ts';
import { problem, projectId } from './common.ts';

// Export to an edge gateway (docs/gateway.md): what a bundle of the chosen pipelines holds (files
// by role with sizes, and the secret and env names the gateway must be given, never values), and
// writing it. The host writes into <project>/.plantbench/exports/: the UI never names a path.

/** Where `plantbench serve` lets the browser download a written archive: /exports/<file name>. */
export const EXPORTS_PATH = '/exports/';

export const EXPORT_ROLES = ['runtime', 'native', 'project', 'config', 'deploy', 'docs'] as const;

export const exportPlan = z.object({
  /** Located problems: nothing is written while there are any. */
  problems: z.array(problem),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int().nonnegative(), role: z.enum(EXPORT_ROLES) })),
  secrets: z.array(z.object({ ref: z.string(), kind: z.enum(['secret', 'env']), usedBy: z.array(z.string()) })),
});
export type ExportPlanView = z.infer<typeof exportPlan>;

/** The pipelines to include; all of the project's when empty. */
const selection = z.object({ pipelines: z.array(projectId).max(1000).default([]) }).strict();

export const exportMethods = {
  'export.plan': method({
    summary: 'What a gateway bundle of the chosen pipelines (all when none are named) would hold: files by role with sizes, the secrets to provide, or the problems that stop it.',
    request: selection,
    response: exportPlan,
  }),
  'export.write': method({
    summary: 'Writes the gateway bundle as a .tar.gz into the project\'s .plantbench/exports/ folder and says where; nothing is written while the plan has problems.',
    request: selection,
    response: z.object({
      plan: exportPlan,
      /** Where the archive was written (absolute, on the host), and the same relative to the project. */
      path: z.string().optional(),
      file: z.string().optional(),
      bytes: z.number().int().optional(),
    }),
  }),
};

export const exportEvents = {};
