import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NODE_SPEC_BY_TYPE, NODE_SPECS } from '../../../src/shared/nodes/index.ts';
import { formOf, getIn, parseListItem, setIn, starterValue, type Field } from '../../../src/renderer/lib/schema-form.ts';

const formOfKind = (type: string): Field[] => formOf(z.toJSONSchema(NODE_SPEC_BY_TYPE.get(type)!.config, { io: 'input', unrepresentable: 'any' }));
const byKey = (fields: Field[], key: string): Field => fields.find((f) => f.key === key)!;

describe('forms from node config schemas', () => {
  it('gives every node kind a form', () => {
    for (const spec of NODE_SPECS) expect(formOfKind(spec.type).length, spec.type).toBeGreaterThan(0);
  });

  it('maps numbers, booleans, strings, enums and constant unions to plain controls', () => {
    const scale = formOfKind('scale');
    expect(byKey(scale, 'rawLow')).toMatchObject({ kind: 'number', required: true, integer: false });
    expect(byKey(scale, 'clamp')).toMatchObject({ kind: 'boolean', required: false, default: false });
    expect(byKey(scale, 'unit')).toMatchObject({ kind: 'string', required: false });
    const sink = formOfKind('mqtt-sink');
    expect(byKey(sink, 'qos')).toMatchObject({ kind: 'enum', options: [0, 1, 2], default: 1 });
    expect(byKey(formOfKind('opcua-source'), 'mode')).toMatchObject({ kind: 'enum', options: ['subscribe', 'poll'] });
    // int() bounds of MAX_SAFE_INTEGER say nothing to a user; real ones stay.
    expect(byKey(formOfKind('opcua-source'), 'intervalMs')).toMatchObject({ kind: 'number', integer: true, min: 10 });
    expect(byKey(formOfKind('opcua-source'), 'intervalMs')).not.toHaveProperty('max');
  });

  it('maps lists, records, nested objects and discriminated unions', () => {
    expect(byKey(formOfKind('opcua-source'), 'tags')).toMatchObject({ kind: 'list', item: 'string' });
    expect(byKey(formOfKind('window'), 'aggregates')).toMatchObject({ kind: 'list', options: ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'stddev'], minItems: 1 });
    expect(byKey(formOfKind('uns-topic'), 'vars')).toMatchObject({ kind: 'record' });
    const range = byKey(formOfKind('deadband'), 'range');
    expect(range).toMatchObject({ kind: 'object', required: false });
    expect((range as Extract<Field, { kind: 'object' }>).fields.map((f) => [f.key, f.path])).toEqual([
      ['low', ['range', 'low']],
      ['high', ['range', 'high']],
    ]);
    const payload = byKey(formOfKind('mqtt-sink'), 'payload') as Extract<Field, { kind: 'variant' }>;
    expect(payload.kind).toBe('variant');
    expect(payload.discriminator).toBe('format');
    expect(payload.variants.map((v) => v.value)).toEqual(['value', 'json', 'sparkplug']);
    expect(payload.variants[2]!.fields.map((f) => f.key)).toEqual(['groupId', 'edgeNodeId', 'deviceId']);
    // Values of mixed types in a list.
    const shape = byKey(formOfKind('signal'), 'shape') as Extract<Field, { kind: 'variant' }>;
    const sequence = shape.variants.find((v) => v.value === 'sequence')!;
    expect(byKey([...sequence.fields], 'values')).toMatchObject({ kind: 'list', item: 'mixed', path: ['shape', 'values'] });
  });

  it('falls back to raw YAML for what a form cannot draw', () => {
    const fields = formOf({ type: 'object', properties: { points: { type: 'array', items: { type: 'object', properties: { x: { type: 'number' } } } } } });
    expect(fields[0]).toMatchObject({ kind: 'raw', key: 'points' });
  });

  it('builds a starting config from defaults and required fields', () => {
    expect(starterValue(formOfKind('scale'))).toEqual({ rawLow: 0, rawHigh: 0, engLow: 0, engHigh: 0, clamp: false });
    expect(starterValue(formOfKind('window'))).toMatchObject({ mode: 'tumbling', sizeMs: 1, aggregates: ['avg'] });
    // The form's starting values parse except where the user must decide (scale's ranges must differ).
    expect(NODE_SPEC_BY_TYPE.get('window')!.config.safeParse(starterValue(formOfKind('window'))).success).toBe(true);
  });
});

describe('setIn / getIn', () => {
  it('copies along the path and removes keys set to undefined', () => {
    const before = { a: { b: 1, c: [1, 2] }, d: 4 };
    const after = setIn(before, ['a', 'c', 1], 9) as typeof before;
    expect(after).toEqual({ a: { b: 1, c: [1, 9] }, d: 4 });
    expect(before.a.c).toEqual([1, 2]);
    expect(after.d).toBe(4);
    expect(setIn(before, ['a', 'b'], undefined)).toEqual({ a: { c: [1, 2] }, d: 4 });
    expect(setIn(undefined, ['x', 'y'], 1)).toEqual({ x: { y: 1 } });
    expect(getIn(after, ['a', 'c', 1])).toBe(9);
    expect(getIn(after, ['a', 'zz', 'q'])).toBeUndefined();
  });

  it('reads list items typed as text', () => {
    expect(parseListItem(' 12 ', 'number')).toBe(12);
    expect(parseListItem('x', 'number')).toBeUndefined();
    expect(parseListItem('true', 'mixed')).toBe(true);
    expect(parseListItem('Idle', 'mixed')).toBe('Idle');
    expect(parseListItem('3', 'string')).toBe('3');
    expect(parseListItem('  ', 'string')).toBeUndefined();
  });
});
