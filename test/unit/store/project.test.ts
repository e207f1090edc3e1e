import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/shared/problem.ts';
import { loadProject, ParseCache } from '../../../src/store/project.ts';
import { copyExample, EXAMPLE } from '../../helpers/project.ts';

let project: ReturnType<typeof copyExample> | undefined;
afterEach(() => project?.dispose());

function problems(): string[] {
  return loadProject(project!.root).problems.map(formatProblem);
}

describe('loadProject', () => {
  it('loads the example project without problems', () => {
    const loaded = loadProject(EXAMPLE);
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect([...loaded.pipelines.keys()].sort()).toEqual(['capper-uns', 'filler-uns', 'palletizer-sparkplug']);
    expect(loaded.devices.get('filler')?.model?.protocol).toBe('modbus');
    expect(loaded.tests.length).toBeGreaterThan(0);
  });

  it('locates a YAML syntax error', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('  level-pct:\n', '  level-pct:\n   bad: [unclosed\n'));
    // Only the first syntax error (the rest are its consequences), and no knock-on problems in the
    // test file that names this pipeline.
    expect(problems()).toEqual(['pipelines/filler-uns.yaml:28:10 (root): YAML: Implicit keys of flow sequence pairs need to be on a single line']);
  });

  it('names file, line, column and field path of a wrong type', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('rawHigh: 500', 'rawHigh: "500"'));
    expect(problems()).toEqual([
      'pipelines/filler-uns.yaml:32:16 nodes["level-pct"].config.rawHigh: Invalid input: expected number, received string',
    ]);
  });

  it('points at an unknown field by its key', () => {
    project = copyExample();
    project.edit('devices/filler.yaml', (t) => t.replace('unitId: 1', 'unitId: 1\nunitid: 2'));
    expect(problems()).toEqual(['devices/filler.yaml:8:1 unitid: unknown field "unitid"']);
  });

  it('rejects an unknown node type, listing the known ones', () => {
    project = copyExample();
    project.edit('pipelines/capper-uns.yaml', (t) => t.replace('type: quality-filter', 'type: qualiti-filter'));
    const [only, ...rest] = problems();
    expect(rest).toEqual([]);
    expect(only).toMatch(/^pipelines\/capper-uns\.yaml:\d+:11 nodes\["good-only"\]\.type: unknown node type "qualiti-filter"; known types: signal, /);
  });

  it('does not report references to a device whose own file is invalid', () => {
    project = copyExample();
    project.edit('devices/filler.yaml', (t) => t.replace('unitId: 1', 'unitId: one'));
    expect(problems()).toEqual(['devices/filler.yaml:7:9 unitId: Invalid input: expected number, received string']);
  });

  it('reports dangling edges, missing devices and tags, and duplicate ids', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) =>
      t.replace('{ from: level, to: level-pct }', '{ from: level, to: level-pcts }').replace('tags: [ bottles ]', 'tags: [ bottle ]'),
    );
    project.edit('pipelines/capper-uns.yaml', (t) => t.replace('device: capper', 'device: caper'));
    project.write('devices/filler-copy.yaml', 'apiVersion: plantbench/v1\nkind: Device\nid: filler\nprotocol: mqtt\nurl: mqtt://127.0.0.1\n');
    expect(problems().sort()).toEqual([
      'devices/filler-copy.yaml:3:5 id: duplicate id "filler": also used by devices/filler.yaml',
      'devices/filler-copy.yaml:3:5 id: id "filler" must match the file name (devices/filler.yaml)',
      'pipelines/capper-uns.yaml:22:15 nodes.process.config.device: device "caper" does not exist (no devices/caper.yaml)',
      'pipelines/filler-uns.yaml:11:15 nodes.bottles.config.tags[0]: device "filler" has no tag "bottle"',
      'pipelines/filler-uns.yaml:73:24 edges[0].to: edge ends at node "level-pcts", which does not exist',
    ]);
  });

  it('reports a cycle at each edge on it, naming the nodes', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('  - { from: topic, to: uns }', '  - { from: topic, to: uns }\n  - { from: topic, to: level-band }'));
    const found = problems();
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const p of found) expect(p).toMatch(/^pipelines\/filler-uns\.yaml:\d+:\d+ edges\[\d+\]: edge .* closes a cycle \(/);
  });

  it('reports a type mismatch between ports', () => {
    project = copyExample();
    // running/fault are bits (boolean): a scale node takes numbers.
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('{ from: status, to: status-edges }', '{ from: status, to: level-pct }'));
    expect(problems()).toEqual([
      'pipelines/filler-uns.yaml:78:5 edges[5]: type mismatch: status.out carries boolean but level-pct.in takes number',
    ]);
  });

  it('reports a JSONata syntax error in an expression with its place', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace(`predicate: path = 'filler/running'`, `predicate: "path = ("`));
    expect(problems()).toEqual([
      'pipelines/filler-uns.yaml:47:26 nodes["running-only"].config.predicate: JSONata syntax error at character 8: Expected ")" before end of expression',
    ]);
  });

  it('checks test files against their pipeline', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.test.yaml', (t) => t.replace('pipeline: filler-uns', 'pipeline: filler'));
    expect(problems()).toEqual(['pipelines/filler-uns.test.yaml:3:11 pipeline: pipeline "filler" does not exist (no pipelines/filler.yaml)']);
  });

  it('with a parse cache, re-uses files whose text did not change and sees edits', () => {
    project = copyExample();
    const cache = new ParseCache();
    const first = loadProject(project.root, { cache });
    const second = loadProject(project.root, { cache });
    expect(second.pipelines.get('filler-uns')).toBe(first.pipelines.get('filler-uns'));
    expect(second.devices.get('filler')).toBe(first.devices.get('filler'));
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('rawHigh: 500', 'rawHigh: "500"'));
    const edited = loadProject(project.root, { cache });
    expect(edited.pipelines.get('filler-uns')).not.toBe(first.pipelines.get('filler-uns'));
    expect(edited.devices.get('filler')).toBe(first.devices.get('filler'));
    expect(edited.problems.map(formatProblem)).toEqual(problems());
    // An overlay is parsed like the file and does not stick once the load is over.
    const overlaid = loadProject(project.root, { cache, overlay: { file: 'pipelines/filler-uns.yaml', text: first.pipelines.get('filler-uns')!.source.text } });
    expect(overlaid.problems).toEqual([]);
    expect(loadProject(project.root, { cache }).problems.map(formatProblem)).toEqual(problems());
  });

  it('says when the folder is not a project', () => {
    project = copyExample();
    const loaded = loadProject(`${project.root}/devices`);
    expect(loaded.problems.map(formatProblem)[0]).toMatch(/^plantbench\.yaml:0:0 \(root\): no plantbench\.yaml in .*: not a Plantbench project folder$/);
  });
});
