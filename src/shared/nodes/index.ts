// The registry of node kinds: one entry per kind. The pipeline schema, graph validation,
// the engine and the canvas all read from here.
import { changeDetectNode } from './change-detect.ts';
import { deadbandNode } from './deadband.ts';
import { expressionNode } from './expression.ts';
import { filterNode } from './filter.ts';
import { joinNode } from './join.ts';
import { logNode } from './log.ts';
import { modbusSinkNode } from './modbus-sink.ts';
import { modbusSourceNode } from './modbus-source.ts';
import { mqttSinkNode } from './mqtt-sink.ts';
import { mqttSourceNode } from './mqtt-source.ts';
import { opcuaSinkNode } from './opcua-sink.ts';
import { opcuaSourceNode } from './opcua-source.ts';
import { qualityFilterNode } from './quality-filter.ts';
import { rateLimitNode } from './rate-limit.ts';
import { scaleNode } from './scale.ts';
import { signalNode } from './signal.ts';
import { stateDurationNode } from './state-duration.ts';
import { unsTopicNode } from './uns-topic.ts';
import { windowNode } from './window.ts';
import type { NodeSpec } from './spec.ts';

export const NODE_SPECS = [
  signalNode,
  modbusSourceNode,
  opcuaSourceNode,
  mqttSourceNode,
  scaleNode,
  deadbandNode,
  filterNode,
  expressionNode,
  unsTopicNode,
  windowNode,
  joinNode,
  rateLimitNode,
  changeDetectNode,
  qualityFilterNode,
  stateDurationNode,
  logNode,
  mqttSinkNode,
  modbusSinkNode,
  opcuaSinkNode,
] as const;

export type NodeType = (typeof NODE_SPECS)[number]['type'];

export const NODE_SPEC_BY_TYPE: ReadonlyMap<string, NodeSpec> = new Map(NODE_SPECS.map((s) => [s.type, s as NodeSpec]));

export * from './spec.ts';
