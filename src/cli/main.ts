import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  export <project>              Write a gateway bundle: runtime, pipelines, gateway.yaml, systemd unit,
                                Dockerfile, README (docs/gateway.md). No secret value goes in it.
      --out DIR|FILE.tar.gz     Where to write it (a new folder, or a .tar.gz).
      --pipeline ID             Export only this pipeline (repeatable; default: all).
  run <project|bundle>          Run the project's pipelines headless until SIGINT/SIGTERM, then drain.
                                A bundle folder (with gateway.yaml) runs the gateway runtime:
                                JSON logs, hot reload, health (--state DIR, --secrets FILE).
      --pipeline ID             Run only this pipeline (repeatable).
      --secrets FILE            Secrets file (YAML NAME: value, chmod 600).
      --duration MS             Stop by itself after MS milliseconds.
      --mode MODE               simulated, live-read-only (the default: device writes run dry,
                                "would write X to Y") or live-armed (same as --arm).
      --simulate                Start the project's simulators and run against them (--mode simulated).
      --arm                     Live armed: lists the device tags that can be written and their
                                interlocks, and asks you to type "arm". Writes go out while armed.
      --arm-minutes N           Disarm by itself after N minutes (default 15, at most 480).
      --yes-i-know              Arm without asking (scripted gateways). Without a terminal and
                                without this flag, --arm refuses.
                                Kill switch: type d and Enter, or kill -USR1 <pid>: disarms at once.
      --mqtt-sandbox PREFIX     MQTT sinks publish under PREFIX/ instead of the real UNS.
  audit <project>               The audit log: every device write and would-be write, newest first.
      --since WHEN              Only entries since 30m, 1h, 2d ago, or since a date (2024-05-01T08:00).
      --device ID               Only writes to this device.
      --result R                Only written, dry-run, refused or failed.
      --limit N                 At most N entries (default 100; all with --json or --csv).
      --csv                     CSV (RFC 4180), oldest first.
  simulate <project|profile.yaml...>
                                Start simulated devices (Modbus, OPC UA, MQTT) and print their endpoints.
  trust <project> [thumbprint]  List OPC UA server certificates seen (rejected and trusted), or trust one
                                by its thumbprint (at least 8 hex characters). Unknown certificates are never
                                accepted automatically.
      --list                    List only.
  record <project>              Record what the sources read into the workspace DB (read-only, never writes).
      --tags LIST               device/tag,… to record (default: what the pipelines read).
      --pipeline ID             What this pipeline's sources read (repeatable).
      --duration TIME           Stop after 30s, 5m, … (a cap, with a fill level).
      --max-size SIZE           Stop at 50MB, 64kB, … in the database (default 256 MB).
      --name TEXT, --simulate, --secrets FILE
                                ("plantbench record --help" for more).
  recordings <project> [list|show|export|trim|delete|to-simulator|to-test] [ID]
                                Recordings: list, CSV export, trim, delete, replay as a simulated device,
                                turn into a pipeline test ("plantbench recordings --help").
  compare <project> --recording ID --pipeline P [--revision-a N] [--revision-b M]
                                Run two revisions of a pipeline on a recording and show the samples that differ.
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
  // Recording commands parse their own arguments too (docs/recording.md).
  if (argv[0] === 'record') return (await import('./commands/record.ts')).record(argv.slice(1));
  if (argv[0] === 'recordings') return (await import('./commands/recordings.ts')).recordings(argv.slice(1));
  if (argv[0] === 'compare') return (await import('./commands/compare.ts')).compare(argv.slice(1));
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
      mode: { type: 'string' },
      arm: { type: 'boolean', default: false },
      'arm-minutes': { type: 'string' },
      'yes-i-know': { type: 'boolean', default: false },
      'mqtt-sandbox': { type: 'string' },
      since: { type: 'string' },
      device: { type: 'string' },
      result: { type: 'string' },
      limit: { type: 'string' },
      csv: { type: 'boolean', default: false },
      out: { type: 'string' },
      state: { type: 'string' },
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
    case 'export':
      return (await import('./commands/export.ts')).exportBundle(targets[0], { json: values.json, pipelines: values.pipeline, out: values.out });
    case 'run': {
      // A gateway bundle runs the gateway runtime (the same as node plantbench-gateway.js run).
      if (targets[0] && existsSync(join(targets[0], 'gateway.yaml'))) {
        const { runGateway } = await import('../gateway/runtime.ts');
        return runGateway({ bundleDir: targets[0], stateDir: values.state, secretsFile: values.secrets, durationMs: number('duration', values.duration) });
      }
      const { run, runModeOf } = await import('./commands/run.ts');
      const mode = runModeOf({ mode: values.mode, simulate: values.simulate, arm: values.arm, armMinutes: values['arm-minutes'], yesIKnow: values['yes-i-know'] });
      return run(targets[0], {
        json: values.json,
        pipelines: values.pipeline,
        secrets: values.secrets,
        durationMs: number('duration', values.duration),
        ...mode,
        yesIKnow: values['yes-i-know'],
        mqttSandbox: values['mqtt-sandbox'],
      });
    }
    case 'audit':
      return (await import('./commands/audit.ts')).audit(targets[0], {
        json: values.json,
        csv: values.csv,
        since: values.since,
        device: values.device,
        result: values.result,
        limit: number('limit', values.limit),
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
