import { DEFAULT_TOPIC_TEMPLATE } from '../../shared/model/project.ts';
import { unsTopicNode } from '../../shared/nodes/uns-topic.ts';
import type { Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

type Part = string | ((s: Sample) => string);

const SLASH = 47;

/** Levels left empty (e.g. no cell) must not leave "//" or a leading/trailing "/". */
function tidy(t: string): string {
  return t.includes('//') || t.startsWith('/') || t.endsWith('/') ? t.split('/').filter(Boolean).join('/') : t;
}

/** Compiles the template once into literal parts and per-sample lookups. */
function compile(template: string, fixed: Record<string, string | undefined>): (s: Sample) => string {
  const parts: Part[] = [];
  // Adjacent literal text (and fixed values such as the hierarchy levels) is joined here, once,
  // so a sample costs one concatenation per per-sample lookup rather than one per template piece.
  const literal = (text: string): void => {
    if (text === '') return;
    const last = parts.length - 1;
    if (last >= 0 && typeof parts[last] === 'string') parts[last] += text;
    else parts.push(text);
  };
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    literal(template.slice(last, m.index));
    const name = m[1]!;
    if (name === 'path') parts.push((s) => s.path);
    // Device sources emit "<device>/<tag>": {device} is the first segment, {tag} the rest.
    else if (name === 'tag') parts.push((s) => s.path.slice(s.path.indexOf('/') + 1));
    else if (name === 'device') parts.push((s) => (s.path.includes('/') ? s.path.slice(0, s.path.indexOf('/')) : ''));
    else if (name === 'unit') parts.push((s) => s.meta?.unit ?? '');
    else literal(fixed[name] ?? '');
    last = m.index! + m[0].length;
  }
  literal(template.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const constant = tidy(parts.join(''));
    return () => constant;
  }
  // Whether the joined topic needs tidying ("//" inside, "/" at either end) is decided piece by
  // piece while joining: "//" lies inside one piece or across the boundary of two non-empty
  // neighbours. Same result as tidy() on the joined string, without scanning it again.
  const n = parts.length;
  const literalHasDouble = parts.map((p) => typeof p === 'string' && p.includes('//'));
  return (s) => {
    let t = '';
    let dirty = false;
    let endsWithSlash = false;
    for (let i = 0; i < n; i++) {
      const p = parts[i]!;
      const literalPart = typeof p === 'string';
      const v = literalPart ? p : p(s);
      if (v.length === 0) continue;
      if (v.charCodeAt(0) === SLASH && (t.length === 0 || endsWithSlash)) dirty = true;
      else if (literalPart ? literalHasDouble[i] : v.includes('//')) dirty = true;
      endsWithSlash = v.charCodeAt(v.length - 1) === SLASH;
      t += v;
    }
    return dirty || endsWithSlash ? t.split('/').filter(Boolean).join('/') : t;
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
