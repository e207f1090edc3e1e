import { DEFAULT_TOPIC_TEMPLATE } from '../../shared/model/project.ts';
import { unsTopicNode } from '../../shared/nodes/uns-topic.ts';
import type { Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

type Part = string | ((s: Sample) => string);

/** Compiles the template once into literal parts and per-sample lookups. */
function compile(template: string, fixed: Record<string, string | undefined>): (s: Sample) => string {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    parts.push(template.slice(last, m.index));
    const name = m[1]!;
    if (name === 'path') parts.push((s) => s.path);
    // Device sources emit "<device>/<tag>": {device} is the first segment, {tag} the rest.
    else if (name === 'tag') parts.push((s) => s.path.slice(s.path.indexOf('/') + 1));
    else if (name === 'device') parts.push((s) => (s.path.includes('/') ? s.path.slice(0, s.path.indexOf('/')) : ''));
    else if (name === 'unit') parts.push((s) => s.meta?.unit ?? '');
    else parts.push(fixed[name] ?? '');
    last = m.index! + m[0].length;
  }
  parts.push(template.slice(last));
  // Levels left empty (e.g. no cell) must not leave "//" or a leading/trailing "/".
  const tidy = (t: string): string => (t.includes('//') || t.startsWith('/') || t.endsWith('/') ? t.split('/').filter(Boolean).join('/') : t);
  if (parts.every((p) => typeof p === 'string')) {
    const constant = tidy(parts.join(''));
    return () => constant;
  }
  return (s) => {
    let t = '';
    for (const p of parts) t += typeof p === 'string' ? p : p(s);
    return tidy(t);
  };
}

export const unsTopicKind = defineKind(unsTopicNode, (config, ctx) => {
  const template = config.template ?? ctx.project.topicTemplate ?? DEFAULT_TOPIC_TEMPLATE;
  const topic = compile(template, { ...ctx.project.uns, ...config.vars });
  return {
    process(batch) {
      const out: Sample[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        out[i] = { ...s, path: topic(s) };
      }
      ctx.emit('out', out);
    },
  };
});
