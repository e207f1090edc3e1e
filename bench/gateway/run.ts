// Gateway benchmark (npm run bench:gateway): exports bundles with `writeExport`, runs each from a
// temp folder with this Node 22 and no node_modules, and measures
//   - bundle size by role (and as .tar.gz);
//   - cold start: spawn → first message at mosquitto, without OPC UA (signal → mqtt-sink) and with
//     it (opcua-source, one tag, against the project's OPC UA simulator);
//   - RSS 10 s after the first message with 1,000 tags: Modbus TCP (no OPC UA) and OPC UA;
//   - references in the same run and flags: the floor for the Modbus case (floor.mjs: plain
//     modbus-serial + MQTT.js) and Node 22 idle.
// The project's simulators run in a child process (`plantbench simulate`), on this bench's address.
//   node bench/gateway/run.ts [--quick] [--no-write] [--keep]
// Each case runs 5 times (3 with --quick), interleaved; medians with min–max.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { GATEWAY_NODE_FLAGS, writeExport, type ExportPlan } from '../../src/gateway/export.ts';
import { registerCount, type RegisterFormat } from '../../src/shared/codec/modbus.ts';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { freePort } from '../../test/helpers/net.ts';
import { firstPublish, rssMb } from '../lib/first-publish.ts';
import { exportGateway, gatewayCommand } from '../lib/gateway-bundle.ts';
import { benchPoints, benchTags } from '../modbus/tags.ts';
import { appendResults, machineLine, median, range, shouldWrite } from '../lib/report.ts';

const quick = process.argv.includes('--quick');
const write = shouldWrite();
const REPS = quick ? 3 : 5;
const RSS_AFTER_MS = quick ? 3000 : 10_000;
const TAGS = 1000;
const HOST = '127.0.0.171';
const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;

const json = (v: unknown): string => `${JSON.stringify(v, null, 1)}\n`;

/** One project, four pipelines; each export takes one pipeline with the devices and simulators it uses. */
function writeProject(root: string, brokerUrl: string, opcuaPort: number, modbusPort: number): void {
  for (const d of ['devices', 'pipelines', 'simulators']) mkdirSync(join(root, d), { recursive: true });
  const file = (path: string, v: unknown): void => writeFileSync(join(root, path), json({ apiVersion: 'plantbench/v1', ...(v as object) }));
  file('plantbench.yaml', { kind: 'Project', name: 'gateway bench', uns: { enterprise: 'bench', site: 's1' } });
  file('devices/broker.yaml', { kind: 'Device', id: 'broker', protocol: 'mqtt', url: brokerUrl, protocolVersion: 5 });
  const opcuaTags = [{ name: 'speed', nodeId: 'ns=1;s=Line.Speed' }, ...Array.from({ length: TAGS }, (_, i) => ({ name: `t${i}`, nodeId: `ns=1;s=Bench.T${i}` }))];
  file('devices/plc.yaml', { kind: 'Device', id: 'plc', protocol: 'opcua', endpoint: `opc.tcp://${HOST}:${opcuaPort}/bench`, publishingIntervalMs: 50, samplingIntervalMs: 10, tags: opcuaTags });
  // The cold-start case reads one tag of the same server through a device of its own (one tag, no simulator file).
  file('devices/line.yaml', { kind: 'Device', id: 'line', protocol: 'opcua', endpoint: `opc.tcp://${HOST}:${opcuaPort}/bench`, publishingIntervalMs: 50, samplingIntervalMs: 10, tags: opcuaTags.slice(0, 1) });
  file('simulators/plc.yaml', {
    kind: 'Simulator',
    id: 'plc',
    protocol: 'opcua',
    device: 'plc',
    bind: { host: HOST, port: opcuaPort },
    namespaceUri: 'urn:bench',
    resourcePath: '/bench',
    variables: [
      { path: 'Line/Speed', dataType: 'Double', signal: { kind: 'ramp', from: 0, to: 100, periodMs: 1000 }, updateMs: 20 },
      ...Array.from({ length: TAGS }, (_, i) => ({ path: `Bench/T${i}`, dataType: 'Double', signal: { kind: 'ramp', from: 0, to: 1000, periodMs: 60_000 }, updateMs: 1000 })),
    ],
  });
  const tags = benchTags(TAGS);
  file('devices/rtu.yaml', { kind: 'Device', id: 'rtu', protocol: 'modbus', transport: { kind: 'tcp', host: HOST, port: modbusPort }, tags });
  file('simulators/rtu.yaml', { kind: 'Simulator', id: 'rtu', protocol: 'modbus', device: 'rtu', bind: { host: HOST, port: modbusPort }, points: benchPoints(tags) });
  const pipeline = (id: string, src: unknown): void =>
    file(`pipelines/${id}.yaml`, {
      kind: 'Pipeline',
      id,
      name: id,
      nodes: { src, pub: { type: 'mqtt-sink', config: { device: 'broker', topic: 'bench/{path}', qos: 0 } } },
      edges: [{ from: 'src', to: 'pub' }],
    });
  pipeline('plain', { type: 'signal', config: { path: 'tank/level', intervalMs: 10, shape: { kind: 'ramp' } } });
  pipeline('opcua', { type: 'opcua-source', config: { device: 'line', tags: ['speed'], mode: 'subscribe' } });
  pipeline('modbus-1k', { type: 'modbus-source', config: { device: 'rtu' } });
  pipeline('opcua-1k', { type: 'opcua-source', config: { device: 'plc', tags: Array.from({ length: TAGS }, (_, i) => `t${i}`), mode: 'subscribe' } });
}

/** `plantbench simulate <project>` in a child process; resolves when it prints its endpoints. */
async function startSimulators(root: string): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [BIN, 'simulate', root, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => l.includes('"simulators"') && resolve());
    void exited.then(() => reject(new Error('plantbench simulate exited')));
  });
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}

/** RSS of Node 22 with the gateway's flags and nothing to do, `afterMs` after spawn. */
async function idleNodeRss(afterMs: number): Promise<number> {
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, afterMs));
  const rss = rssMb(child.pid!);
  child.kill('SIGTERM');
  await exited;
  return rss;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const fmt = (xs: number[], digits = 0): string => range(xs, (x) => x.toFixed(digits));

const loadBefore = loadavg()[0]!;
const dir = mkdtempSync(join(tmpdir(), 'plantbench-gateway-bench-'));
const broker = await startMosquitto({ host: HOST });
const project = join(dir, 'project');
const modbusPort = await freePort(HOST);
writeProject(project, broker.url, await freePort(HOST), modbusPort);
const stopSimulators = await startSimulators(project);

const cases = [
  { pipeline: 'plain', name: 'signal → mqtt-sink (no OPC UA): cold start' },
  { pipeline: 'opcua', name: 'opcua-source, 1 tag → mqtt-sink: cold start' },
  { pipeline: 'modbus-1k', name: `modbus-source (TCP), ${TAGS.toLocaleString('en')} tags → mqtt-sink` },
  { pipeline: 'opcua-1k', name: `opcua-source, ${TAGS.toLocaleString('en')} tags → mqtt-sink` },
];
const plans = new Map<string, ExportPlan>();
const results = new Map(cases.map((c) => [c.pipeline, { first: [] as number[], rss: [] as number[], cpu: [] as number[] }]));
// References in the same run, same flags: Node 22 doing nothing, and the floor (floor.mjs).
const FLOOR = fileURLToPath(new URL('floor.mjs', import.meta.url));
const floorTags = join(dir, 'floor-tags.json');
writeFileSync(floorTags, JSON.stringify(benchTags(TAGS).map((t) => ({ name: t.name, area: t.area, address: t.address, width: registerCount(t as RegisterFormat) }))));
const idleRss: number[] = [];
const floor = { first: [] as number[], rss: [] as number[], cpu: [] as number[] };
let tarBytes = 0;
try {
  for (const c of cases) {
    // Health on this bench's address, a free port.
    plans.set(c.pipeline, await exportGateway(project, [c.pipeline], join(dir, `${c.pipeline}-gateway`), HOST));
  }
  const tar = join(dir, 'plain.tar.gz');
  await writeExport(project, { pipelines: ['plain'] }, tar);
  tarBytes = statSync(tar).size;

  // A gateway restarts with its state folder (OPC UA client certificate, buffer): one start per
  // case makes it, uncounted, like the very first start after installation.
  // The deployed command line (systemd unit, Dockerfile).
  const start = (pipeline: string, rssAfterMs: number) => firstPublish({ brokerUrl: broker.url, topic: 'bench/#', ...gatewayCommand(join(dir, `${pipeline}-gateway`)), rssAfterMs });
  for (const c of cases) console.error(`${c.name}: first start ever (state folder made): ${(await start(c.pipeline, 0)).firstMs.toFixed(0)} ms`);
  for (let rep = 0; rep < REPS; rep++) {
    for (const c of cases) {
      const r = await start(c.pipeline, RSS_AFTER_MS);
      results.get(c.pipeline)!.first.push(r.firstMs);
      results.get(c.pipeline)!.rss.push(r.rss);
      results.get(c.pipeline)!.cpu.push(r.cpuPct);
      console.error(`${c.name} #${rep + 1}: first publish ${r.firstMs.toFixed(0)} ms, RSS ${r.rss.toFixed(1)} MB, CPU ${r.cpuPct.toFixed(1)} %`);
    }
    const f = await firstPublish({ brokerUrl: broker.url, topic: 'bench/#', command: process.execPath, args: [...GATEWAY_NODE_FLAGS, FLOOR, floorTags, HOST, String(modbusPort), broker.url], rssAfterMs: RSS_AFTER_MS });
    floor.first.push(f.firstMs);
    floor.rss.push(f.rss);
    floor.cpu.push(f.cpuPct);
    idleRss.push(await idleNodeRss(RSS_AFTER_MS));
  }
} finally {
  await stopSimulators();
  await broker.stop();
  // --keep: leave the project and bundles for a closer look (mosquitto and simulators are stopped).
  if (process.argv.includes('--keep')) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (other work on the machine inflates start-up times)`;
const plain = plans.get('plain')!;
const byRole = new Map<string, number>();
for (const f of plain.files) byRole.set(f.role, (byRole.get(f.role) ?? 0) + f.bytes);
const total = plain.files.reduce((n, f) => n + f.bytes, 0);
const sizeTable = [
  '| role | bytes | |',
  '| --- | ---: | --- |',
  ...[...byRole].map(([role, bytes]) => `| ${role} | ${bytes.toLocaleString('en')} | ${mib(bytes)} |`),
  `| **total** (${plain.files.length} files) | ${total.toLocaleString('en')} | ${mib(total)} |`,
  `| as .tar.gz | ${tarBytes.toLocaleString('en')} | ${mib(tarBytes)} |`,
].join('\n');
const rows = cases.map((c) => {
  const r = results.get(c.pipeline)!;
  return `| ${c.name} | ${fmt(r.first)} | ${fmt(r.rss, 1)} | ${fmt(r.cpu, 1)} |`;
});
const table = [
  `| exported bundle, pipeline | spawn → first publish, ms, median [min–max] | RSS ${RSS_AFTER_MS / 1000} s after it, MB | CPU in those ${RSS_AFTER_MS / 1000} s, % of one core |`,
  '| --- | --- | --- | --- |',
  ...rows,
  `| *reference:* plain Node, modbus-serial + MQTT.js, the same ${TAGS.toLocaleString('en')} tags (\`bench/gateway/floor.mjs\`) | ${fmt(floor.first)} | ${fmt(floor.rss, 1)} | ${fmt(floor.cpu, 1)} |`,
  `| *reference:* Node 22 with the same flags, idle | – | ${fmt(idleRss, 1)} | – |`,
].join('\n');
const medianOf = (id: string, k: 'first' | 'rss'): number => median(results.get(id)![k]);
const verdict = (value: number, target: number, unit: string): string => `${value.toFixed(unit === 'ms' ? 0 : 1)} ${unit} (target ≤ ${target} ${unit}): ${value <= target ? 'met' : `missed by ${(value - target).toFixed(unit === 'ms' ? 0 : 1)} ${unit}`}`;
const targets = [
  `- Cold start without OPC UA: ${verdict(medianOf('plain', 'first'), 500, 'ms')}.`,
  `- Cold start with OPC UA: ${verdict(medianOf('opcua', 'first'), 1500, 'ms')}.`,
  `- RSS with ${TAGS.toLocaleString('en')} tags without OPC UA (Modbus TCP): ${verdict(medianOf('modbus-1k', 'rss'), 70, 'MB')}. The floor (plain modbus-serial + MQTT.js) is ${median(floor.rss).toFixed(1)} MB and idle Node ${median(idleRss).toFixed(1)} MB: the gateway's engine, validation, SQLite buffer and health server add ${(medianOf('modbus-1k', 'rss') - median(floor.rss)).toFixed(1)} MB to the floor.`,
  `- RSS with ${TAGS.toLocaleString('en')} tags with OPC UA: ${verdict(medianOf('opcua-1k', 'rss'), 120, 'MB')}.`,
  '- Node-RED 4.1 headless, the issue\'s figures (not measured here): 0.8 s and 82 MB idle; 2.9 s and 194 MB with node-red-contrib-opcua.',
].join('\n');
console.log(`Bundle (pipeline "plain"):\n${sizeTable}\n\n${table}\n\n${targets}\n\n${load}`);
if (write) {
  appendResults(
    'Gateway bundle: size, cold start, RSS',
    `Machine: ${machineLine()}. Bundles written by \`writeExport\`, each run from a temp folder with Node 22 (\`node ${GATEWAY_NODE_FLAGS.join(' ')} plantbench-gateway.js run\`, the deployed command line, no node_modules but the bundle's own, minimal environment); mosquitto and the project's simulators (\`plantbench simulate\`, a child process) on ${HOST}. ${REPS} runs per case, interleaved, after one uncounted first start per case (it makes the state folder: OPC UA client certificate, buffer); ${load}.\n\nBundle size by role (pipeline "plain"; the runtime is the same for every bundle):\n\n${sizeTable}\n\n${table}\n\n${targets}`,
  );
}
