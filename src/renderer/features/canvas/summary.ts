// One line under a node's title saying what it does, from its config.

const short = (s: string, n = 38): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '?');

export function configSummary(kind: string, config: unknown): string {
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const tags = Array.isArray(c.tags) ? (c.tags as unknown[]).map(String) : undefined;
  switch (kind) {
    case 'opcua-source':
    case 'modbus-source':
    case 'mqtt-source':
      return short(`${String(c.device ?? '?')}: ${tags && tags.length ? tags.join(', ') : 'all tags'}`);
    case 'mqtt-sink':
      return short(`${String(c.device ?? '?')} → ${String(c.topic ?? '{path}')}`);
    case 'modbus-sink':
    case 'opcua-sink':
      return short(`${String(c.device ?? '?')}.${String(c.tag ?? '?')}`);
    case 'scale':
      return `${num(c.rawLow)}…${num(c.rawHigh)} → ${num(c.engLow)}…${num(c.engHigh)}${c.unit ? ` ${String(c.unit)}` : ''}`;
    case 'window':
      return `${String(c.mode ?? 'tumbling')} ${num(c.sizeMs)} ms: ${Array.isArray(c.aggregates) ? c.aggregates.join(', ') : 'avg'}`;
    case 'rate-limit':
      return `at most every ${num(c.intervalMs)} ms`;
    case 'deadband':
      return `± ${num(c.value)}${c.mode === 'percent' ? ' %' : ''}`;
    case 'filter':
      return short(String(c.predicate ?? ''));
    case 'expression':
      return short(String(c.expression ?? ''));
    case 'signal':
      return short(`${String(c.path ?? '?')}: ${String((c.shape as { kind?: unknown } | undefined)?.kind ?? '?')}`);
    case 'uns-topic':
      return short(c.template ? String(c.template) : `UNS topic${c.vars ? ` (${Object.entries(c.vars as object).map(([k, v]) => `${k}=${String(v)}`).join(', ')})` : ''}`);
    default: {
      const parts = Object.entries(c)
        .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v))
        .slice(0, 2)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
      return short(parts.join(' · '));
    }
  }
}
