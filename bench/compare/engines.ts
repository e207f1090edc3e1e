// The systems under test of bench/compare/run.ts, each a child process pinned to the engine core:
// `plantbench run <generated project>` (bin/plantbench.js from the TypeScript sources, what the
// workbench's CLI runs), the exported gateway bundle of such a project (`plantbench export`, run
// with the deployed command line: what a gateway runs), Node-RED 4 headless (red.js with a settings
// file and a flows file written here) and the bare MQTT.js bridge of bench/mqtt. CPU and RSS come
// from /proc, so all of them are measured the same way.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childAnswer } from '../lib/child.ts';
import { exportGateway, gatewayCommand } from '../lib/gateway-bundle.ts';

/** Core 1 runs the engine under test; core 0 runs broker, generator, simulators and this harness. */
export const ENGINE_CORE = '1';
export const LOAD_CORE = '0';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const PLANTBENCH_BIN = fileURLToPath(new URL('../../bin/plantbench.js', import.meta.url));
export const NODE_RED_JS = join(HERE, 'node_modules/node-red/red.js');
const BRIDGE_WORKER = fileURLToPath(new URL('../mqtt/bridge-worker.ts', import.meta.url));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Pins a running process and all its threads to `core` (threads made later inherit it). */
export function pin(pid: number, core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
}

/** User + system CPU seconds of a process (all threads), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size in MB, from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export type EngineName = 'plantbench' | 'node-red' | 'bridge' | 'gateway';

export interface Engine {
  readonly name: EngineName;
  readonly pid: number;
  readonly startedAt: number;
  /** The last lines the engine wrote to stderr (for error messages). */
  stderrTail(): string;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

function wrap(name: EngineName, child: ChildProcess, startedAt: number, cleanup: () => void, stopper?: () => void): Engine {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  child.stdout?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  return {
    name,
    pid: child.pid!,
    startedAt,
    stderrTail: () => tail.trim(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = exited(child);
        if (stopper) stopper();
        else child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(t);
      }
      cleanup();
    },
  };
}

/** Starts a program pinned to the engine core (taskset execs node, so the pid is node's). */
function spawnPinned(args: string[], cwd?: string, env?: NodeJS.ProcessEnv): { child: ChildProcess; startedAt: number } {
  const startedAt = performance.now();
  const child = spawn('taskset', ['-c', ENGINE_CORE, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}), ...(env ? { env } : {}) });
  return { child, startedAt };
}

// ---------- Plantbench ----------

export interface PlantbenchProject {
  devices: Record<string, object>;
  pipelines: Record<string, { nodes: Record<string, object>; edges: { from: string; to: string }[] }>;
}

/** Writes a project folder (JSON is valid YAML) into a new temp folder and returns it. */
function writeProject(project: PlantbenchProject): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-compare-'));
  mkdirSync(join(root, 'devices'));
  mkdirSync(join(root, 'pipelines'));
  writeFileSync(join(root, 'plantbench.yaml'), JSON.stringify({ apiVersion: 'plantbench/v1', kind: 'Project', name: 'compare bench', uns: { enterprise: 'bench', site: 's1' } }));
  for (const [id, d] of Object.entries(project.devices)) writeFileSync(join(root, `devices/${id}.yaml`), JSON.stringify({ apiVersion: 'plantbench/v1', kind: 'Device', id, ...d }));
  for (const [id, p] of Object.entries(project.pipelines)) writeFileSync(join(root, `pipelines/${id}.yaml`), JSON.stringify({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id, name: id, ...p }));
  return root;
}

/** Runs `plantbench run` from the TypeScript sources (bin/plantbench.js) on a fresh project folder. */
export function startPlantbench(project: PlantbenchProject): Engine {
  const root = writeProject(project);
  const { child, startedAt } = spawnPinned([PLANTBENCH_BIN, 'run', root]);
  return wrap('plantbench', child, startedAt, () => rmSync(root, { recursive: true, force: true }));
}

/**
 * Exports every pipeline of `project` (writeExport, as `plantbench export` does) into a new temp
 * folder and returns it: the bundle in <folder>/bundle, the gateway's working directory <folder>.
 * The health endpoint listens on `healthHost`, a free port. The caller removes the folder.
 */
export async function exportPlantbench(project: PlantbenchProject, healthHost: string): Promise<string> {
  const root = writeProject(project);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'plantbench-compare-gateway-'));
    await exportGateway(root, Object.keys(project.pipelines), dir, healthHost);
    return dir;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs the exported bundle in `dir` with the deployed command line (gatewayCommand): Node flags, minimal environment, cwd `dir`. */
export function startGateway(dir: string): Engine {
  const { args, cwd, env } = gatewayCommand(dir);
  const { child, startedAt } = spawnPinned(args, cwd, env);
  return wrap('gateway', child, startedAt, () => {});
}

// ---------- Node-RED ----------

/** The contrib packages installed beside Node-RED; a flow names those it needs, the others are left out (nodesExcludes), as unused ones would load anyway. */
export const CONTRIBS = ['node-red-contrib-modbus', 'node-red-contrib-opcua'] as const;
export type Contrib = (typeof CONTRIBS)[number];

/**
 * Node-RED 4 headless: no editor or admin API (httpAdminRoot: false), no HTTP nodes (httpNodeRoot:
 * false, so nothing listens), a fresh userDir, only the contribs asked for, and the flows written
 * here. Everything else is Node-RED's default.
 */
export function startNodeRed(flows: object[], contribs: Contrib[] = []): Engine {
  const userDir = mkdtempSync(join(tmpdir(), 'plantbench-compare-nodered-'));
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  const settings = join(userDir, 'settings.cjs');
  writeFileSync(
    settings,
    `module.exports = ${JSON.stringify({
      httpAdminRoot: false,
      httpNodeRoot: false,
      uiHost: '127.0.0.199',
      flowFile: 'flows.json',
      credentialSecret: false,
      nodesExcludes: CONTRIBS.filter((c) => !contribs.includes(c)),
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      externalModules: { autoInstall: false },
      telemetry: { enabled: false },
    })};\n`,
  );
  const { child, startedAt } = spawnPinned([NODE_RED_JS, '--settings', settings, '--userDir', userDir], userDir);
  return wrap('node-red', child, startedAt, () => rmSync(userDir, { recursive: true, force: true }));
}

let nrIds = 0;
/** A fresh Node-RED node id. */
export const nrId = (): string => `n${(++nrIds).toString(16).padStart(15, '0')}`;

/** Node-RED's MQTT broker config node: MQTT 5 like the others, clean session, defaults otherwise. */
export function nrBroker(host: string, port: number): Record<string, unknown> {
  return {
    id: nrId(),
    type: 'mqtt-broker',
    name: 'bench',
    broker: host,
    port: String(port),
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '5',
    keepalive: '60',
    cleansession: true,
    autoUnsubscribe: true,
    birthTopic: '',
    closeTopic: '',
    willTopic: '',
    sessionExpiry: '',
  };
}

export const nrTab = (): Record<string, unknown> => ({ id: nrId(), type: 'tab', label: 'bench', disabled: false });

// ---------- the bare bridge ----------

/** bench/mqtt/bridge-worker.ts, pinned to the engine core once started. */
export async function startBridge(url: string, inTopic: string, outTopic: string, qos: 0 | 1): Promise<Engine> {
  const startedAt = performance.now();
  const child = fork(BRIDGE_WORKER, [url, inTopic, outTopic, String(qos)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  pin(child.pid!, ENGINE_CORE);
  await childAnswer(child, (m) => (m.ready ? true : undefined));
  return wrap('bridge', child, startedAt, () => {}, () => child.send({ cmd: 'stop' }));
}
