// The modbus-source and modbus-sink node kinds, over the shared pollers and connections.
import type { Clock } from '../../engine/clock.ts';
import { defineKind, type NodeContext, type NodeKind } from '../../engine/node-kind.ts';
import { describeRange, encodeRegisters, maxWriteCount, modbusAddress, removeScale } from '../../shared/codec/modbus.ts';
import type { ModbusTag } from '../../shared/model/device.ts';
import { modbusSinkNode } from '../../shared/nodes/modbus-sink.ts';
import { modbusSourceNode } from '../../shared/nodes/modbus-source.ts';
import type { Sample } from '../../shared/sample.ts';
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

export function createSinkKind(runtime: ModbusRuntime) {
  return defineKind(modbusSinkNode, (config, ctx) => {
    let target: SinkTarget | undefined;
    let writes = 0;
    let writeErrors = 0;
    let lastError: string | undefined;
    const report = (): void => {
      if (!target) return;
      ctx.report({ connection: target.session.state, queueDepth: target.session.queueDepth, writes, writeErrors, lastError });
    };
    const fail = (sample: Sample, message: string): void => {
      writeErrors++;
      lastError = message;
      ctx.fail(sample, message);
    };

    async function write(t: SinkTarget, sample: Sample): Promise<void> {
      const { device, tag, offset, options, session } = t;
      const name = `${device.id}/${tag.name}`;
      if (tag.area === 'input' || tag.area === 'discrete-input') {
        return fail(sample, `${name}: ${describeRange(tag.area, offset)} is read-only; only coils and holding registers can be written`);
      }
      if (sample.quality === 'bad') return fail(sample, `${name}: not written, the sample's quality is bad`);
      let job: () => Promise<void>;
      try {
        if (tag.area === 'coil') {
          const [bit] = encodeRegisters(sample.value, { type: 'bool' });
          job = () => session.writeCoils(device.unitId, offset, [bit === 1], options);
        } else if (tag.type === 'bit') {
          const [reg] = encodeRegisters(sample.value, tag);
          job = () => session.writeRegisterBit(device.unitId, offset, tag.bit!, reg !== 0, options);
        } else {
          const registers = encodeRegisters(removeScale(sample.value, tag.scale, tag.type), tag);
          if (registers.length > maxWriteCount('holding')) {
            return fail(sample, `${name}: ${registers.length} registers are more than one write request takes (${maxWriteCount('holding')})`);
          }
          job = () => session.writeRegisters(device.unitId, offset, registers, options);
        }
      } catch (err) {
        return fail(sample, `${name}: ${errorText(err)}`);
      }
      try {
        await job();
        writes++;
      } catch (err) {
        const text = err instanceof ModbusRequestError ? err.status.text : errorText(err);
        fail(sample, `${name}: ${text} (writing ${describeRange(tag.area, offset)} of unit ${device.unitId} at ${session.endpoint})`);
      }
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
          if (!t) ctx.fail(sample, `modbus-sink did not start`);
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
