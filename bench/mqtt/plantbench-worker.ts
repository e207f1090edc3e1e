// Plantbench: mqtt-source → scale → mqtt-sink through a real PipelineRun (engine kinds + the MQTT
// connector), one shared connection for source and sink, as `plantbench run` would run it.
//   node bench/mqtt/plantbench-worker.ts <url> <in topic> <out topic> <qos>
// IPC: {ready} once connected; answers {cmd:'cpu'} with process.cpuUsage() and node stats; exits on {cmd:'stop'}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMqttConnector } from '../../src/connectors/mqtt/index.ts';
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../src/engine/runtime.ts';
import { deviceFile } from '../../src/shared/model/device.ts';
import { pipelineFile, type PipelineFile } from '../../src/shared/model/pipeline.ts';
import { mqttScalePipeline, mqttScaleTag } from '../lib/mqtt-scale-pipeline.ts';

const [url, inTopic, outTopic, qosArg] = process.argv.slice(2) as [string, string, string, string];
const qos = Number(qosArg);
const dir = mkdtempSync(join(tmpdir(), 'plantbench-bench-'));
const device = deviceFile.parse({
  apiVersion: 'plantbench/v1',
  kind: 'Device',
  id: 'broker',
  protocol: 'mqtt',
  url,
  protocolVersion: 5,
  clientId: `bench-plantbench-${process.pid}`,
  tags: [mqttScaleTag(inTopic)],
});
const pipeline = pipelineFile.parse({
  apiVersion: 'plantbench/v1',
  kind: 'Pipeline',
  id: 'bench',
  name: 'MQTT in → scale → MQTT out',
  ...mqttScalePipeline(outTopic, qos),
}) as PipelineFile;
const connector = createMqttConnector({ dataDir: join(dir, '.plantbench'), log: () => {} });
const run = new PipelineRun({
  pipeline,
  kinds: kindRegistry(ENGINE_KINDS, connector.kinds),
  clock: new RealClock(),
  project: { uns: { enterprise: 'acme', site: 'bench' } },
  devices: (id) => (id === 'broker' ? device : undefined),
});
await run.start();
while (run.stats().nodes.in!.status?.connection !== 'connected') await new Promise((r) => setTimeout(r, 20));
// The SUBSCRIBE goes out right after CONNACK; give its SUBACK a moment.
await new Promise((r) => setTimeout(r, 200));
process.send!({ ready: true });
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'cpu') {
    const nodes = run.stats().nodes;
    process.send!({ cpu: process.cpuUsage(), stats: { dropped: nodes.in!.dropped, errors: nodes.in!.errors + nodes.scale!.errors + nodes.out!.errors } });
  }
  if (m.cmd === 'stop') {
    await run.stop();
    await connector.dispose();
    rmSync(dir, { recursive: true, force: true });
    process.disconnect();
  }
});
