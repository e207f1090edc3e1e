import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RecentProject } from './recent.ts';

// What the app opens at start: --project=<dir> (npm start passes flows/bottling-line), a folder
// given on the command line of the packaged app, the last project, or the example project.

export interface LaunchOptions {
  readonly project?: string;
  /** Start the simulated run as soon as the project is open (npm start). */
  readonly simulate: boolean;
}

/**
 * `argv` is process.argv. Chromium and Playwright switches (--inspect=0, --no-sandbox, ...) are
 * ignored. A packaged app also takes a folder as its last plain argument.
 */
export function parseLaunchArgs(argv: readonly string[], packaged: boolean, cwd = process.cwd()): LaunchOptions {
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    strict: false,
    allowPositionals: true,
    options: { project: { type: 'string' }, simulate: { type: 'boolean' } },
  });
  const project = typeof values.project === 'string' ? values.project : packaged ? positionals.at(-1) : undefined;
  return { project: project === undefined ? undefined : path.resolve(cwd, project), simulate: values.simulate === true };
}

export interface ExampleLocation {
  /** Where the example ships: flows/bottling-line in the repository, resources/examples/... when packaged. */
  readonly source: string;
  /** A writable copy, for a packaged app (its resources are read-only). */
  readonly copy?: string;
}

/** The example project, copied once to a writable place when it ships read-only. */
export function exampleProject({ source, copy }: ExampleLocation): string {
  if (copy === undefined) return source;
  if (!existsSync(copy)) cpSync(source, copy, { recursive: true, filter: (from) => path.basename(from) !== '.plantbench' });
  return copy;
}

export function chooseProject(args: LaunchOptions, recent: readonly RecentProject[], example: () => string): string {
  if (args.project !== undefined) return args.project;
  return recent.find((p) => existsSync(path.join(p.root, 'plantbench.yaml')))?.root ?? example();
}
