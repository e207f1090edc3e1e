// mqtt-source: subscribes to the topics of the selected tags and turns messages into samples.
import { defineKind, type NodeContext } from '../../engine/node-kind.ts';
import type { MqttTag } from '../../shared/model/device.ts';
import { mqttSourceNode } from '../../shared/nodes/mqtt-source.ts';
import type { Sample, SampleMeta, Value } from '../../shared/sample.ts';
import type { MqttDevice } from './client-options.ts';
import { statusFields, type Disposable, type MqttConnection } from './connection.ts';
import { compileFieldPath, jsonQuality, jsonTimestamp, parseJson, pickField, rawValue } from './payload.ts';
import { MqttResources } from './resources.ts';
import type { SparkplugReader } from './sparkplug/reader.ts';
import type { SpTopic } from './sparkplug/topic.ts';
import { compileFilter, filterProblem, type TopicFilter } from './topic.ts';

/** Samples waiting for the next emit; beyond this (downstream far behind) new ones are dropped and counted. */
const MAX_PENDING = 10_000;
/** How often counters are published into the node status. */
const STATUS_INTERVAL_MS = 250;
/** At most one rebirth request per edge node in this time. */
const REBIRTH_REQUEST_INTERVAL_MS = 10_000;

interface PlainTag {
  readonly tag: MqttTag;
  readonly path: string;
  readonly filter: TopicFilter;
  readonly field?: readonly string[];
  readonly raw: boolean;
  readonly meta?: SampleMeta;
}

interface SparkplugTag {
  readonly tag: MqttTag;
  readonly path: string;
  readonly metric?: string;
  readonly meta?: SampleMeta;
  /** The tag's filter with the message type level normalised to NDATA/DDATA. */
  readonly levels: readonly string[];
  readonly filter: TopicFilter;
}

type SparkplugModules = {
  reader: typeof import('./sparkplug/reader.ts');
  topic: typeof import('./sparkplug/topic.ts');
  codec: typeof import('./sparkplug/codec.ts');
};

function selectTags(deviceId: string, device: MqttDevice, names: readonly string[]): MqttTag[] {
  if (names.length === 0) {
    if (device.tags.length === 0) throw new Error(`device "${deviceId}" has no tags to subscribe to`);
    return device.tags;
  }
  return names.map((name) => {
    const tag = device.tags.find((t) => t.name === name);
    if (!tag) throw new Error(`device "${deviceId}" has no tag "${name}"`);
    return tag;
  });
}

/** A short, printable look at a payload for the error port. */
function preview(payload: Buffer): string {
  const text = payload.subarray(0, 200).toString('utf8');
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text) ? `<${payload.length} bytes, binary>` : payload.length > 200 ? `${text}…` : text;
}

/**
 * A Sparkplug tag's topic is spBv1.0/<group>/<type>/<edge node>[/<device>], wildcards allowed. It
 * reads births and data alike (DBIRTH/DDATA for devices, NBIRTH/NDATA for the node) and gets bad
 * quality on deaths, so the subscription covers every message type of the edge nodes it names.
 */
function compileSparkplugTag(tag: MqttTag, m: SparkplugModules): { levels: string[]; companion: string } {
  const levels = tag.topic.split('/');
  const bad = (why: string): Error => new Error(`tag "${tag.name}": ${why}; a Sparkplug tag's topic is spBv1.0/<group>/<DDATA|NDATA>/<edge node>[/<device>]`);
  if (levels[0] !== m.topic.SP_NAMESPACE) throw bad(`topic "${tag.topic}" is not in the spBv1.0 namespace`);
  const [, group = '#', type = '#', edge = '#', device] = levels;
  if (group === '#' || type === '#' || edge === '#') {
    const companion = group === '#' ? 'spBv1.0/#' : type === '#' ? `spBv1.0/${group}/#` : `spBv1.0/${group}/+/#`;
    return { levels: levels.map((l, i) => (i === 2 && l !== '#' && l !== '+' ? (m.topic.dataTypeOf(l as never) ?? l) : l)), companion };
  }
  let normal = type;
  if (type !== '+') {
    const data = m.topic.dataTypeOf(type as never);
    if (!data) throw bad(`"${type}" is not a message type a tag can read`);
    normal = data;
  }
  if (normal === 'NDATA' && device !== undefined && device !== '#') throw bad('node messages (N…) have no device level');
  if (normal === 'DDATA' && device === undefined) throw bad('device messages (D…) need a device level');
  if (levels.length > 5) throw bad('too many levels');
  const normalised = [...levels];
  normalised[2] = normal;
  return { levels: normalised, companion: `spBv1.0/${group}/+/${edge}/#` };
}

/** The levels a tag's wildcards matched, leaving out the message type. */
function sparkplugWildcards(levels: readonly string[], t: SpTopic): string {
  const topic = [t.group, t.edgeNode, ...(t.device !== undefined ? [t.device] : [])];
  const filter = [levels[1], levels[3], levels[4]];
  const parts: string[] = [];
  for (let i = 0; i < topic.length; i++) {
    if (filter[i] === '#') {
      parts.push(...topic.slice(i));
      break;
    }
    if (filter[i] === '+') parts.push(topic[i]!);
  }
  return parts.join('/');
}

export function mqttSourceKind(resources: MqttResources) {
  return defineKind(mqttSourceNode, (config, ctx: NodeContext) => {
    const deviceId = config.device;
    let connection: MqttConnection | undefined;
    const disposables: Disposable[] = [];
    let pending: Sample[] = [];
    let flushQueued = false;
    let stopped = false;
    let reportTimer: { dispose(): void } | undefined;
    let received = 0;
    let dropped = 0;
    let skipped = 0;
    let unresolved = 0;
    let rebirthRequests = 0;

    // The messages of one socket read go out as one batch: MQTT.js handles them in chained
    // nextTicks, which all run before this microtask. Emitting here (not on setImmediate) lets the
    // engine drain in the same event-loop turn: one turn less of latency per message.
    const flush = (): void => {
      flushQueued = false;
      if (stopped) return;
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      // MQTT cannot be paced: while downstream is full the engine refuses the batch and counts it
      // in the node's `dropped` (status `dropped` too), rather than it piling up here.
      if (!ctx.emit('out', batch)) dropped += batch.length;
      reportSoon();
    };
    const reportNow = (): void => {
      ctx.report({ received, dropped, skipped, ...(unresolved ? { unresolvedAliases: unresolved, rebirthRequests } : {}) });
    };
    // Counters go into the node status at most every STATUS_INTERVAL_MS, not once per batch.
    const reportSoon = (): void => {
      reportTimer ??= ctx.setTimeout(() => {
        reportTimer = undefined;
        reportNow();
      }, STATUS_INTERVAL_MS);
    };
    const push = (s: Sample): void => {
      if (pending.length >= MAX_PENDING) {
        dropped++;
        return;
      }
      pending.push(s);
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    };
    const failMessage = (path: string, topic: string, payload: Buffer, receivedAt: number, reason: string): void => {
      ctx.fail({ path, value: preview(payload), quality: 'bad', ts: receivedAt }, `${connection?.url ?? deviceId} topic "${topic}": ${reason}`);
    };

    function subscribePlain(conn: MqttConnection, filter: string, group: PlainTag[]): void {
      const handler = (topic: string, payload: Buffer, receivedAt: number): void => {
        received++;
        let root: unknown;
        let parsed = false;
        let unreadable = false;
        for (const t of group) {
          const path = t.filter.wildcard ? `${t.path}/${t.filter.wildcardPart(topic)}` : t.path;
          if (t.raw) {
            let value: Value;
            try {
              value = rawValue(payload);
            } catch (err) {
              failMessage(path, topic, payload, receivedAt, (err as Error).message);
              continue;
            }
            push({ path, value, quality: 'good', ts: receivedAt, meta: t.meta });
            continue;
          }
          if (!parsed) {
            parsed = true;
            try {
              // An empty message is what clearing a retained topic delivers: nothing to read.
              if (payload.length === 0) unreadable = true;
              else root = parseJson(payload);
            } catch (err) {
              // One error per message, however many tags read it.
              failMessage(path, topic, payload, receivedAt, (err as Error).message);
              unreadable = true;
            }
          }
          if (unreadable) {
            if (payload.length === 0) {
              skipped++;
              reportSoon();
            }
            continue;
          }
          const picked = pickField(root, t.field);
          if (!picked) {
            // Devices often publish partial objects; a missing field is not an error, only counted.
            skipped++;
            reportSoon();
            continue;
          }
          push({ path, value: picked.value, quality: jsonQuality(picked), ts: jsonTimestamp(picked, root, receivedAt), meta: t.meta });
        }
      };
      disposables.push(conn.subscribe(filter, config.qos, handler, (reason) => ctx.fail(undefined, reason)));
    }

    async function subscribeSparkplug(conn: MqttConnection, tags: MqttTag[], base: (tag: MqttTag) => { path: string; meta?: SampleMeta }): Promise<void> {
      const m: SparkplugModules = {
        reader: await import('./sparkplug/reader.ts'),
        topic: await import('./sparkplug/topic.ts'),
        codec: await import('./sparkplug/codec.ts'),
      };
      const reader: SparkplugReader = new m.reader.SparkplugReader();
      const byCompanion = new Map<string, SparkplugTag[]>();
      for (const tag of tags) {
        const { levels, companion } = compileSparkplugTag(tag, m);
        const metric = tag.payload.format === 'sparkplug' ? tag.payload.metric : undefined;
        const entry: SparkplugTag = { tag, ...base(tag), ...(metric !== undefined ? { metric } : {}), levels, filter: compileFilter(levels.join('/')) };
        byCompanion.set(companion, [...(byCompanion.get(companion) ?? []), entry]);
      }
      const lastRequest = new Map<string, number>();
      const requestRebirth = (t: SpTopic): void => {
        const key = `${t.group}/${t.edgeNode}`;
        const now = ctx.clock.now();
        if (now - (lastRequest.get(key) ?? -Infinity) < REBIRTH_REQUEST_INTERVAL_MS) return;
        lastRequest.set(key, now);
        rebirthRequests++;
        ctx.log('info', `Sparkplug edge node ${key} sent metric aliases no birth named (we subscribed after it): requesting a rebirth`);
        const payload = m.codec.encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: m.topic.REBIRTH, datatype: m.codec.DataType.Boolean, value: true }] });
        conn.publish(m.topic.sparkplugTopic(t.group, 'NCMD', t.edgeNode), Buffer.from(payload), { qos: 0, retain: false }, () => {});
      };
      const emitValues = (group: SparkplugTag[], t: SpTopic, values: Iterable<{ name: string; value: Value; ts: number; quality: Sample['quality'] }>): void => {
        const dataTopic = `spBv1.0/${t.group}/${m.topic.dataTypeOf(t.type)}/${t.edgeNode}${t.device !== undefined ? `/${t.device}` : ''}`;
        for (const st of group) {
          if (!st.filter.matches(dataTopic)) continue;
          const wild = st.filter.wildcard ? sparkplugWildcards(st.levels, t) : '';
          const prefix = wild ? `${st.path}/${wild}` : st.path;
          for (const v of values) {
            if (st.metric !== undefined ? v.name !== st.metric : m.reader.isControlMetric(v.name)) continue;
            const path = st.metric !== undefined ? prefix : `${prefix}/${v.name}`;
            push({ path, value: v.value, quality: v.quality, ts: v.ts, meta: st.meta });
          }
        }
      };
      for (const [companion, group] of byCompanion) {
        const handler = (topic: string, payload: Buffer, receivedAt: number): void => {
          received++;
          const t = m.topic.parseSparkplugTopic(topic);
          if (!t) return;
          let event;
          try {
            event = reader.read(t, payload, receivedAt);
          } catch (err) {
            failMessage(group[0]!.path, topic, payload, receivedAt, (err as Error).message);
            return;
          }
          if (event.kind === 'values') {
            emitValues(group, t, event.values);
            if (event.unresolved > 0) {
              unresolved += event.unresolved;
              requestRebirth(t);
            }
          } else if (event.kind === 'death') {
            for (const scope of event.scopes) {
              const scopeTopic: SpTopic = { group: t.group, type: scope.device !== undefined ? 'DDEATH' : 'NDEATH', edgeNode: t.edgeNode, ...(scope.device !== undefined ? { device: scope.device } : {}) };
              const bad = [...scope.last].map(([name, value]) => ({ name, value, ts: event.ts, quality: 'bad' as const }));
              emitValues(group, scopeTopic, bad);
            }
          }
        };
        disposables.push(conn.subscribe(companion, config.qos, handler, (reason) => ctx.fail(undefined, reason)));
      }
    }

    return {
      async start() {
        const device = MqttResources.mqttDevice(deviceId, ctx.device(deviceId));
        const tags = selectTags(deviceId, device, config.tags);
        for (const tag of tags) {
          const problem = filterProblem(tag.topic);
          if (problem) throw new Error(`tag "${tag.name}": topic "${tag.topic}": ${problem}`);
        }
        const conn = resources.connection(deviceId, device);
        connection = conn;
        disposables.push(conn.onStatus((s) => ctx.report(statusFields(s))));
        const base = (tag: MqttTag): { path: string; meta?: SampleMeta } => ({ path: `${deviceId}/${tag.name}`, ...(tag.unit !== undefined ? { meta: { unit: tag.unit } } : {}) });
        const plain = new Map<string, PlainTag[]>();
        const sparkplug: MqttTag[] = [];
        for (const tag of tags) {
          if (tag.payload.format === 'sparkplug') {
            sparkplug.push(tag);
            continue;
          }
          const field = tag.payload.format === 'json' && tag.payload.field !== undefined ? compileFieldPath(tag.payload.field) : undefined;
          const entry: PlainTag = { tag, ...base(tag), filter: compileFilter(tag.topic), raw: tag.payload.format === 'raw', ...(field ? { field } : {}) };
          plain.set(tag.topic, [...(plain.get(tag.topic) ?? []), entry]);
        }
        for (const [filter, group] of plain) subscribePlain(conn, filter, group);
        if (sparkplug.length > 0) await subscribeSparkplug(conn, sparkplug, base);
      },
      async stop() {
        for (const d of disposables) d.dispose();
        disposables.length = 0;
        flush();
        stopped = true;
        reportTimer?.dispose();
        reportTimer = undefined;
        reportNow();
        if (connection) {
          connection = undefined;
          await resources.releaseConnection(deviceId);
        }
      },
    };
  });
}
