import { relative } from 'node:path';
import { parseArgs, styleText, type ParseArgsOptionsConfig } from 'node:util';
import { formatProblem, type Problem } from '../shared/problem.ts';

export type Style = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!stream.isTTY || process.env.NO_COLOR) return text;
  return styleText(style, text);
}

/** A project-relative problem, with its file made relative to the working directory (clickable in editors). */
export function problemFromCwd(root: string, p: Problem): Problem {
  const file = relative(process.cwd(), `${root}/${p.file}`) || p.file;
  return { ...p, file };
}

export function printProblems(root: string, problems: readonly Problem[], stream: NodeJS.WriteStream = process.stdout): void {
  for (const p of problems) stream.write(`${formatProblem(problemFromCwd(root, p))}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A usage error: the command line itself is wrong. */
export class UsageError extends Error {}

/**
 * parseArgs for a command: positionals allowed, plus the options every command has (--help/-h,
 * --json). Prints `help` and returns undefined when asked for it.
 */
const COMMON_OPTIONS = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean', default: false } } as const;

export function parseCommandArgs<O extends ParseArgsOptionsConfig>(argv: readonly string[], options: O, help: string) {
  const parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { ...COMMON_OPTIONS, ...options } });
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return undefined;
  }
  return parsed;
}
