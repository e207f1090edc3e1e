// Load over many topics: small JSON payloads round-robin over <topics> topics (QoS 0), either
// open loop at a fixed rate whatever the subscriber does, or as fast as the socket takes them.
//   node bench/discovery-mqtt/publisher.ts <url> <topics> <rate msg/s> <warmupMs> <durationMs>
//   node bench/discovery-mqtt/publisher.ts <url> <topics> max <messages>
// IPC: {measuring: sentSoFar} when the warm-up ends (fixed rate), {done: sent} at the end.
import mqtt from 'mqtt';
import { openLoop } from '../lib/open-loop.ts';
import { benchTopic } from './topics.ts';

const [url, topicsArg, rateArg, warmupArg, durationArg] = process.argv.slice(2) as [string, string, string, string, string];
const topicCount = Number(topicsArg);
const rate = Number(rateArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
const topics = Array.from({ length: topicCount }, (_, i) => benchTopic(i));

const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: `bench-pub-${process.pid}`, log: () => {} });
(client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
const publish = (seq: number, done?: () => void): void => {
  client.publish(topics[seq % topicCount]!, `{"value":${seq % 1000},"quality":"good","ts":${Date.now()}}`, { qos: 0 }, done);
};
let sent: number;
if (rateArg === 'max') {
  // As fast as the socket drains: chunks of 500, each waiting for its last write.
  const messages = Number(warmupArg);
  for (sent = 0; sent < messages; ) {
    const end = Math.min(messages, sent + 500);
    while (sent < end - 1) publish(sent++);
    await new Promise<void>((written) => publish(sent++, written));
  }
} else {
  sent = await openLoop(rate, warmupMs, durationMs, (seq) => publish(seq), (seq) => process.send!({ measuring: seq }));
}
await client.endAsync();
process.send!({ done: sent });
process.disconnect();
