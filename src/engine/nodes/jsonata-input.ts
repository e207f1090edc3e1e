import type { Sample } from '../../shared/sample.ts';

/** What JSONata sees as `$`: the sample's fields, with `unit` lifted for short expressions. */
export function expressionInput(s: Sample): Record<string, unknown> {
  return { path: s.path, value: s.value, quality: s.quality, ts: s.ts, serverTs: s.serverTs, status: s.status, meta: s.meta, unit: s.meta?.unit };
}
