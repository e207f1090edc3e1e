import { memo, useMemo, useState } from 'react';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { formatFieldPath } from '../../../shared/problem.ts';
import { edit, editHeader, focusNode, problemNode } from '../../state/actions.ts';
import { live, nodeLive } from '../../state/live.ts';
import { activeDoc, allProblems, workbench } from '../../state/workbench.ts';
import { setIn, type Field } from '../../lib/schema-form.ts';
import { shallowEqual, useStore } from '../../lib/use-store.ts';
import { isValidId, renameNode, type PbNode } from '../canvas/doc.ts';
import { formatValue } from '../../lib/format.ts';
import { FormRow } from '../../lib/FormRow.tsx';
import { FieldView, pathKey, RawInput, type FormContext, type Path } from './fields.tsx';
import { formFor } from './forms.ts';

const isConfigPath = (path: readonly (string | number)[], id: string): boolean => path[0] === 'nodes' && path[1] === id && path[2] === 'config';

function updateNode(id: string, patch: (n: PbNode) => PbNode, key: string): void {
  edit((g) => ({ nodes: g.nodes.map((n) => (n.id === id ? patch(n) : n)), edges: g.edges }), { record: `${id}:${key}` });
}

function LiveCounters({ id }: { id: string }) {
  useStore(live, (v) => v.stats);
  const pipeline = workbench.get().active;
  const s = pipeline === undefined ? undefined : nodeLive(pipeline, id);
  if (!s) return <p className="pb-muted">Counters appear here while the pipeline runs.</p>;
  return (
    <div className="pb-live-counters" data-testid="node-counters">
      <dl className="pb-kv">
        <dt>in</dt>
        <dd>{s.in}</dd>
        <dt>out</dt>
        <dd>{s.out}</dd>
        <dt>dropped</dt>
        <dd className={s.dropped ? 'warn' : undefined}>{s.dropped}</dd>
        <dt>errors</dt>
        <dd className={s.errors ? 'bad' : undefined}>{s.errors}</dd>
        <dt>queued</dt>
        <dd>{s.queued}</dd>
        <dt>latency</dt>
        <dd>
          {s.latency.avgUs.toFixed(0)} µs avg, {s.latency.maxUs.toFixed(0)} max
        </dd>
        {s.last && (
          <>
            <dt>last</dt>
            <dd className={`q-${s.last.quality}`}>
              {s.last.path} = {formatValue(s.last.value, s.last.meta?.unit)} ({s.last.quality})
            </dd>
          </>
        )}
        {s.lastError && (
          <>
            <dt>last error</dt>
            <dd className="bad">{s.lastError.message}</dd>
          </>
        )}
        {Object.entries(s.status ?? {}).map(([k, v]) => (
          <FragmentKV key={k} k={k} v={String(v)} />
        ))}
      </dl>
    </div>
  );
}

const FragmentKV = ({ k, v }: { k: string; v: string }) => (
  <>
    <dt>{k}</dt>
    <dd>{v}</dd>
  </>
);

function IdEditor({ id }: { id: string }) {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const taken = useStore(workbench, (s) => activeDoc(s)?.graph.nodes.some((n) => n.id === draft && draft !== id) ?? false);
  const error = draft === undefined || draft === id ? undefined : !isValidId(draft) ? 'lowercase letters, digits and "-"' : taken ? 'already used' : undefined;
  const commit = (): void => {
    if (draft !== undefined && draft !== id && !error) {
      edit((g) => renameNode(g, id, draft));
      void focusNode(draft);
    }
    setDraft(undefined);
  };
  return (
    <FormRow label="id" htmlFor="pb-node-id" title="The stable id other files and tests refer to. Renaming it updates this pipeline's edges only." error={error}>
      <input
        id="pb-node-id"
        className="pb-input pb-input--mono"
        value={draft ?? id}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setDraft(undefined);
        }}
        onBlur={commit}
      />
    </FormRow>
  );
}

const NodeInspector = memo(function NodeInspector({ node }: { node: PbNode }) {
  const { id, data } = node;
  const spec = NODE_SPEC_BY_TYPE.get(data.kind);
  const fields = formFor(data.kind);
  const deviceData = useStore(workbench, (s) => s.deviceData);
  const project = useStore(workbench, (s) => s.project);
  const hostProblems = useStore(
    workbench,
    (s) => {
      const file = activeDoc(s)?.file;
      return allProblems(s).filter((p) => problemNode(p) === id && p.file === file);
    },
    (a, b) => a.length === b.length && a.every((p, i) => shallowEqual(p, b[i])),
  );

  // The schema's messages, checked here as you type, and the host's for config fields (device and
  // tag references), shown under the field they are about.
  const issues = useMemo(() => {
    const errors = new Map<string, string[]>();
    const add = (key: string, message: string): void => {
      const list = errors.get(key) ?? [];
      if (!list.includes(message)) errors.set(key, [...list, message]);
    };
    const r = spec?.config.safeParse(data.config);
    if (r && !r.success) for (const issue of r.error.issues) add(pathKey(issue.path as Path), issue.message);
    for (const p of hostProblems) if (isConfigPath(p.path, id)) add(pathKey(p.path.slice(3)), p.message);
    return errors;
  }, [spec, data.config, hostProblems, id]);
  const otherProblems = hostProblems.filter((p) => !isConfigPath(p.path, id));

  const knownPaths = useMemo(() => {
    const out = new Set<string>();
    const walk = (fs: readonly Field[]): void => {
      for (const f of fs) {
        out.add(pathKey(f.path));
        if (f.kind === 'object') walk(f.fields);
        if (f.kind === 'variant') {
          out.add(pathKey([...f.path, f.discriminator]));
          for (const v of f.variants) walk(v.fields);
        }
      }
    };
    walk(fields ?? []);
    return out;
  }, [fields]);
  // Messages whose path has no control of its own (checks across fields) are listed on top.
  const loose = [...issues].filter(([k]) => !knownPaths.has(k));

  const device = (data.config as { device?: unknown } | undefined)?.device;
  const ctx: FormContext = {
    value: data.config,
    errors: issues,
    onChange: (path, value) => updateNode(id, (n) => ({ ...n, data: { ...n.data, config: setIn(n.data.config, path, value) } }), `config.${pathKey(path)}`),
    suggestions: (field) => {
      if (field.path.length !== 1) return undefined;
      if (field.key === 'device' && spec?.protocol) {
        const options = (project?.devices ?? []).filter((d) => d.protocol === spec.protocol).map((d) => d.id);
        return { options, strict: true };
      }
      if ((field.key === 'tags' || field.key === 'tag') && typeof device === 'string') {
        const tags = (deviceData[device] as { tags?: { name?: unknown; writable?: unknown }[] } | undefined)?.tags ?? [];
        const options = tags.filter((t) => field.key === 'tags' || t.writable === true).map((t) => String(t.name));
        return { options, strict: false };
      }
      return undefined;
    },
  };

  return (
    <div className="pb-inspector__body" data-testid="inspector" data-node={id}>
      <div className="pb-inspector__kind">
        <span className={`pb-badge pb-badge--${spec?.category ?? 'unknown'}`}>{spec?.category ?? 'unknown'}</span> <strong>{spec?.title ?? data.kind}</strong>
        <span className="pb-muted"> ({data.kind})</span>
      </div>
      {spec && <p className="pb-inspector__summary">{spec.summary}</p>}
      {otherProblems.length > 0 && (
        <ul className="pb-inspector__problems">
          {otherProblems.map((p, i) => (
            <li key={i}>
              <span className="pb-mono">{formatFieldPath(p.path)}</span>: {p.message}
            </li>
          ))}
        </ul>
      )}
      <section className="pb-section">
        <h3>Node</h3>
        <IdEditor key={id} id={id} />
        <FormRow label="name" htmlFor="pb-node-name">
          <input
            id="pb-node-name"
            className="pb-input"
            value={data.name ?? ''}
            placeholder={id}
            onChange={(e) => updateNode(id, (n) => ({ ...n, data: { ...n.data, name: e.target.value || undefined } }), 'name')}
          />
        </FormRow>
      </section>
      <section className="pb-section">
        <h3>Config</h3>
        {loose.map(([k, msgs]) => (
          <div key={k} className="pb-field__error" role="alert">
            {k ? `${k}: ` : ''}
            {msgs.join('; ')}
          </div>
        ))}
        {fields ? (
          fields.map((f) => <FieldView key={f.key} field={f} ctx={ctx} />)
        ) : (
          <RawInput id="pb-raw-config" value={data.config} rows={8} onCommit={(v) => ctx.onChange([], v ?? {})} />
        )}
      </section>
      <section className="pb-section">
        <h3>Live</h3>
        <LiveCounters id={id} />
      </section>
    </div>
  );
});

function PipelineInspector() {
  const doc = useStore(workbench, activeDoc);
  if (!doc) return <p className="pb-muted pb-pad">No pipeline open.</p>;
  return (
    <div className="pb-inspector__body">
      <div className="pb-inspector__kind">
        <strong>Pipeline</strong> <span className="pb-muted pb-mono">{doc.file}</span>
      </div>
      <section className="pb-section">
        <FormRow label="name" htmlFor="pb-pipeline-name" required>
          <input id="pb-pipeline-name" className="pb-input" value={String(doc.header.name ?? '')} onChange={(e) => editHeader('name', e.target.value)} />
        </FormRow>
        <FormRow label="description" htmlFor="pb-pipeline-description">
          <textarea id="pb-pipeline-description" className="pb-input" rows={3} value={String(doc.header.description ?? '')} onChange={(e) => editHeader('description', e.target.value)} />
        </FormRow>
        <p className="pb-muted">
          {doc.graph.nodes.length} nodes, {doc.graph.edges.length} edges. Select a node to edit it.
        </p>
      </section>
    </div>
  );
}

export function Inspector() {
  const selected = useStore(
    workbench,
    (s) => activeDoc(s)?.graph.nodes.filter((n) => n.selected) ?? [],
    (a, b) => a.length === b.length && a.every((n, i) => n.id === b[i]!.id && n.data === b[i]!.data),
  );
  const title = selected.length === 1 ? selected[0]!.data.name ?? selected[0]!.id : selected.length > 1 ? `${selected.length} nodes` : 'Pipeline';
  return (
    <aside className="pb-inspector" aria-label="Inspector">
      <header className="pb-panel__head">
        <h2>Inspector</h2>
        <span className="pb-panel__sub">{title}</span>
      </header>
      {selected.length === 1 ? (
        <NodeInspector key={selected[0]!.id} node={selected[0]!} />
      ) : selected.length > 1 ? (
        <p className="pb-muted pb-pad">{selected.length} nodes selected: Delete removes them, Ctrl+C copies them.</p>
      ) : (
        <PipelineInspector />
      )}
    </aside>
  );
}
