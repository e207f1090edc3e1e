import jsonata from 'jsonata';
import { expressionNode } from '../../shared/nodes/expression.ts';
import type { Sample, Value } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';
import { expressionInput } from './jsonata-input.ts';

const SAMPLE_FIELDS = new Set(['path', 'value', 'quality', 'ts', 'serverTs', 'status', 'meta']);
const QUALITIES = new Set(['good', 'uncertain', 'bad']);

/** Merges the fields an expression returned into the sample, checking each one. */
function merge(s: Sample, result: unknown): Sample | string {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    return `target "sample" needs an object of sample fields, got ${Array.isArray(result) ? 'an array' : typeof result}`;
  }
  const fields = result as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!SAMPLE_FIELDS.has(key)) return `unknown sample field "${key}" in the result`;
  if ('path' in fields && (typeof fields.path !== 'string' || fields.path === '')) return 'path must be a non-empty string';
  if ('quality' in fields && !QUALITIES.has(fields.quality as string)) return 'quality must be good, uncertain or bad';
  if ('ts' in fields && typeof fields.ts !== 'number') return 'ts must be a number (epoch ms)';
  return { ...s, ...(fields as Partial<Sample>) };
}

export const expressionKind = defineKind(expressionNode, (config, ctx) => {
  const expression = jsonata(config.expression);
  return {
    async process(batch) {
      const out: Sample[] = [];
      for (const s of batch) {
        let result: unknown;
        try {
          result = await expression.evaluate(expressionInput(s));
        } catch (err) {
          ctx.fail(s, `expression failed: ${(err as Error).message}`);
          continue;
        }
        if (result === undefined) {
          ctx.fail(s, 'expression gave no result (undefined)');
          continue;
        }
        if (config.target === 'value') {
          out.push({ ...s, value: result as Value });
          continue;
        }
        const merged = merge(s, result);
        if (typeof merged === 'string') ctx.fail(s, merged);
        else out.push(merged);
      }
      ctx.emit('out', out);
    },
  };
});
