// Sparkplug B payloads seen during a topic capture, decoded into JSON-safe metrics. Births teach
// each edge node's aliases and datatypes, so alias-only DATA messages (as Plantbench's own edge
// node sends them) show metric names too.
import type { SparkplugMetric, SparkplugSummary } from '../../../shared/discovery/mqtt.ts';
import { DataType, decodeSparkplug, type SpPayload } from '../sparkplug/codec.ts';
import { parseSparkplugTopic } from '../sparkplug/topic.ts';

const DATATYPE_NAMES = new Map<number, string>(Object.entries(DataType).map(([name, code]) => [code, name]));

/** Metrics kept per message: a birth with more lists the count it left out. */
export const MAX_METRICS = 1000;

interface MetricInfo {
  readonly name: string;
  readonly datatype?: number;
}

export class SparkplugDecoder {
  /** "<group>/<edge node>" → alias → name and datatype, from the last births. */
  private readonly aliases = new Map<string, Map<number, MetricInfo>>();
  private readonly types = new Map<string, Map<string, number>>();

  /**
   * The decoded payload of a message on a Sparkplug B topic; undefined when the topic is not one
   * (STATE, other levels) or the payload is not Sparkplug B (then it is judged as any other payload).
   * `learn`: a birth received now resets and teaches the edge node's aliases; false for decoding a
   * stored message again.
   */
  decode(topic: string, payload: Uint8Array, learn = true): SparkplugSummary | undefined {
    const parsed = parseSparkplugTopic(topic);
    if (!parsed) return undefined;
    const key = `${parsed.group}/${parsed.edgeNode}`;
    const birth = learn && (parsed.type === 'NBIRTH' || parsed.type === 'DBIRTH');
    // A new NBIRTH starts a new session: aliases of the previous one are void.
    if (learn && parsed.type === 'NBIRTH') {
      this.aliases.delete(key);
      this.types.delete(key);
    }
    const aliases = this.aliases.get(key);
    const types = this.types.get(key);
    let p: SpPayload;
    try {
      p = decodeSparkplug(payload, (name, alias) => (name !== undefined ? types?.get(name) : alias !== undefined ? aliases?.get(alias)?.datatype : undefined));
    } catch {
      return undefined;
    }
    if (birth) this.learn(key, p);
    const metrics: SparkplugMetric[] = [];
    for (const m of p.metrics.slice(0, MAX_METRICS)) {
      const name = m.name ?? (m.alias !== undefined ? this.aliases.get(key)?.get(m.alias)?.name : undefined);
      const datatype = m.datatype !== undefined ? (DATATYPE_NAMES.get(m.datatype) ?? String(m.datatype)) : undefined;
      metrics.push({
        ...(name !== undefined ? { name } : {}),
        ...(m.alias !== undefined ? { alias: m.alias } : {}),
        ...(datatype !== undefined ? { datatype } : {}),
        value: m.value,
        ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
      });
    }
    return {
      messageType: parsed.type,
      ...(p.seq !== undefined ? { seq: p.seq } : {}),
      ...(p.timestamp !== undefined ? { timestamp: p.timestamp } : {}),
      metrics,
      ...(p.metrics.length > MAX_METRICS ? { moreMetrics: p.metrics.length - MAX_METRICS } : {}),
    };
  }

  private learn(key: string, p: SpPayload): void {
    let aliases = this.aliases.get(key);
    if (!aliases) this.aliases.set(key, (aliases = new Map()));
    let types = this.types.get(key);
    if (!types) this.types.set(key, (types = new Map()));
    for (const m of p.metrics.slice(0, MAX_METRICS)) {
      if (m.name === undefined) continue;
      if (m.datatype !== undefined) types.set(m.name, m.datatype);
      if (m.alias !== undefined) aliases.set(m.alias, { name: m.name, ...(m.datatype !== undefined ? { datatype: m.datatype } : {}) });
    }
  }
}
