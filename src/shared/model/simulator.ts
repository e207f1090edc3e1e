import { z } from 'zod';
import { signalShape } from '../signals.ts';
import { apiVersion, engineeringRange, id } from './common.ts';
import { MODBUS_AREAS, MODBUS_ORDERS, MODBUS_TYPES } from './device.ts';

/**
 * Replays one recorded tag ("device/tag" as recorded) of the profile's `replay` recording: its values
 * at their recorded times. Modbus values were recorded in engineering units: `scale` (the device
 * tag's) turns them back into raw register values.
 */
export const replaySignal = z
  .object({
    kind: z.literal('replay'),
    tag: z.string().min(1),
    scale: z.object({ factor: z.number(), offset: z.number().default(0) }).strict().optional(),
  })
  .strict();
export type ReplaySignal = z.infer<typeof replaySignal>;

/** What drives a simulated value: a signal generator or a recorded tag. */
export const simulatorSignal = z.discriminatedUnion('kind', [...signalShape.options, replaySignal]);
export type SimulatorSignal = z.infer<typeof simulatorSignal>;

/** A simulated point is driven by a signal or holds a constant (writable points keep what is written). */
const drive = {
  signal: simulatorSignal.optional(),
  value: z.union([z.number(), z.string(), z.boolean()]).optional(),
  updateMs: z.number().int().min(10).default(1000),
};

const bind = z
  .object({
    host: z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$|^localhost$|^0\.0\.0\.0$/, 'bind a 127.x address, localhost or 0.0.0.0').default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

const modbusPoint = z
  .object({
    name: z.string().min(1),
    area: z.enum(MODBUS_AREAS),
    address: z.number().int().min(0).max(65535),
    type: z.enum(MODBUS_TYPES).default('uint16'),
    order: z.enum(MODBUS_ORDERS).default('ABCD'),
    bit: z.number().int().min(0).max(15).optional(),
    length: z.number().int().min(1).max(125).optional(),
    ...drive,
  })
  .strict();

/**
 * Raw registers (or bits) with their values, mapped as they are: what a discovery snapshot writes.
 * More compact than one point per register; clients may read them and write the holding registers
 * and coils among them, like constant points.
 */
const modbusBlock = z
  .object({
    area: z.enum(MODBUS_AREAS),
    /** Wire offset of the first value. */
    address: z.number().int().min(0).max(65535),
    /** 16-bit registers as 0-65535; coils and discrete inputs as 0 or 1. */
    values: z.array(z.number().int().min(0).max(65535)).min(1),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.address + b.values.length > 65536) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `${b.values.length} values from address ${b.address} run past 65535` });
    }
    if ((b.area === 'coil' || b.area === 'discrete-input') && b.values.some((v) => v > 1)) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `a ${b.area} holds one bit: values must be 0 or 1` });
    }
  });

const opcuaVariable = z
  .object({
    /** Browse path below the Objects folder, e.g. Capper/Speed (folders are created). */
    path: z.string().min(1).regex(/^[^/]+(\/[^/]+)*$/, 'a path is folder/…/name, without empty parts'),
    /** String identifier in the simulator's namespace; defaults to the path with "/" as ".". */
    nodeId: z.string().min(1).optional(),
    dataType: z.enum(['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime']),
    unit: z.string().optional(),
    range: engineeringRange.optional(),
    writable: z.boolean().default(false),
    ...drive,
  })
  .strict();

const mqttTopic = z
  .object({
    topic: z.string().min(1).regex(/^[^#+]+$/, 'a published topic may not contain wildcards'),
    /** How `fields` are published (json when not set); a fixed payload goes out as it is. */
    format: z.enum(['json', 'raw']).optional(),
    /** Publishing period; a fixed payload is also published once when the simulator starts. */
    intervalMs: z.number().int().min(10).default(1000),
    retain: z.boolean().default(false),
    /** JSON field -> signal; for raw, one field named "value". */
    fields: z.record(z.string(), simulatorSignal).optional(),
    /** A fixed payload published as it is (UTF-8 text: JSON or plain), e.g. from a discovery snapshot. */
    payload: z.string().optional(),
    /** A fixed binary payload (Sparkplug B, anything not text), base64. */
    payloadBase64: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'payloadBase64 must be base64')
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const given = (['fields', 'payload', 'payloadBase64'] as const).filter((k) => t[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [given[1] ?? 'fields'], message: `a topic has exactly one of fields, payload or payloadBase64${given.length ? ` (not ${given.join(' and ')})` : ''}` });
    }
  });

const header = {
  apiVersion,
  kind: z.literal('Simulator'),
  id,
  name: z.string().optional(),
  description: z.string().optional(),
  /** The device this simulator stands in for: `run --simulate` points that device at it. */
  device: id.optional(),
  bind: bind.default({ host: '127.0.0.1', port: 0 }),
  /** The recording (workspace DB) that `replay` signals play, how fast, and whether it starts over at the end. */
  replay: z
    .object({
      recording: z.number().int().positive(),
      /** 1 = the recorded timing; 10 = ten times faster. */
      speed: z.number().positive().max(1000).default(1),
      loop: z.boolean().default(true),
    })
    .strict()
    .optional(),
};

/** The replay signals of a profile with where they sit, so a profile without `replay` can name them. */
export function replaySignals(profile: { protocol: string; points?: readonly { signal?: SimulatorSignal }[]; variables?: readonly { signal?: SimulatorSignal }[]; topics?: readonly { fields?: Record<string, SimulatorSignal> }[] }): { path: (string | number)[]; signal: ReplaySignal }[] {
  const found: { path: (string | number)[]; signal: ReplaySignal }[] = [];
  profile.points?.forEach((p, i) => p.signal?.kind === 'replay' && found.push({ path: ['points', i, 'signal'], signal: p.signal }));
  profile.variables?.forEach((v, i) => v.signal?.kind === 'replay' && found.push({ path: ['variables', i, 'signal'], signal: v.signal }));
  profile.topics?.forEach((t, i) => {
    for (const [name, f] of Object.entries(t.fields ?? {})) if (f.kind === 'replay') found.push({ path: ['topics', i, 'fields', name], signal: f });
  });
  return found;
}

export const simulatorFile = z.discriminatedUnion('protocol', [
  z.object({ ...header, protocol: z.literal('modbus'), unitId: z.number().int().min(0).max(255).default(1), points: z.array(modbusPoint).default([]), blocks: z.array(modbusBlock).default([]) }).strict(),
  z
    .object({
      ...header,
      protocol: z.literal('opcua'),
      namespaceUri: z.string().default('urn:plantbench:simulator'),
      /** Endpoint path: opc.tcp://host:port/<resourcePath>. */
      resourcePath: z.string().default('/plantbench'),
      variables: z.array(opcuaVariable),
      /** Adds a PackML-like state machine (State, Command) under this folder. */
      packml: z.object({ folder: z.string().min(1) }).strict().optional(),
    })
    .strict(),
  /** An in-process broker; with topics it also publishes them, like a device that speaks MQTT. */
  z.object({ ...header, protocol: z.literal('mqtt'), topics: z.array(mqttTopic).default([]) }).strict(),
]).superRefine((profile, ctx) => {
  if (profile.replay) return;
  const first = replaySignals(profile)[0];
  if (first) ctx.addIssue({ code: 'custom', path: first.path, message: 'a replay signal plays the profile\'s recording: add replay: { recording: <id> } at the top' });
});
export type SimulatorFile = z.infer<typeof simulatorFile>;
