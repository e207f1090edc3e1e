import type { Interlock } from '../../shared/model/device.ts';
import { describeInterlock } from '../../shared/interlock.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import type { WritableTag } from '../../shared/rpc/methods/run.ts';
import type { LoadedProject } from '../../store/project.ts';

/** Whether a node type writes to a device (OPC UA and Modbus sinks; MQTT sinks publish to a broker). */
export function writesToDevice(type: string): boolean {
  const spec = NODE_SPEC_BY_TYPE.get(type);
  return spec?.category === 'sink' && (spec.protocol === 'opcua' || spec.protocol === 'modbus');
}

/** Whether the selected pipelines (all when none) publish to an MQTT broker. */
export function publishesToMqtt(loaded: LoadedProject, pipelines: readonly string[] = []): boolean {
  const ids = pipelines.length ? pipelines : [...loaded.pipelines.keys()];
  return ids.some((id) =>
    Object.values(loaded.pipelines.get(id)?.model?.nodes ?? {}).some((n) => {
      const spec = NODE_SPEC_BY_TYPE.get(n.type);
      return spec?.category === 'sink' && spec.protocol === 'mqtt';
    }),
  );
}

/**
 * The device tags the selected pipelines (all when none) can write, once each, sorted, with their
 * interlocks: what an arming confirmation names. Tags must be `writable: true` in their device
 * file (the graph check refuses a sink on any other), so writing stays opt-in per tag.
 */
export function writableTags(loaded: LoadedProject, pipelines: readonly string[] = []): (WritableTag & { interlock?: Interlock })[] {
  const ids = pipelines.length ? pipelines : [...loaded.pipelines.keys()];
  const byKey = new Map<string, WritableTag & { interlock?: Interlock }>();
  for (const id of ids) {
    const model = loaded.pipelines.get(id)?.model;
    for (const [nodeId, node] of Object.entries(model?.nodes ?? {})) {
      if (!writesToDevice(node.type)) continue;
      const { device, tag } = node.config as { device: string; tag: string };
      const key = `${device}/${tag}`;
      let entry = byKey.get(key);
      if (!entry) {
        const lock = loaded.devices.get(device)?.model?.tags.find((t) => t.name === tag);
        const interlock = lock && 'interlock' in lock ? lock.interlock : undefined;
        entry = { device, tag, nodes: [], ...(interlock ? { interlock } : {}), limits: describeInterlock(interlock) };
        byKey.set(key, entry);
      }
      entry.nodes.push(`${id}/${nodeId}`);
    }
  }
  return [...byKey.values()].sort((a, b) => a.device.localeCompare(b.device) || a.tag.localeCompare(b.tag));
}
