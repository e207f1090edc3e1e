// Store-and-forward outbox: append rate and drain rate on a real SQLite file (WAL).
//   node bench/outbox/run.ts [--quick] [--no-write]
// Append: batches of 100 JSON payloads (~120 B) per transaction, as a sink does per batch.
// Drain: peek 500 + ack, as a paced drain after an outage does (without the network).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../src/store/outbox.ts';
import { appendResults, machineLine, range, shouldWrite } from '../lib/report.ts';

const quick = process.argv.includes('--quick');
const write = shouldWrite();
const TOTAL = quick ? 100_000 : 500_000;
const BATCH = 100;
const REPS = quick ? 3 : 5;

const payload = (i: number) => Buffer.from(JSON.stringify({ value: i * 0.5, quality: 'good', ts: 1_763_800_000_000 + i, unit: '%' }).padEnd(120));
const fmt = (xs: number[]) => range(xs, (x) => `${(x / 1000).toFixed(1)} k`);

const appendRates: number[] = [];
const drainRates: number[] = [];
for (let rep = 0; rep < REPS; rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-bench-'));
  const box = new Outbox(join(dir, 'outbox.db'), { maxEntries: TOTAL * 2, maxAgeMs: 0, whenFull: 'refuse' });
  const batches = Array.from({ length: TOTAL / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => ({ topic: `acme/site/line/tag${i}`, payload: payload(b * BATCH + i) })));
  let t = performance.now();
  for (const batch of batches) box.append('uns', batch);
  appendRates.push(TOTAL / ((performance.now() - t) / 1000));
  t = performance.now();
  let drained = 0;
  for (;;) {
    const entries = box.peek('uns', 500);
    if (entries.length === 0) break;
    box.ack('uns', entries[entries.length - 1]!.id);
    drained += entries.length;
  }
  drainRates.push(drained / ((performance.now() - t) / 1000));
  if (drained !== TOTAL) throw new Error(`drained ${drained} of ${TOTAL}`);
  box.close();
  rmSync(dir, { recursive: true, force: true });
}

const table = [
  '| measure | samples/s median [min–max] | target |',
  '| --- | --- | --- |',
  `| append (batches of ${BATCH}) | ${fmt(appendRates)} | ≥ 50 k |`,
  `| drain (peek 500 + ack) | ${fmt(drainRates)} | ≥ 20 k |`,
].join('\n');
console.log(table);
if (write) {
  appendResults(
    'Store-and-forward outbox (SQLite)',
    `Machine: ${machineLine()}. ${TOTAL.toLocaleString('en')} messages of ~120 B per run, ${REPS} runs, WAL, synchronous=NORMAL, on ${tmpdir()}. \`node bench/outbox/run.ts\`.\n\n${table}`,
  );
}
