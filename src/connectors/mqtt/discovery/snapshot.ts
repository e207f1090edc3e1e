// Snapshot to simulator: a topic capture → an MQTT simulator profile that publishes every captured
// topic with its last payload, verbatim, with its retain flag and about its observed period. Pure.
import { topicNodes, type MqttCaptureResult } from '../../../shared/discovery/mqtt.ts';
import type { SimulatorFile } from '../../../shared/model/simulator.ts';

export type MqttSimulatorFile = Extract<SimulatorFile, { protocol: 'mqtt' }>;
type SimTopic = MqttSimulatorFile['topics'][number];

export interface MqttSnapshotOptions {
  /** The simulator's id (simulators/<id>.yaml). */
  readonly id: string;
  readonly name?: string;
  readonly bind?: { readonly host: string; readonly port: number };
}

export interface MqttSnapshot {
  readonly profile: MqttSimulatorFile;
  /** Topics left out, with the reason. */
  readonly skipped: readonly { readonly topic: string; readonly reason: string }[];
}

const MIN_INTERVAL_MS = 10;

/**
 * A simulator profile reproducing a capture. Each topic is published at its mean rate over the
 * capture (one seen once: once per capture length, so a capture as long finds it again). Payloads
 * that were truncated (see limits.maxPayloadBytes) cannot be reproduced and are skipped, as are the
 * broker's own $-topics.
 */
export function mqttSnapshot(result: MqttCaptureResult, options: MqttSnapshotOptions): MqttSnapshot {
  const topics: SimTopic[] = [];
  const skipped: { topic: string; reason: string }[] = [];
  for (const node of topicNodes(result.tree)) {
    const last = node.last;
    if (node.path.startsWith('$')) {
      skipped.push({ topic: node.path, reason: 'a topic of the broker itself' });
    } else if (!last || last.payload === undefined) {
      skipped.push({ topic: node.path, reason: 'the capture has no payload for it' });
    } else if (last.truncated) {
      skipped.push({ topic: node.path, reason: `only ${last.size > 0 ? 'part' : 'none'} of its ${last.size}-byte payload was kept (raise limits.maxPayloadBytes)` });
    } else {
      topics.push({
        topic: node.path,
        intervalMs: Math.max(MIN_INTERVAL_MS, Math.round(result.totals.durationMs / Math.max(node.count, 1))),
        retain: node.retained ?? false,
        ...(last.encoding === 'base64' ? { payloadBase64: last.payload } : { payload: last.payload }),
      });
    }
  }
  const when = new Date(result.startedAt).toISOString().replace('T', ' ').slice(0, 19);
  const profile: MqttSimulatorFile = {
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: options.id,
    name: options.name ?? `Snapshot of ${result.url}`,
    description: `Topics captured from ${result.url} on ${when} UTC (${topics.length} topics, last payloads replayed as they were).`,
    bind: options.bind ?? { host: '127.0.0.1', port: 0 },
    protocol: 'mqtt',
    topics,
  };
  return { profile, skipped };
}
