import { z } from 'zod';
import { NODE_SPECS } from '../src/shared/nodes/index.ts';

/** docs/node-kinds.md, generated from the node registry so it always matches the code. */
export function nodeKindsDoc(): string {
  const lines = [
    '# Node kinds',
    '',
    'Generated from `src/shared/nodes` by `npm run schemas`; do not edit by hand.',
    '',
    'Every node also has an `error` output port: samples that failed in the node leave there with the reason in `error.message`.',
    'Device sources emit samples whose path is `<device>/<tag>`.',
    '',
    '| kind | category | summary |',
    '|---|---|---|',
    ...NODE_SPECS.map((s) => `| [\`${s.type}\`](#${s.type}) | ${s.category}${s.protocol ? ` (${s.protocol})` : ''} | ${s.summary} |`),
    '',
  ];
  for (const spec of NODE_SPECS) {
    const json = z.toJSONSchema(spec.config, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, { description?: string; default?: unknown; type?: string; enum?: unknown[] }>;
      required?: string[];
    };
    lines.push(`## ${spec.type}`, '', `${spec.title}: ${spec.summary}`, '', '| field | required | default |', '|---|---|---|');
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      const required = json.required?.includes(name) ? 'yes' : 'no';
      const fallback = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
      lines.push(`| \`${name}\` | ${required} | ${fallback} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
