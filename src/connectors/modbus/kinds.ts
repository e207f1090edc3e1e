// The modbus-source and modbus-sink node kinds, over the shared pollers and connections. The sink
// writes through the run's device-write gate (mode, arming, interlocks, audit).
import type { Clock } from '../../engine/clock.ts';
import { defineKind, type NodeContext, type NodeKind } from '../../engine/node-kind.ts';
import {
  applyScale,
  decodeRegisters,
  describeRange,
  encodeRegisters,
  isBitArea,
  maxWriteCount,
  modbusAddress,
  registerCount,
  removeScale,
} from '../../shared/codec/modbus.ts';
import type { DeviceReadResult } from '../../engine/device-writes.ts';
import type { ModbusTag } from '../../shared/model/device.ts';
import { modbusSinkNode } from '../../shared/nodes/modbus-sink.ts';
import { modbusSourceNode } from '../../shared/nodes/modbus-source.ts';
import type { Sample, Value } from '../../shared/sample.ts';
import { sinkWriter } from '../sink-writes.ts';
import type { ModbusSession, RequestOptions } from './connection.ts';
import { errorText, ModbusRequestError } from './errors.ts';
import type { DevicePoller } from './poller.ts';
import type { ModbusDevice } from './transport.ts';

/** What the kinds need from the connector: shared pollers and sessions. */
export interface ModbusRuntime {
  poller(device: ModbusDevice, clock: Clock): DevicePoller;
  session(device: ModbusDevice): ModbusSession;
}

function modbusDevice(ctx: NodeContext, id: string): ModbusDevice {
  const device = ctx.device(id);
  if (!device) throw new Error(`device "${id}" is not in the project`);
  if (device.protocol !== 'modbus') throw new Error(`device "${id}" speaks ${device.protocol}, not Modbus`);
  return device;
}

export function createSourceKind(runtime: ModbusRuntime) {
  return defineKind(modbusSourceNode, (config, ctx) => {
    let subscription: { dispose(): void } | undefined;
    return {
      start() {
        const device = modbusDevice(ctx, config.device);
        const tags = config.tags.length > 0 ? config.tags : device.tags.map((t) => t.name);
        if (tags.length === 0) throw new Error(`device "${device.id}" has no tags to read`);
        subscription = runtime.poller(device, ctx.clock).subscribe({
          tags,
          canEmit: () => ctx.canEmit(),
          deliver: (batch) => {
            ctx.emit('out', batch);
          },
          report: (fields) => ctx.report(fields),
          problem: (message) => ctx.fail(undefined, message),
        });
      },
      stop() {
        subscription?.dispose();
        subscription = undefined;
      },
    };
  });
}

interface SinkTarget {
  readonly device: ModbusDevice;
  readonly tag: ModbusTag;
  readonly offset: number;
  readonly options: RequestOptions;
  readonly session: ModbusSession;
}

/** The request that writes `value` to the tag, or why it cannot be written. */
function writeJob(t: SinkTarget, value: Value): { job: () => Promise<void> } | { refused: string } {
  const { device, tag, offset, options, session } = t;
  if (tag.area === 'input' || tag.area === 'discrete-input') {
    return { refused: `${describeRange(tag.area, offset)} is read-only; only coils and holding registers can be written` };
  }
  try {
    if (tag.area === 'coil') {
      const [bit] = encodeRegisters(value, { type: 'bool' });
      return { job: () => session.writeCoils(device.unitId, offset, [bit === 1], options) };
    }
    if (tag.type === 'bit') {
      const [reg] = encodeRegisters(value, tag);
      return { job: () => session.writeRegisterBit(device.unitId, offset, tag.bit!, reg !== 0, options) };
    }
    const registers = encodeRegisters(removeScale(value, tag.scale, tag.type), tag);
    if (registers.length > maxWriteCount('holding')) {
      return { refused: `${registers.length} registers are more than one write request takes (${maxWriteCount('holding')})` };
    }
    return { job: () => session.writeRegisters(device.unitId, offset, registers, options) };
  } catch (err) {
    return { refused: errorText(err) };
  }
}

/** Reads the tag's value as a source would (old value and read-back of a write). */
async function readTag(t: SinkTarget): Promise<DeviceReadResult> {
  const { device, tag, offset, options, session } = t;
  try {
    if (isBitArea(tag.area)) {
      const [bit] = await session.readBits(device.unitId, tag.area as 'coil' | 'discrete-input', offset, 1, options);
      return { ok: true, value: Boolean(bit) };
    }
    const registers = await session.readRegisters(device.unitId, tag.area as 'holding' | 'input', offset, registerCount(tag), options);
    return { ok: true, value: applyScale(decodeRegisters(registers, tag), tag.scale) };
  } catch (err) {
    return { ok: false, status: requestText(t, err, 'reading') };
  }
}

const requestText = (t: SinkTarget, err: unknown, doing: string): string =>
  err instanceof ModbusRequestError
    ? `${err.status.text} (${doing} ${describeRange(t.tag.area, t.offset)} of unit ${t.device.unitId} at ${t.session.endpoint})`
    : `${errorText(err)} (${doing} ${describeRange(t.tag.area, t.offset)} of unit ${t.device.unitId} at ${t.session.endpoint})`;

export function createSinkKind(runtime: ModbusRuntime) {
  return defineKind(modbusSinkNode, (config, ctx) => {
    let target: SinkTarget | undefined;
    const writer = sinkWriter(ctx, config.device, config.tag);
    const report = (): void => {
      if (!target) return;
      ctx.report({
        connection: target.session.state,
        queueDepth: target.session.queueDepth,
        reconnects: target.session.reconnects,
        writes: writer.written,
        writeErrors: writer.errors,
        lastError: writer.lastError,
        ...writer.status(),
      });
    };

    async function write(t: SinkTarget, sample: Sample): Promise<void> {
      const name = `${t.device.id}/${t.tag.name}`;
      if (sample.quality === 'bad') return writer.fail(sample, `${name}: not written, the sample's quality is bad`);
      const prepared = writeJob(t, sample.value);
      await writer.write(sample, sample.value, {
        check: async () => ('refused' in prepared ? { ok: false, status: prepared.refused } : { ok: true, status: 'ok' }),
        read: () => readTag(t),
        write: async () => {
          if ('refused' in prepared) return { ok: false, status: prepared.refused };
          try {
            await prepared.job();
            return { ok: true, status: 'ok' };
          } catch (err) {
            return { ok: false, status: requestText(t, err, 'writing') };
          }
        },
      });
    }

    return {
      start() {
        const device = modbusDevice(ctx, config.device);
        const tag = device.tags.find((t) => t.name === config.tag);
        if (!tag) throw new Error(`device "${device.id}" has no tag "${config.tag}"`);
        const { offset } = modbusAddress(tag.area, tag.address, device.addressBase);
        const session = runtime.session(device);
        target = { device, tag, offset, options: { timeoutMs: device.timeoutMs, retries: device.retries }, session };
        session.onDidChangeState(report);
        if (tag.area === 'input' || tag.area === 'discrete-input') {
          ctx.log('warn', `${device.id}/${tag.name}: ${describeRange(tag.area, offset)} is read-only; samples sent here go to the error port`);
        }
        report();
      },
      async process(batch) {
        const t = target;
        for (const sample of batch) {
          if (!t) writer.fail(sample, `modbus-sink did not start`);
          else await write(t, sample);
        }
        report();
      },
      async stop() {
        const t = target;
        target = undefined;
        await t?.session.close();
      },
    };
  });
}

export function modbusKinds(runtime: ModbusRuntime): NodeKind<never>[] {
  return [createSourceKind(runtime), createSinkKind(runtime)] as NodeKind<never>[];
}
