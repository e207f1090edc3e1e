import { useEffect, useMemo, useRef, useState } from 'react';
import { EXPORT_ROLES, type ExportPlanView } from '../../../shared/rpc/methods/export.ts';
import { errorText, hostClient, notify, ui } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { problemLocation } from '../../../shared/problem.ts';
import { formatBytes } from '../../../shared/recording.ts';
import { archiveDownloadHref } from './export-model.ts';
import './export.css';

const ROLE_TEXT: Record<(typeof EXPORT_ROLES)[number], string> = {
  runtime: 'Runtime (the engine and connectors, bundled)',
  native: 'Native modules (Linux x64 and arm64)',
  project: 'Project files (canonical YAML)',
  config: 'Gateway configuration',
  deploy: 'Deployment (systemd, Docker)',
  docs: 'Operator docs',
};

/**
 * Export to an edge gateway: the pipelines to include, what the bundle holds (files by role with
 * sizes) and the secrets the gateway must be given (names and where they are used, never values).
 * Export writes a .tar.gz into the project's .plantbench/exports/ and shows where.
 */
export function ExportDialog() {
  const project = useStore(workbench, (s) => s.project);
  const pipelines = useMemo(() => project?.pipelines ?? [], [project]);
  // What the user unticked: a pipeline that appears while the dialog is open is included.
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(() => new Set());
  const [plan, setPlan] = useState<ExportPlanView>();
  const [planning, setPlanning] = useState(false);
  const [writing, setWriting] = useState(false);
  const [error, setError] = useState<string>();
  const [written, setWritten] = useState<{ path: string; file: string; bytes: number }>();
  const latest = useRef(0);
  const close = (): void => ui({ dialog: undefined });
  const ids = useMemo(() => pipelines.map((p) => p.id).filter((id) => !excluded.has(id)), [pipelines, excluded]);
  const key = ids.join(',');

  useEffect(() => {
    setWritten(undefined);
    if (ids.length === 0) {
      setPlan(undefined);
      return;
    }
    // Only the answer to the latest selection is shown.
    const call = ++latest.current;
    setPlanning(true);
    hostClient()
      .call('export.plan', { pipelines: ids })
      .then(
        (p) => call === latest.current && (setPlan(p), setError(undefined)),
        (err: unknown) => call === latest.current && setError(errorText(err)),
      )
      .finally(() => call === latest.current && setPlanning(false));
    // Planned again when the selection or the project (files on disk) changes.
  }, [key, project]);

  const toggle = (id: string): void =>
    setExcluded((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const submit = async (): Promise<void> => {
    if (writing || planning || !plan || plan.problems.length || ids.length === 0) return;
    setWriting(true);
    setError(undefined);
    try {
      const result = await hostClient().call('export.write', { pipelines: ids });
      setPlan(result.plan);
      if (result.path && result.file && result.bytes !== undefined) {
        setWritten({ path: result.path, file: result.file, bytes: result.bytes });
        notify(`Exported ${ids.length} pipeline${ids.length === 1 ? '' : 's'} to ${result.file}`, 'ok');
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setWriting(false);
    }
  };

  const byRole = EXPORT_ROLES.map((role) => ({ role, files: plan?.files.filter((f) => f.role === role) ?? [] })).filter((g) => g.files.length);
  const total = plan?.files.reduce((n, f) => n + f.bytes, 0) ?? 0;
  const blocked = !plan || plan.problems.length > 0 || ids.length === 0;
  // In a browser (plantbench serve) the archive is on the host's disk: offer it as a download.
  const download = written && archiveDownloadHref(written.file, Boolean(window.plantbench?.rpc));

  return (
    <form
      className="pb-dialog pb-exportdialog"
      role="dialog"
      aria-modal="true"
      aria-label="Export to an edge gateway"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>Export to an edge gateway</h2>
      <fieldset className="pb-exportdialog__pipelines">
        <legend>Pipelines to include</legend>
        {pipelines.length === 0 && <p className="pb-muted">This project has no pipeline.</p>}
        {pipelines.map((p, i) => (
          <label key={p.id} className="pb-exportdialog__pipeline">
            <input type="checkbox" checked={!excluded.has(p.id)} onChange={() => toggle(p.id)} autoFocus={i === 0} data-testid={`export-pipeline-${p.id}`} />
            <span>{p.name ?? p.id}</span>
            <span className="pb-mono pb-muted">{p.id}</span>
          </label>
        ))}
      </fieldset>

      {ids.length === 0 && pipelines.length > 0 && <p className="pb-muted">Choose at least one pipeline.</p>}

      {plan && plan.problems.length > 0 && (
        <div className="pb-exportdialog__problems" role="alert" data-testid="export-problems">
          <strong>The bundle cannot be written:</strong>
          <ul>
            {plan.problems.map((p, i) => (
              <li key={i}>
                <span className="pb-mono">{problemLocation(p)}</span> {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}

      {plan && plan.problems.length === 0 && (
        <>
          <h3>
            Bundle contents <span className="pb-muted">— {plan.files.length} files, {formatBytes(total)}</span>
          </h3>
          <div className="pb-exportdialog__files" data-testid="export-files">
            {byRole.map(({ role, files }) => (
              <RoleFiles key={role} title={ROLE_TEXT[role]} role={role} files={files} />
            ))}
          </div>

          <h3>Secrets to provide on the gateway</h3>
          {plan.secrets.length === 0 ? (
            <p className="pb-muted" data-testid="export-no-secrets">
              None: this bundle needs no secret or environment variable.
            </p>
          ) : (
            <table className="pb-exportdialog__secrets" data-testid="export-secrets">
              <thead>
                <tr>
                  <th>name</th>
                  <th>from</th>
                  <th>used by</th>
                </tr>
              </thead>
              <tbody>
                {plan.secrets.map((s) => (
                  <tr key={s.ref}>
                    <td className="pb-mono">{s.ref}</td>
                    <td>{s.kind === 'secret' ? 'secrets file (0600) or PLANTBENCH_SECRET_… env' : 'environment variable'}</td>
                    <td className="pb-mono pb-muted">{s.usedBy.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}

      {written && (
        <p className="pb-exportdialog__written" role="status" data-testid="export-written">
          Written {formatBytes(written.bytes)} to <span className="pb-mono" data-testid="export-path">{written.path}</span>
          {download && (
            <>
              {' '}
              <a className="pb-btn" href={download} download={written.file.split('/').pop()} data-testid="export-download">
                Download
              </a>
            </>
          )}
        </p>
      )}
      {error && (
        <p className="pb-exportdialog__error" role="alert">
          {error}
        </p>
      )}
      <div className="pb-dialog__buttons">
        {planning && <span className="pb-muted pb-exportdialog__hint">Reading the project…</span>}
        <button type="button" className="pb-btn" onClick={close}>
          {written ? 'Close' : 'Cancel'}
        </button>
        <button type="submit" className="pb-btn pb-btn--primary" disabled={blocked || planning || writing} data-testid="export-write">
          {writing ? 'Exporting…' : 'Export'}
        </button>
      </div>
    </form>
  );
}

/** The runtime's chunks and the native modules start folded: the files worth reading are the rest. */
const FOLDED = new Set(['runtime', 'native']);

function RoleFiles({ title, role, files }: { title: string; role: string; files: ExportPlanView['files'] }) {
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  return (
    <details className="pb-exportdialog__role" data-role={role} open={!FOLDED.has(role)}>
      <summary>
        <span>{title}</span>
        <span className="pb-muted">
          {files.length} file{files.length === 1 ? '' : 's'}
        </span>
        <span className="pb-exportdialog__size">{formatBytes(bytes)}</span>
      </summary>
      <table>
        <tbody>
          {files.map((f) => (
            <tr key={f.path}>
              <td className="pb-mono">{f.path}</td>
              <td className="pb-exportdialog__size pb-muted">{formatBytes(f.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
