// Start-up benchmark: time from spawning `plantbench run` to the first message at a subscriber on
// mosquitto, and the runtime's RSS 10 s later, for a pipeline without and with OPC UA, started
// from the TypeScript sources (type stripping) and from the bundle (`npm run build:cli`).
//   node bench/startup/run.ts [--quick] [--no-write]
// Each case runs 5 times (3 with --quick), interleaved; medians with min–max are printed and
// appended to bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import { firstPublish } from '../lib/first-publish.ts';
import { appendResults, machineLine, range, shouldWrite } from '../lib/report.ts';

const quick = process.argv.includes('--quick');
const write = shouldWrite();
const REPS = quick ? 3 : 5;
const RSS_AFTER_MS = quick ? 3000 : 10_000;
const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const BUNDLE = new URL('../../out/cli/main.js', import.meta.url).pathname;
execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: new URL('../..', import.meta.url).pathname, stdio: 'ignore' });

const header = (name: string) => `apiVersion: plantbench/v1\nkind: Project\nname: ${name}\nuns: { enterprise: bench, site: s1 }\n`;

function writeProject(root: string, brokerUrl: string, opcuaEndpoint?: string): void {
  mkdirSync(join(root, 'devices'), { recursive: true });
  mkdirSync(join(root, 'pipelines'), { recursive: true });
  writeFileSync(join(root, 'plantbench.yaml'), header('startup bench'));
  writeFileSync(join(root, 'devices/broker.yaml'), `apiVersion: plantbench/v1\nkind: Device\nid: broker\nprotocol: mqtt\nurl: ${brokerUrl}\nprotocolVersion: 5\n`);
  const source = opcuaEndpoint
    ? `  src:\n    type: opcua-source\n    config: { device: plc, tags: [speed], mode: subscribe }\n`
    : `  src:\n    type: signal\n    config: { path: tank/level, intervalMs: 10, shape: { kind: ramp } }\n`;
  if (opcuaEndpoint) {
    writeFileSync(
      join(root, 'devices/plc.yaml'),
      `apiVersion: plantbench/v1\nkind: Device\nid: plc\nprotocol: opcua\nendpoint: ${opcuaEndpoint}\npublishingIntervalMs: 50\nsamplingIntervalMs: 10\ntags:\n  - { name: speed, nodeId: "ns=1;s=Line.Speed" }\n`,
    );
  }
  writeFileSync(
    join(root, 'pipelines/p.yaml'),
    `apiVersion: plantbench/v1\nkind: Pipeline\nid: p\nname: p\nnodes:\n${source}  pub:\n    type: mqtt-sink\n    config: { device: broker, topic: "bench/{path}", qos: 0 }\nedges:\n  - { from: src, to: pub }\n`,
  );
}

const once = (root: string, brokerUrl: string, entry: string) =>
  firstPublish({ brokerUrl, topic: 'bench/#', command: process.execPath, args: [entry, 'run', root], rssAfterMs: RSS_AFTER_MS });

const fmt = (xs: number[], digits = 0): string => range(xs, (x) => x.toFixed(digits));

const broker = await startMosquitto();
const dir = mkdtempSync(join(tmpdir(), 'plantbench-startup-'));
const opcua = await startSimulator(
  {
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: 'plc',
    protocol: 'opcua',
    bind: { host: '127.0.0.1', port: 0 },
    namespaceUri: 'urn:bench',
    resourcePath: '/bench',
    variables: [{ path: 'Line/Speed', dataType: 'Double', writable: false, signal: { kind: 'ramp', from: 0, to: 100, periodMs: 1000 }, updateMs: 20 }],
  },
  { baseDir: dir, log: () => {} },
);
const cases = [
  { name: 'signal → mqtt-sink (no OPC UA), sources', root: join(dir, 'plain'), opcua: undefined, entry: BIN },
  { name: 'signal → mqtt-sink (no OPC UA), bundle', root: join(dir, 'plain'), opcua: undefined, entry: BUNDLE },
  { name: 'opcua-source → mqtt-sink, sources', root: join(dir, 'opcua'), opcua: opcua.endpoint, entry: BIN },
  { name: 'opcua-source → mqtt-sink, bundle', root: join(dir, 'opcua'), opcua: opcua.endpoint, entry: BUNDLE },
];
for (const c of cases) writeProject(c.root, broker.url, c.opcua);
const results = new Map(cases.map((c) => [c.name, { first: [] as number[], rss: [] as number[] }]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const c of cases) {
      const r = await once(c.root, broker.url, c.entry);
      results.get(c.name)!.first.push(r.firstMs);
      results.get(c.name)!.rss.push(r.rss);
      console.error(`${c.name} #${rep + 1}: first publish ${r.firstMs.toFixed(0)} ms, RSS ${r.rss.toFixed(1)} MB`);
    }
  }
} finally {
  await opcua.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

const rows = cases.map((c) => {
  const r = results.get(c.name)!;
  return `| ${c.name} | ${fmt(r.first)} | ${fmt(r.rss, 1)} |`;
});
const table = [
  `| pipeline | spawn → first publish, ms, median [min–max] | RSS after ${RSS_AFTER_MS / 1000} s, MB |`,
  '| --- | --- | --- |',
  ...rows,
].join('\n');
console.log(table);
if (write) {
  appendResults(
    'Start-up of `plantbench run`',
    `Machine: ${machineLine()}. ${REPS} runs per case, interleaved; mosquitto on loopback; \`plantbench run\` started from its TypeScript sources (Node type stripping) and from the rolldown bundle of the CLI (\`npm run build:cli\`; npm packages stay external).\n\n${table}\n\nTargets for the gateway: ≤ 0.5 s and ≤ 70 MB without OPC UA; ≤ 1.5 s and ≤ 120 MB with it. Node-RED 4.1 headless measured 0.8 s and 82 MB idle here.`,
  );
}
