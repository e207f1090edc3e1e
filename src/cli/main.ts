import { parseArgs } from 'node:util';
import { UsageError } from './output.ts';

const HELP = `plantbench – design, test and run tag pipelines for the Unified Namespace

Usage: plantbench <command> [options]

Commands:
  validate <project|files...>   Check project files. Exit 1 with "file:line:col field.path: message" per problem.
      --check-secrets           Also check that every \${secret:…}/\${env:…} the pipelines need resolves.
      --secrets FILE            Secrets file (YAML NAME: value, chmod 600).
  test <project|file.test.yaml...>
                                Run pipeline unit tests on the virtual clock. Ends with "N passed, N failed".
      --filter TEXT             Only cases whose name contains TEXT.
  run <project>                 Run the project's pipelines headless until SIGINT/SIGTERM, then drain.
      --pipeline ID             Run only this pipeline (repeatable).
      --secrets FILE            Secrets file (YAML NAME: value, chmod 600).
      --duration MS             Stop by itself after MS milliseconds.
      --simulate                Start the project's simulators and run against them.
  simulate <project|profile.yaml...>
                                Start simulated devices (Modbus, OPC UA, MQTT) and print their endpoints.
  trust <project> [thumbprint]  List OPC UA server certificates seen (rejected and trusted), or trust one
                                by its thumbprint (at least 8 hex characters). Unknown certificates are never
                                accepted automatically.
      --list                    List only.
  discover <area> <target>      Find devices and what they hold: scan, opcua, modbus, mqtt
                                ("plantbench discover --help" for more).
  serve [project]               The workbench in a browser: prints a URL with an access token (loopback only).
      --host ADDR               Bind address (default 127.0.0.1).
      --port N                  Port (default 0: a free one).
      --allow-remote            Allow a non-loopback --host; needs --tls-cert and --tls-key (https/wss).
      --tls-cert FILE           PEM certificate (chain) for https/wss.
      --tls-key FILE            PEM private key of that certificate.
      --simulate                Start a simulated run at start-up: simulators running, values flowing.
      --secrets FILE            Secrets file for live runs (YAML NAME: value, chmod 600).

Options for every command:
  --json                        Machine-readable output.
  -h, --help                    This help.
`;

async function main(argv: string[]): Promise<number> {
  // discover has per-area options; it parses its own arguments.
  if (argv[0] === 'discover') return (await import('./commands/discover.ts')).discover(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean', default: false },
      'check-secrets': { type: 'boolean', default: false },
      secrets: { type: 'string' },
      filter: { type: 'string' },
      pipeline: { type: 'string', multiple: true, default: [] },
      duration: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'allow-remote': { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      simulate: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  const [command, ...targets] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, got "${text}"`);
    return n;
  };
  // Commands load on demand, so `validate` never pays for protocol stacks.
  switch (command) {
    case 'validate':
      return (await import('./commands/validate.ts')).validate(targets, { json: values.json, checkSecrets: values['check-secrets'], secrets: values.secrets });
    case 'test':
      return (await import('./commands/test.ts')).test(targets, { json: values.json, filter: values.filter });
    case 'run':
      return (await import('./commands/run.ts')).run(targets[0], {
        json: values.json,
        pipelines: values.pipeline,
        secrets: values.secrets,
        durationMs: number('duration', values.duration),
        simulate: values.simulate,
      });
    case 'simulate':
      return (await import('./commands/simulate.ts')).simulate(targets, { json: values.json, durationMs: number('duration', values.duration) });
    case 'trust':
      if (!targets[0]) throw new UsageError('trust needs a project folder');
      return (await import('./commands/trust.ts')).trust(targets[0], targets[1], { json: values.json, list: values.list });
    case 'serve':
      return (await import('./commands/serve.ts')).serve(targets[0], {
        json: values.json,
        host: values.host,
        port: number('port', values.port)!,
        allowRemote: values['allow-remote'],
        tlsCert: values['tls-cert'],
        tlsKey: values['tls-key'],
        simulate: values.simulate,
        secrets: values.secrets,
      });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`plantbench: ${(err as Error).message}\nRun "plantbench --help" for usage.\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
