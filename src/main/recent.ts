import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Recently opened projects (File › Open Recent), newest first, kept in userData/recent-projects.json.

export interface RecentProject {
  readonly root: string;
  readonly name: string;
  readonly openedAt: number;
}

export const MAX_RECENT = 10;

/** The list as stored; a missing or unreadable file is an empty list (it is only a convenience). */
export function readRecent(file: string): RecentProject[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { projects?: unknown };
    if (!Array.isArray(parsed.projects)) return [];
    return parsed.projects
      .filter((p): p is RecentProject => typeof p?.root === 'string' && typeof p?.name === 'string' && typeof p?.openedAt === 'number')
      .slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

function writeRecent(file: string, projects: readonly RecentProject[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: 1, projects }, null, 2)}\n`);
  renameSync(temp, file);
}

/** Puts a project at the top (once) and returns the new list. */
export function rememberProject(file: string, project: RecentProject): RecentProject[] {
  const projects = [project, ...readRecent(file).filter((p) => p.root !== project.root)].slice(0, MAX_RECENT);
  writeRecent(file, projects);
  return projects;
}

export function clearRecent(file: string): RecentProject[] {
  writeRecent(file, []);
  return [];
}
