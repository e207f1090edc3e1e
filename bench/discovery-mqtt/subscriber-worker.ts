// The system under test, in its own process so its CPU and RSS are its own.
//   node bench/discovery-mqtt/subscriber-worker.ts <url> <baseline|capture>
// baseline: a bare MQTT.js client subscribed to "#" (QoS 0) that only counts messages.
// capture:  Plantbench's topic capture (startTopicCapture, default limits) on "#".
// IPC: {ready} once subscribed; {cmd:'mark'} → {mark: {messages, cpu, rss}}; {cmd:'stop'} →
// {final: {messages, topics, rss: samples every 250 ms, firstAt, lastAt}} and exit, where firstAt
// and lastAt (performance.now(), 10 ms resolution) are when the count first and last changed.
import mqtt from 'mqtt';
import { startTopicCapture } from '../../src/connectors/mqtt/discovery/capture.ts';

const [url, mode] = process.argv.slice(2) as [string, 'baseline' | 'capture'];
let count: () => number;
let topics: () => number = () => 0;
let stop: () => Promise<void>;
if (mode === 'baseline') {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: `bench-base-${process.pid}`, log: () => {} });
  (client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  let n = 0;
  client.on('message', () => n++);
  await client.subscribeAsync('#', { qos: 0 });
  count = () => n;
  stop = () => client.endAsync();
} else {
  // MQTT 3.1.1 like the baseline: aedes speaks nothing else, and the fallback would cost a connect.
  const capture = await startTopicCapture({ url, protocolVersion: 4 });
  count = () => capture.stats().messages;
  topics = () => capture.stats().topics;
  stop = () => capture.stop();
}
const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 250);
// The same 10 ms poll for both modes, so neither pays for per-message timing.
let seen = 0;
let firstAt = 0;
let lastAt = 0;
const watcher = setInterval(() => {
  const n = count();
  if (n === seen) return;
  if (seen === 0) firstAt = performance.now();
  lastAt = performance.now();
  seen = n;
}, 10);
process.send!({ ready: true });
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'mark') process.send!({ mark: { messages: count(), cpu: process.cpuUsage(), rss: process.memoryUsage.rss() } });
  if (m.cmd === 'stop') {
    clearInterval(sampler);
    clearInterval(watcher);
    const final = { messages: count(), topics: topics(), rss, firstAt, lastAt };
    await stop();
    process.send!({ final });
    process.disconnect();
  }
});
