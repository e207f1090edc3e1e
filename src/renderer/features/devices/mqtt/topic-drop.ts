import type { MqttTopicNode } from '../../../../shared/discovery/mqtt.ts';
import type { MqttTag } from '../../../../shared/model/device.ts';

// A captured topic dragged onto the canvas: an mqtt-source reading it, whose tag is imported into
// the device file first (NodeDrop.import of canvas/dnd.ts). Pure (and free of DOM code, which
// dnd.ts reaches through the actions, so the unit tests can import it).

/** A NodeDrop (canvas/dnd.ts) for an mqtt-source. */
export interface TopicDrop {
  readonly kind: 'mqtt-source';
  readonly config: { readonly device: string; readonly tags: readonly string[] };
  readonly name: string;
  readonly import?: { readonly deviceId: string; readonly protocol: 'mqtt'; readonly tags: MqttTag[] };
}

/** A tag name from a topic: its levels, each reduced to letters, digits, "_", "-" and "." ("a b/c" → "a_b/c"). */
export function topicTagName(topic: string): string {
  const clean = topic
    .split('/')
    .map((level) => level.replace(/[^A-Za-z0-9_.-]+/g, '_'))
    .filter((level) => level !== '' && level !== '_')
    .join('/');
  if (!clean) return 'topic';
  return /^[A-Za-z0-9_]/.test(clean) ? clean : `_${clean}`;
}

/**
 * The tag that reads a topic as it was captured: JSON (its `value` member when the payloads have
 * one, as UNS payloads do, else the whole value), Sparkplug B (the data topic of the node or
 * device whose birth, data or death this is: every metric), or raw text. Undefined for a branch
 * without messages and for empty payloads.
 */
export function tagForTopic(node: MqttTopicNode): MqttTag | undefined {
  switch (node.type) {
    case 'json': {
      const hasValue = node.schema?.properties?.value !== undefined;
      return { name: topicTagName(node.path), topic: node.path, payload: hasValue ? { format: 'json', field: 'value' } : { format: 'json' } };
    }
    case 'sparkplug': {
      const m = /^(spBv1\.0\/[^/]+)\/([ND])(?:BIRTH|DATA|DEATH)\/(.+)$/.exec(node.path);
      const topic = m ? `${m[1]}/${m[2]}DATA/${m[3]}` : node.path;
      return { name: topicTagName(topic), topic, payload: { format: 'sparkplug' } };
    }
    case 'text':
    case 'binary':
      return { name: topicTagName(node.path), topic: node.path, payload: { format: 'raw' } };
    default:
      return undefined;
  }
}

/**
 * The canvas drop for a topic of a project device, or undefined when the topic cannot be read as a
 * tag. A tag of the device that already reads the topic the same way is used as it is.
 */
export function topicDrop(deviceId: string, node: MqttTopicNode, existing: readonly MqttTag[] = []): TopicDrop | undefined {
  const tag = tagForTopic(node);
  if (!tag) return undefined;
  const same = existing.find((t) => t.topic === tag.topic && JSON.stringify(t.payload) === JSON.stringify(tag.payload));
  if (same) return { kind: 'mqtt-source', config: { device: deviceId, tags: [same.name] }, name: same.name.split('/').at(-1) ?? same.name };
  return {
    kind: 'mqtt-source',
    config: { device: deviceId, tags: [tag.name] },
    name: tag.name.split('/').at(-1) ?? tag.name,
    import: { deviceId, protocol: 'mqtt', tags: [tag] },
  };
}
