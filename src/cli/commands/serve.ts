import { resolve } from 'node:path';
import { startStatusServer } from '../../host/status-server.ts';
import { UsageError } from '../output.ts';

export interface ServeOptions {
  host: string;
  port: number;
  allowRemote: boolean;
  json: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export async function serve(target: string | undefined, options: ServeOptions): Promise<number> {
  const root = resolve(target ?? '.');
  if (!LOOPBACK.test(options.host) && !options.allowRemote) {
    throw new UsageError(`--host ${options.host} is not a loopback address: add --allow-remote (TLS options arrive with the workbench UI)`);
  }
  const server = await startStatusServer(root, options.host, options.port);
  if (options.json) process.stdout.write(`${JSON.stringify({ url: server.url, project: root })}\n`);
  else {
    process.stdout.write(`Plantbench serving ${root}\n`);
    process.stdout.write(`Open ${server.url}\n`);
    process.stdout.write('(browser-mode preview: project, pipelines and problems; the canvas UI is not built yet). Ctrl+C stops.\n');
  }
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
