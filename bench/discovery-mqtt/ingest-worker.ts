// One in-process ingest run, in its own process (started with --expose-gc) so its memory is its own.
//   node --expose-gc bench/discovery-mqtt/ingest-worker.ts <json|sparkplug> <tree|map> <messages>
// IPC: sends {result: {perS, rssFill, rssMax, rssEnd, heapFill, heapEnd}} (memory in bytes; heap =
// heapUsed after a full GC) and exits.
import { TopicTree } from '../../src/connectors/mqtt/discovery/topic-tree.ts';
import { DataType, encodeSparkplug } from '../../src/connectors/mqtt/sparkplug/codec.ts';
import { benchTopic } from './topics.ts';

const [kind, sink, messagesArg] = process.argv.slice(2) as ['json' | 'sparkplug', 'tree' | 'map', string];
const messages = Number(messagesArg);
const TOPICS = 20_000;
const gc = (globalThis as { gc?: () => void }).gc!;

const json = (i: number): Uint8Array => Buffer.from(`{"value":${(i * 1.5).toFixed(1)},"quality":"good","ts":${1_700_000_000_000 + i}}`);
const sparkplug = (i: number): Uint8Array =>
  encodeSparkplug({
    timestamp: 1_700_000_000_000 + i,
    seq: i % 256,
    metrics: [
      { name: 'Speed', datatype: DataType.Double, value: i * 0.5 },
      { name: 'Count', datatype: DataType.Int64, value: i },
      { name: 'Mode', datatype: DataType.String, value: i % 2 ? 'auto' : 'manual' },
    ],
  });
const topics = Array.from({ length: TOPICS }, (_, i) => (kind === 'json' ? benchTopic(i) : `spBv1.0/plant${i % 10}/DDATA/edge${i % 100}/device${i}`));
const payloads = Array.from({ length: 1000 }, (_, i) => (kind === 'json' ? json(i) : sparkplug(i)));

const tree = new TopicTree();
const counts = new Map<string, number>();
const fillAt = TOPICS * tree.limits.historyCount;
let rssFill = 0;
let heapFill = 0;
let rssMax = 0;
let paused = 0;
const started = performance.now();
for (let i = 0; i < messages; i++) {
  const topic = topics[i % TOPICS]!;
  if (sink === 'tree') tree.ingest(topic, payloads[i % 1000]!, false, i);
  else counts.set(topic, (counts.get(topic) ?? 0) + 1);
  if (i % TOPICS === TOPICS - 1 && i + 1 >= fillAt) {
    const rss = process.memoryUsage.rss();
    rssMax = Math.max(rssMax, rss);
    if (i + 1 === fillAt) {
      // The measurement itself (a full GC) is not ingest time.
      const t = performance.now();
      rssFill = rss;
      gc();
      heapFill = process.memoryUsage().heapUsed;
      paused += performance.now() - t;
    }
  }
}
const perS = messages / ((performance.now() - started - paused) / 1000);
const rssEnd = process.memoryUsage.rss();
gc();
const heapEnd = process.memoryUsage().heapUsed;
if (sink === 'tree' && tree.topics !== TOPICS) throw new Error(`expected ${TOPICS} topics, the tree has ${tree.topics}`);
process.send!({ result: { perS, rssFill, rssMax, rssEnd, heapFill, heapEnd } });
process.disconnect();
