// Generated projects for the UI benchmarks: a Modbus PLC with many tags and its simulator, an MQTT
// broker simulator, a big pipeline for the canvas (bench/ui/open.ts) and a firehose pipeline for
// the live view (bench/ui/live.ts). Files are written as the workbench saves them (canonical YAML),
// and the simulators bind addresses of their own (127.0.0.150-159), so a benchmark never meets the
// example project's simulators of an e2e run.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_SCHEMAS, type FileKind } from '../../src/shared/model/index.ts';
import { toCanonicalYaml } from '../../src/store/canonical.ts';

export const PLC_HOST = '127.0.0.150';
export const BROKER_HOST = '127.0.0.151';
const PLC_PORT = 5020;
const BROKER_PORT = 1883;

const API = 'plantbench/v1';

export interface PollGroupSpec {
  readonly id: string;
  readonly intervalMs: number;
  /** Tags in this group. */
  readonly tags: number;
}

export interface ProjectSpec {
  /** The PLC's poll groups; tags are named t0000, t0001, … across them in order. */
  readonly pollGroups: readonly PollGroupSpec[];
  /** How often the simulator changes each value (ms). */
  readonly updateMs: number;
  /** Pipeline id → its data (nodes, edges). */
  readonly pipelines: Readonly<Record<string, { name: string; nodes: Record<string, unknown>; edges: { from: string; to: string }[] }>>;
}

export const tagName = (i: number): string => `t${String(i).padStart(4, '0')}`;

function write(root: string, kind: FileKind, rel: string, data: unknown): void {
  const file = join(root, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  FILE_SCHEMAS[kind].parse(data); // a generator mistake fails here, not in the page
  // Written exactly as the host saves it.
  writeFileSync(file, toCanonicalYaml(data, FILE_SCHEMAS[kind]));
}

/** Writes the project into a new temporary folder and returns its path (the caller removes it). */
export function generateProject(spec: ProjectSpec): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-bench-ui-'));
  write(root, 'project', 'plantbench.yaml', {
    apiVersion: API,
    kind: 'Project',
    name: 'UI benchmark plant',
    uns: { enterprise: 'acme', site: 'bench', area: 'ui', line: 'line-1' },
    defaults: { topicTemplate: '{enterprise}/{site}/{area}/{line}/{machine}/{tag}' },
  });
  const total = spec.pollGroups.reduce((n, g) => n + g.tags, 0);
  const groupOf: string[] = spec.pollGroups.flatMap((g) => Array.from({ length: g.tags }, () => g.id));
  // float32 holding registers, two registers each from address 0.
  write(root, 'device', 'devices/plc.yaml', {
    apiVersion: API,
    kind: 'Device',
    id: 'plc',
    name: 'Bench PLC',
    protocol: 'modbus',
    transport: { kind: 'tcp', host: PLC_HOST, port: PLC_PORT },
    unitId: 1,
    timeoutMs: 1000,
    pollGroups: spec.pollGroups.map((g) => ({ id: g.id, intervalMs: g.intervalMs })),
    tags: Array.from({ length: total }, (_, i) => ({ name: tagName(i), area: 'holding', address: 2 * i, type: 'float32', unit: 'mm', pollGroup: groupOf[i] })),
  });
  write(root, 'simulator', 'simulators/plc.yaml', {
    apiVersion: API,
    kind: 'Simulator',
    id: 'plc',
    device: 'plc',
    bind: { host: PLC_HOST, port: PLC_PORT },
    protocol: 'modbus',
    points: Array.from({ length: total }, (_, i) => ({
      name: tagName(i),
      area: 'holding',
      address: 2 * i,
      type: 'float32',
      signal: { kind: 'sine', amplitude: 40, offset: 250, periodMs: 20_000 + 37 * i },
      updateMs: spec.updateMs,
    })),
  });
  write(root, 'device', 'devices/broker.yaml', { apiVersion: API, kind: 'Device', id: 'broker', protocol: 'mqtt', url: `mqtt://${BROKER_HOST}:${BROKER_PORT}`, clientId: 'plantbench-bench-ui' });
  write(root, 'simulator', 'simulators/broker.yaml', { apiVersion: API, kind: 'Simulator', id: 'broker', device: 'broker', bind: { host: BROKER_HOST, port: BROKER_PORT }, protocol: 'mqtt' });
  for (const [id, p] of Object.entries(spec.pipelines)) {
    write(root, 'pipeline', `pipelines/${id}.yaml`, { apiVersion: API, kind: 'Pipeline', id, name: p.name, nodes: p.nodes, edges: p.edges });
  }
  return root;
}

/** The ten steps of one line of the big pipeline: a source, eight transforms, a sink. */
const LINE_STEPS: readonly ((line: number) => { type: string; config: Record<string, unknown> })[] = [
  (l) => ({ type: 'modbus-source', config: { device: 'plc', tags: [tagName(l)] } }),
  () => ({ type: 'quality-filter', config: { allow: ['good'] } }),
  () => ({ type: 'scale', config: { rawLow: 0, rawHigh: 500, engLow: 0, engHigh: 100, clamp: true, unit: '%' } }),
  () => ({ type: 'deadband', config: { mode: 'absolute', value: 0.5, maxSilenceMs: 60_000 } }),
  (l) => ({ type: 'filter', config: { predicate: `value >= ${l % 10}` } }),
  () => ({ type: 'rate-limit', config: { intervalMs: 1000, keep: 'latest' } }),
  () => ({ type: 'change-detect', config: { mode: 'change', emitFirst: true } }),
  () => ({ type: 'expression', config: { expression: 'value * 2', outputType: 'number' } }),
  (l) => ({ type: 'uns-topic', config: { vars: { machine: `m${l}` } } }),
  () => ({ type: 'mqtt-sink', config: { device: 'broker', qos: 0, payload: { format: 'json' } } }),
];
const STEP_X = 240;
const LINE_Y = 150;

/**
 * A pipeline of `lines` × 10 nodes: each line reads one PLC tag and runs it through eight
 * transforms of different kinds into an MQTT publish, laid out in rows like a saved pipeline.
 * Lines are arranged in columns of 25 so the whole canvas is roughly as wide as it is tall.
 */
export function linesPipeline(name: string, lines: number) {
  const nodes: Record<string, unknown> = {};
  const edges: { from: string; to: string }[] = [];
  const perColumn = 25;
  for (let l = 0; l < lines; l++) {
    const x0 = Math.floor(l / perColumn) * (LINE_STEPS.length * STEP_X + 200);
    const y = (l % perColumn) * LINE_Y;
    LINE_STEPS.forEach((step, s) => {
      const id = `l${l}-s${s}`;
      nodes[id] = { ...step(l), position: { x: x0 + s * STEP_X, y } };
      if (s > 0) edges.push({ from: `l${l}-s${s - 1}`, to: id });
    });
  }
  return { name, nodes, edges };
}

/**
 * The live benchmark's pipeline: one modbus-source per poll group (all of the group's tags), each
 * into a scale, so the canvas shows counters and edge values while the Values table fills.
 */
export function firehosePipeline(name: string, groups: readonly PollGroupSpec[]) {
  const nodes: Record<string, unknown> = {};
  const edges: { from: string; to: string }[] = [];
  let first = 0;
  groups.forEach((g, i) => {
    const tags = Array.from({ length: g.tags }, (_, k) => tagName(first + k));
    first += g.tags;
    nodes[`src-${g.id}`] = { type: 'modbus-source', config: { device: 'plc', tags }, position: { x: 0, y: i * 130 } };
    nodes[`pct-${g.id}`] = { type: 'scale', config: { rawLow: 0, rawHigh: 500, engLow: 0, engHigh: 100, unit: '%' }, position: { x: 300, y: i * 130 } };
    edges.push({ from: `src-${g.id}`, to: `pct-${g.id}` });
  });
  return { name, nodes, edges };
}
