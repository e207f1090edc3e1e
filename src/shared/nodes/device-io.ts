import { z } from 'zod';
import { id } from '../model/common.ts';
import type { DeviceFile } from '../model/device.ts';
import type { PortContext, PortType } from './spec.ts';

/** Config fields every device-bound node has. References are checked by graph validation. */
export const deviceRef = { device: id };

/** Tag names to read; empty means every tag of the device. */
export const tagList = z.array(z.string().min(1)).default([]);

function tagType(device: DeviceFile, tagName: string): PortType {
  if (device.protocol !== 'modbus') return 'any';
  const tag = device.tags.find((t) => t.name === tagName);
  if (!tag) return 'any';
  if (tag.type === 'bool' || tag.type === 'bit') return 'boolean';
  if (tag.type === 'string') return 'string';
  return 'number';
}

/** The type a source emits: the common type of its tags, or `any` when they differ. */
export function sourceOutputType(ctx: PortContext, deviceId: string, tags: readonly string[]): PortType {
  const device = ctx.device(deviceId);
  if (!device) return 'any';
  const names = tags.length > 0 ? tags : device.tags.map((t) => t.name);
  const types = new Set(names.map((name) => tagType(device, name)));
  return types.size === 1 ? [...types][0]! : 'any';
}

/** The type a sink accepts for one tag. */
export function sinkInputType(ctx: PortContext, deviceId: string, tag: string): PortType {
  const device = ctx.device(deviceId);
  return device ? tagType(device, tag) : 'any';
}
