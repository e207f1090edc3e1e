// Entry of the gateway bundle: `node plantbench-gateway.js run [bundleDir]` (docs/gateway.md).
// Built by rolldown into out/gateway/ (npm run build:gateway) and copied into every export.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLE, loadBundle } from './bundle.ts';
import { jsonLog } from './log.ts';
import { EXIT_INVALID_BUNDLE, runGateway } from './runtime.ts';

const HELP = `plantbench-gateway – runs an exported Plantbench bundle headless

Usage:
  node plantbench-gateway.js run [bundleDir]       Run until SIGTERM/SIGINT, then drain (default: this bundle's folder).
  node plantbench-gateway.js validate [bundleDir]  Check the bundle and its secrets; exit 2 with located problems.

Options:
  --state DIR       Buffer, audit log, PKI and snapshots (default $STATE_DIRECTORY, or ./state).
  --secrets FILE    Secrets file (YAML NAME: value, chmod 600); overrides gateway.yaml secrets.file.
  --duration MS     Stop by itself after MS milliseconds.
  --no-watch        Do not apply changes of gateway.yaml and project/ while running (SIGHUP still does).
  -h, --help        This help.

Logs are JSON lines on stdout. Exit codes: 0 stopped, 1 could not start, 2 invalid bundle or usage.
`;

/**
 * `here`: the folder of the running bundle's entry script. The bundle folder is the one given, else
 * `here` when it holds a bundle, else the working directory.
 */
export async function gatewayMain(argv: string[], here?: string): Promise<number> {
  const bundleDirOf = (given: string | undefined): string => (given ?? (here && existsSync(join(here, BUNDLE.config)) ? here! : process.cwd()));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        state: { type: 'string' },
        secrets: { type: 'string' },
        duration: { type: 'string' },
        'no-watch': { type: 'boolean', default: false },
        json: { type: 'boolean', default: true },
      },
    });
  } catch (err) {
    process.stderr.write(`plantbench-gateway: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const durationMs = values.duration === undefined ? undefined : Number(values.duration);
  if (durationMs !== undefined && !(Number.isInteger(durationMs) && durationMs >= 0)) {
    process.stderr.write(`plantbench-gateway: --duration needs a whole number of milliseconds, got "${values.duration}"\n`);
    return 2;
  }
  const bundleDir = bundleDirOf(target);
  switch (command) {
    case 'run':
      return runGateway({ bundleDir, stateDir: values.state, secretsFile: values.secrets, durationMs, watch: !values['no-watch'] });
    case 'validate': {
      const log = jsonLog('info');
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const scratch = mkdtempSync(join(tmpdir(), 'plantbench-gateway-validate-'));
      try {
        const { version, problems } = loadBundle(bundleDir, { env: process.env, secretsFile: values.secrets, stateDir: scratch, snapshotDir: join(scratch, 'project') });
        if (!version) {
          log.problems('invalid bundle', problems);
          return EXIT_INVALID_BUNDLE;
        }
        log.event('info', 'bundle valid', { bundle: bundleDir, pipelines: version.config.pipelines });
        return 0;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    default:
      process.stderr.write(`plantbench-gateway: unknown command "${command}"\n${HELP}`);
      return 2;
  }
}
