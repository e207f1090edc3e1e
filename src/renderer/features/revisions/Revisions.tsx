import { useEffect, useMemo, useState } from 'react';
import { getRevision, listRevisions, notify } from '../../state/actions.ts';
import { activeDoc, workbench } from '../../state/workbench.ts';
import { diffLines, hunks, splitLines } from '../../lib/line-diff.ts';
import { useStore } from '../../lib/use-store.ts';

interface RevisionInfo {
  revision: number;
  savedAt: number;
  author: string | null;
  bytes: number;
}

const when = (ms: number): string => new Date(ms).toLocaleString(undefined, { hour12: false });

/** The saved revisions of the open pipeline, and a line diff of any two of them. */
export function Revisions() {
  const doc = useStore(workbench, activeDoc);
  const id = doc?.id;
  const savedVersion = doc?.savedVersion;
  const [list, setList] = useState<RevisionInfo[] | undefined>(undefined);
  const [pair, setPair] = useState<{ a?: number; b?: number }>({});
  const [texts, setTexts] = useState<Record<number, string>>({});

  useEffect(() => {
    if (id === undefined) return;
    let stale = false;
    listRevisions(id).then(
      (l) => {
        if (stale) return;
        setList(l);
        // Newest against the one before it, to start with.
        setPair({ a: l[1]?.revision, b: l[0]?.revision });
      },
      (err: unknown) => notify(`Revisions: ${(err as Error).message}`, 'error'),
    );
    return () => {
      stale = true;
    };
  }, [id, savedVersion]);

  useEffect(() => {
    for (const r of [pair.a, pair.b]) {
      if (r === undefined || texts[r] !== undefined) continue;
      getRevision(r).then(
        (rev) => setTexts((t) => ({ ...t, [r]: rev.content })),
        (err: unknown) => notify(`Revision ${r}: ${(err as Error).message}`, 'error'),
      );
    }
  }, [pair, texts]);

  const diff = useMemo(() => {
    const a = pair.a === undefined ? '' : texts[pair.a];
    const b = pair.b === undefined ? '' : texts[pair.b];
    if (a === undefined || b === undefined) return undefined;
    return hunks(diffLines(splitLines(a), splitLines(b)));
  }, [pair, texts]);

  if (!doc) return <p className="pb-muted pb-pad">No pipeline open.</p>;
  if (!list) return <p className="pb-muted pb-pad">Loading revisions…</p>;
  if (!list.length) return <p className="pb-muted pb-pad">No revisions of {doc.file} yet: every save records one.</p>;
  const option = (r: RevisionInfo) => (
    <option key={r.revision} value={r.revision}>
      #{r.revision} · {when(r.savedAt)}
      {r.author ? ` · ${r.author}` : ''} · {r.bytes} B
    </option>
  );
  return (
    <div className="pb-revisions" data-testid="revisions">
      <div className="pb-toolbar">
        <span className="pb-muted">{doc.file}:</span>
        <label htmlFor="pb-rev-a">from</label>
        <select id="pb-rev-a" className="pb-input pb-input--inline" value={pair.a ?? ''} onChange={(e) => setPair((p) => ({ ...p, a: e.target.value ? Number(e.target.value) : undefined }))}>
          <option value="">(empty)</option>
          {list.map(option)}
        </select>
        <label htmlFor="pb-rev-b">to</label>
        <select id="pb-rev-b" className="pb-input pb-input--inline" value={pair.b ?? ''} onChange={(e) => setPair((p) => ({ ...p, b: e.target.value ? Number(e.target.value) : undefined }))}>
          {list.map(option)}
        </select>
        <span className="pb-muted">{list.length} revisions</span>
      </div>
      <div className="pb-diff pb-mono" data-testid="revision-diff">
        {!diff ? (
          <p className="pb-muted pb-pad">Loading…</p>
        ) : diff.length === 0 ? (
          <p className="pb-muted pb-pad">The two revisions are identical.</p>
        ) : (
          diff.map((h, i) => (
            <div key={i} className="pb-diff__hunk">
              <div className="pb-diff__head">
                @@ -{h.aStart},{h.aLines} +{h.bStart},{h.bLines} @@
              </div>
              {h.lines.map((l, j) => (
                <div key={j} className={`pb-diff__line pb-diff__line--${l.op}`}>
                  <span className="pb-diff__n">{l.a ?? ''}</span>
                  <span className="pb-diff__n">{l.b ?? ''}</span>
                  <span className="pb-diff__op">{l.op === 'add' ? '+' : l.op === 'del' ? '-' : ' '}</span>
                  <span className="pb-diff__text">{l.text}</span>
                </div>
              ))}
            </div>
          ))
        )}
      </div>
    </div>
  );
}
