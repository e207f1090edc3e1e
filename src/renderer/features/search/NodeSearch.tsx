import { useMemo, useState } from 'react';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { focusNode, ui } from '../../state/actions.ts';
import { activeDoc, workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';

/** Ctrl+K: find a node of the open pipeline by id, name or kind, and jump to it. */
export function NodeSearch() {
  const nodes = useStore(workbench, (s) => activeDoc(s)?.graph.nodes ?? []);
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    return nodes.filter((n) => !q || n.id.includes(q) || (n.data.name ?? '').toLowerCase().includes(q) || n.data.kind.includes(q)).slice(0, 50);
  }, [nodes, query]);
  const choose = (id: string | undefined): void => {
    if (id === undefined) return;
    ui({ dialog: undefined });
    void focusNode(id);
  };
  return (
    <div className="pb-dialog pb-search" role="dialog" aria-modal="true" aria-label="Find a node">
      <input
        className="pb-input"
        autoFocus
        placeholder="Find a node by id, name or kind…"
        value={query}
        aria-label="Find a node"
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setIndex((i) => Math.min(matches.length - 1, i + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setIndex((i) => Math.max(0, i - 1));
          } else if (e.key === 'Enter') choose(matches[index]?.id);
        }}
      />
      <ul className="pb-search__results" role="listbox">
        {matches.map((n, i) => (
          <li key={n.id} role="option" aria-selected={i === index} className={i === index ? 'is-active' : undefined} onMouseEnter={() => setIndex(i)} onClick={() => choose(n.id)}>
            <span className="pb-mono">{n.id}</span>
            {n.data.name && <span> {n.data.name}</span>}
            <span className="pb-muted"> · {NODE_SPEC_BY_TYPE.get(n.data.kind)?.title ?? n.data.kind}</span>
          </li>
        ))}
        {!matches.length && <li className="pb-muted">No node matches.</li>}
      </ul>
    </div>
  );
}
