// Recording benchmark: how many samples per second a recorder writes into the workspace database,
// what a sample costs on disk, and how fast a recording is read back (CSV export, replay load).
//
//   node bench/recording/run.ts [--quick] [--no-write]
//
// What is measured:
// - store append: RecordingStore.append straight, batches of 100 and of 2,000 samples (the
//   recorder's FLUSH_SAMPLES) per transaction, 50 tags, numeric values with fractional source
//   timestamps and a server timestamp on every other sample; a real file in WAL mode on tmpdir.
// - recorder end to end: a real PipelineRun (the project's engine) whose `signal` source node is
//   used as an injection point (manual scheduling, nothing timed by the clock): batches of 500
//   samples are injected, the Recorder's tap takes them, buffers them, and writes them in its own
//   transactions (flushes when 2,000 wait, and every 250 ms). The figure includes the engine, the
//   tap, the buffer and SQLite. CPU time of the process per 1,000 samples is given too.
// - bytes: the recording's `bytes` (rows and index entries as SQLite stores them) per sample, and
//   the growth of the file's used pages per sample, over the end-to-end run.
// - read back: CSV export (lines/s, written to a string sink) and the replay load of every tag
//   (src/simulators/replay.ts loadReplay: samples/s into replay events).
// Each figure: ≥ 3 repetitions on a fresh database, median [min–max].
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { ProjectRunner } from '../../src/host/project-runner.ts';
import { FLUSH_SAMPLES, Recorder } from '../../src/host/recording/recorder.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { loadReplay } from '../../src/simulators/replay.ts';
import { loadProject } from '../../src/store/project.ts';
import { RecordingStore } from '../../src/store/recordings.ts';
import { openWorkspaceDb, workspaceDbPath, type WorkspaceDb } from '../../src/store/workspace-db.ts';
import { appendResults, machineLine, markdownTable, median, range, shouldWrite } from '../lib/report.ts';

const QUICK = process.argv.includes('--quick');
const WRITE = shouldWrite();
const REPS = QUICK ? 3 : 5;
const TOTAL = QUICK ? 200_000 : 1_000_000;
const TAGS = 50;
const T0 = 1_763_800_000_000;

const k = (x: number): string => `${(x / 1000).toFixed(1)} k`;

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-rec-bench-'));
  writeFileSync(join(root, 'plantbench.yaml'), 'apiVersion: plantbench/v1\nkind: Project\nname: Recording bench\nuns: { enterprise: acme, site: bench }\n');
  mkdirSync(join(root, 'pipelines'));
  writeFileSync(
    join(root, 'pipelines/src.yaml'),
    'apiVersion: plantbench/v1\nkind: Pipeline\nid: src\nname: Injection point\nnodes:\n  s: { type: signal, config: { path: bench/t, intervalMs: 3600000, shape: { kind: sine } } }\n',
  );
  return root;
}

/** Batches of samples over TAGS paths, rising values and fractional timestamps (1 ms apart). */
function batches(size: number): Sample[][] {
  const out: Sample[][] = [];
  for (let b = 0; b < TOTAL / size; b++) {
    out.push(
      Array.from({ length: size }, (_, i) => {
        const n = b * size + i;
        return { path: `plc/tag${n % TAGS}`, value: Math.sin(n / 100) * 100 + 250, quality: 'good' as const, ts: T0 + n + 0.125, ...(n % 2 ? { serverTs: T0 + n + 0.5 } : {}) };
      }),
    );
  }
  return out;
}

function usedBytes(db: WorkspaceDb): number {
  const pages = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
  return pages * (db.pragma('page_size', { simple: true }) as number);
}

// ---------- store append ----------

function storeAppend(size: number): number[] {
  const rates: number[] = [];
  const input = batches(size);
  for (let rep = 0; rep < REPS; rep++) {
    const root = project();
    const db = openWorkspaceDb(workspaceDbPath(root));
    const store = new RecordingStore(db);
    const id = store.create({ name: 'bench', mode: 'simulated', pipelines: [] });
    const tags = new Map(Array.from({ length: TAGS }, (_, i) => [`plc/tag${i}`, store.addTag(id, { path: `plc/tag${i}` })]));
    const rows = input.map((b) => b.map((sample) => ({ tag: tags.get(sample.path)!, sample })));
    const t = performance.now();
    for (const batch of rows) store.append(id, batch);
    rates.push(TOTAL / ((performance.now() - t) / 1000));
    if (store.get(id)!.samples !== TOTAL) throw new Error('not every sample was written');
    db.close();
    rmSync(root, { recursive: true, force: true });
  }
  return rates;
}

// ---------- recorder end to end, then read back ----------

interface EndToEnd {
  rate: number;
  cpuPer1k: number;
  bytesPerSample: number;
  filePerSample: number;
  csvRate: number;
  replayRate: number;
}

async function endToEnd(): Promise<EndToEnd> {
  const root = project();
  const db = openWorkspaceDb(workspaceDbPath(root));
  const store = new RecordingStore(db);
  const loaded = loadProject(root);
  const { runner } = ProjectRunner.prepare(loaded, { kinds: kindRegistry(ENGINE_KINDS), secrets: () => undefined, log: () => {} });
  const run = runner!.runs[0]!;
  const input = batches(500);
  const before = usedBytes(db);
  const recorder = Recorder.start(runner!, { store, loaded, mode: 'simulated', maxBytes: 1e12 });
  await runner!.start();
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < input.length; i++) {
    run.inject('s', 'out', input[i]!);
    // Let timers run now and then (the recorder's flush and status timers), as between batches in a live run.
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  const status = recorder.stop();
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  await runner!.stop();
  if (status.samples !== TOTAL) throw new Error(`recorded ${status.samples} of ${TOTAL}`);
  const recording = store.get(recorder.id)!;
  const grown = usedBytes(db) - before;

  let lines = 0;
  let t2 = performance.now();
  store.exportCsv(recorder.id, () => lines++);
  const csvRate = (lines - 1) / ((performance.now() - t2) / 1000);
  t2 = performance.now();
  const replay = loadReplay(root, recorder.id, recording.tags.map((tag) => tag.path));
  const replayRate = replay.events.length / ((performance.now() - t2) / 1000);
  db.close();
  rmSync(root, { recursive: true, force: true });
  return {
    rate: TOTAL / seconds,
    cpuPer1k: ((used.user + used.system) / 1e6 / TOTAL) * 1000,
    bytesPerSample: recording.bytes / TOTAL,
    filePerSample: grown / TOTAL,
    csvRate,
    replayRate,
  };
}

const append100 = storeAppend(100);
const append2000 = storeAppend(FLUSH_SAMPLES);
const e2e: EndToEnd[] = [];
for (let rep = 0; rep < REPS; rep++) e2e.push(await endToEnd());
const col = (f: (e: EndToEnd) => number) => e2e.map(f);

const table = markdownTable([
  ['measure', 'samples/s median [min–max]'],
  ['store append, 100 per transaction', range(append100, k)],
  [`store append, ${FLUSH_SAMPLES.toLocaleString('en-US')} per transaction`, range(append2000, k)],
  ['recorder end to end (engine tap → buffer → SQLite)', range(col((e) => e.rate), k)],
  ['CSV export', range(col((e) => e.csvRate), k)],
  ['replay load (simulator start)', range(col((e) => e.replayRate), k)],
]);
const sizes = markdownTable([
  ['measure', 'median [min–max]'],
  ['recorder CPU-s per 1k samples', range(col((e) => e.cpuPer1k), (x) => x.toFixed(4))],
  ['bytes per sample (recording size)', range(col((e) => e.bytesPerSample), (x) => x.toFixed(1))],
  ['file growth per sample (used pages)', range(col((e) => e.filePerSample), (x) => x.toFixed(1))],
]);
console.log(`${table}\n\n${sizes}`);
const target = 5000;
const verdict = `Target (a recorder keeps up with thousands of samples/s): ${median(col((e) => e.rate)) >= target ? 'met' : 'missed'}: ${k(median(col((e) => e.rate)))} samples/s end to end (target ≥ ${k(target)}).`;
console.log(verdict);
if (WRITE) {
  appendResults(
    'Recording (workspace DB)',
    `Machine: ${machineLine()}. ${TOTAL.toLocaleString('en-US')} samples per run over ${TAGS} tags, ${REPS} runs, WAL, on ${tmpdir()}. \`node bench/recording/run.ts\` (method in its header).\n\n${table}\n\n${sizes}\n\n${verdict}`,
  );
}
