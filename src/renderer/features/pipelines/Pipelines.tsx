import { useState } from 'react';
import { newPipeline, openPipeline, ui } from '../../state/actions.ts';
import { isDirty, workbench } from '../../state/workbench.ts';
import { FormRow } from '../../lib/FormRow.tsx';
import { useStore } from '../../lib/use-store.ts';

export function Pipelines() {
  const pipelines = useStore(workbench, (s) => s.project?.pipelines ?? []);
  const docs = useStore(workbench, (s) => s.docs);
  const active = useStore(workbench, (s) => s.active);
  const running = useStore(workbench, (s) => s.run.pipelines);
  // Pipelines created here but not saved yet are listed too.
  const ids = [...pipelines.map((p) => p.id), ...Object.keys(docs).filter((id) => !pipelines.some((p) => p.id === id))];
  return (
    <div className="pb-pipelines" data-testid="pipelines">
      <ul className="pb-list-plain">
        {ids.map((id) => {
          const p = pipelines.find((x) => x.id === id);
          const doc = docs[id];
          const name = (doc?.header.name as string | undefined) ?? p?.name ?? id;
          return (
            <li key={id}>
              <button type="button" className={`pb-pipeline${id === active ? ' is-active' : ''}`} onClick={() => void openPipeline(id)} aria-current={id === active ? 'page' : undefined}>
                <span className="pb-pipeline__name">
                  {name}
                  {isDirty(doc) && <span className="pb-dirty" title="unsaved changes"> ●</span>}
                </span>
                <span className="pb-pipeline__meta">
                  {id} · {doc ? doc.graph.nodes.length : (p?.nodes ?? 0)} nodes{running.includes(id) ? ' · running' : ''}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" className="pb-btn pb-btn--block" onClick={() => ui({ dialog: 'new-pipeline' })}>
        New pipeline… <kbd>Ctrl+Alt+N</kbd>
      </button>
    </div>
  );
}

export function NewPipelineDialog() {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const create = (): void => setError(newPipeline(id.trim(), name));
  return (
    <div className="pb-dialog" role="dialog" aria-modal="true" aria-label="New pipeline">
      <h2>New pipeline</h2>
      <FormRow label="id" htmlFor="pb-new-id">
        <input id="pb-new-id" className="pb-input pb-input--mono" autoFocus value={id} placeholder="e.g. filler-oee" onChange={(e) => setId(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && create()} />
      </FormRow>
      <FormRow label="name" htmlFor="pb-new-name" error={error}>
        <input id="pb-new-name" className="pb-input" value={name} placeholder="Filler OEE" onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && create()} />
      </FormRow>
      <div className="pb-dialog__buttons">
        <button type="button" className="pb-btn" onClick={() => ui({ dialog: undefined })}>
          Cancel
        </button>
        <button type="button" className="pb-btn pb-btn--primary" onClick={create}>
          Create
        </button>
      </div>
    </div>
  );
}
