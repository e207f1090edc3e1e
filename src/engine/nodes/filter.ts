import jsonata from 'jsonata';
import { filterNode } from '../../shared/nodes/filter.ts';
import type { Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';
import { expressionInput } from './jsonata-input.ts';

export const filterKind = defineKind(filterNode, (config, ctx) => {
  const predicate = jsonata(config.predicate);
  return {
    async process(batch) {
      const pass: Sample[] = [];
      const rejected: Sample[] = [];
      for (const s of batch) {
        try {
          ((await predicate.evaluate(expressionInput(s))) ? pass : rejected).push(s);
        } catch (err) {
          ctx.fail(s, `predicate failed: ${(err as Error).message}`);
        }
      }
      ctx.emit('out', pass);
      ctx.emit('rejected', rejected);
    },
  };
});
