import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isLoopback } from '../../host/transport/access.ts';
import type { WebServer } from '../../host/web-server.ts';
import { findProjectRoot } from '../../store/project.ts';
import { headlessSecretLookup, SecretsFileError } from '../../store/secrets.ts';
import { paint, printProblems, UsageError } from '../output.ts';

export interface ServeOptions {
  host: string;
  port: number;
  allowRemote: boolean;
  tlsCert?: string;
  tlsKey?: string;
  json: boolean;
  /** Start a simulated run at start-up (the project's simulators, values flowing). */
  simulate: boolean;
  secrets?: string;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read it: ${(err as Error).message}`);
  }
}

/**
 * Browser mode: the workbench host with its UI over HTTP(S) and the RPC over a WebSocket. Loopback
 * only unless --allow-remote, and then only with TLS, so the access token never crosses a network in
 * clear text. Runs until SIGINT/SIGTERM, then stops the run and closes every connection.
 */
export async function serve(target: string | undefined, options: ServeOptions): Promise<number> {
  const remote = !isLoopback(options.host);
  if (remote && !options.allowRemote) {
    throw new UsageError(`--host ${options.host} is not a loopback address: add --allow-remote, with --tls-cert FILE and --tls-key FILE`);
  }
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  if (remote && !options.tlsCert) {
    throw new UsageError(`--allow-remote needs --tls-cert FILE and --tls-key FILE: a non-loopback bind serves only https and wss, so the access token is never sent in clear text`);
  }
  const tls = options.tlsCert && options.tlsKey ? { cert: readPem('--tls-cert', options.tlsCert), key: readPem('--tls-key', options.tlsKey) } : undefined;

  const asked = resolve(target ?? '.');
  const root = findProjectRoot(asked);
  if (!root) {
    process.stderr.write(`plantbench serve: no plantbench.yaml in ${asked} or above it: not a Plantbench project folder\n`);
    return 1;
  }
  let secrets;
  try {
    secrets = headlessSecretLookup(process.env, options.secrets);
  } catch (err) {
    if (!(err instanceof SecretsFileError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  // The host loads only once the command line is known to be good.
  const [{ createWorkbench }, { startWebServer }] = await Promise.all([import('../../host/workbench.ts'), import('../../host/web-server.ts')]);
  const warn = (message: string): void => void process.stderr.write(`${paint('yellow', 'warn', process.stderr)} ${message}\n`);
  const workbench = createWorkbench({
    projectRoot: root,
    secrets,
    // The UI shows the run's log; warnings and errors also reach the terminal.
    log: (message, level) => (level === 'warn' || level === 'error' ? warn(message) : undefined),
  });

  let server: WebServer;
  try {
    server = await startWebServer({ connect: (port) => workbench.rpc.connect(port), host: options.host, port: options.port, tls, projectRoot: root, log: warn });
  } catch (err) {
    await workbench.close();
    process.stderr.write(`plantbench serve: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}\n`);
    return 1;
  }

  if (options.json) process.stdout.write(`${JSON.stringify({ url: server.url, project: root, ui: server.built })}\n`);
  else {
    process.stdout.write(`Plantbench serving ${root}\n`);
    process.stdout.write(`Open ${paint('bold', server.url)}\n`);
    if (!server.built) process.stdout.write(paint('yellow', 'The workbench UI is not built: run `npm run build` (the page says so too).\n'));
  }
  if (options.simulate) {
    const status = await workbench.startRun({ mode: 'simulated' }).catch((err: unknown) => {
      warn(`the simulated run did not start: ${(err as Error).message}`);
      return undefined;
    });
    if (status?.problems.length) {
      printProblems(root, status.problems, process.stderr);
      warn(`the simulated run did not start: ${status.problems.length} problem(s); the workbench shows them`);
    } else if (status && !options.json) {
      process.stdout.write(`Simulated run: ${status.pipelines.join(', ')}\n`);
      for (const s of status.simulators) process.stdout.write(`  simulator ${s.id} (${s.protocol}) ${s.endpoint}\n`);
    }
  }
  if (!options.json) process.stdout.write('Ctrl+C stops.\n');

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await workbench.close();
  return 0;
}
