// The live topic tree of a broker, as MQTT Explorer shows it, with hard memory bounds: a cap on
// topics (messages on further topics are only counted), payloads truncated for storage, and a
// history ring per topic bounded by count and bytes.
// Ingest is cheap: one Map lookup for a known topic, counters up the parent chain, payload type
// detection (JSON parse and schema merge, Sparkplug decode); msg/s is computed on tick(), and the
// JSON shape of the tree only when snapshot() asks for it.
import { isUtf8 } from 'node:buffer';
import {
  DEFAULT_MQTT_CAPTURE_LIMITS,
  topicMatches,
  type InferredSchema,
  type MqttCaptureLimits,
  type MqttMessage,
  type MqttPayloadType,
  type MqttTopicNode,
  type MqttTreeQuery,
  type SparkplugSummary,
} from '../../../shared/discovery/mqtt.ts';
import { MessageRing, type StoredMessage } from './message-ring.ts';
import { SparkplugDecoder } from './sparkplug.ts';

export type { InferredSchema, MqttPayloadType as PayloadType } from '../../../shared/discovery/mqtt.ts';

interface TopicState {
  type: MqttPayloadType;
  retained: boolean;
  readonly firstTs: number;
  /** At most limits.historyCount messages, and limits.historyBytes except the last two. */
  readonly history: MessageRing;
  schema?: InferredSchema;
  /**
   * The decoded Sparkplug payload of the last message, kept only when that payload was truncated;
   * otherwise it is decoded again from the ring when described (a decoded copy per message would
   * be long-lived garbage under a flood).
   */
  sparkplug?: SparkplugSummary;
}

interface Node {
  readonly name: string;
  readonly path: string;
  readonly parent: Node | undefined;
  children: Map<string, Node> | undefined;
  /** Messages on this exact topic; and on it and below. */
  count: number;
  branchCount: number;
  windowCount: number;
  branchWindowCount: number;
  rate: number;
  branchRate: number;
  /** Topics at and below this node. */
  topics: number;
  topic: TopicState | undefined;
}

/** One message of a topic's history, with its payload decoded. */
export interface TopicMessage extends MqttMessage {
  readonly payload: string;
  readonly encoding: 'utf8' | 'base64';
}

export interface SnapshotOptions extends MqttTreeQuery {
  /** Include the kept payloads of the last and previous messages (UTF-8 text or base64). */
  readonly payloads?: boolean;
  /** Report msg/s as the mean over this many ms instead of the moving average. */
  readonly averageOverMs?: number;
}

/** Distinct dropped topics are remembered up to this many, for the count. */
const MAX_DROPPED_NAMES = 100_000;
/** A payload larger than this is not decoded as Sparkplug (it is judged as any other payload). */
const MAX_SPARKPLUG_DECODE = 1_048_576;
const PREVIEW_CHARS = 200;
const PREVIEW_BYTES = 32;
/** msg/s is a moving average over about this window (a plain mean until the window has passed). */
const RATE_WINDOW_S = 5;

const newNode = (name: string, path: string, parent: Node | undefined): Node => ({
  name,
  path,
  parent,
  children: undefined,
  count: 0,
  branchCount: 0,
  windowCount: 0,
  branchWindowCount: 0,
  rate: 0,
  branchRate: 0,
  topics: 0,
  topic: undefined,
});

const asBuffer = (p: Uint8Array): Buffer => (Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));

// First bytes a JSON text can start with (after white space): { [ " - 0-9 t f n.
const JSON_START = new Set([...'{["-0123456789tfn'].map((c) => c.charCodeAt(0)));
const CONTROL = /[\u0000-\u0008\u000e-\u001f]/;

/** The type of a payload, with the parsed value when it is JSON. Sparkplug is judged by the caller. */
export function detectPayload(payload: Uint8Array): { type: MqttPayloadType; json?: unknown } {
  if (payload.length === 0) return { type: 'empty' };
  const buf = asBuffer(payload);
  if (!isUtf8(buf)) return { type: 'binary' };
  const text = buf.toString('utf8');
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  if (JSON_START.has(buf[i]!)) {
    try {
      return { type: 'json', json: JSON.parse(text) as unknown };
    } catch {
      // Not JSON after all: text.
    }
  }
  return { type: CONTROL.test(text) ? 'binary' : 'text' };
}

type JsonType = Extract<InferredSchema['type'], string>;

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** Properties kept per object schema, array items looked at per message, levels inferred. */
const MAX_PROPERTIES = 200;
const MAX_ITEMS = 20;
const MAX_DEPTH = 8;

/**
 * Merges what a value shows into a schema, in place (a new one when `into` is undefined): new
 * fields are added, differing types become a sorted list; integer and number together are number.
 */
export function inferSchema(value: unknown, into?: InferredSchema, depth = 0): InferredSchema {
  const type = typeOf(value);
  const schema: InferredSchema = into ?? { type };
  if (into) addType(schema, type);
  if (depth >= MAX_DEPTH) return schema;
  if (type === 'object') {
    const properties = (schema.properties ??= Object.create(null) as Record<string, InferredSchema>);
    let n = Object.keys(properties).length;
    for (const k in value as Record<string, unknown>) {
      const v = (value as Record<string, unknown>)[k];
      const known = properties[k];
      if (known) inferSchema(v, known, depth + 1);
      else if (n < MAX_PROPERTIES) {
        properties[k] = inferSchema(v, undefined, depth + 1);
        n++;
      }
    }
  } else if (type === 'array') {
    const items = value as unknown[];
    for (let i = 0; i < items.length && i < MAX_ITEMS; i++) schema.items = inferSchema(items[i], schema.items, depth + 1);
  }
  return schema;
}

function addType(schema: InferredSchema, type: JsonType): void {
  const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
  if (types.includes(type)) return;
  if (type === 'integer' && types.includes('number')) return;
  const merged = [...types.filter((t) => !(type === 'number' && t === 'integer')), type].sort();
  schema.type = merged.length === 1 ? merged[0]! : merged;
}

export class TopicTree {
  readonly limits: MqttCaptureLimits;
  private readonly root = newNode('', '', undefined);
  /** Topic → its node: one lookup per message for topics already known. */
  private readonly byTopic = new Map<string, Node>();
  private readonly sparkplug = new SparkplugDecoder();
  private readonly droppedNames = new Set<string>();
  private lastTick: number | undefined;
  private ticks = 0;
  messages = 0;
  bytes = 0;
  /** Messages on topics beyond maxTopics: counted, not stored. */
  droppedMessages = 0;

  constructor(limits: Partial<MqttCaptureLimits> = {}) {
    this.limits = { ...DEFAULT_MQTT_CAPTURE_LIMITS, ...limits };
  }

  get topics(): number {
    return this.byTopic.size;
  }

  /** Distinct topics not kept (counted up to 100,000). */
  get droppedTopics(): number {
    return this.droppedNames.size;
  }

  ingest(topic: string, payload: Uint8Array, retained: boolean, ts: number): void {
    this.messages++;
    this.bytes += payload.length;
    const node = this.byTopic.get(topic) ?? this.add(topic);
    if (!node) {
      this.droppedMessages++;
      if (this.droppedNames.size < MAX_DROPPED_NAMES) this.droppedNames.add(topic);
      return;
    }
    node.count++;
    node.windowCount++;
    for (let n: Node | undefined = node; n; n = n.parent) {
      n.branchCount++;
      n.branchWindowCount++;
    }
    this.record(topic, node, asBuffer(payload), retained, ts);
  }

  /** Updates msg/s; call about once a second. */
  tick(now: number): void {
    const dt = this.lastTick === undefined ? 0 : (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (dt <= 0 || dt > 60) {
      this.visit(this.root, (n) => ((n.windowCount = 0), (n.branchWindowCount = 0)));
      return;
    }
    this.ticks++;
    // A plain mean over the ticks so far, then a moving average over the window.
    const alpha = Math.min(1, Math.max(dt / RATE_WINDOW_S, 1 / this.ticks));
    this.visit(this.root, (n) => {
      n.rate += alpha * (n.windowCount / dt - n.rate);
      n.branchRate += alpha * (n.branchWindowCount / dt - n.branchRate);
      n.windowCount = 0;
      n.branchWindowCount = 0;
    });
  }

  /**
   * The tree as plain JSON (the root, or the branch at `under`), cut down to the query. Undefined
   * when `under` does not exist or nothing matches.
   */
  snapshot(options: SnapshotOptions = {}): MqttTopicNode | undefined {
    let node: Node | undefined = this.root;
    if (options.under) node = this.byTopic.get(options.under) ?? this.find(options.under);
    if (!node) return undefined;
    const needle = options.search?.toLowerCase();
    const filtering = Boolean(needle || options.types?.length || options.retained);
    return this.describe(node, options.depth ?? Infinity, options, needle, filtering);
  }

  /** The stored history of one topic, oldest first, with payloads (UTF-8 text or base64). */
  history(topic: string): TopicMessage[] {
    const state = this.byTopic.get(topic)?.topic;
    return state ? state.history.toArray().map((m) => message(m, true) as TopicMessage) : [];
  }

  /** The raw kept bytes of a topic's last message. */
  lastPayload(topic: string): Uint8Array | undefined {
    const last = this.byTopic.get(topic)?.topic?.history.at(-1);
    return last ? Buffer.from(last.bytes) : undefined;
  }

  // ---------- internals ----------

  private find(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const part of path.split('/')) node = node?.children?.get(part);
    return node;
  }

  /** Creates the node of a new topic (and its missing parents), or undefined at the topic cap. */
  private add(topic: string): Node | undefined {
    if (this.byTopic.size >= this.limits.maxTopics) return undefined;
    let node = this.root;
    for (const part of topic.split('/')) {
      let child = node.children?.get(part);
      if (!child) {
        child = newNode(part, node === this.root ? part : `${node.path}/${part}`, node);
        (node.children ??= new Map()).set(part, child);
      }
      node = child;
    }
    for (let n: Node | undefined = node; n; n = n.parent) n.topics++;
    this.byTopic.set(topic, node);
    return node;
  }

  private record(topic: string, node: Node, payload: Buffer, retained: boolean, ts: number): void {
    let type: MqttPayloadType | undefined;
    let sparkplug: SparkplugSummary | undefined;
    if (topic.startsWith('spBv1.0/') && payload.length > 0 && payload.length <= MAX_SPARKPLUG_DECODE) {
      sparkplug = this.sparkplug.decode(topic, payload);
      if (sparkplug) type = 'sparkplug';
    }
    let json: unknown;
    if (!type) ({ type, json } = detectPayload(payload));
    const state = (node.topic ??= { type, retained: false, firstTs: ts, history: new MessageRing(this.limits.historyCount, this.limits.historyBytes) });
    state.type = type;
    if (type === 'json') state.schema = inferSchema(json, state.schema);
    if (sparkplug && payload.length > this.limits.maxPayloadBytes) state.sparkplug = sparkplug;
    else delete state.sparkplug;
    // The broker's retained store: a retained empty payload clears it.
    if (retained) state.retained = payload.length > 0;
    // Copied into the ring: never a view that would hold MQTT.js's receive buffer.
    state.history.push(ts, retained, type, payload.subarray(0, this.limits.maxPayloadBytes), payload.length);
  }

  private describe(node: Node, depth: number, options: SnapshotOptions, needle: string | undefined, filtering: boolean): MqttTopicNode | undefined {
    const matches = (n: Node): boolean => n.topic !== undefined && topicMatches({ path: n.path, type: n.topic.type, retained: n.topic.retained }, options, needle);
    let children: MqttTopicNode[] | undefined;
    if (node.children && depth > 0) {
      const sorted = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const child of sorted) {
        const described = this.describe(child, depth - 1, options, needle, filtering);
        if (described) (children ??= []).push(described);
      }
    }
    if (filtering && !children && !matches(node)) {
      // At the depth limit a branch is shown when something below it matches.
      let below = false;
      if (depth <= 0) this.visit(node, (n) => (below ||= matches(n)));
      if (!below) return undefined;
    }
    const rate = (n: number, ewma: number): number => Math.round((options.averageOverMs ? n / (options.averageOverMs / 1000) : ewma) * 100) / 100;
    const t = node.topic;
    const last = t?.history.at(-1);
    const previous = t?.history.at(-2);
    return {
      name: node.name,
      path: node.path,
      count: node.count,
      branchCount: node.branchCount,
      rate: rate(node.count, node.rate),
      branchRate: rate(node.branchCount, node.branchRate),
      topics: node.topics,
      ...(t
        ? {
            type: t.type,
            retained: t.retained,
            firstTs: t.firstTs,
            ...(last ? { last: message(last, options.payloads) } : {}),
            ...(previous ? { previous: message(previous, options.payloads) } : {}),
            ...(t.schema ? { schema: structuredClone(t.schema) } : {}),
            ...(t.type === 'sparkplug' ? this.sparkplugOf(node.path, t, last) : {}),
          }
        : {}),
      ...(children ? { children } : {}),
    };
  }

  private sparkplugOf(topic: string, t: TopicState, last: StoredMessage | undefined): { sparkplug?: SparkplugSummary } {
    const sparkplug = t.sparkplug ?? (last ? this.sparkplug.decode(topic, last.bytes, false) : undefined);
    return sparkplug ? { sparkplug } : {};
  }

  private visit(node: Node, fn: (n: Node) => unknown): void {
    fn(node);
    if (node.children) for (const child of node.children.values()) this.visit(child, fn);
  }
}

/** The JSON shape of a stored message; the payload itself only when asked for. */
function message(m: StoredMessage, withPayload = false): MqttMessage {
  const text = m.type === 'json' || m.type === 'text' || m.type === 'empty';
  const bytes = m.bytes;
  const out: MqttMessage = { ts: m.ts, retained: m.retained, type: m.type, size: m.size, truncated: bytes.length < m.size, preview: preview(text, bytes) };
  if (withPayload) {
    out.payload = text ? bytes.toString('utf8') : bytes.toString('base64');
    out.encoding = text ? 'utf8' : 'base64';
  }
  return out;
}

function preview(text: boolean, bytes: Buffer): string {
  if (text) {
    const s = bytes.toString('utf8', 0, PREVIEW_CHARS * 4);
    return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
  }
  const hex = bytes.toString('hex', 0, PREVIEW_BYTES);
  return bytes.length > PREVIEW_BYTES ? `${hex}…` : hex;
}
