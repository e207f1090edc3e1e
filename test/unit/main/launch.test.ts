import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseProject, exampleProject, parseLaunchArgs } from '../../../src/main/launch.ts';
import { clearRecent, MAX_RECENT, readRecent, rememberProject } from '../../../src/main/recent.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-launch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'plantbench.yaml'), `apiVersion: plantbench/v1\nname: ${name}\n`);
  return root;
}

describe('launch arguments', () => {
  it('takes --project and --simulate (npm start), ignoring Chromium and Playwright switches', () => {
    const argv = ['/usr/lib/electron', '--inspect=0', '--remote-debugging-port=0', '.', '--project=flows/bottling-line', '--simulate', '--no-sandbox'];
    expect(parseLaunchArgs(argv, false, '/repo')).toEqual({ project: resolve('/repo/flows/bottling-line'), simulate: true });
    expect(parseLaunchArgs(['/usr/lib/electron', '.'], false, '/repo')).toEqual({ project: undefined, simulate: false });
  });

  it('takes a folder as the last plain argument of the packaged app', () => {
    expect(parseLaunchArgs(['/opt/Plantbench/plantbench', 'line-3'], true, '/home/eng')).toEqual({ project: resolve('/home/eng/line-3'), simulate: false });
    expect(parseLaunchArgs(['/opt/Plantbench/plantbench'], true, '/home/eng').project).toBeUndefined();
  });

  it('opens the named project, else the last one that still exists, else the example', () => {
    const a = project('a');
    const b = project('b');
    const example = (): string => 'EXAMPLE';
    expect(chooseProject({ project: b, simulate: false }, [{ root: a, name: 'a', openedAt: 1 }], example)).toBe(b);
    const gone = join(dir, 'gone');
    expect(chooseProject({ simulate: false }, [{ root: gone, name: 'gone', openedAt: 2 }, { root: a, name: 'a', openedAt: 1 }], example)).toBe(a);
    expect(chooseProject({ simulate: false }, [], example)).toBe('EXAMPLE');
  });

  it('copies a read-only example once to a writable place, without its workspace DB', () => {
    const source = project('shipped');
    mkdirSync(join(source, '.plantbench'));
    writeFileSync(join(source, '.plantbench', 'workspace.db'), 'db');
    const copy = join(dir, 'Documents', 'Plantbench', 'bottling-line');
    expect(exampleProject({ source, copy })).toBe(copy);
    expect(readFileSync(join(copy, 'plantbench.yaml'), 'utf8')).toContain('name: shipped');
    expect(existsSync(join(copy, '.plantbench'))).toBe(false);
    // The user's edits survive the next start.
    writeFileSync(join(copy, 'plantbench.yaml'), 'edited');
    exampleProject({ source, copy });
    expect(readFileSync(join(copy, 'plantbench.yaml'), 'utf8')).toBe('edited');
    expect(exampleProject({ source })).toBe(source);
  });
});

describe('recent projects', () => {
  it('keeps each project once, newest first, at most MAX_RECENT', () => {
    const file = join(dir, 'userData', 'recent-projects.json');
    expect(readRecent(file)).toEqual([]);
    for (let i = 0; i < MAX_RECENT + 3; i++) rememberProject(file, { root: `/p/${i}`, name: `P${i}`, openedAt: i });
    rememberProject(file, { root: '/p/5', name: 'P5', openedAt: 100 });
    const list = readRecent(file);
    expect(list).toHaveLength(MAX_RECENT);
    expect(list[0]).toEqual({ root: '/p/5', name: 'P5', openedAt: 100 });
    expect(list.filter((p) => p.root === '/p/5')).toHaveLength(1);
    expect(list[1]!.root).toBe(`/p/${MAX_RECENT + 2}`);
    expect(clearRecent(file)).toEqual([]);
    expect(readRecent(file)).toEqual([]);
  });

  it('treats a damaged list as empty', () => {
    const file = join(dir, 'recent-projects.json');
    writeFileSync(file, 'garbage');
    expect(readRecent(file)).toEqual([]);
    writeFileSync(file, JSON.stringify({ projects: [{ root: '/ok', name: 'ok', openedAt: 1 }, { root: 3 }, null] }));
    expect(readRecent(file)).toEqual([{ root: '/ok', name: 'ok', openedAt: 1 }]);
  });
});
