import { z } from 'zod';
import { id, value } from '../model/common.ts';
import { mqttTls } from '../model/device.ts';

// MQTT topic capture: what to subscribe to and for how long, and the topic tree it found (counts,
// msg/s, last payloads, payload types, inferred JSON schemas, decoded Sparkplug metrics). Pure (no
// Node), so the renderer builds requests and filters results with the shapes the host validates.

export const MQTT_PAYLOAD_TYPES = ['json', 'sparkplug', 'text', 'binary', 'empty'] as const;
export const mqttPayloadType = z.enum(MQTT_PAYLOAD_TYPES);
export type MqttPayloadType = z.infer<typeof mqttPayloadType>;

/**
 * Memory bounds of a capture. Stored payload bytes stay below about
 * maxTopics × max(historyBytes, 2 × maxPayloadBytes); messages on further topics are counted only.
 */
export const mqttCaptureLimits = z
  .object({
    /** Topics kept in the tree; messages on further topics are counted as dropped. */
    maxTopics: z.number().int().min(1).max(1_000_000).default(50_000),
    /** Bytes kept of each payload (the size is always recorded); a longer one is truncated. */
    maxPayloadBytes: z.number().int().min(16).max(1_048_576).default(4096),
    /** Messages kept per topic (at least 2: the last one and the one before it, for a diff). */
    historyCount: z.number().int().min(2).max(1000).default(10),
    /** Payload bytes kept per topic; the oldest messages go first, the last two always stay. */
    historyBytes: z.number().int().min(64).max(16_777_216).default(16_384),
  })
  .strict();
export type MqttCaptureLimits = z.infer<typeof mqttCaptureLimits>;
export const DEFAULT_MQTT_CAPTURE_LIMITS: MqttCaptureLimits = mqttCaptureLimits.parse({});

export const mqttCaptureRequest = z
  .object({
    /** mqtt://, mqtts://, ws:// or wss:// (user:password@ in the url is accepted, never shown). */
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'url must be mqtt://, mqtts://, ws:// or wss://'),
    /** Topic filters to subscribe to (QoS 0). "#" does not include $SYS/…: add "$SYS/#" for that. */
    topics: z.array(z.string().min(1)).min(1).default(['#']),
    durationMs: z.number().int().min(100).max(3_600_000).default(10_000),
    /** 5 falls back to 3.1.1 when the broker refuses it. */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    clientId: z.string().min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** As on a device; relative PEM file paths are taken from the capture's baseDir (the working folder by default). */
    tls: mqttTls.optional(),
    limits: mqttCaptureLimits.default(DEFAULT_MQTT_CAPTURE_LIMITS),
  })
  .strict();
export type MqttCaptureRequest = z.infer<typeof mqttCaptureRequest>;
export type MqttCaptureRequestInput = z.input<typeof mqttCaptureRequest>;

/**
 * discovery.mqtt.capture/start over RPC: a broker by `url` (as mqttCaptureRequest), or a project
 * device by `deviceId`. With deviceId the host connects as devices/<deviceId>.yaml does (url,
 * protocol version unless given, TLS, username and password with ${secret:…}/${env:…} resolved as
 * for a run) under a fresh client id; a username or password given here replaces the device's.
 */
export const mqttCaptureCall = mqttCaptureRequest
  .extend({
    url: mqttCaptureRequest.shape.url.optional(),
    deviceId: id.optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.deviceId === undefined && r.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give the broker url, or deviceId for a project device' });
    if (r.deviceId === undefined) return;
    for (const field of ['url', 'tls', 'clientId'] as const) {
      if (r[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} comes from devices/${r.deviceId}.yaml: leave it out with deviceId` });
    }
  });
export type MqttCaptureCall = z.infer<typeof mqttCaptureCall>;
export type MqttCaptureCallInput = z.input<typeof mqttCaptureCall>;

const JSON_TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;

/** A JSON Schema fragment inferred from the payloads seen on a topic (types merged across messages). */
export const inferredSchema = z
  .object({
    /** One type, or the sorted types seen (integer and number together are number). */
    type: z.union([z.enum(JSON_TYPES), z.array(z.enum(JSON_TYPES))]),
    get properties() {
      return z.record(z.string(), inferredSchema).optional();
    },
    get items() {
      return inferredSchema.optional();
    },
  })
  .strict();
export type InferredSchema = z.infer<typeof inferredSchema>;

/** One stored message of a topic. */
export const mqttMessage = z
  .object({
    /** Receive time, epoch ms. */
    ts: z.number(),
    /** The retain flag as received: a retained message from the broker's store (or, on MQTT 5, published retained). */
    retained: z.boolean(),
    type: mqttPayloadType,
    /** Payload size in bytes, as received. */
    size: z.number().int().min(0),
    /** Only limits.maxPayloadBytes of the payload were kept. */
    truncated: z.boolean(),
    /** A short readable preview: text up to 200 characters, else hex of the first 32 bytes. */
    preview: z.string(),
    /** The kept payload, when asked for: UTF-8 text for json/text/empty, else base64. */
    payload: z.string().optional(),
    encoding: z.enum(['utf8', 'base64']).optional(),
  })
  .strict();
export type MqttMessage = z.infer<typeof mqttMessage>;

export const sparkplugMetric = z
  .object({
    /** From the metric, or from the birth that declared its alias. */
    name: z.string().optional(),
    alias: z.number().int().optional(),
    /** Sparkplug datatype name (Int64, Double, String, …). */
    datatype: z.string().optional(),
    /** JSON-safe: 64-bit integers beyond 2^53 are decimal strings, bytes base64. */
    value,
    timestamp: z.number().optional(),
  })
  .strict();
export type SparkplugMetric = z.infer<typeof sparkplugMetric>;

/** The decoded Sparkplug B payload of a topic's last message. */
export const sparkplugSummary = z
  .object({
    messageType: z.string().optional(),
    seq: z.number().int().optional(),
    timestamp: z.number().optional(),
    metrics: z.array(sparkplugMetric),
    /** More metrics than were kept. */
    moreMetrics: z.number().int().min(0).optional(),
  })
  .strict();
export type SparkplugSummary = z.infer<typeof sparkplugSummary>;

/** A level of the topic tree; the topic fields are present when messages arrived on this exact topic. */
export const mqttTopicNode = z
  .object({
    name: z.string(),
    /** The topic (or branch) path, levels joined by "/". */
    path: z.string(),
    /** Messages on this exact topic. */
    count: z.number().int().min(0),
    /** Messages on this topic and every topic below it. */
    branchCount: z.number().int().min(0),
    /** msg/s on this topic: a moving average while live, the mean over the capture in a result. */
    rate: z.number().min(0),
    branchRate: z.number().min(0),
    /** Topics at and below this level (whatever a filter shows). */
    topics: z.number().int().min(0),
    /** Type of the last payload. */
    type: mqttPayloadType.optional(),
    /** The broker holds a retained message for this topic (seen with the retain flag and not cleared). */
    retained: z.boolean().optional(),
    firstTs: z.number().optional(),
    last: mqttMessage.optional(),
    /** The message before the last one, for a diff. */
    previous: mqttMessage.optional(),
    schema: inferredSchema.optional(),
    sparkplug: sparkplugSummary.optional(),
    get children() {
      return z.array(mqttTopicNode).optional();
    },
  })
  .strict();
export type MqttTopicNode = z.infer<typeof mqttTopicNode>;

export const mqttCaptureTotals = z
  .object({
    messages: z.number().int().min(0),
    topics: z.number().int().min(0),
    /** Distinct topics not kept because of limits.maxTopics (counted up to 100,000). */
    droppedTopics: z.number().int().min(0),
    /** Messages on those topics. */
    droppedMessages: z.number().int().min(0),
    /** Payload bytes received. */
    bytes: z.number().int().min(0),
    durationMs: z.number().min(0),
  })
  .strict();
export type MqttCaptureTotals = z.infer<typeof mqttCaptureTotals>;

/** A live capture's state (what the UI polls while the tree fills). */
export const mqttCaptureStats = mqttCaptureTotals
  .omit({ durationMs: true })
  .extend({
    elapsedMs: z.number().min(0),
    connected: z.boolean(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]),
    warnings: z.array(z.string()),
  })
  .strict();
export type MqttCaptureStats = z.infer<typeof mqttCaptureStats>;

export const mqttCaptureResult = z
  .object({
    /** The broker url without credentials. */
    url: z.string(),
    /** The protocol version the capture ran with (after a fallback from 5). */
    protocolVersion: z.union([z.literal(4), z.literal(5)]),
    topicFilters: z.array(z.string()),
    startedAt: z.number(),
    tree: mqttTopicNode,
    totals: mqttCaptureTotals,
    /** Things the user should know: a refused subscription, a lost connection, a fallback to 3.1.1. */
    warnings: z.array(z.string()),
    cancelled: z.boolean(),
  })
  .strict();
export type MqttCaptureResult = z.infer<typeof mqttCaptureResult>;

/** What part of a tree to show. */
export const mqttTreeQuery = z
  .object({
    /** Start at this branch (a topic path). */
    under: z.string().optional(),
    /** Levels below the start to include (0: the start alone). */
    depth: z.number().int().min(0).optional(),
    /** Keep topics whose path contains this text (case-insensitive), with the branches leading to them. */
    search: z.string().optional(),
    /** Keep topics whose last payload has one of these types. */
    types: z.array(mqttPayloadType).optional(),
    /** Keep only topics the broker holds a retained message for. */
    retained: z.boolean().optional(),
    /**
     * For one topic (`under`, depth 0): its last and previous messages carry their kept payloads
     * (UTF-8 text or base64, at most limits.maxPayloadBytes each) instead of a preview only.
     */
    payloads: z.boolean().optional(),
  })
  .strict()
  .refine((q) => !q.payloads || (q.under !== undefined && q.depth === 0), { path: ['payloads'], message: 'payloads are sent for one topic only: give under and depth 0' });
export type MqttTreeQuery = z.infer<typeof mqttTreeQuery>;

/** True when a topic node passes the query's filters (search, types, retained); branches are not judged. */
export function topicMatches(node: Pick<MqttTopicNode, 'path' | 'type' | 'retained'>, query: MqttTreeQuery, needle = query.search?.toLowerCase()): boolean {
  if (node.type === undefined) return false;
  if (needle && !node.path.toLowerCase().includes(needle)) return false;
  if (query.types?.length && !query.types.includes(node.type)) return false;
  if (query.retained && !node.retained) return false;
  return true;
}

/**
 * A tree cut down to a query: topics that pass the filters and the branches leading to them, from
 * `under`, to `depth` levels. Undefined when nothing matches (or `under` does not exist).
 */
export function filterTopicTree(root: MqttTopicNode, query: MqttTreeQuery): MqttTopicNode | undefined {
  let start: MqttTopicNode | undefined = root;
  if (query.under) {
    for (const part of query.under.split('/')) start = start?.children?.find((c) => c.name === part);
    if (!start) return undefined;
  }
  const needle = query.search?.toLowerCase();
  const filtering = Boolean(needle || query.types?.length || query.retained);
  const walk = (node: MqttTopicNode, depth: number): MqttTopicNode | undefined => {
    const kids = node.children ?? [];
    if (depth <= 0) {
      const any = (n: MqttTopicNode): boolean => topicMatches(n, query, needle) || (n.children ?? []).some(any);
      if (filtering && !any(node)) return undefined;
      const { children: _dropped, ...rest } = node;
      return rest;
    }
    const children = kids.map((c) => walk(c, depth - 1)).filter((c): c is MqttTopicNode => c !== undefined);
    if (filtering && children.length === 0 && !topicMatches(node, query, needle)) return undefined;
    const { children: _old, ...rest } = node;
    return children.length ? { ...rest, children } : rest;
  };
  return walk(start, query.depth ?? Infinity);
}

/** Every topic node of a tree (nodes with messages), depth first in tree order. */
export function topicNodes(root: MqttTopicNode): MqttTopicNode[] {
  const out: MqttTopicNode[] = [];
  const walk = (n: MqttTopicNode): void => {
    if (n.type !== undefined) out.push(n);
    for (const c of n.children ?? []) walk(c);
  };
  walk(root);
  return out;
}
