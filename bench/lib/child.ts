// Benchmarks run their load generators and systems under test in child processes (fork) and talk
// to them over IPC: this waits for one particular answer.
import type { ChildProcess } from 'node:child_process';

/** The first IPC message of `child` that `pick` turns into a value; rejects if the child exits first. */
export function childAnswer<T>(child: ChildProcess, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>): void => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = (code: number | null): void => reject(new Error(`child exited (${code}) before answering`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
