import { Position } from '@xyflow/react';
import { describe, expect, it } from 'vitest';
import type { PbNode } from '../../../src/renderer/features/canvas/doc.ts';
import { FIRST_PORT_TOP, fullNodeGeometry, handlePoint, hitTest, NODE_WIDTH, nodeBox, PORT_ROW, withGeometry } from '../../../src/renderer/features/canvas/geometry.ts';

// The numbers are the CSS of `.pb-node` (src/renderer/styles/app.css) added up by hand: border-top 4,
// head 3 + 15, kind 13, summary 1 + 13 + 2, ports border 1 + padding 2, rows of 15, padding 2, border 1.
describe('fullNodeGeometry (the full node as the CSS lays it out)', () => {
  it('puts the first port row below the head, kind and summary', () => {
    expect(FIRST_PORT_TOP).toBe(4 + 18 + 13 + 16 + 3);
    expect(PORT_ROW).toBe(15);
  });

  it('sizes the node by its longer port column', () => {
    expect(fullNodeGeometry(['in'], ['out', 'error'])).toMatchObject({ width: 176, height: 54 + 2 * 15 + 2 + 1 });
    expect(fullNodeGeometry([], ['out', 'error']).height).toBe(87);
    expect(fullNodeGeometry(['a', 'b', 'c'], ['out', 'error']).height).toBe(54 + 45 + 3);
  });

  it('centres each 9 px handle on the outer edge of its row; the error handle is 7 px', () => {
    const { handles } = fullNodeGeometry(['in'], ['out', 'error']);
    expect(handles).toEqual([
      { id: 'in', type: 'target', position: Position.Left, x: 1 - 4.5, y: 54 + 3, width: 9, height: 9 },
      { id: 'out', type: 'source', position: Position.Right, x: 175 - 4.5, y: 54 + 3, width: 9, height: 9 },
      { id: 'error', type: 'source', position: Position.Right, x: 175 - 3.5, y: 54 + 15 + 4, width: 7, height: 7 },
    ]);
  });

  it('gives edge ends on the node border, in the middle of the port row', () => {
    const [input, output, error] = fullNodeGeometry(['in'], ['out', 'error']).handles;
    const at = { x: 100, y: 200 };
    expect(handlePoint(at, input!)).toEqual({ x: 100 + 1 - 4.5, y: 200 + 54 + 7.5 });
    expect(handlePoint(at, output!)).toEqual({ x: 100 + NODE_WIDTH - 1 + 4.5, y: 200 + 54 + 7.5 });
    expect(handlePoint(at, error!)).toEqual({ x: 100 + NODE_WIDTH - 1 + 3.5, y: 200 + 69 + 7.5 });
  });
});

describe('hitTest', () => {
  const boxes = [
    { id: 'a', x: 0, y: 0, width: 100, height: 50 },
    { id: 'b', x: 80, y: 40, width: 100, height: 50 },
  ];
  it('finds the node under a point, edges included', () => {
    expect(hitTest(boxes, { x: 10, y: 10 })).toBe('a');
    expect(hitTest(boxes, { x: 0, y: 50 })).toBe('a');
    expect(hitTest(boxes, { x: 180, y: 90 })).toBe('b');
  });
  it('prefers the node drawn last where two overlap', () => {
    expect(hitTest(boxes, { x: 90, y: 45 })).toBe('b');
  });
  it('finds nothing between nodes', () => {
    expect(hitTest(boxes, { x: 150, y: 10 })).toBeUndefined();
    expect(hitTest([], { x: 0, y: 0 })).toBeUndefined();
  });
});

describe('withGeometry and nodeBox', () => {
  const node: PbNode = { id: 'n', type: 'scale', position: { x: 5, y: 6 }, data: { kind: 'scale', config: {}, rest: {} } };
  const g = fullNodeGeometry(['in'], ['out', 'error']);

  it('gives an unmeasured node its size and handles, the same object each time', () => {
    const view = withGeometry(node, g);
    expect(view).toMatchObject({ id: 'n', initialWidth: 176, initialHeight: 87, handles: g.handles });
    expect(withGeometry(node, g)).toBe(view);
    expect(node).not.toHaveProperty('handles');
  });

  it('leaves a measured node as it is, so React Flow keeps the handles it measured', () => {
    const measured = { ...node, measured: { width: 176, height: 101 } };
    expect(withGeometry(measured, g)).toBe(measured);
    expect(nodeBox(measured, g)).toEqual({ id: 'n', x: 5, y: 6, width: 176, height: 101 });
    expect(nodeBox(node, g)).toEqual({ id: 'n', x: 5, y: 6, width: 176, height: 87 });
  });
});
