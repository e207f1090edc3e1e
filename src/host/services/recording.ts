import type { LoadedProject } from '../../store/project.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import { DEFAULT_MAX_BYTES, type RecordingStatus } from '../../shared/recording.ts';
import type { PayloadOf } from '../../shared/rpc/define.ts';
import type { recordingEvents, recordingMethods } from '../../shared/rpc/methods/recording.ts';
import type { RunStatus } from '../../shared/rpc/methods/run.ts';
import { RecordingError, type RecordingStore } from '../../store/recordings.ts';
import type { RevisionStore } from '../../store/revisions.ts';
import type { ProjectSession } from '../project-session.ts';
import { compareRevisions } from '../recording/compare.ts';
import { sourcePaths } from '../recording/offline.ts';
import { Recorder } from '../recording/recorder.ts';
import { recordingToSimulator } from '../recording/to-simulator.ts';
import { recordingToTest } from '../recording/to-test.ts';
import { RpcFailure, type Handlers } from '../rpc/server.ts';

// Recordings over RPC. A recording taps the run the run service started (one recorder at a time)
// and ends when that run stops. The other methods work on the recordings in the workspace DB.

/** Above this, recording.export refuses: the WebSocket carries at most 32 MiB, and the CLI has no limit. */
export const MAX_EXPORT_BYTES = 16 * 2 ** 20;

export interface RecordingServiceContext {
  readonly projectRoot: string;
  /** The stores of the workspace DB in use (they change after a repair). */
  recordings(): RecordingStore;
  revisions(): RevisionStore;
  /** The running session, if a run is running. */
  run(): { session: ProjectSession; mode: NonNullable<RunStatus['mode']> } | undefined;
  emit(payload: PayloadOf<typeof recordingEvents, 'recording.status'>): void;
  log(message: string): void;
}

export interface RecordingService {
  readonly handlers: Handlers<typeof recordingMethods>;
  /** Tell it when the run changes state: a recording ends with its run. */
  onRunState(state: RunStatus['state']): void;
  dispose(): void;
}

const IDLE: RecordingStatus = { state: 'idle', samples: 0, rate: 0, bytes: 0, elapsedMs: 0, tags: 0 };

/** The paths the running pipelines' sources read. */
function pathsRead(loaded: LoadedProject, pipelines: readonly string[]): Set<string> {
  const device = (id: string) => loaded.devices.get(id)?.model;
  const paths = new Set<string>();
  for (const id of pipelines) {
    for (const node of Object.values(loaded.pipelines.get(id)?.model?.nodes ?? {})) {
      if (NODE_SPEC_BY_TYPE.get(node.type)?.category === 'source') for (const p of sourcePaths(node, device)) paths.add(p);
    }
  }
  return paths;
}

/** Runs a store operation, turning its refusals into messages for the user. */
async function refusing<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RecordingError) throw new RpcFailure(err.message);
    throw err;
  }
}

export function createRecordingService(ctx: RecordingServiceContext): RecordingService {
  let recorder: Recorder | undefined;
  let last: RecordingStatus = IDLE;

  const status = (): RecordingStatus => (recorder?.recording ? recorder.status() : last);

  return {
    handlers: {
      'recording.start': async (request) => {
        if (recorder?.recording) throw new RpcFailure(`recording ${recorder.id} is running; stop it first`);
        const run = ctx.run();
        if (!run) throw new RpcFailure('no run is running: a recording records what a running pipeline reads; start a run first');
        const { session, mode } = run;
        const running = session.runner.runs.map((r) => r.id);
        const notRunning = request.pipelines.filter((p) => !running.includes(p));
        if (notRunning.length) throw new RpcFailure(`not in the run: ${notRunning.join(', ')} (running: ${running.join(', ')})`);
        if (request.tags.length) {
          const read = pathsRead(session.loaded, request.pipelines.length ? request.pipelines : running);
          const unread = request.tags.filter((t) => !read.has(t));
          if (unread.length) {
            throw new RpcFailure(
              `not read by the running pipelines: ${unread.join(', ')} (they read ${[...read].join(', ') || 'nothing'}). Add them to a pipeline, or record them with plantbench record --tags`,
            );
          }
        }
        recorder = await refusing(() =>
          Recorder.start(session.runner, {
            store: ctx.recordings(),
            loaded: session.loaded,
            mode,
            ...(request.name ? { name: request.name } : {}),
            pipelines: request.pipelines,
            ...(request.tags.length ? { tags: request.tags } : {}),
            maxBytes: request.maxBytes ?? DEFAULT_MAX_BYTES,
            ...(request.maxDurationMs !== undefined ? { maxDurationMs: request.maxDurationMs } : {}),
            onStatus: (s) => ctx.emit(s),
            onStop: (s) => {
              last = s;
              if (s.stopReason === 'error' && s.message) ctx.log(s.message);
              ctx.emit(s);
            },
          }),
        );
        return recorder.status();
      },
      'recording.stop': async () => (recorder ? recorder.stop('stopped') : last),
      'recording.status': async () => status(),
      'recording.list': async () => ({ recordings: ctx.recordings().list() }),
      'recording.get': ({ id }) => refusing(() => ctx.recordings().require(id)),
      'recording.export': ({ id, from, to }) =>
        refusing(() => {
          const parts: string[] = [];
          let bytes = 0;
          const samples = ctx.recordings().exportCsv(
            id,
            (line) => {
              bytes += line.length;
              if (bytes > MAX_EXPORT_BYTES) throw new RecordingError(`recording ${id} is too large to export here (over 16 MiB of CSV): export a time range, or use plantbench recordings <project> export ${id} --csv FILE`);
              parts.push(line);
            },
            { from, to },
          );
          return { csv: parts.join(''), samples };
        }),
      'recording.trim': ({ id, from, to }) => refusing(() => ctx.recordings().trim(id, from, to)),
      'recording.delete': ({ id }) =>
        refusing(() => {
          if (recorder?.recording && recorder.id === id) throw new RecordingError(`recording ${id} is running; stop it before deleting it`);
          return { deleted: ctx.recordings().delete(id) };
        }),
      'recording.toSimulator': ({ id, device, simulator, speed, loop }) =>
        refusing(() =>
          recordingToSimulator(ctx.projectRoot, ctx.recordings(), {
            recording: id,
            device,
            ...(simulator ? { simulatorId: simulator } : {}),
            ...(speed !== undefined ? { speed } : {}),
            ...(loop !== undefined ? { loop } : {}),
          }),
        ),
      'recording.toTest': ({ id, pipeline, caseName, from, to, limit }) =>
        refusing(() => recordingToTest(ctx.projectRoot, ctx.recordings(), { recording: id, pipeline, ...(caseName ? { caseName } : {}), from, to, ...(limit ? { limit } : {}) })),
      'recording.compare': ({ id, pipeline, revisionA, revisionB, from, to, maxDifferences }) =>
        refusing(() => compareRevisions(ctx.projectRoot, ctx.recordings(), ctx.revisions(), { recording: id, pipeline, revisionA, revisionB, from, to, maxDifferences })),
    },
    onRunState(state) {
      if (state !== 'running' && recorder?.recording) recorder.stop('run-stopped', 'the run stopped');
    },
    dispose() {
      if (recorder?.recording) recorder.stop('stopped');
    },
  };
}
