import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_STORE_AND_FORWARD } from '../../connectors/store-and-forward.ts';
import type { LogEntry } from '../../engine/runtime.ts';
import { startProjectSession } from '../../host/project-session.ts';
import { ArmingError, MAX_ARM_MINUTES, SafetyGate } from '../../host/safety/gate.ts';
import { publishesToMqtt, writableTags } from '../../host/safety/targets.ts';
import { mqttSandboxPrefix, RUN_MODES, type RunMode, type WritableTag } from '../../shared/rpc/methods/run.ts';
import { AuditStore } from '../../store/audit.ts';
import { loadProject } from '../../store/project.ts';
import { headlessSecretLookup, SecretsFileError } from '../../store/secrets.ts';
import { openWorkspaceDb, workspaceDbPath, type WorkspaceDb } from '../../store/workspace-db.ts';
import { paint, printProblems, UsageError } from '../output.ts';

export interface RunOptions {
  json: boolean;
  pipelines: string[];
  secrets?: string;
  /** Stop by itself after this long (for scripts and tests). */
  durationMs?: number;
  mode: RunMode;
  /** How long a live-armed run stays armed. */
  armMinutes: number;
  /** Arm without asking (scripted gateways). */
  yesIKnow: boolean;
  /** MQTT sinks publish under this topic prefix instead of the real UNS. */
  mqttSandbox?: string;
}

export const DEFAULT_ARM_MINUTES = 15;
/** A status line (mode, arming, writes) this often. */
const STATUS_MS = 60_000;

/**
 * The run mode from the flags: --simulate is simulated, --arm (or --mode live-armed) is live
 * armed, and real devices are live read-only unless said otherwise.
 */
export function runModeOf(flags: { mode?: string; simulate: boolean; arm: boolean; armMinutes?: string; yesIKnow: boolean }): { mode: RunMode; armMinutes: number } {
  if (flags.mode !== undefined && !(RUN_MODES as readonly string[]).includes(flags.mode)) {
    throw new UsageError(`--mode is one of ${RUN_MODES.join(', ')}; got "${flags.mode}"`);
  }
  let mode = flags.mode as RunMode | undefined;
  if (flags.simulate) {
    if (mode && mode !== 'simulated') throw new UsageError(`--simulate runs simulated; it does not go with --mode ${mode}`);
    mode = 'simulated';
  }
  if (flags.arm) {
    if (mode && mode !== 'live-armed') throw new UsageError(`--arm is for live-armed runs; it does not go with ${flags.simulate ? '--simulate' : `--mode ${mode}`}`);
    mode = 'live-armed';
  }
  mode ??= 'live-read-only';
  if (mode !== 'live-armed' && (flags.armMinutes !== undefined || flags.yesIKnow)) {
    throw new UsageError(`--arm-minutes and --yes-i-know go with --arm`);
  }
  let armMinutes = DEFAULT_ARM_MINUTES;
  if (flags.armMinutes !== undefined) {
    armMinutes = Number(flags.armMinutes);
    if (!(armMinutes > 0 && armMinutes <= MAX_ARM_MINUTES)) throw new UsageError(`--arm-minutes needs a number above 0 and at most ${MAX_ARM_MINUTES}, got "${flags.armMinutes}"`);
  }
  return { mode, armMinutes };
}

function formatLog(entry: LogEntry, json: boolean): string {
  if (json) return JSON.stringify({ time: new Date(entry.ts).toISOString(), ...entry, ts: undefined });
  const time = new Date(entry.ts).toISOString().slice(11, 23);
  const where = entry.node ? `${entry.pipeline}/${entry.node}` : entry.pipeline;
  const fields = entry.fields ? ` ${Object.entries(entry.fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}` : '';
  const level = entry.level === 'error' || entry.level === 'warn' ? paint('yellow', entry.level) : paint('dim', entry.level);
  return `${paint('dim', time)} ${level} ${where} ${entry.message}${fields}`;
}

/** The arming confirmation: what can be written, with its limits. On stderr, so --json stdout stays clean. */
function printWritable(tags: readonly WritableTag[], minutes: number): void {
  const err = process.stderr;
  err.write(paint('bold', `Arming lets this run write to ${tags.length} device tag(s) for ${minutes} minute(s):\n`, err));
  const width = Math.max(...tags.map((t) => `${t.device}/${t.tag}`.length));
  for (const t of tags) {
    const limits = t.interlock ? t.limits : paint('yellow', t.limits, err);
    err.write(`  ${`${t.device}/${t.tag}`.padEnd(width)}  ${limits}  ${paint('dim', `(${t.nodes.join(', ')})`, err)}\n`);
  }
}

async function askToArm(minutes: number): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((done) => rl.question(`Type "arm" to write to these tags for ${minutes} minute(s), anything else to cancel: `, done));
  rl.close();
  return answer.trim() === 'arm';
}

/**
 * The workspace DB for the audit log. A live-armed run needs the real one; the others carry on in
 * memory. A run whose pipelines write to no device needs none (nothing is created in its folder).
 */
function openAudit(root: string, mode: RunMode, writes: boolean): { db?: WorkspaceDb; problem?: string } {
  if (!writes) return { db: openWorkspaceDb(':memory:') };
  try {
    return { db: openWorkspaceDb(workspaceDbPath(root)) };
  } catch (err) {
    const problem = (err as Error).message;
    if (mode === 'live-armed') return { problem };
    process.stderr.write(paint('yellow', `${problem}\nThe audit log of this run is kept in memory only.\n`, process.stderr));
    return { db: openWorkspaceDb(':memory:') };
  }
}

/** The headless runtime: runs until SIGINT/SIGTERM, then drains cleanly. */
export async function run(target: string | undefined, options: RunOptions): Promise<number> {
  if (!target) throw new UsageError('run needs a project folder');
  const root = resolve(target);
  const { mode, armMinutes } = options;
  const log = (entry: LogEntry): void => void process.stdout.write(`${formatLog(entry, options.json)}\n`);
  const event = (level: LogEntry['level'], message: string, fields?: Record<string, unknown>): void =>
    log({ ts: Date.now(), level, pipeline: 'plantbench', message, fields });
  const notStarted = (problems: Parameters<typeof printProblems>[1]): number => {
    printProblems(root, problems, process.stderr);
    process.stderr.write(paint('red', `not started: ${problems.length} problem(s)\n`, process.stderr));
    return 1;
  };

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

  if (options.mqttSandbox !== undefined) {
    const prefix = mqttSandboxPrefix.safeParse(options.mqttSandbox);
    if (!prefix.success) throw new UsageError(`--mqtt-sandbox: ${prefix.error.issues[0]!.message}`);
  }
  const loaded = loadProject(root);
  if (loaded.problems.length) return notStarted(loaded.problems);
  const confirmed = writableTags(loaded, options.pipelines);
  if (mode === 'live-armed') {
    if (confirmed.length === 0) {
      process.stderr.write(`nothing to arm: no ${options.pipelines.length ? 'selected ' : ''}pipeline writes to a device (opcua-sink, modbus-sink). Run without --arm.\n`);
      return 1;
    }
    printWritable(confirmed, armMinutes);
    if (!options.yesIKnow) {
      if (!process.stdin.isTTY) {
        process.stderr.write('refusing to arm: nobody can confirm (no terminal). Run it on a terminal and type "arm", or pass --yes-i-know for a scripted gateway.\n');
        return 1;
      }
      if (!(await askToArm(armMinutes))) {
        process.stderr.write('not armed; nothing was started.\n');
        return 1;
      }
    }
  }

  const audit = openAudit(root, mode, confirmed.length > 0);
  if (!audit.db) {
    process.stderr.write(`refusing to arm: a live-armed run needs its audit log, and ${audit.problem}\n`);
    return 1;
  }
  let gate: SafetyGate | undefined;
  let armError: string | undefined;
  const { session, problems } = await startProjectSession(root, {
    pipelines: options.pipelines,
    simulate: mode === 'simulated',
    secrets,
    log,
    ...(options.mqttSandbox ? { mqttSandbox: options.mqttSandbox } : {}),
    // Store-and-forward for real brokers only: a simulated or sandboxed run's backlog must never reach a real one later.
    ...(mode !== 'simulated' && !options.mqttSandbox ? { storeAndForward: { ...DEFAULT_STORE_AND_FORWARD, file: join(root, '.plantbench', 'outbox.db') } } : {}),
    writes: (current) => {
      gate = new SafetyGate({
        mode,
        writable: writableTags(current, options.pipelines),
        audit: new AuditStore(audit.db!),
        log: (level, message) => event(level, message, { mode }),
      });
      if (mode === 'live-armed') {
        try {
          // Armed before the sources start, so the first sample is not refused.
          gate.arm(confirmed, armMinutes);
        } catch (err) {
          if (!(err instanceof ArmingError)) throw err;
          armError = err.message;
        }
      }
      return gate;
    },
  });
  if (!session) {
    audit.db.close();
    return notStarted(problems);
  }
  const { runner } = session;
  const arming = (): Record<string, unknown> => {
    const state = gate?.state();
    if (mode !== 'live-armed' || !state) return {};
    return state.armed ? { armed: true, armedUntil: new Date(state.until!).toISOString() } : { armed: false, reason: state.reason };
  };
  event('info', 'started', {
    project: session.loaded.project!.model!.name,
    mode,
    pipelines: runner.runs.map((r) => r.id),
    ...(mode === 'simulated' ? { simulators: Object.fromEntries(session.simulators.map((s) => [s.id, s.endpoint])) } : {}),
    ...(mode === 'live-read-only' && gate?.state().writable.length ? { dryRun: gate.state().writable.map((t) => `${t.device}/${t.tag}`) } : {}),
    // MQTT sinks are not device writes: say where they publish.
    ...(publishesToMqtt(session.loaded, options.pipelines) ? { mqtt: options.mqttSandbox ? `sandbox: under ${options.mqttSandbox}/` : 'published as configured' } : {}),
    ...arming(),
  });

  let code = 0;
  await new Promise<void>((done) => {
    const disarmOn = (reason: string): void => void gate?.disarm(reason);
    const stopOn = (reason: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGUSR1', onUsr1);
      clearTimeout(timer);
      clearInterval(statusTimer);
      keys?.close();
      // Disarm first: samples still queued for a sink while the pipelines drain are refused, not written.
      gate?.dispose();
      event('info', 'stopping', { reason, mode });
      done();
    };
    const onInt = (): void => stopOn('SIGINT');
    const onTerm = (): void => stopOn('SIGTERM');
    // The kill switch of a gateway: kill -USR1 <pid> disarms at once; the run goes on, writing nothing.
    const onUsr1 = (): void => disarmOn('SIGUSR1');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGUSR1', onUsr1);
    // On a terminal: "d" and Enter disarms.
    let keys: ReturnType<typeof createInterface> | undefined;
    if (mode === 'live-armed' && process.stdin.isTTY) {
      keys = createInterface({ input: process.stdin });
      keys.on('line', (line) => {
        if (['d', 'disarm'].includes(line.trim().toLowerCase())) disarmOn('disarmed from the terminal');
      });
      process.stderr.write(paint('yellow', 'Kill switch: type d and Enter (or kill -USR1 this process) to disarm at once; Ctrl-C stops the run.\n', process.stderr));
    }
    const statusTimer = setInterval(() => event('info', 'status', { mode, ...arming(), writes: gate?.counts() }), STATUS_MS);
    const timer = options.durationMs !== undefined ? setTimeout(() => stopOn('duration'), options.durationMs) : undefined;
    if (armError) {
      process.stderr.write(paint('red', `not armed: ${armError}\n`, process.stderr));
      code = 1;
      stopOn('not armed');
    }
  });
  await session.stop();
  audit.db.close();
  const stats = runner.stats();
  event('info', 'stopped', {
    mode,
    ...(gate ? { writes: gate.counts() } : {}),
    stats: Object.fromEntries(Object.entries(stats).map(([p, nodes]) => [p, Object.fromEntries(Object.entries(nodes).map(([n, s]) => [n, { in: s.in, out: s.out, dropped: s.dropped, errors: s.errors }]))])),
  });
  return code;
}
