// The live topic tree of a broker, as MQTT Explorer shows it, with hard memory bounds: a cap on
// topics, payloads truncated for storage, and a per-topic history ring bounded by count and bytes.
// Ingest is O(topic depth); rates are computed on tick(), not per message.

export type PayloadType = 'json' | 'sparkplug' | 'text' | 'binary' | 'empty';

/** A JSON Schema fragment inferred from the payloads seen (types merged across messages). */
export interface InferredSchema {
  type: string | string[];
  properties?: Record<string, InferredSchema>;
  items?: InferredSchema;
}

export interface TopicMessage {
  readonly ts: number;
  readonly retained: boolean;
  /** Up to limits.maxPayloadBytes of the payload. */
  readonly payload: Uint8Array;
  readonly size: number;
  readonly truncated: boolean;
}

export interface TreeLimits {
  readonly maxTopics: number;
  readonly maxPayloadBytes: number;
  readonly historyCount: number;
  readonly historyBytes: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxTopics: 50_000, maxPayloadBytes: 4096, historyCount: 10, historyBytes: 16_384 };

interface Node {
  readonly name: string;
  readonly children: Map<string, Node>;
  /** Messages on this exact topic. */
  count: number;
  /** Messages on this topic and below. */
  branchCount: number;
  windowCount: number;
  branchWindowCount: number;
  rate: number;
  branchRate: number;
  topic?: TopicState;
}

interface TopicState {
  type: PayloadType;
  schema?: InferredSchema;
  history: TopicMessage[];
  historyBytes: number;
  /** Decoded Sparkplug metrics of the last message, when the payload is Sparkplug B. */
  metrics?: readonly { name: string; value: unknown }[];
}

export interface TopicTreeNode {
  readonly name: string;
  readonly path: string;
  readonly count: number;
  readonly rate: number;
  readonly topics: number;
  readonly last?: {
    readonly ts: number;
    readonly retained: boolean;
    readonly type: PayloadType;
    readonly preview: string;
    readonly size: number;
    readonly truncated: boolean;
  };
  readonly schema?: InferredSchema;
  readonly metrics?: readonly { name: string; value: unknown }[];
  readonly children?: TopicTreeNode[];
}

export type SparkplugDecoder = (payload: Uint8Array) => readonly { name: string; value: unknown }[];

const newNode = (name: string): Node => ({ name, children: new Map(), count: 0, branchCount: 0, windowCount: 0, branchWindowCount: 0, rate: 0, branchRate: 0 });

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function detectPayload(topic: string, payload: Uint8Array): { type: PayloadType; json?: unknown; text?: string } {
  if (payload.length === 0) return { type: 'empty' };
  if (topic.startsWith('spBv1.0/')) return { type: 'sparkplug' };
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { type: 'binary' };
  }
  const first = text.trimStart()[0];
  if (first === '{' || first === '[' || first === '"' || /^-?\d|^true$|^false$|^null$/.test(text.trim())) {
    try {
      return { type: 'json', json: JSON.parse(text) as unknown, text };
    } catch {
      // Not JSON after all: plain text.
    }
  }
  return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? { type: 'binary' } : { type: 'text', text };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Merges what a value shows into a schema: new fields are added, differing types become unions. */
export function inferSchema(value: unknown, into?: InferredSchema, depth = 0): InferredSchema {
  const type = typeOf(value);
  const types = new Set(into ? [into.type].flat() : []);
  types.add(type);
  // integer and number together are just number.
  if (types.has('integer') && types.has('number')) types.delete('integer');
  const schema: InferredSchema = { type: types.size === 1 ? [...types][0]! : [...types].sort() };
  if (depth > 8) return schema;
  if (type === 'object' || into?.properties) {
    const properties: Record<string, InferredSchema> = { ...into?.properties };
    if (type === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 200)) properties[k] = inferSchema(v, properties[k], depth + 1);
    }
    schema.properties = properties;
  }
  if (type === 'array' || into?.items) {
    let items = into?.items;
    if (type === 'array') for (const v of (value as unknown[]).slice(0, 20)) items = inferSchema(v, items, depth + 1);
    if (items) schema.items = items;
  }
  return schema;
}

export class TopicTree {
  private readonly root = newNode('');
  private readonly limits: TreeLimits;
  private readonly decodeSparkplug?: SparkplugDecoder;
  private topicCount = 0;
  private lastTick = 0;
  /** Messages on topics beyond maxTopics: counted, not stored. */
  droppedTopics = 0;
  messages = 0;

  constructor(limits: Partial<TreeLimits> = {}, decodeSparkplug?: SparkplugDecoder) {
    this.limits = { ...DEFAULT_TREE_LIMITS, ...limits };
    this.decodeSparkplug = decodeSparkplug;
  }

  get topics(): number {
    return this.topicCount;
  }

  ingest(topic: string, payload: Uint8Array, retained: boolean, ts: number): void {
    this.messages++;
    const parts = topic.split('/');
    const path: Node[] = [this.root];
    let node = this.root;
    for (const part of parts) {
      let child = node.children.get(part);
      if (!child) {
        if (this.topicCount >= this.limits.maxTopics) {
          this.droppedTopics++;
          return;
        }
        child = newNode(part);
        node.children.set(part, child);
      }
      node = child;
      path.push(node);
    }
    if (!node.topic) {
      if (this.topicCount >= this.limits.maxTopics) {
        this.droppedTopics++;
        return;
      }
      this.topicCount++;
      node.topic = { type: 'empty', history: [], historyBytes: 0 };
    }
    for (const n of path) {
      n.branchCount++;
      n.branchWindowCount++;
    }
    node.count++;
    node.windowCount++;
    this.record(topic, node.topic, payload, retained, ts);
  }

  /** Updates msg/s (EWMA over the ticks); call about once a second. */
  tick(now: number): void {
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (dt <= 0 || dt > 60) {
      this.visit(this.root, (n) => ((n.windowCount = 0), (n.branchWindowCount = 0)));
      return;
    }
    const alpha = Math.min(1, dt / 5);
    this.visit(this.root, (n) => {
      n.rate += alpha * (n.windowCount / dt - n.rate);
      n.branchRate += alpha * (n.branchWindowCount / dt - n.branchRate);
      n.windowCount = 0;
      n.branchWindowCount = 0;
    });
  }

  /** The tree (or the branch at `under`), to `depth` levels, keeping branches whose path contains `search`. */
  snapshot(options: { under?: string; depth?: number; search?: string } = {}): TopicTreeNode | undefined {
    let node = this.root;
    const prefix: string[] = [];
    if (options.under) {
      for (const part of options.under.split('/')) {
        const child = node.children.get(part);
        if (!child) return undefined;
        node = child;
        prefix.push(part);
      }
    }
    const needle = options.search?.toLowerCase();
    return this.describe(node, prefix, options.depth ?? Infinity, needle);
  }

  /** The stored history of one topic, oldest first. */
  history(topic: string): readonly TopicMessage[] {
    let node: Node | undefined = this.root;
    for (const part of topic.split('/')) node = node?.children.get(part);
    return node?.topic?.history ?? [];
  }

  private record(topic: string, state: TopicState, payload: Uint8Array, retained: boolean, ts: number): void {
    const detected = detectPayload(topic, payload);
    state.type = detected.type;
    if (detected.type === 'json') state.schema = inferSchema(detected.json, state.schema);
    if (detected.type === 'sparkplug' && this.decodeSparkplug) {
      try {
        state.metrics = this.decodeSparkplug(payload);
      } catch {
        state.type = 'binary';
        delete state.metrics;
      }
    }
    const kept = payload.length > this.limits.maxPayloadBytes ? payload.slice(0, this.limits.maxPayloadBytes) : payload.slice();
    const message: TopicMessage = { ts, retained, payload: kept, size: payload.length, truncated: kept.length < payload.length };
    state.history.push(message);
    state.historyBytes += kept.length;
    while (state.history.length > this.limits.historyCount || (state.historyBytes > this.limits.historyBytes && state.history.length > 1)) {
      state.historyBytes -= state.history.shift()!.payload.length;
    }
  }

  private describe(node: Node, path: string[], depth: number, needle: string | undefined): TopicTreeNode | undefined {
    const full = path.join('/');
    const children: TopicTreeNode[] = [];
    if (depth > 0) {
      for (const child of [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        const described = this.describe(child, [...path, child.name], depth - 1, needle);
        if (described) children.push(described);
      }
    }
    const matches = !needle || full.toLowerCase().includes(needle);
    if (!matches && children.length === 0) return undefined;
    const last = node.topic?.history.at(-1);
    let topics = node.topic ? 1 : 0;
    this.visit(node, (n) => n !== node && n.topic && topics++);
    return {
      name: node.name,
      path: full,
      count: node.branchCount,
      rate: Math.round(node.branchRate * 10) / 10,
      topics,
      ...(last && node.topic
        ? {
            last: {
              ts: last.ts,
              retained: last.retained,
              type: node.topic.type,
              preview: preview(node.topic.type, last.payload),
              size: last.size,
              truncated: last.truncated,
            },
          }
        : {}),
      ...(node.topic?.schema ? { schema: node.topic.schema } : {}),
      ...(node.topic?.metrics ? { metrics: node.topic.metrics } : {}),
      ...(children.length ? { children } : {}),
    };
  }

  private visit(node: Node, fn: (n: Node) => unknown): void {
    fn(node);
    for (const child of node.children.values()) this.visit(child, fn);
  }
}

function preview(type: PayloadType, payload: Uint8Array): string {
  if (type === 'json' || type === 'text') return new TextDecoder().decode(payload.slice(0, 200));
  let hex = '';
  for (const b of payload.slice(0, 32)) hex += b.toString(16).padStart(2, '0');
  return payload.length > 32 ? `${hex}…` : hex;
}
