import { useState } from 'react';
import { NODE_SPECS, type NodeCategory } from '../../../shared/nodes/index.ts';
import { addNode } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { setNodeDrag } from '../canvas/dnd.ts';
import { starterConfig } from '../inspector/forms.ts';

const GROUPS: { category: NodeCategory; title: string }[] = [
  { category: 'source', title: 'Sources' },
  { category: 'transform', title: 'Transforms' },
  { category: 'sink', title: 'Sinks' },
];

/** Node kinds from the registry: drag one onto the canvas, or press Enter to add it at the centre. */
export function Palette() {
  const project = useStore(workbench, (s) => s.project);
  const devices = project?.devices ?? [];
  const simulated = new Set((project?.simulators ?? []).map((s) => s.device).filter((d): d is string => d !== undefined));
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const specs = NODE_SPECS.filter((s) => !f || s.type.includes(f) || s.title.toLowerCase().includes(f) || s.summary.toLowerCase().includes(f));
  return (
    <div className="pb-palette" data-testid="palette">
      <input className="pb-input pb-filter" placeholder="Filter node kinds" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter node kinds" />
      {GROUPS.map((g) => {
        const items = specs.filter((s) => s.category === g.category);
        if (!items.length) return null;
        return (
          <section key={g.category} className="pb-palette__group">
            <h3>{g.title}</h3>
            <ul>
              {items.map((s) => (
                <li
                  key={s.type}
                  className={`pb-palette__item pb-palette__item--${s.category}`}
                  draggable
                  tabIndex={0}
                  title={`${s.summary}\n\nDrag onto the canvas, or press Enter to add.`}
                  data-kind={s.type}
                  onDragStart={(e) => setNodeDrag(e, { kind: s.type, config: starterConfig(s.type, devices, simulated) })}
                  onDoubleClick={() => addNode(s.type, starterConfig(s.type, devices, simulated))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') addNode(s.type, starterConfig(s.type, devices, simulated));
                  }}
                >
                  <span className="pb-palette__title">{s.title}</span>
                  <span className="pb-palette__type">{s.type}</span>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
