import { resolve } from 'node:path';
import { startProjectSession, type ProjectSession } from '../../host/project-session.ts';
import { startStatusServer } from '../../host/status-server.ts';
import { headlessSecretLookup } from '../../store/secrets.ts';
import { paint, printProblems, UsageError } from '../output.ts';

export interface ServeOptions {
  host: string;
  port: number;
  allowRemote: boolean;
  json: boolean;
  /** Also run the project against its simulators and show live values. */
  simulate: boolean;
  secrets?: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export async function serve(target: string | undefined, options: ServeOptions): Promise<number> {
  const root = resolve(target ?? '.');
  if (!LOOPBACK.test(options.host) && !options.allowRemote) {
    throw new UsageError(`--host ${options.host} is not a loopback address: add --allow-remote (TLS options arrive with the workbench UI)`);
  }
  let session: ProjectSession | undefined;
  if (options.simulate) {
    const started = await startProjectSession(root, {
      simulate: true,
      secrets: headlessSecretLookup(process.env, options.secrets),
      // The page shows the run; warnings still reach the terminal.
      log: (entry) => void (entry.level === 'warn' || entry.level === 'error' ? process.stderr.write(`${entry.level} ${entry.pipeline}/${entry.node ?? ''} ${entry.message}\n`) : undefined),
    });
    if (!started.session) {
      printProblems(root, started.problems, process.stderr);
      process.stderr.write(paint('red', `not started: ${started.problems.length} problem(s)\n`, process.stderr));
      return 1;
    }
    session = started.session;
  }
  const live = session && {
    mode: 'simulated' as const,
    simulators: session.simulators.map((s) => ({ id: s.id, protocol: s.protocol, endpoint: s.endpoint })),
    stats: () => session.runner.stats(),
  };
  const server = await startStatusServer(root, options.host, options.port, live);
  if (options.json) process.stdout.write(`${JSON.stringify({ url: server.url, project: root })}\n`);
  else {
    process.stdout.write(`Plantbench serving ${root}\n`);
    process.stdout.write(`Open ${server.url}\n`);
    process.stdout.write(`(browser-mode preview: project, pipelines, problems${session ? ' and live values from the simulated plant' : ''}; the canvas UI is not built yet). Ctrl+C stops.\n`);
  }
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await session?.stop();
  return 0;
}
