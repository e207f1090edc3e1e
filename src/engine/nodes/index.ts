// Runtime registry of the node kinds the engine itself evaluates. Device-bound sources and sinks
// come from src/connectors and are added by whoever composes a run (host, CLI, gateway).
import type { NodeKind, NodeKindRegistry } from '../node-kind.ts';
import { changeDetectKind } from './change-detect.ts';
import { deadbandKind } from './deadband.ts';
import { expressionKind } from './expression.ts';
import { filterKind } from './filter.ts';
import { joinKind } from './join.ts';
import { logKind } from './log.ts';
import { qualityFilterKind } from './quality-filter.ts';
import { rateLimitKind } from './rate-limit.ts';
import { scaleKind } from './scale.ts';
import { signalKind } from './signal.ts';
import { stateDurationKind } from './state-duration.ts';
import { unsTopicKind } from './uns-topic.ts';
import { windowKind } from './window.ts';

export const ENGINE_KINDS: readonly NodeKind<never>[] = [
  signalKind,
  scaleKind,
  filterKind,
  expressionKind,
  unsTopicKind,
  logKind,
  deadbandKind,
  windowKind,
  joinKind,
  rateLimitKind,
  changeDetectKind,
  qualityFilterKind,
  stateDurationKind,
] as NodeKind<never>[];

export function kindRegistry(...sets: readonly (readonly NodeKind<never>[])[]): NodeKindRegistry {
  const map = new Map<string, NodeKind<never>>();
  for (const set of sets) for (const kind of set) map.set(kind.type, kind);
  return map;
}
