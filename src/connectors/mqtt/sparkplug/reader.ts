// The consuming side of Sparkplug B: decodes births, data and deaths, learning each edge node's
// metric aliases and datatypes from its births so that alias-only DATA messages can be named.
import type { Quality, Value } from '../../../shared/sample.ts';
import { decodeSparkplug, type SpMetric } from './codec.ts';
import { BDSEQ, type SpTopic } from './topic.ts';

export interface SpValue {
  readonly name: string;
  readonly value: Value;
  readonly ts: number;
  readonly quality: Quality;
}

export type SpEvent =
  /** Values from a birth or a data message; `unresolved` counts metrics whose alias no birth named. */
  | { readonly kind: 'values'; readonly values: readonly SpValue[]; readonly unresolved: number }
  /** An edge node (with all its devices) or one device went offline: its metrics' last values. */
  | { readonly kind: 'death'; readonly scopes: readonly DeadScope[]; readonly ts: number }
  | { readonly kind: 'none' };

export interface DeadScope {
  /** undefined: the edge node's own metrics. */
  readonly device?: string;
  readonly last: ReadonlyMap<string, Value>;
}

interface MetricInfo {
  readonly name: string;
  readonly datatype?: number;
}

interface EdgeNodeState {
  bdSeq?: number;
  /** Aliases are unique across an edge node and its devices. */
  readonly aliases: Map<number, MetricInfo>;
  readonly types: Map<string, number>;
  /** Last value of each metric per device ('' is the node itself), for marking them bad on a death. */
  readonly scopes: Map<string, Map<string, Value>>;
}

/** Node Control/…, Properties/… and bdSeq describe the edge node, not the process. */
export function isControlMetric(name: string): boolean {
  return name === BDSEQ || name.startsWith('Node Control/') || name.startsWith('Device Control/');
}

export class SparkplugReader {
  private readonly nodes = new Map<string, EdgeNodeState>();

  /** Edge nodes whose births were seen (for status). */
  get knownEdgeNodes(): number {
    return this.nodes.size;
  }

  /** Throws SparkplugDecodeError for a payload that is not Sparkplug B. */
  read(topic: SpTopic, payload: Uint8Array, receivedAt: number): SpEvent {
    const key = `${topic.group}/${topic.edgeNode}`;
    switch (topic.type) {
      case 'NCMD':
      case 'DCMD':
        return { kind: 'none' };
      case 'NBIRTH': {
        const p = decodeSparkplug(payload);
        // A new session: aliases of the previous one are void.
        const state: EdgeNodeState = { aliases: new Map(), types: new Map(), scopes: new Map() };
        this.nodes.set(key, state);
        const bd = p.metrics.find((m) => m.name === BDSEQ)?.value;
        if (typeof bd === 'number') state.bdSeq = bd;
        return this.birth(state, '', p.metrics, p.timestamp ?? receivedAt);
      }
      case 'DBIRTH': {
        const p = decodeSparkplug(payload);
        const state = this.stateFor(key);
        return this.birth(state, topic.device!, p.metrics, p.timestamp ?? receivedAt);
      }
      case 'NDATA':
      case 'DDATA': {
        const state = this.nodes.get(key);
        const p = decodeSparkplug(payload, (name, alias) => {
          if (!state) return undefined;
          if (name !== undefined) return state.types.get(name);
          return alias !== undefined ? state.aliases.get(alias)?.datatype : undefined;
        });
        const fallbackTs = p.timestamp ?? receivedAt;
        const values: SpValue[] = [];
        const last = state?.scopes.get(topic.device ?? '');
        let unresolved = 0;
        for (const m of p.metrics) {
          const name = m.name ?? (m.alias !== undefined ? state?.aliases.get(m.alias)?.name : undefined);
          if (name === undefined) {
            unresolved++;
            continue;
          }
          last?.set(name, m.value);
          values.push(toValue(name, m, fallbackTs));
        }
        return { kind: 'values', values, unresolved };
      }
      case 'NDEATH': {
        const state = this.nodes.get(key);
        if (!state) return { kind: 'none' };
        const p = decodeSparkplug(payload);
        const bd = p.metrics.find((m) => m.name === BDSEQ)?.value;
        // A death whose bdSeq is not the current birth's belongs to an older session.
        if (state.bdSeq !== undefined && typeof bd === 'number' && bd !== state.bdSeq) return { kind: 'none' };
        this.nodes.delete(key);
        const scopes = [...state.scopes].map(([device, last]) => ({ ...(device ? { device } : {}), last }));
        return { kind: 'death', scopes, ts: p.timestamp ?? receivedAt };
      }
      case 'DDEATH': {
        const state = this.nodes.get(key);
        const last = state?.scopes.get(topic.device!);
        if (!state || !last) return { kind: 'none' };
        state.scopes.delete(topic.device!);
        const p = decodeSparkplug(payload);
        return { kind: 'death', scopes: [{ device: topic.device!, last }], ts: p.timestamp ?? receivedAt };
      }
    }
  }

  private stateFor(key: string): EdgeNodeState {
    let state = this.nodes.get(key);
    if (!state) {
      // A DBIRTH without the NBIRTH seen (we subscribed in between): learn from it anyway.
      state = { aliases: new Map(), types: new Map(), scopes: new Map() };
      this.nodes.set(key, state);
    }
    return state;
  }

  private birth(state: EdgeNodeState, device: string, metrics: readonly SpMetric[], fallbackTs: number): SpEvent {
    const last = new Map<string, Value>();
    state.scopes.set(device, last);
    const values: SpValue[] = [];
    let unresolved = 0;
    for (const m of metrics) {
      if (m.name === undefined) {
        unresolved++;
        continue;
      }
      last.set(m.name, m.value);
      if (m.datatype !== undefined) state.types.set(m.name, m.datatype);
      if (m.alias !== undefined) state.aliases.set(m.alias, { name: m.name, ...(m.datatype !== undefined ? { datatype: m.datatype } : {}) });
      values.push(toValue(m.name, m, fallbackTs));
    }
    return { kind: 'values', values, unresolved };
  }
}

function toValue(name: string, m: SpMetric, fallbackTs: number): SpValue {
  return { name, value: m.value, ts: m.timestamp ?? fallbackTs, quality: m.quality ?? 'good' };
}
