import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desktopAvailable, findDisplay, findElectronBinary } from '../../../scripts/desktop.ts';

// How `npm start` and the _electron spec decide whether the desktop app can start, on a fake
// node_modules/electron (never the real package: requiring it would try to download the binary).

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'plantbench-start-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function electronPackage({ pathTxt, binary }: { pathTxt?: string; binary?: string } = {}): void {
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron"}');
  if (pathTxt !== undefined) writeFileSync(join(pkg, 'path.txt'), pathTxt);
  if (binary !== undefined) writeFileSync(join(pkg, 'dist', binary), '');
}

describe('finding Electron without downloading it', () => {
  it('says the package is missing', () => {
    expect(findElectronBinary(root, {}, 'linux')).toEqual({ ok: false, reason: expect.stringContaining('not installed (run npm install)') });
  });

  it('says the binary was never downloaded (npm skipped its install script)', () => {
    electronPackage();
    expect(findElectronBinary(root, {}, 'linux')).toEqual({ ok: false, reason: expect.stringContaining('no Electron binary is installed') });
    electronPackage({ pathTxt: 'electron' }); // path.txt left behind, dist/ emptied
    expect(findElectronBinary(root, {}, 'linux').ok).toBe(false);
  });

  it('finds the downloaded binary, or the one ELECTRON_OVERRIDE_DIST_PATH points at', () => {
    electronPackage({ pathTxt: 'electron', binary: 'electron' });
    expect(findElectronBinary(root, {}, 'linux')).toEqual({ ok: true, path: join(root, 'node_modules', 'electron', 'dist', 'electron') });

    const custom = join(root, 'custom-electron');
    mkdirSync(custom);
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: custom }, 'linux')).toEqual({ ok: false, reason: expect.stringContaining('ELECTRON_OVERRIDE_DIST_PATH is set') });
    writeFileSync(join(custom, 'electron'), '');
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: custom }, 'linux')).toEqual({ ok: true, path: join(custom, 'electron') });
  });
});

describe('finding a display', () => {
  it('needs X11 or Wayland on Linux, nothing on macOS and Windows', () => {
    expect(findDisplay({}, 'linux')).toEqual({ ok: false, reason: expect.stringContaining('neither DISPLAY nor WAYLAND_DISPLAY') });
    expect(findDisplay({ DISPLAY: ':0' }, 'linux').ok).toBe(true);
    expect(findDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux').ok).toBe(true);
    expect(findDisplay({}, 'darwin').ok).toBe(true);
    expect(findDisplay({}, 'win32').ok).toBe(true);
  });

  it('gives the first reason the desktop app cannot start', () => {
    expect(desktopAvailable(root, { DISPLAY: ':0' }, 'linux').ok).toBe(false);
    electronPackage({ pathTxt: 'electron', binary: 'electron' });
    expect(desktopAvailable(root, {}, 'linux')).toEqual({ ok: false, reason: expect.stringContaining('no display') });
    expect(desktopAvailable(root, { DISPLAY: ':0' }, 'linux').ok).toBe(true);
  });
});
