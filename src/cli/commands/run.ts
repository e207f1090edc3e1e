import { resolve } from 'node:path';
import type { LogEntry } from '../../engine/runtime.ts';
import { startProjectSession } from '../../host/project-session.ts';
import { headlessSecretLookup, SecretsFileError } from '../../store/secrets.ts';
import { paint, printProblems, UsageError } from '../output.ts';

export interface RunOptions {
  json: boolean;
  pipelines: string[];
  secrets?: string;
  /** Stop by itself after this long (for scripts and tests). */
  durationMs?: number;
  /** Start the project's simulators and run against them. */
  simulate: boolean;
}

function formatLog(entry: LogEntry, json: boolean): string {
  if (json) return JSON.stringify({ time: new Date(entry.ts).toISOString(), ...entry, ts: undefined });
  const time = new Date(entry.ts).toISOString().slice(11, 23);
  const where = entry.node ? `${entry.pipeline}/${entry.node}` : entry.pipeline;
  const fields = entry.fields ? ` ${Object.entries(entry.fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}` : '';
  const level = entry.level === 'error' || entry.level === 'warn' ? paint('yellow', entry.level) : paint('dim', entry.level);
  return `${paint('dim', time)} ${level} ${where} ${entry.message}${fields}`;
}

/** The headless runtime: runs until SIGINT/SIGTERM, then drains cleanly. */
export async function run(target: string | undefined, options: RunOptions): Promise<number> {
  if (!target) throw new UsageError('run needs a project folder');
  const root = resolve(target);
  const log = (entry: LogEntry): void => void process.stdout.write(`${formatLog(entry, options.json)}\n`);
  const event = (level: LogEntry['level'], message: string, fields?: Record<string, unknown>): void =>
    log({ ts: Date.now(), level, pipeline: 'plantbench', message, fields });

  let secrets;
  try {
    secrets = headlessSecretLookup(process.env, options.secrets);
  } catch (err) {
    if (err instanceof SecretsFileError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { session, problems } = await startProjectSession(root, { pipelines: options.pipelines, simulate: options.simulate, secrets, log });
  if (!session) {
    printProblems(root, problems, process.stderr);
    process.stderr.write(paint('red', `not started: ${problems.length} problem(s)\n`, process.stderr));
    return 1;
  }
  const { runner } = session;
  event('info', 'started', {
    project: session.loaded.project!.model!.name,
    mode: options.simulate ? 'simulated' : 'live',
    pipelines: runner.runs.map((r) => r.id),
    ...(options.simulate ? { simulators: Object.fromEntries(session.simulators.map((s) => [s.id, s.endpoint])) } : {}),
  });

  await new Promise<void>((done) => {
    const stopOn = (reason: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearTimeout(timer);
      event('info', 'stopping', { reason });
      done();
    };
    const onInt = (): void => stopOn('SIGINT');
    const onTerm = (): void => stopOn('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const timer = options.durationMs !== undefined ? setTimeout(() => stopOn('duration'), options.durationMs) : undefined;
  });
  await session.stop();
  const stats = runner.stats();
  event('info', 'stopped', { stats: Object.fromEntries(Object.entries(stats).map(([p, nodes]) => [p, Object.fromEntries(Object.entries(nodes).map(([n, s]) => [n, { in: s.in, out: s.out, dropped: s.dropped, errors: s.errors }]))])) });
  return 0;
}
