import { describe, expect, it } from 'vitest';
import type { Graph, PbNode } from '../../../src/renderer/features/canvas/doc.ts';
import { BIG_PIPELINE, LOD_ZOOM, roughFit } from '../../../src/renderer/features/canvas/layout.ts';

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
const FIT = { padding: 0.15, maxZoom: 1.2 };

describe('roughFit (the viewport a big pipeline opens with)', () => {
  it('leaves small pipelines to React Flow', () => {
    expect(roughFit(lines(BIG_PIPELINE), 1600, 950, FIT)).toBeUndefined();
  });

  it('zooms a 1,000-node pipeline out below the level-of-detail threshold, all nodes inside the pane', () => {
    const v = roughFit(lines(1000), 1600, 950, FIT);
    expect(v).toBeDefined();
    if (!v) return;
    expect(v.zoom).toBeLessThan(LOD_ZOOM);
    // The bounds (0,0)–(2880,12970) land inside the 1600×950 pane.
    for (const [x, y] of [[0, 0], [2880, 12970]] as const) {
      const sx = x * v.zoom + v.x;
      const sy = y * v.zoom + v.y;
      expect(sx).toBeGreaterThanOrEqual(0);
      expect(sx).toBeLessThanOrEqual(1600);
      expect(sy).toBeGreaterThanOrEqual(0);
      expect(sy).toBeLessThanOrEqual(950);
    }
  });
});
