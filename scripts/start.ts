// `npm start`: the workbench on flows/bottling-line with its simulated plant running. Opens the
// Electron app where an Electron binary and a display exist; otherwise says why and serves the same
// UI in the browser with `plantbench serve flows/bottling-line --simulate`, which prints the URL.
// `prestart` (scripts/ensure-build.ts) has built out/ when it was missing or stale.
// `npm run start:browser` always takes the browser path.
import { resolve } from 'node:path';
import { desktopAvailable, run } from './desktop.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PROJECT = 'flows/bottling-line';
/** An Electron that exits with an error this soon did not start (missing libraries, sandbox setup). */
const START_WINDOW_MS = 20_000;

const say = (line: string): void => void process.stdout.write(`plantbench: ${line}\n`);

async function main(): Promise<number> {
  const desktop = desktopAvailable(ROOT);
  if (desktop.ok) {
    say(`opening the desktop app on ${PROJECT} (Simulated mode)`);
    const started = Date.now();
    const code = await run(desktop.path, ['.', `--project=${PROJECT}`, '--simulate'], { cwd: ROOT });
    // A clean exit, a signal (Ctrl+C) or a crash after it was up: the desktop app ran, nothing to fall back to.
    if (code === 0 || code >= 128 || Date.now() - started > START_WINDOW_MS) return code;
    say(`Electron could not start (exit code ${code}; its messages are above)`);
  } else {
    say(`Electron cannot start here: ${desktop.reason}`);
  }
  say(`serving the same UI in the browser instead: plantbench serve ${PROJECT} --simulate`);
  return run(process.execPath, [resolve(ROOT, 'bin', 'plantbench.js'), 'serve', PROJECT, '--simulate'], { cwd: ROOT });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`plantbench: npm start failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
