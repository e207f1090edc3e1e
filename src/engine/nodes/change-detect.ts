import { changeDetectNode } from '../../shared/nodes/change-detect.ts';
import type { Sample, Value } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

// Change / edge detection, per tag path:
// - change:  passes a sample whose value differs from the previous sample's value for that path
//            (deep equality for arrays and objects, NaN equals NaN). Only the value counts: a sample with
//            the same value and another quality or ts is dropped.
// - rising:  passes a boolean that is true when the previous one was false.
// - falling: passes a boolean that is false when the previous one was true.
// - edges:   both.
// - Edge modes take booleans only: anything else goes to the error port and does not change the state.
// - emitFirst: the first sample of a path passes. In an edge mode it passes only if it would be an edge
//   of that kind from an unknown state (rising: true, falling: false, edges: either), so an edge stream
//   never carries a value of the wrong direction. Without emitFirst the first sample only sets the state.
// - The previous value is that of the previous sample received (passed or not).

/** Deep equality of sample values; NaN equals NaN, key order of objects does not matter. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const x = a as readonly Value[];
    const y = b as readonly Value[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!valuesEqual(x[i]!, y[i]!)) return false;
    return true;
  }
  const x = a as { readonly [key: string]: Value };
  const y = b as { readonly [key: string]: Value };
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(y, k) || !valuesEqual(x[k]!, y[k]!)) return false;
  }
  return true;
}

export const changeDetectKind = defineKind(changeDetectNode, (config, ctx) => {
  const { mode, emitFirst } = config;
  const last = new Map<string, Value>();
  const passRising = mode === 'rising' || mode === 'edges';
  const passFalling = mode === 'falling' || mode === 'edges';
  return {
    process(batch) {
      const out: Sample[] = [];
      if (mode === 'change') {
        for (let i = 0; i < batch.length; i++) {
          const s = batch[i]!;
          const had = last.has(s.path);
          if (!had) {
            last.set(s.path, s.value);
            if (emitFirst) out.push(s);
          } else if (!valuesEqual(last.get(s.path)!, s.value)) {
            last.set(s.path, s.value);
            out.push(s);
          }
        }
      } else {
        for (let i = 0; i < batch.length; i++) {
          const s = batch[i]!;
          const v = s.value;
          if (typeof v !== 'boolean') {
            ctx.fail(s, `${mode} edge detection needs a boolean, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
            continue;
          }
          const prev = last.get(s.path);
          last.set(s.path, v);
          if (prev === undefined) {
            if (emitFirst && (v ? passRising : passFalling)) out.push(s);
          } else if (prev !== v && (v ? passRising : passFalling)) {
            out.push(s);
          }
        }
      }
      ctx.emit('out', out);
    },
  };
});
