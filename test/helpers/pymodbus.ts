// A pymodbus server (Debian's python3-pymodbus) in a child process, for interop tests: started with
// test/integration/interop/pymodbus_server.py and the given arguments, ready once it prints "ready".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../integration/interop/pymodbus_server.py', import.meta.url).pathname;

export function requirePymodbus(): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install the apt package python3-pymodbus (it brings python3)`);
  const probe = spawnSync(PYTHON, ['-c', 'import pymodbus, pymodbus.datastore; print(pymodbus.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`pymodbus is not importable by ${PYTHON}: install the apt package python3-pymodbus\n${probe.stderr}`);
}

export interface PymodbusServer {
  /** The rest of the "ready" line (JSON in the discovery modes). */
  readonly ready: string;
  stop(): Promise<void>;
}

/** Starts pymodbus_server.py with `args`; fails with its stderr if it is not ready within 15 s. */
export async function startPymodbus(args: readonly string[]): Promise<PymodbusServer> {
  requirePymodbus();
  const child: ChildProcess = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const ready = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`pymodbus server did not print "ready" within 15 s; stderr:\n${stderr}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^ready ?(.*)$/m.exec(out);
        if (line && out.includes('\n', line.index)) {
          clearTimeout(timer);
          resolve(line[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pymodbus server exited with ${code} before it was ready; stderr:\n${stderr}`));
      });
    });
    return { ready, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
