import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

// What `npm start` and the Playwright _electron spec need to know before starting the desktop app:
// is there an Electron binary, and a display. Nothing here requires the `electron` package: its
// index.js tries to download the binary when it is missing.

export type Found = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

const BINARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'electron',
  freebsd: 'electron',
  openbsd: 'electron',
  win32: 'electron.exe',
  darwin: 'Electron.app/Contents/MacOS/Electron',
};

/** The Electron executable of node_modules/electron, found the way its index.js finds it, without downloading. */
export function findElectronBinary(root: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Found {
  const pkg = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json'))) return { ok: false, reason: 'the electron package is not installed (run npm install)' };
  const pathFile = join(pkg, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : BINARY[platform];
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) {
    const binary = join(override, name ?? 'electron');
    return existsSync(binary) ? { ok: true, path: binary } : { ok: false, reason: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${binary} does not exist` };
  }
  const binary = name === undefined ? undefined : join(pkg, 'dist', name);
  if (!existsSync(pathFile) || binary === undefined || !existsSync(binary)) {
    return {
      ok: false,
      reason: "no Electron binary is installed (npm skips electron's download script here; `npx install-electron` fetches it where downloads are allowed)",
    };
  }
  return { ok: true, path: binary };
}

/** Linux and the BSDs need an X11 or Wayland display; macOS and Windows always have one. */
export function findDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Found {
  if (platform === 'darwin' || platform === 'win32') return { ok: true, path: '' };
  if (env['WAYLAND_DISPLAY']) return { ok: true, path: env['WAYLAND_DISPLAY'] };
  if (env['DISPLAY']) return { ok: true, path: env['DISPLAY'] };
  return { ok: false, reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
}

/** Both of the above: the Electron binary's path, or why the desktop app cannot start here. */
export function desktopAvailable(root: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Found {
  const binary = findElectronBinary(root, env, platform);
  if (!binary.ok) return binary;
  const display = findDisplay(env, platform);
  return display.ok ? binary : display;
}

/** Runs a command with the terminal attached; resolves with its exit code (128 + n after signal n, as shells report it). */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    // Ctrl+C reaches the child too (same process group); wait for it to finish instead of dying first.
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
