import { describe, expect, it } from 'vitest';
import type { Graph, PbNode } from '../../../src/renderer/features/canvas/doc.ts';
import { fullNodeGeometry, nodeBox } from '../../../src/renderer/features/canvas/geometry.ts';
import { fitBoxes, LOD_ZOOM } from '../../../src/renderer/features/canvas/layout.ts';

/** Lines of 10 nodes, 300 apart, 130 between lines, as the UI benchmark's pipelines. */
function lines(n: number): Graph {
  const nodes: PbNode[] = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    type: 'scale',
    position: { x: (i % 10) * 300, y: Math.floor(i / 10) * 130 },
    data: { kind: 'scale', config: {}, rest: {} },
  }));
  return { nodes, edges: [] };
}
const FIT = { padding: 0.15, maxZoom: 1.2, minZoom: 0.05 };
const g = fullNodeGeometry(['in'], ['out', 'error']);

describe('fitBoxes (the viewport a big pipeline opens with and fits to)', () => {
  it('is undefined without nodes or without a pane', () => {
    expect(fitBoxes([], 1600, 950, FIT)).toBeUndefined();
    expect(fitBoxes([{ id: 'a', x: 0, y: 0, width: 10, height: 10 }], 0, 0, FIT)).toBeUndefined();
  });

  it('zooms a 1,000-node pipeline out below the level-of-detail threshold, all nodes inside the pane', () => {
    const boxes = lines(1000).nodes.map((n) => nodeBox(n, g));
    const v = fitBoxes(boxes, 1600, 950, FIT);
    expect(v).toBeDefined();
    if (!v) return;
    expect(v.zoom).toBeLessThan(LOD_ZOOM);
    // The bounds (0,0)–(2700+176, 12870+height) land inside the 1600×950 pane.
    for (const [x, y] of [[0, 0], [2700 + g.width, 12870 + g.height]] as const) {
      const sx = x * v.zoom + v.x;
      const sy = y * v.zoom + v.y;
      expect(sx).toBeGreaterThanOrEqual(0);
      expect(sx).toBeLessThanOrEqual(1600);
      expect(sy).toBeGreaterThanOrEqual(0);
      expect(sy).toBeLessThanOrEqual(950);
    }
  });

  it('does not zoom a small pipeline in beyond maxZoom', () => {
    const v = fitBoxes([{ id: 'a', x: 0, y: 0, width: 176, height: 87 }], 1600, 950, FIT);
    expect(v?.zoom).toBe(1.2);
  });
});
