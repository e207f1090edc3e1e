// The headless gateway runtime (docs/gateway.md): validates a bundle, runs its pipelines through the
// same startProjectSession as `plantbench run`, hot-reloads gateway.yaml and project/, serves health
// and metrics, logs JSON lines, and drains on SIGTERM.
import { existsSync, mkdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { startProjectSession, type ProjectSession } from '../host/project-session.ts';
import { SafetyGate, type AuditSink } from '../host/safety/gate.ts';
import type { Problem } from '../shared/problem.ts';
import { writableTags } from '../host/safety/targets.ts';
import { AuditStore } from '../store/audit.ts';
import { openWorkspaceDb, type WorkspaceDb } from '../store/workspace-db.ts';
import { BUNDLE, bundleFingerprint, loadBundle, RUNTIME_PROJECT_DIRS, type BundleVersion } from './bundle.ts';
import { projectReadiness, startHealthServer, type HealthServer } from './health.ts';
import { jsonLog, type JsonLog } from './log.ts';
import { prometheusText } from './metrics.ts';

export interface GatewayRunOptions {
  readonly bundleDir: string;
  /** Buffer, audit log, PKI and snapshots; default $STATE_DIRECTORY (systemd) or ./state. */
  readonly stateDir?: string;
  readonly secretsFile?: string;
  /** Stop by itself after this long (tests, benchmarks). */
  readonly durationMs?: number;
  /** Apply changes of gateway.yaml and project/ while running (default on). */
  readonly watch?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: JsonLog;
}

/** Exit codes: 0 stopped cleanly, 1 could not start (e.g. health port taken), 2 invalid bundle. */
export const EXIT_INVALID_BUNDLE = 2;

/** Waits this long after the last file event, so a copy of several files is applied once. */
const SETTLE_MS = 300;

interface Active {
  version: BundleVersion;
  session: ProjectSession;
  gate: SafetyGate;
  serial: number;
}

/** Runs the bundle until SIGTERM/SIGINT (or durationMs), then drains. Resolves to the exit code. */
export async function runGateway(options: GatewayRunOptions): Promise<number> {
  const env = options.env ?? process.env;
  const dir = resolve(options.bundleDir);
  const stateDir = resolve(options.stateDir ?? env.STATE_DIRECTORY?.split(':')[0] ?? 'state');
  const log = options.log ?? jsonLog('info');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const snapshots = join(stateDir, 'snapshots');
  // Snapshots of an earlier process are of no use: it ran what the bundle held then.
  rmSync(snapshots, { recursive: true, force: true });
  let serial = 0;
  const load = (): ReturnType<typeof loadBundle> & { serial: number } => {
    serial++;
    return { ...loadBundle(dir, { env, secretsFile: options.secretsFile, stateDir, snapshotDir: join(snapshots, String(serial)) }), serial };
  };

  const first = load();
  if (!first.version) {
    log.problems('invalid bundle', first.problems);
    log.event('error', 'not started', { bundle: dir, problems: first.problems.length, exitCode: EXIT_INVALID_BUNDLE });
    rmSync(join(snapshots, String(first.serial)), { recursive: true, force: true });
    return EXIT_INVALID_BUNDLE;
  }
  log.level = first.version.config.logLevel;

  // Device writes on a gateway run dry (live read-only) and are audited; arming stays with the CLI.
  // The audit log opens at its first entry: a gateway that only reads never pays for it at start.
  let auditDb: WorkspaceDb | undefined;
  let auditStore: AuditStore | undefined;
  const audit: AuditSink = {
    add: (entry) => {
      if (!auditStore) {
        try {
          auditDb = openWorkspaceDb(join(stateDir, 'audit.db'));
        } catch (err) {
          log.event('warn', 'audit log kept in memory', { reason: (err as Error).message });
          auditDb = openWorkspaceDb(':memory:');
        }
        auditStore = new AuditStore(auditDb);
      }
      return auditStore.add(entry);
    },
  };

  const start = async (version: BundleVersion, n: number): Promise<Active | { problems: Problem[] }> => {
    let gate: SafetyGate | undefined;
    const { session, problems } = await startProjectSession(version.root, {
      pipelines: version.config.pipelines,
      secrets: version.secrets,
      log: log.engine,
      dataDir: stateDir,
      storeAndForward: version.buffer,
      writes: (current) =>
        (gate = new SafetyGate({
          mode: 'live-read-only',
          writable: writableTags(current, version.config.pipelines),
          audit,
          log: (level, message) => log.event(level, message, { mode: 'live-read-only' }),
        })),
    });
    // Project files are named as in the bundle; others (the buffer in the state folder) by their path.
    const named = (p: Problem): Problem => ({ ...p, file: p.file.startsWith('..') || isAbsolute(p.file) ? resolve(version.root, p.file) : `${BUNDLE.project}/${p.file}` });
    if (!session) return { problems: problems.map(named) };
    return { version, session, gate: gate!, serial: n };
  };
  const stopActive = async (a: Active): Promise<void> => {
    a.gate.dispose();
    await a.session.stop();
  };

  let active: Active | undefined;
  const started = await start(first.version, first.serial);
  if (!('session' in started)) {
    log.problems('invalid bundle', started.problems);
    log.event('error', 'not started', { bundle: dir, problems: started.problems.length, exitCode: EXIT_INVALID_BUNDLE });
    auditDb?.close();
    return EXIT_INVALID_BUNDLE;
  }
  active = started;

  const reloads = { applied: 0, rejected: 0 };
  let health: HealthServer | undefined;
  const healthOf = async (version: BundleVersion): Promise<void> => {
    const { host, port, allowRemote } = version.config.health;
    health = await startHealthServer({
      host,
      port,
      allowRemote,
      ready: () => projectReadiness(active?.session.runner),
      metrics: () => prometheusText(active?.session.runner, { bufferCapacity: active?.version.buffer.maxEntries, reloads, info: { bundle: active?.version.fingerprint.slice(0, 12) ?? '' } }),
    });
  };
  try {
    await healthOf(first.version);
  } catch (err) {
    log.event('error', 'not started: health server', { reason: (err as Error).message, exitCode: 1 });
    await stopActive(active);
    auditDb?.close();
    return 1;
  }
  log.event('info', 'started', {
    bundle: dir,
    state: stateDir,
    version: active.version.fingerprint.slice(0, 12),
    pipelines: active.session.runner.runs.map((r) => r.id),
    health: health?.url,
    mode: 'live-read-only',
  });

  // Hot reload: one at a time; a change during a reload is applied after it.
  let reloading: Promise<void> | undefined;
  let again = false;
  let stopping = false;
  const reload = async (reason: string): Promise<void> => {
    if (stopping) return;
    if (reloading) {
      again = true;
      return;
    }
    reloading = (async () => {
      do {
        again = false;
        if (bundleFingerprint(dir) === active!.version.fingerprint) continue;
        const next = load();
        const snapshot = join(snapshots, String(next.serial));
        if (!next.version) {
          reloads.rejected++;
          log.problems('reload rejected', next.problems);
          log.event('warn', 'reload rejected: still running the previous version', { reason, version: active!.version.fingerprint.slice(0, 12), problems: next.problems.length });
          rmSync(snapshot, { recursive: true, force: true });
          continue;
        }
        const old = active!;
        await stopActive(old);
        const started = await start(next.version, next.serial);
        if ('session' in started) {
          active = started;
          reloads.applied++;
          rmSync(join(snapshots, String(old.serial)), { recursive: true, force: true });
          log.level = next.version.config.logLevel;
          log.event('info', 'reloaded', { reason, version: next.version.fingerprint.slice(0, 12), pipelines: started.session.runner.runs.map((r) => r.id) });
          if (JSON.stringify(next.version.config.health) !== JSON.stringify(old.version.config.health)) {
            log.event('warn', 'health settings changed: they apply at the next restart', { health: health?.url });
          }
        } else {
          // Checked but failed to start (e.g. a simulator port): go back to the version that ran.
          reloads.rejected++;
          log.problems('reload rejected', started.problems);
          rmSync(snapshot, { recursive: true, force: true });
          const back = await start(old.version, old.serial);
          if ('session' in back) active = back;
          log.event('warn', 'reload rejected: back on the previous version', { reason, version: old.version.fingerprint.slice(0, 12) });
        }
      } while (again && !stopping);
    })();
    await reloading;
    reloading = undefined;
  };

  // One plain watch per folder the runtime reads (a recursive watch would also follow chunks/,
  // node_modules/ and a state folder inside the bundle). Re-armed after each reload, so a replaced
  // project/ folder is watched again.
  const watchers: FSWatcher[] = [];
  let settle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    for (const w of watchers.splice(0)) w.close();
    if (options.watch === false || stopping) return;
    const project = join(dir, BUNDLE.project);
    for (const folder of [dir, project, ...RUNTIME_PROJECT_DIRS.map((d) => join(project, d))]) {
      if (!existsSync(folder)) continue;
      const w = watch(folder, (_event, name) => {
        const file = relative(dir, join(folder, String(name ?? '')));
        if (folder === dir && file !== BUNDLE.config && file !== BUNDLE.project) return;
        clearTimeout(settle);
        settle = setTimeout(() => void reload(`changed: ${file}`).then(arm), SETTLE_MS);
      });
      w.on('error', (err) => log.event('warn', 'file watch failed: reload with SIGHUP', { folder, reason: err.message }));
      watchers.push(w);
    }
  };
  arm();

  const reason = await new Promise<string>((done) => {
    const stopOn = (why: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      clearTimeout(timer);
      done(why);
    };
    const onInt = (): void => stopOn('SIGINT');
    const onTerm = (): void => stopOn('SIGTERM');
    const onHup = (): void => void reload('SIGHUP').then(arm);
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const timer = options.durationMs !== undefined ? setTimeout(() => stopOn('duration'), options.durationMs) : undefined;
  });
  stopping = true;
  for (const w of watchers.splice(0)) w.close();
  clearTimeout(settle);
  log.event('info', 'stopping', { reason });
  await reloading;
  // Drain: pipelines flush their queues and sinks their buffers, then sessions close.
  const runner = active.session.runner;
  await stopActive(active);
  await health?.close();
  auditDb?.close();
  const stats = runner.stats();
  log.event('info', 'stopped', {
    reason,
    reloads,
    writes: active.gate.counts(),
    stats: Object.fromEntries(Object.entries(stats).map(([p, nodes]) => [p, Object.fromEntries(Object.entries(nodes).map(([n, s]) => [n, { in: s.in, out: s.out, dropped: s.dropped, errors: s.errors }]))])),
  });
  return 0;
}
