import { z } from 'zod';
import { defineNode } from './spec.ts';

export const TOPIC_PLACEHOLDERS = ['enterprise', 'site', 'area', 'line', 'cell', 'path', 'device', 'tag', 'unit'] as const;

export const unsTopicNode = defineNode({
  type: 'uns-topic',
  title: 'UNS topic',
  category: 'transform',
  summary:
    'Renames samples from a template over the ISA-95 hierarchy ({enterprise}/{site}/{area}/{line}/{cell}), the sample ({path}; {device} and {tag} split "<device>/<tag>"; {unit}) and your own variables.',
  config: z
    .object({
      /** Defaults to the project's topicTemplate, else {enterprise}/{site}/{area}/{line}/{cell}/{tag}. */
      template: z.string().min(1).optional(),
      /** Extra placeholders, e.g. { machine: filler }; they override the hierarchy levels of the same name. */
      vars: z.record(z.string(), z.string()).default({}),
    })
    .strict()
    .superRefine((c, ctx) => {
      if (c.template === undefined) return;
      const known = new Set<string>([...TOPIC_PLACEHOLDERS, ...Object.keys(c.vars)]);
      for (const match of c.template.matchAll(/\{([^}]*)\}/g)) {
        if (!known.has(match[1]!)) {
          ctx.addIssue({
            code: 'custom',
            path: ['template'],
            message: `unknown placeholder {${match[1]}}; known: ${[...known].map((k) => `{${k}}`).join(' ')}`,
          });
        }
      }
      if (/[#+]/.test(c.template)) {
        ctx.addIssue({ code: 'custom', path: ['template'], message: 'a topic may not contain MQTT wildcards "#" or "+"' });
      }
    }),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'same' } }),
});
