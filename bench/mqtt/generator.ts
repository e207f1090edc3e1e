// Open-loop load: publishes {"seq","value","ts"} to the input topic at a fixed rate, whatever the
// consumer does. ts is a high-resolution epoch timestamp (ms with fractions) for end-to-end latency.
//   node bench/mqtt/generator.ts <url> <topic> <rate msg/s> <warmupMs> <durationMs>
// IPC: sends {measuring: firstSeq} when the warm-up ends and {done: sent} at the end.
import mqtt from 'mqtt';
import { openLoop } from '../lib/open-loop.ts';

const [url, topic, rateArg, warmupArg, durationArg] = process.argv.slice(2) as [string, string, string, string, string];
const rate = Number(rateArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
const now = (): number => performance.timeOrigin + performance.now();

const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-gen-${process.pid}` });
(client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
const sent = await openLoop(
  rate,
  warmupMs,
  durationMs,
  (seq) => client.publish(topic, `{"seq":${seq},"value":${seq},"ts":${now()}}`, { qos: 0 }),
  (seq) => process.send!({ measuring: seq }),
);
process.send!({ done: sent });
await client.endAsync();
process.disconnect();
