// The floor: a bare MQTT.js bridge doing the pipeline's work (subscribe, parse, value × 2, publish
// the same JSON shape as Plantbench's json sink), nothing else but TCP_NODELAY.
//   node bench/mqtt/bridge-worker.ts <url> <in topic> <out topic> <qos>
// IPC: {ready} once subscribed; answers {cmd:'cpu'} with process.cpuUsage(); exits on {cmd:'stop'}.
import mqtt from 'mqtt';

const [url, inTopic, outTopic, qosArg] = process.argv.slice(2) as [string, string, string, string];
const qos = Number(qosArg) as 0 | 1;
const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `bench-bridge-${process.pid}` });
// As Plantbench's connection does: without it, Nagle + delayed ACK add tens of ms per message.
(client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
client.on('message', (_topic, payload) => {
  const msg = JSON.parse(payload.toString()) as { value: number; ts: number };
  const value = msg.value * 2;
  client.publish(outTopic, `{"value":${value},"quality":"good","ts":${msg.ts}}`, { qos });
});
await client.subscribeAsync(inTopic, { qos });
process.send!({ ready: true });
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (m.cmd === 'stop') {
    await client.endAsync();
    process.disconnect();
  }
});
