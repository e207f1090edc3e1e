// Open-loop load: publishes {"seq","value","ts"} to the input topic at a fixed rate, whatever the
// consumer does. ts is a high-resolution epoch timestamp (ms with fractions) for end-to-end latency.
//   node bench/mqtt/generator.ts <url> <topic> <rate msg/s> <warmupMs> <durationMs>
// IPC: sends {measuring: firstSeq} when the warm-up ends and {done: sent} at the end.
import mqtt from 'mqtt';

const [url, topic, rateArg, warmupArg, durationArg] = process.argv.slice(2) as [string, string, string, string, string];
const rate = Number(rateArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
const now = (): number => performance.timeOrigin + performance.now();

const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-gen-${process.pid}` });
(client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
let seq = 0;
const started = performance.now();
let measuring = false;
await new Promise<void>((done) => {
  const tick = (): void => {
    const elapsed = performance.now() - started;
    if (!measuring && elapsed >= warmupMs) {
      measuring = true;
      process.send!({ measuring: seq });
    }
    const due = Math.min(Math.floor((elapsed * rate) / 1000), Math.floor(((warmupMs + durationMs) * rate) / 1000));
    // Catch up after a late timer: the schedule is fixed, not paced by the consumer.
    while (seq < due) {
      client.publish(topic, `{"seq":${seq},"value":${seq},"ts":${now()}}`, { qos: 0 });
      seq++;
    }
    if (elapsed >= warmupMs + durationMs) done();
    else setTimeout(tick, 1);
  };
  tick();
});
process.send!({ done: seq });
await client.endAsync();
process.disconnect();
