import type { z } from 'zod';
import type { DeviceFile, Protocol } from '../model/device.ts';

/** What flows on a port. `any` is checked at run time; the rest are checked before a run. */
export type PortType = 'number' | 'boolean' | 'string' | 'object' | 'any';

/** An output declared `same` carries whatever type flows into the node. */
export type OutputType = PortType | 'same';

export type NodeCategory = 'source' | 'transform' | 'sink';

export interface PortContext {
  device(id: string): DeviceFile | undefined;
  /** True for a device whose file exists but is invalid: its problems are reported in that file. */
  deviceFileInvalid?(id: string): boolean;
}

export interface Ports {
  readonly inputs: Readonly<Record<string, PortType>>;
  readonly outputs: Readonly<Record<string, OutputType>>;
}

export interface NodeSpec<T extends string = string, C extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly title: string;
  readonly category: NodeCategory;
  readonly summary: string;
  readonly config: C;
  /** The protocol of the device this node reads or writes, for nodes bound to a device. */
  readonly protocol?: Protocol;
  ports(config: z.output<C>, ctx: PortContext): Ports;
}

/** Every node has this output port in addition to its declared ones. */
export const ERROR_PORT = 'error';

export function defineNode<T extends string, C extends z.ZodType>(spec: NodeSpec<T, C>): NodeSpec<T, C> {
  return spec;
}

export const TRANSFORM_PORTS: Ports = { inputs: { in: 'any' }, outputs: { out: 'same' } };
