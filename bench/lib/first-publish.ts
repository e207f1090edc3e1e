// Start-up measurement shared by bench/startup (plantbench run) and bench/gateway (an exported
// bundle): spawn a runtime, time to its first message at a subscriber, then its RSS a while later.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface FirstPublishCase {
  readonly brokerUrl: string;
  /** Subscription filter the runtime publishes under. */
  readonly topic: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** RSS is read this long after the first message. */
  readonly rssAfterMs: number;
}

/**
 * Spawn → first message at the broker (ms), RSS (MB) rssAfterMs later, and the CPU it used in
 * between (% of one core); then SIGTERM.
 */
export async function firstPublish(c: FirstPublishCase): Promise<{ firstMs: number; rss: number; cpuPct: number }> {
  const sub = await mqtt.connectAsync(c.brokerUrl);
  await sub.subscribeAsync(c.topic);
  const first = new Promise<number>((resolve) => sub.once('message', () => resolve(performance.now())));
  const started = performance.now();
  const child = spawn(c.command, [...c.args], { cwd: c.cwd, env: c.env ?? process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const firstAt = await Promise.race([first, exited.then(() => Promise.reject(new Error(`${c.args.join(' ')} exited before publishing`)))]);
  const firstMs = firstAt - started;
  const cpuBefore = cpuSeconds(child.pid!);
  await new Promise((r) => setTimeout(r, c.rssAfterMs));
  const rss = rssMb(child.pid!);
  const cpuPct = ((cpuSeconds(child.pid!) - cpuBefore) / ((performance.now() - firstAt) / 1000)) * 100;
  child.kill('SIGTERM');
  await exited;
  await sub.endAsync();
  return { firstMs, rss, cpuPct };
}
