// A recording → a simulator profile that stands in for one device: the device's tags at the device's
// own addresses (Modbus registers in their type and order, OPC UA node ids, MQTT topics), each
// driven by its recorded values. The addresses come from the device file as it is now, so a
// pipeline written against the replay runs unchanged against the real device. Pure, so the UI can
// show what will be written.
import { isBitArea, modbusAddress, registerCount } from './codec/modbus.ts';
import type { DeviceFile } from './model/device.ts';
import type { SimulatorFile, SimulatorSignal } from './model/simulator.ts';

export interface ReplayProfileOptions {
  /** The simulator id (file simulators/<id>.yaml). */
  readonly id: string;
  readonly recording: number;
  readonly recordingName?: string;
  readonly speed?: number;
  readonly loop?: boolean;
  /** Where it listens; a free port on 127.0.0.1 by default (`run --simulate` points the device there). */
  readonly bind?: { host: string; port: number };
}

/** A recorded tag as the generator needs it. */
export interface RecordedTagRef {
  readonly path: string;
  readonly device?: string;
  readonly tag?: string;
  readonly dataType?: string;
  readonly samples: number;
}

export interface ReplayProfile {
  readonly profile: SimulatorFile;
  /** Device tags served from the recording. */
  readonly replayed: string[];
  /** Recorded tags of this device that the device no longer has: not replayed (a warning, not a failure). */
  readonly gone: string[];
  /** Device tags the recording has no samples of: served as a constant 0, false or "". */
  readonly unrecorded: string[];
  /** What could not be reproduced, in words. */
  readonly notes: string[];
}

type OpcuaProfile = Extract<SimulatorFile, { protocol: 'opcua' }>;
type OpcuaDataType = OpcuaProfile['variables'][number]['dataType'];
type ModbusProfile = Extract<SimulatorFile, { protocol: 'modbus' }>;
type MqttProfile = Extract<SimulatorFile, { protocol: 'mqtt' }>;

const OPCUA_TYPE: Record<string, OpcuaDataType> = { number: 'Double', boolean: 'Boolean', string: 'String' };

export function replayProfile(device: DeviceFile, recorded: readonly RecordedTagRef[], options: ReplayProfileOptions): ReplayProfile {
  const mine = new Map(recorded.filter((t) => t.device === device.id && t.tag !== undefined && t.samples > 0).map((t) => [t.tag!, t]));
  const names = new Set<string>(device.tags.map((t) => t.name));
  const gone = [...mine.keys()].filter((name) => !names.has(name));
  const replayed: string[] = [];
  const unrecorded: string[] = [];
  const notes: string[] = [];
  const signalFor = (name: string, extra: Partial<Extract<SimulatorSignal, { kind: 'replay' }>> = {}): SimulatorSignal | undefined => {
    const rec = mine.get(name);
    if (!rec) {
      unrecorded.push(name);
      return undefined;
    }
    replayed.push(name);
    return { kind: 'replay', tag: rec.path, ...extra };
  };
  const header = {
    apiVersion: 'plantbench/v1' as const,
    kind: 'Simulator' as const,
    id: options.id,
    name: `${device.name ?? device.id} (replay of recording ${options.recording}${options.recordingName ? `: ${options.recordingName}` : ''})`,
    description: `Replays recording ${options.recording} at the addresses of device ${device.id}. Written by plantbench recordings to-simulator.`,
    device: device.id,
    bind: options.bind ?? { host: '127.0.0.1', port: 0 },
    replay: { recording: options.recording, speed: options.speed ?? 1, loop: options.loop ?? true },
  };

  let profile: SimulatorFile;
  switch (device.protocol) {
    case 'modbus': {
      const points: ModbusProfile['points'] = [];
      const owner = new Map<string, { name: string; bits?: number }>();
      for (const tag of device.tags) {
        let offset: number;
        let width: number;
        try {
          offset = modbusAddress(tag.area, tag.address, device.addressBase).offset;
          width = isBitArea(tag.area) ? 1 : registerCount(tag);
        } catch (err) {
          notes.push(`Tag ${tag.name} is left out: ${(err as Error).message}.`);
          continue;
        }
        // Two tags over the same registers (a raw view of a value) cannot both be points; bits of one register can.
        const bit = tag.type === 'bit' ? 1 << (tag.bit ?? 0) : undefined;
        const clash = Array.from({ length: width }, (_, i) => owner.get(`${tag.area}:${offset + i}`)).find((o) => o && (bit === undefined || o.bits === undefined || (o.bits & bit) !== 0));
        if (clash) {
          notes.push(`Tag ${tag.name} is left out: it shares registers with ${clash.name}.`);
          continue;
        }
        for (let i = 0; i < width; i++) {
          const key = `${tag.area}:${offset + i}`;
          owner.set(key, { name: tag.name, ...(bit !== undefined ? { bits: (owner.get(key)?.bits ?? 0) | bit } : {}) });
        }
        const signal = signalFor(tag.name, tag.scale ? { scale: tag.scale } : {});
        const constant = tag.type === 'bool' || tag.type === 'bit' ? false : tag.type === 'string' ? '' : 0;
        points.push({
          name: tag.name,
          area: tag.area,
          address: offset,
          type: tag.type,
          order: tag.order,
          ...(tag.bit !== undefined ? { bit: tag.bit } : {}),
          ...(tag.length !== undefined ? { length: tag.length } : {}),
          ...(signal ? { signal } : { value: constant }),
          updateMs: 1000,
        });
      }
      profile = { ...header, protocol: 'modbus', unitId: device.unitId, points, blocks: [] };
      break;
    }
    case 'opcua': {
      const variables: OpcuaProfile['variables'] = [];
      const uris = new Set<string>();
      const namespaces = new Set<string>();
      for (const tag of device.tags) {
        // The simulator serves string ids in its one namespace: ns=<k>;s=<id> or nsu=<uri>;s=<id> keeps <id>.
        const m = /^(?:ns=(\d+)|nsu=([^;]+));s=(.+)$/s.exec(tag.nodeId);
        if (!m) {
          notes.push(`Tag ${tag.name} is left out: its node id ${tag.nodeId} is not a string id, which the simulator cannot serve.`);
          continue;
        }
        if (m[2] !== undefined) uris.add(m[2]);
        else namespaces.add(m[1]!);
        const id = m[3]!;
        const path = id.split('.').map((p) => p.replace(/\//g, '_') || '_').join('/');
        const rec = mine.get(tag.name);
        const signal = signalFor(tag.name);
        const dataType = OPCUA_TYPE[rec?.dataType ?? ''] ?? 'Double';
        variables.push({
          path,
          ...(path.split('/').join('.') !== id ? { nodeId: id } : {}),
          dataType,
          ...(tag.unit !== undefined ? { unit: tag.unit } : {}),
          writable: tag.writable,
          ...(signal ? { signal } : { value: dataType === 'Boolean' ? false : dataType === 'String' ? '' : 0 }),
          updateMs: 1000,
        });
      }
      if (uris.size > 1) notes.push(`The device uses ${uris.size} namespace URIs; the simulator serves one (${[...uris][0]}).`);
      const other = [...namespaces].filter((n) => n !== '1');
      if (other.length) notes.push(`The device addresses namespace index ${other.join(', ')}; the simulator serves its variables at ns=1. Write the device's node ids as nsu=<namespace URI>;s=… to run unchanged against both.`);
      const resourcePath = /^opc\.tcp:\/\/[^/]+(\/.*)?$/.exec(device.endpoint)?.[1] ?? '/';
      profile = { ...header, protocol: 'opcua', namespaceUri: [...uris][0] ?? 'urn:plantbench:simulator', resourcePath, variables };
      break;
    }
    case 'mqtt': {
      const topics = new Map<string, MqttProfile['topics'][number]>();
      for (const tag of device.tags) {
        const where = tag.payload.format === 'raw' ? 'value' : tag.payload.format === 'json' ? tag.payload.field : undefined;
        const why =
          /[+#]/.test(tag.topic) ? `its topic ${tag.topic} is a filter, not a topic a device publishes`
          : tag.payload.format === 'sparkplug' ? 'Sparkplug B payloads are not replayed'
          : where === undefined || where.includes('.') ? 'only top-level JSON fields are replayed'
          : undefined;
        if (why) {
          notes.push(`Tag ${tag.name} is left out: ${why}.`);
          continue;
        }
        const signal = signalFor(tag.name);
        if (!signal) continue;
        const topic = topics.get(tag.topic) ?? { topic: tag.topic, format: tag.payload.format === 'raw' ? ('raw' as const) : ('json' as const), intervalMs: 1000, retain: false, fields: {} };
        topic.fields![where!] = signal;
        topics.set(tag.topic, topic);
      }
      profile = { ...header, protocol: 'mqtt', topics: [...topics.values()] };
      break;
    }
  }
  if (gone.length) notes.push(`Recorded ${gone.length === 1 ? 'tag' : 'tags'} no longer on device ${device.id}, not replayed: ${gone.join(', ')}.`);
  if (unrecorded.length && device.protocol !== 'mqtt') notes.push(`Not in the recording, served as a constant: ${unrecorded.join(', ')}.`);
  return { profile, replayed, gone, unrecorded, notes };
}
