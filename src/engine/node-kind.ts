import type { z } from 'zod';
import type { UnsHierarchy } from '../shared/model/project.ts';
import type { NodeSpec } from '../shared/nodes/spec.ts';
import type { DeviceFile } from '../shared/model/device.ts';
import type { Batch, Sample } from '../shared/sample.ts';
import type { Clock, Disposable } from './clock.ts';
import type { DeviceWriteGate } from './device-writes.ts';

export type StatusValue = string | number | boolean;

/** What a running node may do. Everything it starts through here is disposed when the run stops. */
export interface NodeContext {
  readonly nodeId: string;
  readonly pipelineId: string;
  readonly clock: Clock;
  readonly project: { readonly uns: UnsHierarchy; readonly topicTemplate?: string };
  /** Devices with secrets resolved; only nodes bound to a device use this. */
  device(id: string): DeviceFile | undefined;
  /** Every write to a device goes through this gate (mode, arming, interlocks, audit). */
  readonly writes: DeviceWriteGate;
  /**
   * Sends a batch on an output port. For a source, a batch is refused (and counted as dropped)
   * when a downstream queue with the block policy is full: check canEmit() to pace instead.
   */
  emit(port: string, batch: Batch): boolean;
  /** False while a downstream queue with the block policy is full. */
  canEmit(): boolean;
  /** Sends a sample to the error port with the reason, and counts an error. */
  fail(sample: Sample | undefined, message: string): void;
  /**
   * Publishes node-specific status into the node's stats (connection state, queue depth,
   * staleness, ...). Fields are merged; a field set to undefined is removed.
   */
  report(fields: Readonly<Record<string, StatusValue | undefined>>): void;
  setTimeout(fn: () => void, ms: number): Disposable;
  setInterval(fn: () => void, ms: number): Disposable;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface NodeEvaluator {
  /** Called once before any input. Sources start producing here. */
  start?(): void | Promise<void>;
  /**
   * Handles one batch from an input port. A returned promise keeps further input queued until it
   * settles, so a node sees its input in order.
   */
  process?(batch: Batch, port: string): void | Promise<void>;
  /** Called after upstream has drained: flush what is pending and release resources. */
  stop?(): void | Promise<void>;
}

/** The runtime half of a node kind; its schema and ports live in src/shared/nodes. */
export interface NodeKind<C = unknown> {
  readonly type: string;
  create(config: C, ctx: NodeContext): NodeEvaluator;
}

export type NodeKindRegistry = ReadonlyMap<string, NodeKind<never>>;

/** Pairs a node kind's schema (from src/shared/nodes) with its evaluator; the config type follows the schema. */
export function defineKind<T extends string, C extends z.ZodType>(
  spec: NodeSpec<T, C>,
  create: (config: z.output<C>, ctx: NodeContext) => NodeEvaluator,
): NodeKind<z.output<C>> {
  return { type: spec.type, create };
}
