import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// A long-running `plantbench` command (serve, simulate) in a child process, for the e2e tests and
// the UI benchmarks: plain output, ready once a stdout line says so, stopped with SIGTERM (SIGKILL
// after 15 s). Later stdout is drained unread, so the process never blocks on a full pipe.

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/plantbench.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const KILL_AFTER_MS = 15_000;

export interface PlantbenchProcess {
  readonly child: ChildProcess;
  /** The stdout line that made it ready. */
  readonly line: string;
  /** What it wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startPlantbench(
  args: readonly string[],
  options: { ready?: (line: string) => boolean; bin?: string } = {},
): Promise<PlantbenchProcess> {
  const ready = options.ready ?? (() => true);
  const what = `plantbench ${args[0] ?? ''}`.trim();
  // Plain output (Playwright sets FORCE_COLOR for its own reporter).
  const { FORCE_COLOR: _colour, ...env } = process.env;
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NO_COLOR: '1' } });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  const lines = createInterface({ input: child.stdout! });
  let onLine: ((line: string) => void) | undefined;
  let onExit: ((code: number | null) => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const line = await new Promise<string>((resolve, reject) => {
      onLine = (l) => ready(l) && resolve(l);
      onExit = (code) => reject(new Error(`${what} exited with ${code} before it was ready\n${err}`));
      timer = setTimeout(() => reject(new Error(`${what} was not ready within ${START_TIMEOUT_MS / 1000} s\n${err}`)), START_TIMEOUT_MS);
      lines.on('line', onLine);
      child.once('exit', onExit);
    });
    return { child, line, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
    if (onExit) child.off('exit', onExit);
    lines.close();
    child.stdout!.resume();
  }
}
