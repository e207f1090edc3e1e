import { z } from 'zod';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { formOf, starterValue, type Field } from '../../lib/schema-form.ts';

// Forms are generated once per node kind from its zod schema (JSON Schema in between).
const formCache = new Map<string, Field[] | undefined>();

export function formFor(kind: string): Field[] | undefined {
  if (!formCache.has(kind)) {
    const spec = NODE_SPEC_BY_TYPE.get(kind);
    let fields: Field[] | undefined;
    try {
      fields = spec ? formOf(z.toJSONSchema(spec.config, { io: 'input', unrepresentable: 'any' })) : undefined;
    } catch {
      fields = undefined; // the raw YAML editor takes over
    }
    formCache.set(kind, fields);
  }
  return formCache.get(kind);
}

/** Better first values than "empty" for a few kinds dropped from the palette. */
const STARTERS: Record<string, Record<string, unknown>> = {
  scale: { rawLow: 0, rawHigh: 100, engLow: 0, engHigh: 100 },
  'rate-limit': { intervalMs: 1000 },
  window: { sizeMs: 60000 },
  deadband: { value: 1 },
  filter: { predicate: 'quality = "good"' },
  expression: { expression: 'value' },
  signal: { path: 'test/signal', shape: { kind: 'sine' } },
  join: { path: 'asset', fields: {} },
};

/**
 * A starting config for a new node: schema defaults, a few sensible values, and a device of the
 * kind's protocol (one with a simulator first, so a Simulated run works straight away).
 */
export function starterConfig(kind: string, devices: readonly { id: string; protocol: string }[], simulated: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const spec = NODE_SPEC_BY_TYPE.get(kind);
  const config: Record<string, unknown> = { ...starterValue(formFor(kind) ?? []), ...STARTERS[kind] };
  if (spec?.protocol) {
    const candidates = devices.filter((d) => d.protocol === spec.protocol);
    const device = candidates.find((d) => simulated.has(d.id)) ?? candidates[0];
    if (device) config.device = device.id;
  }
  return config;
}
