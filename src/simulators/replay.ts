// Replay of a recording (workspace DB) in a simulator: the recorded values of some tags at their
// recorded times, at 1× or N× speed, once or looped. A simulator lists the tags its replay signals
// play; this reads their samples, and plays them on a timer, in groups of samples that fall due
// together. Tags the recording lacks are reported, and the simulator keeps their start value.
import type { Quality, ProtocolStatus, Value } from '../shared/sample.ts';
import { readRecording } from '../store/recordings.ts';
import type { SimulatorEnv } from './simulator.ts';

export interface ReplayEvent {
  /** Time since the recording's first sample, ms at 1× speed. */
  readonly offset: number;
  /** Index of the tag in the list given to loadReplay. */
  readonly tag: number;
  readonly value: Value;
  readonly quality: Quality;
  readonly status?: ProtocolStatus;
}

export interface LoadedReplay {
  readonly recording: number;
  /** In offset order. */
  readonly events: readonly ReplayEvent[];
  /** The first sample of each tag that has one: what the simulator starts with. */
  readonly first: readonly ReplayEvent[];
  /** One loop: the recording's time range plus one mean interval, so the last value is held like the others. */
  readonly period: number;
  /** Tags the recording has no samples of. */
  readonly missing: readonly string[];
}

export interface ReplaySettings {
  readonly recording: number;
  readonly speed: number;
  readonly loop: boolean;
}

/** Reads the samples of `tags` ("device/tag" as recorded) from the project's workspace DB. */
export function loadReplay(baseDir: string, recording: number, tags: readonly string[]): LoadedReplay {
  return readRecording(baseDir, recording, (store, summary) => {
    const stored = store.tags(recording);
    const byPath = new Map(stored.map((t) => [t.path, t.index]));
    const wanted = new Map<number, number[]>();
    tags.forEach((path, i) => {
      const index = byPath.get(path);
      if (index !== undefined) wanted.set(index, [...(wanted.get(index) ?? []), i]);
    });
    const raw: { ts: number; tag: number; value: Value; quality: Quality; status?: ProtocolStatus }[] = [];
    for (const { tag, sample } of store.samples(recording, { tags: [...wanted.keys()] })) {
      for (const i of wanted.get(tag)!) raw.push({ ts: sample.ts, tag: i, value: sample.value, quality: sample.quality, ...(sample.status ? { status: sample.status } : {}) });
    }
    // Offsets from the recording's start, so simulators replaying different devices of one recording stay in step.
    const start = summary.firstTs ?? raw[0]?.ts ?? 0;
    const events = raw.map(({ ts, ...e }) => ({ ...e, offset: ts - start }));
    const first = new Map<number, ReplayEvent>();
    for (const e of events) if (!first.has(e.tag)) first.set(e.tag, e);
    const times = new Set(events.map((e) => e.offset)).size;
    const span = Math.max(events.at(-1)?.offset ?? 0, (summary.lastTs ?? start) - start);
    return {
      recording,
      events,
      first: [...first.values()],
      period: span + (times > 1 ? span / (times - 1) : 1000),
      missing: tags.filter((_, i) => !first.has(i)),
    };
  });
}

/** Tells the simulator's log which tags the replay cannot play. */
export function reportMissing(env: SimulatorEnv, simulator: string, replay: LoadedReplay): void {
  if (replay.missing.length) {
    env.log('warn', `simulator "${simulator}": recording ${replay.recording} has no samples of ${replay.missing.join(', ')}; they keep their start value`);
  }
}

/**
 * Plays the events: `apply` gets each group that falls due (first the start values, at once).
 * Timers follow the recording's clock from the start, so delays do not add up over a long replay.
 */
export function playReplay(replay: LoadedReplay, settings: ReplaySettings, apply: (events: readonly ReplayEvent[]) => void): { stop(): void; readonly done: boolean } {
  const { events } = replay;
  const speed = settings.speed;
  let cycleStart = Date.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  if (replay.first.length) apply(replay.first);

  const schedule = (): void => {
    if (done) return;
    if (next >= events.length) {
      if (!settings.loop || events.length === 0) {
        done = true;
        return;
      }
      cycleStart += replay.period / speed;
      next = 0;
    }
    const due = cycleStart + events[next]!.offset / speed;
    timer = setTimeout(tick, Math.max(0, due - Date.now()));
  };
  const tick = (): void => {
    const elapsed = (Date.now() - cycleStart) * speed;
    const group: ReplayEvent[] = [];
    while (next < events.length && events[next]!.offset <= elapsed) group.push(events[next++]!);
    if (group.length) apply(group);
    schedule();
  };
  schedule();
  return {
    stop() {
      done = true;
      clearTimeout(timer);
    },
    get done() {
      return done;
    },
  };
}
