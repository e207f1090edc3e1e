import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { formatProblem, type Problem } from '../../shared/problem.ts';
import { detectKind, findProjectRoot, loadProject, parseProjectFile, resolveDeviceSecrets, devicesUsedBy } from '../../store/project.ts';
import { headlessSecretLookup } from '../../store/secrets.ts';
import { paint, printJson, problemFromCwd, UsageError } from '../output.ts';

export interface ValidateOptions {
  json: boolean;
  checkSecrets: boolean;
  secrets?: string;
}

/** Validates projects and/or single files. Returns the exit code. */
export function validate(targets: string[], options: ValidateOptions): number {
  if (targets.length === 0) throw new UsageError('validate needs a project folder or files');
  const problems: Problem[] = [];
  let files = 0;
  const projects = new Map<string, string[] | 'all'>();
  for (const target of targets) {
    const path = resolve(target);
    if (!existsSync(path)) {
      problems.push({ file: relative(process.cwd(), path) || target, line: 0, col: 0, path: [], message: 'no such file or folder' });
      continue;
    }
    const root = findProjectRoot(path);
    if (statSync(path).isDirectory()) {
      projects.set(root && root === path ? root : path, 'all');
    } else if (root) {
      const listed = projects.get(root);
      if (listed !== 'all') projects.set(root, [...(listed ?? []), relative(root, path)]);
    } else {
      // A file outside any project: schema checks only, no cross-file references.
      files++;
      const text = readFileSync(path, 'utf8');
      const file = relative(process.cwd(), path);
      const kind = detectKind(text);
      if (!kind) problems.push({ file, line: 1, col: 1, path: ['kind'], message: 'unknown file: "kind" must be Project, Device, Pipeline, PipelineTest or Simulator' });
      else problems.push(...parseProjectFile(kind, file, text).problems);
    }
  }
  for (const [root, only] of projects) {
    const loaded = loadProject(root);
    files += (loaded.project ? 1 : 0) + loaded.devices.size + loaded.pipelines.size + loaded.tests.length + loaded.simulators.size;
    let found = loaded.problems;
    if (options.checkSecrets) {
      const used = devicesUsedBy([...loaded.pipelines.values()].flatMap((e) => (e.model ? [e.model] : [])));
      found = [...found, ...resolveDeviceSecrets(loaded, used, headlessSecretLookup(process.env, options.secrets)).problems];
    }
    if (only !== 'all') found = found.filter((p) => only.includes(p.file));
    problems.push(...found.map((p) => problemFromCwd(root, p)));
  }

  if (options.json) {
    printJson({ valid: problems.length === 0, files, problems });
  } else {
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    const summary = `${files} file(s) checked, ${problems.length} problem(s)`;
    process.stdout.write(`${problems.length ? paint('red', summary) : paint('green', summary)}\n`);
  }
  return problems.length ? 1 : 0;
}
