import { z } from 'zod';
import { apiVersion, engineeringRange, id, secretRef, secretString } from './common.ts';

const tagName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'tag names use letters, digits, "_", "-", "." and "/"');

// ---------- interlocks ----------

/** A value an interlock may allow: the tag's own kind (number, text or on/off). */
const allowedValue = z.union([z.number(), z.string(), z.boolean()]);

/**
 * Per-tag limits every write must pass, whatever the mode (docs/live-safety.md). Numbers are the
 * tag's engineering values (after scaling). A writable tag without an interlock can still be
 * written once armed; the arming confirmation says so.
 */
export const interlock = z
  .object({
    min: z.number().optional(),
    max: z.number().optional(),
    /** Largest change per second against the last value this run wrote to the tag. */
    maxRatePerSecond: z.number().optional(),
    /** Only these values may be written. */
    allowed: z.array(allowedValue).optional(),
    /** Read the tag after each write and compare (numbers within the tolerance); delayMs lets a PLC scan first. */
    readBack: z
      .union([
        z.boolean(),
        z
          .object({
            tolerance: z.number().nonnegative().default(0),
            delayMs: z.number().int().min(0).max(10_000).default(0),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict()
  .superRefine((lock, ctx) => {
    if (lock.min !== undefined && lock.max !== undefined && lock.min > lock.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${lock.max}) is below min (${lock.min})` });
    }
    if (lock.maxRatePerSecond !== undefined && !(lock.maxRatePerSecond > 0)) {
      ctx.addIssue({ code: 'custom', path: ['maxRatePerSecond'], message: `maxRatePerSecond must be above 0 (got ${lock.maxRatePerSecond})` });
    }
    if (lock.allowed?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['allowed'], message: 'allowed needs at least one value (leave it out to allow any value)' });
    }
    lock.allowed?.forEach((v, i) => {
      if (typeof v === 'number' && ((lock.min !== undefined && v < lock.min) || (lock.max !== undefined && v > lock.max))) {
        ctx.addIssue({ code: 'custom', path: ['allowed', i], message: `allowed value ${v} is outside min..max, so it could never be written` });
      }
    });
  });
export type Interlock = z.infer<typeof interlock>;

/** Interlock settings a Modbus tag of this type cannot use (numbers on a bit, text on a number, ...). */
function checkModbusInterlock(tag: { type: string; interlock?: Interlock }, ctx: z.RefinementCtx): void {
  const lock = tag.interlock;
  if (!lock) return;
  const kind = tag.type === 'bool' || tag.type === 'bit' ? 'boolean' : tag.type === 'string' ? 'string' : 'number';
  if (kind !== 'number') {
    for (const field of ['min', 'max', 'maxRatePerSecond'] as const) {
      if (lock[field] !== undefined) ctx.addIssue({ code: 'custom', path: ['interlock', field], message: `${field} needs a numeric tag; this one is ${tag.type}` });
    }
  }
  lock.allowed?.forEach((v, i) => {
    if (typeof v !== kind) ctx.addIssue({ code: 'custom', path: ['interlock', 'allowed', i], message: `${JSON.stringify(v)} is not a ${kind}, as the ${tag.type} tag holds` });
  });
}

// ---------- Modbus ----------

export const MODBUS_TYPES = [
  'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'bool', 'bit', 'string',
] as const;
export const MODBUS_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export const MODBUS_AREAS = ['coil', 'discrete-input', 'holding', 'input'] as const;

export const modbusTag = z
  .object({
    name: tagName,
    area: z.enum(MODBUS_AREAS),
    /** Address in the device's addressBase (0 or 1). */
    address: z.number().int().min(0).max(65536),
    type: z.enum(MODBUS_TYPES).default('uint16'),
    /** Byte and word order of 32/64-bit values. */
    order: z.enum(MODBUS_ORDERS).default('ABCD'),
    /** Bit number (0-15) for type "bit". */
    bit: z.number().int().min(0).max(15).optional(),
    /** Register count for type "string". */
    length: z.number().int().min(1).max(125).optional(),
    scale: z.object({ factor: z.number().default(1), offset: z.number().default(0) }).strict().optional(),
    unit: z.string().optional(),
    range: engineeringRange.optional(),
    pollGroup: z.string().optional(),
    writable: z.boolean().default(false),
    interlock: interlock.optional(),
  })
  .strict()
  .superRefine((tag, ctx) => {
    checkModbusInterlock(tag, ctx);
    const bitAreas = tag.area === 'coil' || tag.area === 'discrete-input';
    if (bitAreas && tag.type !== 'bool') {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `a ${tag.area} holds one bit: type must be bool` });
    }
    if (tag.type === 'bit' && tag.bit === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bit'], message: 'type "bit" needs a bit number (0-15)' });
    }
    if (tag.type === 'string' && tag.length === undefined) {
      ctx.addIssue({ code: 'custom', path: ['length'], message: 'type "string" needs a length in registers' });
    }
  });
export type ModbusTag = z.infer<typeof modbusTag>;

const modbusTcp = z
  .object({ kind: z.literal('tcp'), host: z.string().min(1), port: z.number().int().min(1).max(65535).default(502) })
  .strict();
const modbusRtu = z
  .object({
    kind: z.literal('rtu'),
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('even'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

const modbusDevice = z
  .object({
    protocol: z.literal('modbus'),
    transport: z.discriminatedUnion('kind', [modbusTcp, modbusRtu]),
    unitId: z.number().int().min(0).max(255).default(1),
    addressBase: z.union([z.literal(0), z.literal(1)]).default(0),
    timeoutMs: z.number().int().positive().default(1000),
    retries: z.number().int().min(0).max(10).default(1),
    pollGroups: z
      .array(
        z
          .object({
            id,
            intervalMs: z.number().int().min(10),
            /** Unused registers that may be read to merge two requests into one. */
            maxGap: z.number().int().min(0).max(124).default(10),
          })
          .strict(),
      )
      .default([]),
    tags: z.array(modbusTag).default([]),
  })
  .strict();

// ---------- OPC UA ----------

export const opcuaTag = z
  .object({
    name: tagName,
    /** ns=2;s=Capper.Speed or nsu=<uri>;s=... */
    nodeId: z.string().regex(/^(ns=\d+|nsu=[^;]+);[isgb]=.+|^[isgb]=.+/, 'nodeId must look like ns=2;s=Name, nsu=<uri>;i=1001 or i=85'),
    samplingIntervalMs: z.number().min(0).optional(),
    queueSize: z.number().int().min(1).optional(),
    deadband: z.object({ type: z.enum(['absolute', 'percent']), value: z.number().nonnegative() }).strict().optional(),
    unit: z.string().optional(),
    writable: z.boolean().default(false),
    interlock: interlock.optional(),
  })
  .strict();
export type OpcuaTag = z.infer<typeof opcuaTag>;

const opcuaDevice = z
  .object({
    protocol: z.literal('opcua'),
    endpoint: z.string().regex(/^opc\.tcp:\/\/.+/, 'endpoint must be an opc.tcp:// URL'),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    securityPolicy: z
      .enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'])
      .default('None'),
    auth: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('anonymous') }).strict(),
        z.object({ kind: z.literal('username'), username: secretString, password: secretRef }).strict(),
      ])
      .default({ kind: 'anonymous' }),
    publishingIntervalMs: z.number().int().min(10).default(500),
    samplingIntervalMs: z.number().min(0).default(250),
    tags: z.array(opcuaTag).default([]),
  })
  .strict();

function checkOpcuaSecurity(d: { securityMode: string; securityPolicy: string }, ctx: z.RefinementCtx): void {
    if ((d.securityMode === 'None') !== (d.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: 'securityMode None goes with securityPolicy None, and Sign/SignAndEncrypt need a real policy',
      });
    }
}

// ---------- MQTT ----------

export const mqttTag = z
  .object({
    name: tagName,
    /** Topic filter; + and # allowed. */
    topic: z.string().min(1),
    payload: z
      .discriminatedUnion('format', [
        z.object({ format: z.literal('json'), field: z.string().optional() }).strict(),
        z.object({ format: z.literal('raw') }).strict(),
        z.object({ format: z.literal('sparkplug'), metric: z.string().optional() }).strict(),
      ])
      .default({ format: 'json' }),
    unit: z.string().optional(),
  })
  .strict();
export type MqttTag = z.infer<typeof mqttTag>;

/** TLS of an MQTT connection: PEM file paths and whether the broker's certificate is checked. */
export const mqttTls = z
  .object({
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict();

const mqttDevice = z
  .object({
    protocol: z.literal('mqtt'),
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'url must be mqtt://, mqtts://, ws:// or wss://'),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    clientId: z.string().optional(),
    username: secretString.optional(),
    password: secretRef.optional(),
    tls: mqttTls.optional(),
    tags: z.array(mqttTag).default([]),
  })
  .strict();

// ---------- file ----------

const deviceHeader = {
  apiVersion,
  kind: z.literal('Device'),
  id,
  name: z.string().min(1).optional(),
  description: z.string().optional(),
};

// The header comes first so a saved file starts with apiVersion, kind, id.
export const deviceFile = z.discriminatedUnion('protocol', [
  z.object({ ...deviceHeader, ...modbusDevice.shape }).strict(),
  z.object({ ...deviceHeader, ...opcuaDevice.shape }).strict().superRefine(checkOpcuaSecurity),
  z.object({ ...deviceHeader, ...mqttDevice.shape }).strict(),
]);
export type DeviceFile = z.infer<typeof deviceFile>;
export type Protocol = DeviceFile['protocol'];

