// Fuzz test of project-file loading: real files of the example project, mutated at random (seeded),
// must never make parseProjectFile / loadProject throw or hang, and every rejection must be located.
//
// Reproduce:   FUZZ_SEED=<seed> npx vitest run --project unit test/fuzz
// One case:    FUZZ_SEED=<seed> FUZZ_CASE=<index> npx vitest run --project unit test/fuzz
// More cases:  FUZZ_CASES=20000 npx vitest run --project unit test/fuzz   (single-file cases)
// A failure prints the seed, the case index, the mutations and the input, and writes every failing
// input in full to a file under the OS temp folder (its path is in the failure message).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { analyzeGraph } from '../../src/shared/graph.ts';
import type { FileKind } from '../../src/shared/model/index.ts';
import type { DeviceFile } from '../../src/shared/model/device.ts';
import type { PipelineFile } from '../../src/shared/model/pipeline.ts';
import type { Problem } from '../../src/shared/problem.ts';
import { formatProblem } from '../../src/shared/problem.ts';
import { loadProject, parseProjectFile } from '../../src/store/project.ts';
import { problemAt } from '../../src/store/yaml-source.ts';
import { copyExample, EXAMPLE } from '../helpers/project.ts';

// ---------- configuration ----------

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed2024;
const ONLY_CASE = process.env.FUZZ_CASE !== undefined ? Number(process.env.FUZZ_CASE) : undefined;
const FILE_CASES = Number(process.env.FUZZ_CASES ?? 1050);
const PROJECT_CASES = Number(process.env.FUZZ_PROJECT_CASES ?? 120);
/** One case (one parse, or one whole-project load) may take at most this long. */
const CASE_LIMIT_MS = 2000;

// ---------- seeded PRNG ----------

/** mulberry32: small, fast, and the same sequence on every machine. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Each case has its own seed derived from the run seed and its index, so it reproduces alone. */
function caseSeed(seed: number, index: number, stream: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------- the corpus: the example project's real files ----------

interface BaseFile {
  readonly kind: FileKind;
  /** Project-relative path. */
  readonly file: string;
  readonly text: string;
}

function readCorpus(): BaseFile[] {
  const out: BaseFile[] = [{ kind: 'project', file: 'plantbench.yaml', text: readFileSync(join(EXAMPLE, 'plantbench.yaml'), 'utf8') }];
  for (const folder of ['devices', 'pipelines']) {
    for (const name of readdirSync(join(EXAMPLE, folder)).sort()) {
      if (!name.endsWith('.yaml')) continue;
      const kind: FileKind = folder === 'devices' ? 'device' : name.endsWith('.test.yaml') ? 'pipeline-test' : 'pipeline';
      out.push({ kind, file: `${folder}/${name}`, text: readFileSync(join(EXAMPLE, folder, name), 'utf8') });
    }
  }
  for (const kind of ['project', 'device', 'pipeline', 'pipeline-test'] as const) {
    if (!out.some((f) => f.kind === kind)) throw new Error(`the example project has no ${kind} file to mutate`);
  }
  return out;
}

const CORPUS = readCorpus();
const EXAMPLE_DEVICES = new Map<string, DeviceFile>();
for (const f of CORPUS.filter((c) => c.kind === 'device')) {
  const { entry } = parseProjectFile('device', f.file, f.text);
  if (entry.model) EXAMPLE_DEVICES.set(entry.model.id, entry.model as DeviceFile);
}
const deviceLookup = { device: (id: string) => EXAMPLE_DEVICES.get(id) };

// ---------- mutations ----------

type Data = Record<string, unknown>;
/** A mutation of the parsed data; `semantic` ones always make a pipeline invalid. */
interface Mutation {
  readonly name: string;
  readonly semantic?: boolean;
  apply(data: Data, rng: Rng): boolean;
}

const WEIRD_STRINGS = [
  '', ' ', '\t', '\u0000', 'a\u0000b', '\u0007\u001b[31m', '\r\n', '\u2028\u2029', '\ufeff', '\u200e\u202eevil',
  '😀🏭', 'Füllstand ÄÖÜ', '日本語', '\ud800', '${secret:X}', '${env:}', '{enterprise}/{nope}', '#', '+', '../../etc/passwd',
  'constructor', '__proto__', 'toString', 'x'.repeat(10_000), 'Ab', 'UPPER', '-dash', 'a'.repeat(64),
];
const WEIRD_NUMBERS = [
  0, -0, 1, -1, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 2 ** 64, 65536, 65537, 1e21,
  Infinity, -Infinity, NaN, 125, 126, 255, 256, 10_000_001,
];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 5 : 7)) {
    case 0: return rng.pick(WEIRD_NUMBERS);
    case 1: return rng.pick(WEIRD_STRINGS);
    case 2: return null;
    case 3: return rng.chance(0.5);
    case 4: return rng.chance(0.5) ? rng.int(1000) : `${rng.int(1000)}`;
    case 5: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const out: Data = {};
      for (let i = rng.int(4); i > 0; i--) out[rng.pick(['a', 'type', 'config', 'id', 'x', 'kind', ...WEIRD_STRINGS.slice(0, 8)])] = randomValue(rng, depth + 1);
      return out;
    }
  }
}

/** Every (container, key) pair in the data, depth-first. */
function slots(data: unknown): { parent: Data | unknown[]; key: string | number; depth: number }[] {
  const out: { parent: Data | unknown[]; key: string | number; depth: number }[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) v.forEach((item, i) => { out.push({ parent: v, key: i, depth }); walk(item, depth + 1); });
    else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) { out.push({ parent: v as Data, key: k, depth }); walk(item, depth + 1); }
    }
  };
  walk(data, 0);
  return out;
}

const set = (parent: Data | unknown[], key: string | number, value: unknown): void => {
  (parent as Record<string | number, unknown>)[key] = value;
};
const get = (parent: Data | unknown[], key: string | number): unknown => (parent as Record<string | number, unknown>)[key];

function retype(value: unknown, rng: Rng): unknown {
  // number ↔ string ↔ list ↔ map ↔ null ↔ boolean
  const options: (() => unknown)[] = [
    () => (typeof value === 'string' && value !== '' && !Number.isNaN(Number(value)) ? Number(value) : rng.pick(WEIRD_NUMBERS)),
    () => (typeof value === 'number' ? String(value) : JSON.stringify(value) ?? 'undefined'),
    () => [value],
    () => ({ value }),
    () => null,
    () => rng.chance(0.5),
    () => (Array.isArray(value) ? value[0] : value && typeof value === 'object' ? Object.values(value)[0] : undefined),
    () => randomValue(rng),
  ];
  return rng.pick(options)();
}

const pipelineNodes = (d: Data): Data | undefined => {
  const n = d.nodes;
  return n && typeof n === 'object' && !Array.isArray(n) ? (n as Data) : undefined;
};
const pipelineEdges = (d: Data): { from: unknown; to: unknown }[] | undefined =>
  Array.isArray(d.edges) ? (d.edges as { from: unknown; to: unknown }[]) : undefined;

const GENERIC: Mutation[] = [
  {
    name: 'delete-key',
    apply(d, rng) {
      const s = slots(d);
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      return true;
    },
  },
  {
    name: 'rename-key',
    apply(d, rng) {
      const s = slots(d).filter((x) => !Array.isArray(x.parent));
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      const k = key as string;
      const renamed = rng.pick([k.toUpperCase(), `${k}s`, k.slice(1), `${k}\u0000`, `x-${k}`, rng.pick(WEIRD_STRINGS), k.replace(/[a-z]/, 'é')]);
      if (renamed === k) return false;
      const p = parent as Data;
      p[renamed] = p[k];
      delete p[k];
      return true;
    },
  },
  {
    name: 'duplicate-entry',
    apply(d, rng) {
      const s = slots(d);
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
      else (parent as Data)[`${key as string}-copy`] = structuredClone((parent as Data)[key as string]);
      return true;
    },
  },
  {
    name: 'change-type',
    apply(d, rng) {
      const s = slots(d);
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      set(parent, key, retype(get(parent, key), rng));
      return true;
    },
  },
  {
    name: 'weird-scalar',
    apply(d, rng) {
      const s = slots(d).filter((x) => { const v = get(x.parent, x.key); return v === null || typeof v !== 'object'; });
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      set(parent, key, rng.chance(0.5) ? rng.pick(WEIRD_NUMBERS) : rng.pick(WEIRD_STRINGS));
      return true;
    },
  },
  {
    name: 'add-unknown-field',
    apply(d, rng) {
      const s = slots(d).filter((x) => { const v = get(x.parent, x.key); return v !== null && typeof v === 'object' && !Array.isArray(v); });
      const target = s.length && rng.chance(0.8) ? (get(rng.pick(s).parent, rng.pick(s).key) as Data) : d;
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return false;
      target[rng.pick(['extra', 'Type', 'confg', 'typ', 'position', 'queue', '__proto__', 'constructor'])] = randomValue(rng);
      return true;
    },
  },
  {
    name: 'moderate-nesting',
    apply(d, rng) {
      const s = slots(d);
      if (!s.length) return false;
      const { parent, key } = rng.pick(s);
      let v: unknown = get(parent, key);
      for (let i = rng.range(5, 60); i > 0; i--) v = rng.chance(0.5) ? [v] : { a: v };
      set(parent, key, v);
      return true;
    },
  },
  {
    name: 'replace-root',
    apply(d, rng) {
      for (const k of Object.keys(d)) if (rng.chance(0.3)) delete d[k];
      return true;
    },
  },
];

const TYPES = ['scale', 'deadband', 'uns-topic', 'filter', 'signal', 'log', 'mqtt-sink', 'window', 'join'];

const PIPELINE: Mutation[] = [
  {
    name: 'edge-to-missing-node',
    semantic: true,
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      const edges = pipelineEdges(d);
      if (!nodes || !edges) return false;
      const ids = Object.keys(nodes);
      const ghost = rng.pick(['ghost', 'missing-node', 'levelx', 'constructor', 'to-string', '0']);
      if (ids.includes(ghost)) return false;
      edges.push(rng.chance(0.5) ? { from: rng.pick(ids), to: ghost } : { from: ghost, to: rng.pick(ids) });
      return true;
    },
  },
  {
    name: 'cycle',
    semantic: true,
    apply(d, rng) {
      const edges = pipelineEdges(d);
      if (!edges?.length) return false;
      const e = rng.pick(edges);
      if (rng.chance(0.3)) edges.push({ from: e.to, to: e.to });
      else edges.push({ from: e.to, to: e.from });
      return true;
    },
  },
  {
    name: 'long-cycle',
    semantic: true,
    apply(d, rng) {
      // Walk a path a → b → c … along existing edges and close it.
      const edges = pipelineEdges(d);
      if (!edges?.length) return false;
      const start = rng.pick(edges);
      const path = [start.from, start.to];
      for (let i = 0; i < 5; i++) {
        const next = edges.find((e) => e.from === path[path.length - 1]);
        if (!next) break;
        path.push(next.to);
      }
      edges.push({ from: path[path.length - 1], to: path[0] });
      return true;
    },
  },
  {
    name: 'unknown-node-type',
    semantic: true,
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      if (!nodes) return false;
      const ids = Object.keys(nodes);
      if (!ids.length) return false;
      const node = nodes[rng.pick(ids)] as Data;
      node.type = rng.pick(['scaler', 'Scale', 'function', 'mqtt-out', '', 'constructor', '__proto__', 'modbus', 42, null]);
      return true;
    },
  },
  {
    name: 'wrong-port',
    semantic: true,
    apply(d, rng) {
      const edges = pipelineEdges(d);
      if (!edges?.length) return false;
      const e = rng.pick(edges);
      const port = rng.pick(['nope', 'input', 'outt', 'constructor', 'x', 'in2', 'rejected-x']);
      if (rng.chance(0.5)) e.from = `${String(e.from).split('.')[0]}.${port}`;
      else e.to = `${String(e.to).split('.')[0]}.${port}`;
      return true;
    },
  },
  {
    name: 'sink-as-source',
    semantic: true,
    apply(d) {
      // An edge out of a node without outputs, or into a node without inputs.
      const nodes = pipelineNodes(d);
      const edges = pipelineEdges(d);
      if (!nodes || !edges) return false;
      const sink = Object.entries(nodes).find(([, n]) => String((n as Data).type).endsWith('-sink'));
      const source = Object.entries(nodes).find(([, n]) => String((n as Data).type).endsWith('-source'));
      if (!sink || !source) return false;
      edges.push({ from: sink[0], to: source[0] });
      return true;
    },
  },
  {
    name: 'remove-linked-node',
    semantic: true,
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      const edges = pipelineEdges(d);
      if (!nodes || !edges?.length) return false;
      const e = rng.pick(edges);
      delete nodes[String(rng.chance(0.5) ? e.from : e.to).split('.')[0]!];
      return true;
    },
  },
  {
    name: 'missing-device-or-tag',
    semantic: true,
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      if (!nodes) return false;
      const bound = Object.values(nodes).filter((n) => (n as { config?: { device?: unknown } }).config?.device !== undefined) as { config: Data }[];
      if (!bound.length) return false;
      const n = rng.pick(bound);
      if (rng.chance(0.5) || !Array.isArray(n.config.tags)) n.config.device = rng.pick(['ghost-plc', 'constructor', 'filler-2']);
      else n.config.tags = [...(n.config.tags as unknown[]), 'no-such-tag'];
      return true;
    },
  },
  {
    name: 'swap-node-type',
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      if (!nodes) return false;
      const ids = Object.keys(nodes);
      if (!ids.length) return false;
      (nodes[rng.pick(ids)] as Data).type = rng.pick(TYPES);
      return true;
    },
  },
  {
    name: 'rename-node',
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      if (!nodes) return false;
      const ids = Object.keys(nodes);
      if (!ids.length) return false;
      const id = rng.pick(ids);
      nodes[rng.pick([`${id}-2`, id.toUpperCase(), `-${id}`, `${id}.out`, 'a'.repeat(64), 'ok-id'])] = nodes[id];
      delete nodes[id];
      return true;
    },
  },
  {
    name: 'many-edges',
    apply(d, rng) {
      const nodes = pipelineNodes(d);
      if (!nodes) return false;
      const ids = Object.keys(nodes);
      if (!ids.length) return false;
      const edges: unknown[] = [];
      for (let i = rng.range(1, 200); i > 0; i--) edges.push({ from: rng.pick(ids), to: rng.pick(ids) });
      d.edges = edges;
      return true;
    },
  },
];

/** Text mutations: applied to the YAML text (often after a data mutation). */
interface TextMutation {
  readonly name: string;
  apply(text: string, rng: Rng): string;
}

const CHARS = [
  '\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\v', '\f', '\r', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029',
  '\ufeff', '\ufffe', '\ud800', '\udfff', '😀', 'é', 'ß', '中', '\u202e', ':', ': ', '-', '- ', '#', '&', '*', '!', '|', '>',
  '{', '}', '[', ']', ',', '%', '@', '`', '"', "'", '?', '\\', '<<', ' ',
];

const lines = (t: string): string[] => t.split('\n');
const randomLine = (t: string, rng: Rng): number => rng.int(Math.max(1, lines(t).length));

const TEXT: TextMutation[] = [
  {
    name: 'truncate',
    apply(t, rng) {
      const bytes = Buffer.from(t, 'utf8');
      return bytes.subarray(0, rng.int(bytes.length + 1)).toString('utf8');
    },
  },
  {
    name: 'insert-chars',
    apply(t, rng) {
      let out = t;
      for (let i = rng.range(1, 5); i > 0; i--) {
        const at = rng.int(out.length + 1);
        out = out.slice(0, at) + rng.pick(CHARS) + out.slice(at);
      }
      return out;
    },
  },
  {
    name: 'random-unicode',
    apply(t, rng) {
      const at = rng.int(t.length + 1);
      let junk = '';
      for (let i = rng.range(1, 20); i > 0; i--) junk += String.fromCharCode(rng.int(0x10000));
      return t.slice(0, at) + junk + t.slice(at);
    },
  },
  {
    name: 'flip-byte',
    apply(t, rng) {
      const bytes = Buffer.from(t, 'utf8');
      if (!bytes.length) return t;
      bytes[rng.int(bytes.length)] = rng.int(256);
      return bytes.toString('utf8');
    },
  },
  {
    name: 'break-indent',
    apply(t, rng) {
      const ls = lines(t);
      const i = randomLine(t, rng);
      ls[i] = rng.chance(0.5) ? ' '.repeat(rng.range(1, 3)) + ls[i] : ls[i]!.replace(/^ {1,3}/, '');
      return ls.join('\n');
    },
  },
  {
    name: 'tabs',
    apply(t, rng) {
      const ls = lines(t);
      const i = randomLine(t, rng);
      ls[i] = rng.chance(0.5) ? ls[i]!.replace(/^ +/, '\t') : ls[i]!.replace(/ /, '\t');
      return ls.join('\n');
    },
  },
  {
    name: 'duplicate-line',
    apply(t, rng) {
      // Usually a duplicate key.
      const ls = lines(t);
      const i = randomLine(t, rng);
      ls.splice(i, 0, ls[i]!);
      return ls.join('\n');
    },
  },
  {
    name: 'duplicate-top-key',
    apply(t, rng) {
      return t.replace(/^(id|kind|name|apiVersion|nodes|edges|protocol|tags): .*$/m, (line) => `${line}\n${line.replace(/: .*/, `: ${rng.pick(['dup', '1', '[]', '{}'])}`)}`);
    },
  },
  {
    name: 'delete-line',
    apply(t, rng) {
      const ls = lines(t);
      ls.splice(randomLine(t, rng), rng.range(1, 3));
      return ls.join('\n');
    },
  },
  {
    name: 'swap-lines',
    apply(t, rng) {
      const ls = lines(t);
      const a = randomLine(t, rng);
      const b = randomLine(t, rng);
      [ls[a], ls[b]] = [ls[b]!, ls[a]!];
      return ls.join('\n');
    },
  },
  {
    name: 'anchor-alias',
    apply(t, rng) {
      const ls = lines(t);
      const values = ls.map((l, i) => ({ l, i })).filter((x) => /^\s*[\w-]+: \S/.test(x.l));
      if (values.length < 2) return t;
      const a = rng.pick(values);
      const b = rng.pick(values);
      ls[a.i] = a.l.replace(/: /, ': &anc ');
      const alias = rng.pick(['*anc', '*anc', '*nope', '[*anc, *anc]', '{ <<: *anc }']);
      ls[b.i] = b.l.replace(/: .*/, `: ${alias}`);
      return ls.join('\n');
    },
  },
  {
    name: 'line-endings',
    apply(t, rng) {
      return rng.chance(0.5) ? t.replace(/\n/g, '\r\n') : t.replace(/\n/g, rng.pick(['\r', '\u2028', '\n\n']));
    },
  },
  {
    name: 'huge-number',
    apply(t, rng) {
      const matches = [...t.matchAll(/\b\d+(\.\d+)?\b/g)];
      if (!matches.length) return t;
      const m = rng.pick(matches);
      const repl = rng.pick(['1e309', '-1e309', '99999999999999999999999999999', '0x7fffffffffffffff', '.nan', '.inf', '-.inf', '0o777', '1_000', '-0', '1e-400', '9'.repeat(400)]);
      return t.slice(0, m.index) + repl + t.slice(m.index! + m[0].length);
    },
  },
  {
    name: 'yaml-tags',
    apply(t, rng) {
      const ls = lines(t);
      const i = randomLine(t, rng);
      ls[i] = ls[i]!.replace(/: /, `: ${rng.pick(['!!binary ', '!!set ', '!!omap ', '!!timestamp ', '!!int ', '!!str ', '!!float ', '!custom ', '!!js/function ', '!<tag:x> '])}`);
      return ls.join('\n');
    },
  },
  {
    name: 'document-markers',
    apply(t, rng) {
      return rng.pick([
        () => `%YAML 1.1\n---\n${t}`,
        () => `%TAG ! tag:x,2024:\n---\n${t}`,
        () => `${t}\n---\nextra: doc\n`,
        () => `---\n${t}\n...\n`,
        () => `\ufeff${t}`,
        () => `${t}\n...\njunk after end`,
      ])();
    },
  },
  {
    name: 'deep-flow-value',
    apply(t, rng) {
      const ls = lines(t);
      const values = ls.map((l, i) => ({ l, i })).filter((x) => /: \S/.test(x.l));
      if (!values.length) return t;
      const { l, i } = rng.pick(values);
      // 10k levels are rarer here (about 200 ms each); the special inputs always include them.
      const depth = rng.chance(0.05) ? 10_000 : rng.pick([10, 100, 300, 1000, 2000]);
      const open = rng.chance(0.5) ? '['.repeat(depth) : '{a: '.repeat(depth);
      const close = open.startsWith('[') ? ']'.repeat(depth) : '}'.repeat(depth);
      ls[i] = l.replace(/: .*/, `: ${open}1${close}`);
      return ls.join('\n');
    },
  },
];

// ---------- special inputs ----------

function billionLaughs(levels = 9, width = 9): string {
  const out = ['lol0: &lol0 "lol"'];
  for (let i = 1; i <= levels; i++) out.push(`lol${i}: &lol${i} [${Array(width).fill(`*lol${i - 1}`).join(', ')}]`);
  return out.join('\n');
}

function specials(): { name: string; kind: FileKind; file: string; text: string; mustReject: boolean }[] {
  const pipeline = CORPUS.find((c) => c.file === 'pipelines/filler-uns.yaml')!;
  const head = 'apiVersion: plantbench/v1\nkind: Pipeline\nid: filler-uns\nname: Deep\n';
  const bomb = billionLaughs();
  const blockMaps = (n: number): string => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1';
  return [
    { name: 'billion laughs (whole file)', kind: 'pipeline', file: 'pipelines/bomb.yaml', text: bomb, mustReject: true },
    {
      name: 'billion laughs inside a pipeline',
      kind: 'pipeline',
      file: pipeline.file,
      text: `${pipeline.text}x-bomb:\n${bomb.replace(/^/gm, '  ')}\n`,
      mustReject: true,
    },
    { name: 'billion laughs, wide (9 levels x 40)', kind: 'device', file: 'devices/bomb.yaml', text: billionLaughs(9, 40), mustReject: true },
    { name: 'quadratic blowup (one anchor, 10k aliases)', kind: 'pipeline', file: 'pipelines/q.yaml', text: `a: &a [${'x,'.repeat(1000)}x]\nb: [${Array(10_000).fill('*a').join(',')}]`, mustReject: true },
    { name: 'recursive alias', kind: 'pipeline', file: 'pipelines/r.yaml', text: `${head}nodes: &n\n  a: { type: uns-topic, config: { vars: *n } }\n`, mustReject: true },
    { name: 'recursive merge key', kind: 'project', file: 'plantbench.yaml', text: '&t\n<<: *t\napiVersion: plantbench/v1\n', mustReject: true },
    { name: 'undefined alias', kind: 'pipeline', file: 'pipelines/u.yaml', text: `${head}nodes: *nothing\n`, mustReject: true },
    { name: '10k nested flow sequences', kind: 'pipeline', file: 'pipelines/d.yaml', text: `${head}nodes: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, mustReject: true },
    { name: '10k nested flow maps', kind: 'pipeline', file: 'pipelines/d.yaml', text: `${head}nodes: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`, mustReject: true },
    { name: '10k nested block sequences', kind: 'pipeline', file: 'pipelines/d.yaml', text: `${head}edges:\n${'- '.repeat(10_000)}x\n`, mustReject: true },
    { name: '1k nested block maps', kind: 'device', file: 'devices/d.yaml', text: blockMaps(1000), mustReject: true },
    { name: '300 nested values in config (parses)', kind: 'pipeline', file: 'pipelines/d.yaml', text: `${head}nodes:\n  t: { type: uns-topic, config: { vars: ${'{a: '.repeat(300)}1${'}'.repeat(300)} } }\n`, mustReject: true },
    { name: 'deep sample value in a test file', kind: 'pipeline-test', file: 'pipelines/x.test.yaml', text: `apiVersion: plantbench/v1\nkind: PipelineTest\npipeline: x\ncases:\n  - name: c\n    inputs: { a: [{ path: p, ts: 1, value: ${'['.repeat(400)}1${']'.repeat(400)} }] }\n    expect: {}\n`, mustReject: false },
    { name: 'empty file', kind: 'pipeline', file: 'pipelines/e.yaml', text: '', mustReject: true },
    { name: 'only a comment', kind: 'device', file: 'devices/e.yaml', text: '# nothing\n', mustReject: true },
    { name: 'only NUL bytes', kind: 'project', file: 'plantbench.yaml', text: '\u0000'.repeat(100), mustReject: true },
    { name: 'a scalar', kind: 'pipeline', file: 'pipelines/s.yaml', text: '42', mustReject: true },
    { name: 'a list', kind: 'pipeline', file: 'pipelines/s.yaml', text: '- a\n- b\n', mustReject: true },
    { name: 'complex keys', kind: 'pipeline', file: 'pipelines/c.yaml', text: `${head}? [a, b]\n: 1\n? { x: 1 }\n: 2\nnodes: {}\n`, mustReject: true },
    { name: 'prototype keys', kind: 'pipeline', file: 'pipelines/p.yaml', text: `${head}__proto__: { polluted: 1 }\nconstructor: 1\nnodes:\n  constructor: { type: log, config: {} }\n  __proto__: { type: log, config: {} }\n`, mustReject: true },
    { name: 'port named constructor', kind: 'pipeline', file: 'pipelines/p.yaml', text: `${head}nodes:\n  a: { type: mqtt-source, config: { device: uns-broker } }\n  b: { type: log, config: {} }\nedges:\n  - { from: a.constructor, to: b }\n  - { from: a, to: b.constructor }\n`, mustReject: true },
    { name: 'huge numbers', kind: 'device', file: 'devices/h.yaml', text: 'apiVersion: plantbench/v1\nkind: Device\nid: h\nprotocol: modbus\ntransport: { kind: tcp, host: h, port: 1e309 }\nunitId: 99999999999999999999999999\ntimeoutMs: .nan\n', mustReject: true },
    { name: 'long line (1 MB)', kind: 'pipeline', file: 'pipelines/l.yaml', text: `${head}description: ${'x'.repeat(1_000_000)}\nnodes: {}\n`, mustReject: false },
    { name: 'many duplicate keys', kind: 'pipeline', file: 'pipelines/k.yaml', text: `${head}${'nodes: {}\n'.repeat(2000)}`, mustReject: true },
    { name: 'lone surrogates and BOMs', kind: 'pipeline', file: 'pipelines/b.yaml', text: `\ufeff${head.replace('Deep', '\ud800\udfff\ud800')}nodes: {}\n\ufeff`, mustReject: false },
  ];
}

// ---------- checks ----------

interface Failure {
  readonly where: string;
  readonly mutations: string[];
  readonly kind: string;
  readonly file: string;
  readonly input: string;
  readonly error: string;
}

const failures: Failure[] = [];
const stats = { cases: 0, accepted: 0, rejected: 0, projectCases: 0, slowestMs: 0, slowest: '' };

function lineCount(text: string): number {
  // LineCounter counts \n only; \r\n and lone \r never add lines beyond that.
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** The invariants every reported problem must hold. `texts` maps a file to its text (undefined: missing). */
function checkProblems(problems: readonly Problem[], texts: (file: string) => string | undefined, expectFile?: string): string[] {
  const errors: string[] = [];
  for (const p of problems) {
    const shown = (() => { try { return formatProblem(p); } catch (err) { return `(formatProblem threw: ${String(err)})`; } })();
    if (typeof p.message !== 'string' || p.message.trim() === '') errors.push(`empty message: ${shown}`);
    if (typeof p.file !== 'string' || p.file === '') errors.push(`no file: ${shown}`);
    if (expectFile !== undefined && p.file !== expectFile) errors.push(`file is "${p.file}", expected "${expectFile}": ${shown}`);
    if (!Array.isArray(p.path)) errors.push(`path is not an array: ${shown}`);
    if (!Number.isInteger(p.line) || !Number.isInteger(p.col)) errors.push(`line/col not integers: ${shown}`);
    const text = texts(p.file);
    if (text === undefined || text === '') {
      // Missing or unreadable file: line 0 is allowed; an empty file may be 1:1.
      if (p.line < 0 || p.col < 0) errors.push(`negative position: ${shown}`);
      if (text === undefined && p.line !== 0) errors.push(`a missing file must be at line 0: ${shown}`);
    } else {
      if (p.line < 1 || p.col < 1) errors.push(`line/col must be >= 1 for a non-empty file: ${shown}`);
      if (p.line > lineCount(text)) errors.push(`line ${p.line} is past the end (${lineCount(text)} lines): ${shown}`);
    }
  }
  return errors;
}

function checkEntryModel(model: unknown): string[] {
  try {
    JSON.stringify(model);
    return [];
  } catch (err) {
    return [`accepted model is not serialisable: ${(err as Error).message.split('\n')[0]}`];
  }
}

/** Parses one file and checks every invariant; returns the list of violated ones. */
function checkFile(kind: FileKind, file: string, text: string, mustReject: boolean): string[] {
  const errors: string[] = [];
  const started = performance.now();
  let result: ReturnType<typeof parseProjectFile>;
  try {
    result = parseProjectFile(kind, file, text);
  } catch (err) {
    return [`parseProjectFile threw: ${(err as Error)?.stack ?? String(err)}`];
  }
  const problems: Problem[] = [...result.problems];
  const { entry } = result;
  if (entry.model) {
    if (result.problems.length) errors.push('a model came back together with problems');
    errors.push(...checkEntryModel(entry.model));
    if (kind === 'pipeline') {
      try {
        const graph = analyzeGraph(entry.model as PipelineFile, deviceLookup);
        for (const gp of graph.problems) {
          if (!gp.message) errors.push(`graph problem without message at ${JSON.stringify(gp.path)}`);
          problems.push(problemAt(entry.source, gp.path, gp.message));
        }
      } catch (err) {
        errors.push(`analyzeGraph threw: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  } else if (result.problems.length === 0) {
    errors.push('rejected (no model) but no problem reported');
  }
  if (mustReject && problems.length === 0) errors.push('must be rejected (it is invalid), but was accepted with no problem');
  errors.push(...checkProblems(problems, (f) => (f === file ? text : undefined), file));
  const ms = performance.now() - started;
  if (ms > stats.slowestMs) { stats.slowestMs = ms; stats.slowest = `${kind} ${file} (${text.length} chars)`; }
  if (ms > CASE_LIMIT_MS) errors.push(`took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms)`);
  stats.cases++;
  if (problems.length) stats.rejected++;
  else stats.accepted++;
  return errors;
}

function record(where: string, mutations: string[], kind: string, file: string, input: string, errors: string[]): void {
  if (errors.length) failures.push({ where, mutations, kind, file, input, error: errors.join('\n') });
}

function describeInput(input: string, max = 1500): string {
  const shown = input.length > max ? `${input.slice(0, max)}… (${input.length} chars in all)` : input;
  return JSON.stringify(shown);
}

function report(): string {
  const dump = join(tmpdir(), `plantbench-fuzz-failures-${SEED}.json`);
  try {
    writeFileSync(dump, JSON.stringify({ seed: SEED, failures }, null, 1));
  } catch {
    /* best effort */
  }
  const head = `${failures.length} fuzz failure(s), seed ${SEED} (re-run with FUZZ_SEED=${SEED}; all inputs in ${dump}):`;
  const shown = failures.slice(0, 5).map(
    (f) => `\n--- ${f.where} [${f.kind} ${f.file}] mutations: ${f.mutations.join(', ') || '(none)'}\n${f.error.slice(0, 2000)}\ninput: ${describeInput(f.input)}`,
  );
  return head + shown.join('');
}

/** Builds the mutated text for single-file case `index`. */
function makeFileCase(index: number): { base: BaseFile; text: string; mutations: string[]; mustReject: boolean } {
  const rng = new Rng(caseSeed(SEED, index, 1));
  // Pipelines get most of the attention; devices, the project file and the test file the rest.
  const roll = rng.next();
  const pool = CORPUS.filter((c) => (roll < 0.6 ? c.kind === 'pipeline' : roll < 0.8 ? c.kind === 'device' : roll < 0.9 ? c.kind === 'project' : c.kind === 'pipeline-test'));
  const base = rng.pick(pool);
  const mutations: string[] = [];
  let text = base.text;
  const style = rng.next();
  let mustReject = false;
  if (style < 0.15 && base.kind === 'pipeline') {
    // One semantic change, nothing else: the file must come back with at least one problem.
    const data = parseYaml(base.text) as Data;
    const m = rng.pick(PIPELINE.filter((x) => x.semantic));
    if (m.apply(data, rng)) {
      mutations.push(m.name);
      text = stringifyYaml(data);
      mustReject = true;
    }
  } else {
    if (style < 0.75) {
      const data = parseYaml(base.text) as Data;
      const pool2 = base.kind === 'pipeline' ? [...GENERIC, ...PIPELINE] : GENERIC;
      for (let n = rng.range(1, 4); n > 0; n--) {
        const m = rng.pick(pool2);
        // Earlier mutations may have left shapes a later one does not expect: skip it then.
        try {
          if (m.apply(data, rng)) mutations.push(m.name);
        } catch {
          /* not applicable */
        }
      }
      text = rng.chance(0.2) ? stringifyYaml(data, { collectionStyle: 'flow' }) : stringifyYaml(data);
    }
    if (style >= 0.5) {
      for (let n = rng.range(1, 3); n > 0; n--) {
        const m = rng.pick(TEXT);
        text = m.apply(text, rng);
        mutations.push(m.name);
      }
    }
  }
  return { base, text, mutations, mustReject };
}

/** Project-relative path → text of every file in a project folder (for locating problems). */
function projectTexts(root: string): (file: string) => string | undefined {
  return (file) => {
    const path = join(root, file);
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
}

// ---------- the hard guard: adversarial inputs in a worker that can be killed ----------

/**
 * Runs parseProjectFile on each input in a worker thread and terminates it when one input takes too
 * long, so a real hang fails this test instead of freezing the run. Returns per-input ms, or the
 * name of the input that hung.
 */
function runGuarded(inputs: { name: string; kind: FileKind; file: string; text: string }[], limitMs: number): Promise<{ hung?: string; ms: number[]; error?: string }> {
  const projectModule = new URL('../../src/store/project.ts', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.projectModule).then(({ parseProjectFile }) => {
      for (const [i, c] of workerData.inputs.entries()) {
        parentPort.postMessage({ start: i });
        const t0 = performance.now();
        try { parseProjectFile(c.kind, c.file, c.text); } catch (err) { parentPort.postMessage({ threw: i, error: String(err && err.stack || err) }); }
        parentPort.postMessage({ done: i, ms: performance.now() - t0 });
      }
      parentPort.postMessage({ finished: true });
    }, (err) => parentPort.postMessage({ loadError: String(err && err.stack || err) }));
  `;
  return new Promise((resolve) => {
    const worker = new Worker(code, { eval: true, workerData: { projectModule, inputs } });
    const ms: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    let current = -1;
    const finish = (r: { hung?: string; ms: number[]; error?: string }): void => {
      if (timer) clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    // Module loading in a fresh worker gets its own, larger allowance.
    const arm = (limit: number): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish({ hung: current < 0 ? '(loading modules)' : inputs[current]!.name, ms }), limit);
    };
    arm(30_000);
    worker.on('message', (m: { start?: number; done?: number; ms?: number; threw?: number; error?: string; loadError?: string; finished?: boolean }) => {
      if (m.loadError) finish({ ms, error: `worker could not load ${projectModule}: ${m.loadError}` });
      else if (m.start !== undefined) { current = m.start; arm(limitMs); }
      else if (m.done !== undefined) ms[m.done] = m.ms!;
      else if (m.threw !== undefined) finish({ ms, error: `${inputs[m.threw]!.name}: parseProjectFile threw: ${m.error}` });
      else if (m.finished) finish({ ms });
    });
    worker.on('error', (err) => finish({ ms, error: `worker error: ${err.stack ?? String(err)}` }));
  });
}

// ---------- the tests ----------

describe(`fuzz: project files (seed ${SEED})`, () => {
  afterAll(() => {
    // The figures, for whoever reads the test output.
    console.log(
      `fuzz seed ${SEED}: ${stats.cases} file checks (${stats.accepted} accepted, ${stats.rejected} rejected), ` +
        `${stats.projectCases} whole-project loads, slowest ${stats.slowestMs.toFixed(0)} ms (${stats.slowest})`,
    );
  });

  it('the unmutated corpus is valid (else the oracle means nothing)', () => {
    for (const f of CORPUS) {
      const { problems } = parseProjectFile(f.kind, f.file, f.text);
      expect(problems.map(formatProblem), f.file).toEqual([]);
    }
    expect(loadProject(EXAMPLE).problems.map(formatProblem)).toEqual([]);
  });

  it('adversarial inputs (alias bombs, 10k-deep nesting, recursive aliases) finish in bounded time, in a killable worker', async () => {
    const inputs = specials();
    const result = await runGuarded(inputs, 5000);
    expect(result.error, result.error).toBeUndefined();
    expect(result.hung, `hung on "${result.hung}" (seed ${SEED})`).toBeUndefined();
    for (const [i, ms] of result.ms.entries()) {
      if (ms > CASE_LIMIT_MS) record(`special "${inputs[i]!.name}" (worker)`, [], inputs[i]!.kind, inputs[i]!.file, inputs[i]!.text, [`took ${ms.toFixed(0)} ms`]);
    }
    expect(failures, report()).toEqual([]);
  }, 60_000);

  it('adversarial inputs are rejected or accepted with located problems', () => {
    for (const s of specials()) record(`special "${s.name}"`, [], s.kind, s.file, s.text, checkFile(s.kind, s.file, s.text, s.mustReject));
    expect(failures, report()).toEqual([]);
  }, 60_000);

  it(`${ONLY_CASE !== undefined ? `case ${ONLY_CASE} of` : FILE_CASES} mutated single files: no throw, bounded time, located problems`, () => {
    const indices = ONLY_CASE !== undefined ? [ONLY_CASE] : Array.from({ length: FILE_CASES }, (_, i) => i);
    for (const i of indices) {
      let c: ReturnType<typeof makeFileCase>;
      try {
        c = makeFileCase(i);
      } catch (err) {
        throw new Error(`fuzz generator failed on case ${i} (seed ${SEED}): ${(err as Error).stack}`);
      }
      record(`file case ${i} (FUZZ_SEED=${SEED} FUZZ_CASE=${i})`, c.mutations, c.base.kind, c.base.file, c.text, checkFile(c.base.kind, c.base.file, c.text, c.mustReject));
    }
    expect(failures, report()).toEqual([]);
    if (ONLY_CASE === undefined) expect(indices.length).toBeGreaterThanOrEqual(1000);
  }, 120_000);

  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it(`${PROJECT_CASES} mutated project folders: loadProject never throws and locates every problem`, () => {
    if (ONLY_CASE !== undefined) return;
    for (let i = 0; i < PROJECT_CASES; i++) {
      const rng = new Rng(caseSeed(SEED, i, 2));
      const copy = copyExample();
      scratch.push(copy.root);
      const mutations: string[] = [];
      let target = '';
      let input = '';
      let mustReject = false;
      const action = rng.next();
      if (action < 0.75) {
        // Replace one file of the project with a mutated version of it.
        const c = makeFileCase(rng.int(1_000_000) + 1_000_000);
        target = c.base.file;
        input = c.text;
        mutations.push(...c.mutations);
        mustReject = c.mustReject;
        writeFileSync(join(copy.root, target), input);
      } else {
        const what = rng.pick(['missing-project-file', 'dir-as-file', 'duplicate-id', 'wrong-file-name', 'invalid-utf8', 'test-for-missing-pipeline', 'test-odd-refs', 'empty-file']);
        mutations.push(what);
        mustReject = true;
        switch (what) {
          case 'missing-project-file':
            rmSync(join(copy.root, 'plantbench.yaml'));
            target = 'plantbench.yaml';
            break;
          case 'dir-as-file':
            target = rng.pick(['pipelines/odd.yaml', 'devices/odd.yaml', 'pipelines/odd.test.yaml']);
            mkdirSync(join(copy.root, target));
            break;
          case 'duplicate-id':
            target = 'pipelines/copy-of-filler.yaml';
            input = readFileSync(join(copy.root, 'pipelines/filler-uns.yaml'), 'utf8');
            writeFileSync(join(copy.root, target), input);
            break;
          case 'wrong-file-name':
            target = 'devices/Filler Copy.yml';
            input = readFileSync(join(copy.root, 'devices/filler.yaml'), 'utf8').replace('id: filler', 'id: filler-copy');
            writeFileSync(join(copy.root, target), input);
            break;
          case 'invalid-utf8': {
            target = rng.pick(['pipelines/filler-uns.yaml', 'devices/capper.yaml', 'plantbench.yaml']);
            const bytes = readFileSync(join(copy.root, target));
            for (let k = 0; k < 5; k++) bytes[rng.int(bytes.length)] = rng.pick([0xff, 0xfe, 0xc0, 0x80, 0xed]);
            writeFileSync(join(copy.root, target), bytes);
            mustReject = false;
            break;
          }
          case 'test-for-missing-pipeline':
            target = 'pipelines/ghost.test.yaml';
            input = readFileSync(join(copy.root, 'pipelines/filler-uns.test.yaml'), 'utf8').replace(/^pipeline: .*$/m, 'pipeline: ghost');
            writeFileSync(join(copy.root, target), input);
            break;
          case 'test-odd-refs':
            target = 'pipelines/filler-uns.test.yaml';
            // An input or expect key naming a node or port that does not exist.
            input = readFileSync(join(copy.root, target), 'utf8').replace(/^( {6})[a-z][\w.-]*:$/m, (_m, indent: string) => `${indent}${rng.pick(['constructor', 'to-string', 'level.nope', 'topic.constructor', 'ghost'])}:`);
            writeFileSync(join(copy.root, target), input);
            break;
          case 'empty-file':
            target = rng.pick(['plantbench.yaml', 'devices/filler.yaml', 'pipelines/capper-uns.yaml']);
            writeFileSync(join(copy.root, target), '');
            break;
        }
      }
      const started = performance.now();
      const errors: string[] = [];
      try {
        const loaded = loadProject(copy.root);
        if (mustReject && loaded.problems.length === 0) errors.push('must be rejected, but the project loaded with no problem');
        const texts = projectTexts(copy.root);
        errors.push(...checkProblems(loaded.problems, texts));
        for (const p of loaded.problems) {
          if (p.file.startsWith('..') || p.file.startsWith('/')) errors.push(`problem file outside the project: ${formatProblem(p)}`);
          if (p.line === 0 && existsSync(join(copy.root, p.file)) && statSync(join(copy.root, p.file)).isFile()) {
            errors.push(`line 0 for a file that exists and is readable: ${formatProblem(p)}`);
          }
        }
        for (const entry of [...loaded.pipelines.values(), ...loaded.devices.values(), ...loaded.simulators.values(), ...loaded.tests]) {
          if (entry.model) errors.push(...checkEntryModel(entry.model));
          if (relative(copy.root, join(copy.root, entry.file)).startsWith('..')) errors.push(`entry outside the project: ${entry.file}`);
        }
      } catch (err) {
        errors.push(`loadProject threw: ${(err as Error)?.stack ?? String(err)}`);
      }
      const ms = performance.now() - started;
      if (ms > CASE_LIMIT_MS) errors.push(`loadProject took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms)`);
      stats.projectCases++;
      record(`project case ${i} (FUZZ_SEED=${SEED})`, mutations, 'project folder', target, input, errors);
      copy.dispose();
      scratch.pop();
    }
    expect(failures, report()).toEqual([]);
  }, 120_000);
});
