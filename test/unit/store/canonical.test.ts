import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FILE_SCHEMAS } from '../../../src/shared/model/index.ts';
import { toCanonicalYaml } from '../../../src/store/canonical.ts';
import { loadProject } from '../../../src/store/project.ts';
import { EXAMPLE } from '../../helpers/project.ts';

describe('canonical YAML', () => {
  const loaded = loadProject(EXAMPLE);
  const entries = [
    ['project', loaded.project!] as const,
    ...[...loaded.devices.values()].map((e) => ['device', e] as const),
    ...[...loaded.pipelines.values()].map((e) => ['pipeline', e] as const),
    ...loaded.tests.map((e) => ['pipeline-test', e] as const),
    ...[...loaded.simulators.values()].map((e) => ['simulator', e] as const),
  ];

  it.each(entries.map(([kind, e]) => [e.file, kind, e] as const))('%s is canonical: saving it unchanged changes no byte', (file, kind, entry) => {
    const text = readFileSync(join(EXAMPLE, file), 'utf8');
    expect(toCanonicalYaml(entry.raw, FILE_SCHEMAS[kind])).toBe(text);
  });

  it('orders keys as the schema declares them, whatever order they were written in', () => {
    const a = toCanonicalYaml({ name: 'x', kind: 'Project', uns: { site: 's', enterprise: 'e' }, apiVersion: 'plantbench/v1' }, FILE_SCHEMAS.project);
    const b = toCanonicalYaml({ apiVersion: 'plantbench/v1', uns: { enterprise: 'e', site: 's' }, kind: 'Project', name: 'x' }, FILE_SCHEMAS.project);
    expect(a).toBe(b);
    expect(a).toBe('apiVersion: plantbench/v1\nkind: Project\nname: x\nuns: { enterprise: e, site: s }\n');
  });

  it('follows the node type to order a node config, and sorts node ids', () => {
    const pipeline = {
      apiVersion: 'plantbench/v1',
      kind: 'Pipeline',
      id: 'p',
      name: 'p',
      nodes: {
        zeta: { config: { engHigh: 1, engLow: 0, rawHigh: 10, rawLow: 0 }, type: 'scale' },
        alpha: { position: { y: 2, x: 1 }, type: 'log', config: {} },
      },
      edges: [{ to: 'zeta', from: 'alpha' }],
    };
    expect(toCanonicalYaml(pipeline, FILE_SCHEMAS.pipeline)).toBe(
      [
        'apiVersion: plantbench/v1',
        'kind: Pipeline',
        'id: p',
        'name: p',
        'nodes:',
        '  alpha:',
        '    type: log',
        '    config: {}',
        '    position: { x: 1, y: 2 }',
        '  zeta:',
        '    type: scale',
        '    config: { rawLow: 0, rawHigh: 10, engLow: 0, engHigh: 1 }',
        'edges:',
        '  - { from: alpha, to: zeta }',
        '',
      ].join('\n'),
    );
  });
});
