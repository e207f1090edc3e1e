import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { SimulatorFile } from '../../shared/model/simulator.ts';
import { formatProblem, type Problem } from '../../shared/problem.ts';
import { SimulatorStartError, startSimulators } from '../../simulators/index.ts';
import { findProjectRoot, loadProject, parseProjectFile } from '../../store/project.ts';
import { paint, UsageError } from '../output.ts';

export interface SimulateOptions {
  json: boolean;
  durationMs?: number;
}

/** Loads simulator profiles from project folders or single files, with located problems. */
function loadProfiles(targets: string[]): { profiles: SimulatorFile[]; baseDir: string; problems: Problem[] } {
  const profiles: SimulatorFile[] = [];
  const problems: Problem[] = [];
  let baseDir = process.cwd();
  for (const target of targets) {
    const path = resolve(target);
    if (!existsSync(path)) {
      problems.push({ file: target, line: 0, col: 0, path: [], message: 'no such file or folder' });
    } else if (statSync(path).isDirectory()) {
      const loaded = loadProject(path);
      baseDir = loaded.root;
      const own = loaded.problems.filter((p) => p.file.startsWith('simulators/'));
      problems.push(...own.map((p) => ({ ...p, file: relative(process.cwd(), `${loaded.root}/${p.file}`) })));
      profiles.push(...[...loaded.simulators.values()].flatMap((e) => (e.model ? [e.model] : [])));
    } else {
      const { entry, problems: found } = parseProjectFile('simulator', relative(process.cwd(), path), readFileSync(path, 'utf8'));
      problems.push(...found);
      if (entry.model) profiles.push(entry.model);
      baseDir = findProjectRoot(path) ?? dirname(path);
    }
  }
  return { profiles, baseDir, problems };
}

/** Starts simulated devices and prints their endpoints; runs until SIGINT/SIGTERM. */
export async function simulate(targets: string[], options: SimulateOptions): Promise<number> {
  if (targets.length === 0) throw new UsageError('simulate needs a project folder or simulator profiles');
  const { profiles, baseDir, problems } = loadProfiles(targets);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  if (profiles.length === 0) {
    process.stderr.write('no simulator profiles found (simulators/*.yaml)\n');
    return 1;
  }
  const log = (level: string, message: string, fields?: Record<string, unknown>): void => {
    if (options.json) process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, fields })}\n`);
    else if (level !== 'debug') process.stderr.write(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
  let running;
  try {
    running = await startSimulators(profiles, { baseDir, log });
  } catch (err) {
    if (!(err instanceof SimulatorStartError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const endpoints = running.map((s) => ({ id: s.id, protocol: s.protocol, endpoint: s.endpoint }));
  if (options.json) printJsonLine({ message: 'simulators', simulators: endpoints });
  else {
    for (const e of endpoints) process.stdout.write(`${paint('bold', e.id.padEnd(20))} ${e.protocol.padEnd(7)} ${e.endpoint}\n`);
    process.stdout.write('Simulating. Ctrl+C stops.\n');
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const timer = options.durationMs !== undefined ? setTimeout(stop, options.durationMs) : undefined;
  });
  await Promise.allSettled(running.map((s) => s.stop()));
  return 0;
}

function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

