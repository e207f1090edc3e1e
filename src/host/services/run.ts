import type { Disposable } from '../../engine/clock.ts';
import type { LogEntry, PipelineRun } from '../../engine/runtime.ts';
import { parsePortRef, type PipelineFile } from '../../shared/model/pipeline.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import type { Problem } from '../../shared/problem.ts';
import type { PayloadOf, ParsedRequestOf } from '../../shared/rpc/define.ts';
import type { RunStatus, runEvents, runMethods } from '../../shared/rpc/methods/run.ts';
import type { Sample } from '../../shared/sample.ts';
import type { SecretLookup } from '../../shared/secret-refs.ts';
import { AuditStore } from '../../store/audit.ts';
import type { LoadedProject } from '../../store/project.ts';
import { openWorkspaceDb } from '../../store/workspace-db.ts';
import type { ProjectRunner } from '../project-runner.ts';
import { startProjectSession, type ProjectSession } from '../project-session.ts';
import { RpcFailure, type Handlers } from '../rpc/server.ts';
import { ArmingError, SafetyGate, type AuditSink } from '../safety/gate.ts';
import { writableTags } from '../safety/targets.ts';

// Runs from the workbench. Live data leaves in batches: run.samples and run.log at most every
// SAMPLES_MS, run.stats every STATS_MS, each bounded, never one message per sample. A firehose is
// cut to the newest samples of each batch and the rest is counted in `omitted`.

type RunEvents = typeof runEvents;
type Emit = <K extends keyof RunEvents & string>(event: K, payload: PayloadOf<RunEvents, K>) => void;

export interface RunServiceContext {
  readonly projectRoot: string;
  /** Asked at each start, so secrets changed since the last run apply. */
  secrets(): Promise<SecretLookup>;
  emit: Emit;
  /** Warnings and errors of the run also go here (the terminal under `plantbench serve`). */
  log(level: LogEntry['level'], message: string): void;
  /**
   * Where device writes are audited, and why the audit would not be kept (the workspace DB cannot
   * be used): a live-armed run is refused then. Without it, writes are audited in memory only.
   */
  audit?(): { sink: AuditSink; problem?: string };
  readonly statsMs?: number;
  readonly samplesMs?: number;
}

export const STATS_MS = 100;
export const SAMPLES_MS = 50;
export const MAX_SAMPLES_PER_BATCH = 500;
export const MAX_LOG_PER_BATCH = 200;

/** Keeps the newest `capacity` items pushed since the last take, counting the rest. */
class NewestBuffer<T> {
  private items: T[] = [];
  private start = 0;
  private total = 0;
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(item: T): void {
    this.total++;
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Counts `n` items that were never pushed (older than what a batch kept). */
  skip(n: number): void {
    this.total += n;
  }

  get size(): number {
    return this.total;
  }

  take(): { items: T[]; omitted: number } {
    const items = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    const omitted = this.total - items.length;
    this.items = [];
    this.start = 0;
    this.total = 0;
    return { items, omitted };
  }
}

/** Samples per second, smoothed with a time constant of about a second. */
class Rates {
  private readonly last = new Map<string, { count: number; at: number; rate: number }>();

  update(key: string, count: number, now: number): number {
    const prev = this.last.get(key);
    if (!prev) {
      this.last.set(key, { count, at: now, rate: 0 });
      return 0;
    }
    const dt = now - prev.at;
    if (dt <= 0) return prev.rate;
    const instant = ((count - prev.count) * 1000) / dt;
    const rate = prev.rate + (1 - Math.exp(-dt / 1000)) * (instant - prev.rate);
    this.last.set(key, { count, at: now, rate });
    return Math.round(rate * 100) / 100;
  }
}

/** The node ports whose samples the live view shows: every source output, and every edge into a sink. */
function tapPoints(pipeline: PipelineFile): { node: string; port: string; shownAs: string }[] {
  const points: { node: string; port: string; shownAs: string }[] = [];
  for (const [id, node] of Object.entries(pipeline.nodes)) {
    const spec = NODE_SPEC_BY_TYPE.get(node.type);
    if (spec?.category !== 'source') continue;
    const ports = new Set(['out']);
    for (const e of pipeline.edges) {
      const from = parsePortRef(e.from, 'out');
      if (from.node === id && from.port !== 'error') ports.add(from.port);
    }
    for (const port of ports) points.push({ node: id, port, shownAs: id });
  }
  for (const e of pipeline.edges) {
    const to = parsePortRef(e.to, 'in');
    if (NODE_SPEC_BY_TYPE.get(pipeline.nodes[to.node]?.type ?? '')?.category !== 'sink') continue;
    const from = parsePortRef(e.from, 'out');
    points.push({ node: from.node, port: from.port, shownAs: to.node });
  }
  return points;
}

export interface RunService {
  readonly handlers: Handlers<typeof runMethods>;
  start(request: ParsedRequestOf<typeof runMethods, 'run.start'>): Promise<RunStatus>;
  stop(): Promise<RunStatus>;
  /** The running session and its mode, while a run is running (a recording taps it). */
  current(): { session: ProjectSession; mode: NonNullable<RunStatus['mode']> } | undefined;
  /** Stops the run (if any) and every timer. */
  dispose(): Promise<void>;
}

export function createRunService(ctx: RunServiceContext): RunService {
  let state: RunStatus['state'] = 'stopped';
  let mode: RunStatus['mode'];
  let session: ProjectSession | undefined;
  let startedAt: number | undefined;
  let problems: Problem[] = [];
  /** The transition under way (start or stop), so a stop during a start waits for it. */
  let transition: Promise<unknown> = Promise.resolve();
  let live: { taps: Disposable[]; timers: NodeJS.Timeout[] } | undefined;
  let gate: SafetyGate | undefined;
  let sandbox: string | undefined;
  let memoryDb: ReturnType<typeof openWorkspaceDb> | undefined;
  const audit = (): { sink: AuditSink; problem?: string } =>
    ctx.audit?.() ?? { sink: new AuditStore((memoryDb ??= openWorkspaceDb(':memory:'))), problem: 'this host keeps no audit log' };

  const samples = new NewestBuffer<{ pipeline: string; node: string; sample: Sample }>(MAX_SAMPLES_PER_BATCH);
  const logs = new NewestBuffer<PayloadOf<RunEvents, 'run.log'>['entries'][number]>(MAX_LOG_PER_BATCH);
  let rates = new Rates();

  const status = (): RunStatus => ({
    state,
    ...(mode ? { mode } : {}),
    pipelines: session?.runner.runs.map((r) => r.id) ?? [],
    simulators: session?.simulators.map((s) => ({ id: s.id, protocol: s.protocol, endpoint: s.endpoint })) ?? [],
    ...(startedAt !== undefined ? { startedAt } : {}),
    problems,
    ...(gate && mode === 'live-armed' ? { arming: gate.state() } : {}),
    ...(session && sandbox ? { mqttSandbox: sandbox } : {}),
  });
  const setState = (next: RunStatus['state']): void => {
    state = next;
    ctx.emit('run.state', status());
  };

  const log = (entry: LogEntry): void => {
    logs.push({ ts: entry.ts, level: entry.level, pipeline: entry.pipeline, message: entry.message, ...(entry.node ? { node: entry.node } : {}), ...(entry.fields ? { fields: entry.fields } : {}) });
    if (entry.level === 'warn' || entry.level === 'error') ctx.log(entry.level, `${entry.pipeline}${entry.node ? `/${entry.node}` : ''}: ${entry.message}`);
  };

  const flushSamples = (): void => {
    if (samples.size) {
      const { items, omitted } = samples.take();
      ctx.emit('run.samples', { ts: Date.now(), samples: items, omitted });
    }
    if (logs.size) {
      const { items, omitted } = logs.take();
      ctx.emit('run.log', { entries: items, omitted });
    }
  };

  const flushStats = (runs: readonly PipelineRun[]): void => {
    const now = Date.now();
    const pipelines: PayloadOf<RunEvents, 'run.stats'>['pipelines'] = {};
    for (const run of runs) {
      const { nodes, edges } = run.stats();
      pipelines[run.id] = {
        nodes: Object.fromEntries(Object.entries(nodes).map(([id, s]) => [id, { ...s, rate: rates.update(`${run.id}\0${id}`, s.out, now) }])),
        edges: edges.map((e) => ({ ...e, rate: rates.update(`${run.id}\0${e.from}>${e.to}`, e.count, now) })),
      };
    }
    ctx.emit('run.stats', { ts: now, pipelines });
  };

  const watch = (runner: ProjectRunner, loaded: LoadedProject): void => {
    const taps: Disposable[] = [];
    for (const run of runner.runs) {
      const pipeline = loaded.pipelines.get(run.id)?.model;
      if (!pipeline) continue;
      for (const point of tapPoints(pipeline)) {
        taps.push(
          run.tap(point.node, point.port, (batch) => {
            // Only the newest samples of a large batch can be kept; count the rest without copying.
            const from = Math.max(0, batch.length - MAX_SAMPLES_PER_BATCH);
            samples.skip(from);
            for (let i = from; i < batch.length; i++) samples.push({ pipeline: run.id, node: point.shownAs, sample: batch[i]! });
          }),
        );
      }
    }
    rates = new Rates();
    const timers = [setInterval(flushSamples, ctx.samplesMs ?? SAMPLES_MS), setInterval(() => flushStats(runner.runs), ctx.statsMs ?? STATS_MS)];
    live = { taps, timers };
  };

  const unwatch = (): void => {
    if (!live) return;
    for (const t of live.taps) t.dispose();
    for (const t of live.timers) clearInterval(t);
    live = undefined;
  };

  /** Runs a start or stop as the transition under way; resolves with the status after it. */
  async function transit(work: () => Promise<void>): Promise<RunStatus> {
    const done = work();
    transition = done.catch(() => {});
    await done;
    return status();
  }

  async function start(request: ParsedRequestOf<typeof runMethods, 'run.start'>): Promise<RunStatus> {
    if (state !== 'stopped') throw new RpcFailure(`a run is already ${state}: stop it first`);
    const { sink, problem: auditProblem } = audit();
    if (request.mode === 'live-armed' && auditProblem) {
      throw new RpcFailure(`Live armed needs an audit log that is kept, and ${auditProblem}. Run Live read-only, or repair the workspace database first.`);
    }
    mode = request.mode;
    sandbox = request.mqttSandbox;
    problems = [];
    startedAt = undefined;
    setState('starting');
    return transit(async () => {
      try {
        const secrets = await ctx.secrets();
        const started = await startProjectSession(ctx.projectRoot, {
          pipelines: request.pipelines,
          simulate: request.mode === 'simulated',
          secrets,
          log,
          beforeStart: watch,
          ...(sandbox ? { mqttSandbox: sandbox } : {}),
          writes: (loaded) =>
            (gate = new SafetyGate({
              mode: request.mode,
              writable: writableTags(loaded, request.pipelines),
              audit: sink,
              // Armed, disarmed, expired: every client sees it at once.
              onChange: () => ctx.emit('run.state', status()),
              log: (level, message) => log({ ts: Date.now(), level, pipeline: 'plantbench', message }),
            })),
        });
        problems = started.problems;
        session = started.session;
      } catch (err) {
        problems = [];
        throw err;
      } finally {
        if (session) {
          startedAt = Date.now();
          setState('running');
          log({ ts: Date.now(), level: 'info', pipeline: 'plantbench', message: `${mode} run started`, fields: { pipelines: session.runner.runs.map((r) => r.id), ...(sandbox ? { mqttSandbox: sandbox } : {}) } });
        } else {
          unwatch();
          gate?.dispose();
          gate = undefined;
          mode = undefined;
          sandbox = undefined;
          setState('stopped');
        }
      }
    });
  }

  async function stop(): Promise<RunStatus> {
    while (state === 'starting' || state === 'stopping') await transition;
    if (state !== 'running' || !session) return status();
    const running = session;
    // Disarm before the drain: samples still queued for a sink are refused, not written.
    gate?.dispose();
    setState('stopping');
    return transit(async () => {
      try {
        await running.stop();
      } finally {
        unwatch();
        // The last counters and samples, taken after the drain.
        flushStats(running.runner.runs);
        log({ ts: Date.now(), level: 'info', pipeline: 'plantbench', message: `${mode} run stopped` });
        flushSamples();
        session = undefined;
        startedAt = undefined;
        mode = undefined;
        sandbox = undefined;
        gate = undefined;
        setState('stopped');
      }
    });
  }

  return {
    handlers: {
      'run.start': (request) => start(request),
      'run.stop': () => stop(),
      'run.status': async () => status(),
      'run.arm': async ({ confirm, minutes }) => {
        if (!gate || state !== 'running' || mode !== 'live-armed') throw new RpcFailure('no live-armed run is running: start one with mode live-armed, then arm it');
        try {
          return gate.arm(confirm, minutes);
        } catch (err) {
          if (err instanceof ArmingError) throw new RpcFailure(err.message);
          throw err;
        }
      },
      'run.disarm': async () => gate?.disarm() ?? { armed: false, reason: 'no run is running', writable: [] },
    },
    start,
    stop,
    current: () => (state === 'running' && session && mode ? { session, mode } : undefined),
    async dispose() {
      await stop();
      memoryDb?.close();
      memoryDb = undefined;
    },
  };
}
