import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deviceFile, type DeviceFile } from '../../../src/shared/model/device.ts';
import { pipelineFile } from '../../../src/shared/model/pipeline.ts';
import {
  checkConnection,
  copySelection,
  deleteSelection,
  fileFromGraph,
  graphFromFile,
  outputType,
  pasteClip,
  portContext,
  portsOf,
  renameNode,
  uniqueId,
  type Graph,
} from '../../../src/renderer/features/canvas/doc.ts';
import { autoLayout } from '../../../src/renderer/features/canvas/layout.ts';

const EXAMPLE = join(import.meta.dirname, '../../../flows/bottling-line');
const read = (file: string): unknown => parse(readFileSync(join(EXAMPLE, file), 'utf8'));

const devices = new Map<string, DeviceFile>(['filler', 'capper', 'uns-broker', 'palletizer'].map((id) => [id, deviceFile.parse(read(`devices/${id}.yaml`))]));
const ctx = portContext({ valid: devices, invalid: new Set() });

describe('the canvas document', () => {
  it('reads a pipeline file and writes it back to the same data', () => {
    const data = read('pipelines/filler-uns.yaml') as Record<string, unknown>;
    const { header, graph, unplaced } = graphFromFile(data);
    expect(unplaced).toEqual([]);
    expect(header).toMatchObject({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: 'filler-uns' });
    const level = graph.nodes.find((n) => n.id === 'level-pct')!;
    expect(level).toMatchObject({ type: 'scale', data: { kind: 'scale', name: 'Level mm → %' } });
    const back = fileFromGraph(header, graph);
    expect(pipelineFile.parse(back)).toEqual(pipelineFile.parse(data));
    // Named ports survive; default ports are written as the bare node id.
    expect(graph.edges.map((e) => e.id)).toContain('running-only.out->run-time.in');
  });

  it('lists nodes without a position so they can be laid out', () => {
    const { graph, unplaced } = graphFromFile({ nodes: { a: { type: 'log', config: {} }, b: { type: 'log', config: {}, position: { x: 5, y: 6 } } }, edges: [{ from: 'a', to: 'b' }] });
    expect(unplaced).toEqual(['a']);
    const laid = autoLayout(graph, new Set(unplaced));
    expect(laid.find((n) => n.id === 'b')!.position).toEqual({ x: 5, y: 6 });
    expect(laid.find((n) => n.id === 'a')!.position.x).toBeLessThan(5); // left of what it feeds
  });

  it('lays out a chain left to right', () => {
    const nodes = ['a', 'b', 'c'].map((id) => ({ id, type: 'log', position: { x: 0, y: 0 }, data: { kind: 'log', config: {}, rest: {} } }));
    const edges = [
      { id: 'a.out->b.in', source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' },
      { id: 'b.out->c.in', source: 'b', sourceHandle: 'out', target: 'c', targetHandle: 'in' },
    ];
    const xs = autoLayout({ nodes, edges }).map((n) => n.position.x);
    expect(xs[0]).toBeLessThan(xs[1]!);
    expect(xs[1]).toBeLessThan(xs[2]!);
  });
});

describe('ports and connections', () => {
  const { graph } = graphFromFile(read('pipelines/filler-uns.yaml'));

  it('draws the kind\'s ports plus the error output', () => {
    expect(portsOf('scale', { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 1 }, ctx)).toEqual({ inputs: { in: 'number' }, outputs: { out: 'number', error: 'any' } });
    // A config the kind cannot read still gives connectable ports.
    expect(portsOf('signal', { shape: 'nonsense' }, ctx).outputs).toHaveProperty('error');
    expect(portsOf('no-such-kind', {}, ctx)).toEqual({ inputs: { in: 'any' }, outputs: { out: 'any', error: 'any' } });
  });

  it('resolves "same" outputs through the inputs', () => {
    expect(outputType(graph, ctx, 'level', 'out')).toBe('number');
    expect(outputType(graph, ctx, 'bottles-1s', 'out')).toBe('number'); // rate-limit passes the number through
    expect(outputType(graph, ctx, 'status', 'out')).toBe('boolean');
  });

  it('refuses incompatible types, duplicates, cycles and unknown ports, with the reason', () => {
    expect(checkConnection(graph, ctx, { source: 'level', sourceHandle: 'out', target: 'level-band', targetHandle: 'in' })).toEqual({ ok: true });
    expect(checkConnection(graph, ctx, { source: 'status', sourceHandle: 'out', target: 'level-pct', targetHandle: 'in' })).toEqual({
      ok: false,
      reason: 'status.out carries boolean but level-pct.in takes number',
    });
    expect(checkConnection(graph, ctx, { source: 'level', sourceHandle: 'out', target: 'level-pct', targetHandle: 'in' }).reason).toMatch(/already connected/);
    expect(checkConnection(graph, ctx, { source: 'level-band', sourceHandle: 'out', target: 'level-pct', targetHandle: 'in' }).reason).toMatch(/cycle/);
    expect(checkConnection(graph, ctx, { source: 'level', sourceHandle: 'out', target: 'level', targetHandle: 'in' }).reason).toMatch(/itself/);
    expect(checkConnection(graph, ctx, { source: 'level', sourceHandle: 'out', target: 'uns', targetHandle: 'nope' }).reason).toMatch(/no input "nope"/);
  });
});

describe('editing', () => {
  const base = (): Graph => {
    const { graph } = graphFromFile(read('pipelines/filler-uns.yaml'));
    return { nodes: graph.nodes.map((n) => (n.id === 'level' || n.id === 'level-pct' ? { ...n, selected: true } : n)), edges: graph.edges };
  };

  it('copies the selection with the edges between them and pastes it under fresh ids', () => {
    const g = base();
    const clip = copySelection(g)!;
    expect(clip.nodes.map((n) => n.id)).toEqual(['level', 'level-pct']);
    expect(clip.edges).toEqual([{ source: 'level', sourceHandle: 'out', target: 'level-pct', targetHandle: 'in' }]);
    const pasted = pasteClip(g, clip, { x: 40, y: 40 });
    const added = pasted.nodes.slice(g.nodes.length);
    expect(added.map((n) => [n.id, n.selected])).toEqual([
      ['level-2', true],
      ['level-pct-2', true],
    ]);
    expect(pasted.nodes.filter((n) => n.selected)).toHaveLength(2);
    expect(pasted.edges.at(-1)!.id).toBe('level-2.out->level-pct-2.in');
    expect(added[0]!.position).toEqual({ x: g.nodes.find((n) => n.id === 'level')!.position.x + 40, y: g.nodes.find((n) => n.id === 'level')!.position.y + 40 });
  });

  it('deletes selected nodes with their edges', () => {
    const g = deleteSelection(base());
    expect(g.nodes.map((n) => n.id)).not.toContain('level-pct');
    expect(g.edges.some((e) => e.source === 'level-pct' || e.target === 'level-pct' || e.source === 'level')).toBe(false);
  });

  it('renames a node in its edges', () => {
    const g = renameNode(base(), 'level-pct', 'level-percent');
    expect(g.edges.map((e) => e.id)).toContain('level.out->level-percent.in');
    expect(g.edges.map((e) => e.id)).toContain('level-percent.out->level-band.in');
  });

  it('finds free ids', () => {
    expect(uniqueId('scale', new Set())).toBe('scale');
    expect(uniqueId('scale', new Set(['scale', 'scale-2']))).toBe('scale-3');
    expect(uniqueId('Line1/Filler Level', new Set())).toBe('line1-filler-level');
    expect(uniqueId('__', new Set())).toBe('node');
  });
});
