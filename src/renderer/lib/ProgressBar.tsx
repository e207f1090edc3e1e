import type { DiscoveryProgress } from '../../shared/discovery/progress.ts';

/** Progress of a long call with its cancel button; an indeterminate bar while the total is unknown. */
export function ProgressBar({ progress, onCancel, label }: { progress: DiscoveryProgress | undefined; onCancel?: () => void; label: string }) {
  const total = progress?.total;
  const fraction = total ? Math.min(1, (progress?.done ?? 0) / total) : undefined;
  return (
    <div className="pb-progress" role="group" aria-label={label}>
      <div
        className={`pb-progress__track${fraction === undefined ? ' is-indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total ?? undefined}
        aria-valuenow={total ? progress?.done : undefined}
      >
        <div className="pb-progress__fill" style={fraction === undefined ? undefined : { width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <div className="pb-progress__text">
        <span className="pb-muted">{progress ? `${progress.done.toLocaleString()}${total ? ` / ${total.toLocaleString()}` : ''}` : 'starting…'}</span>
        {progress?.message && <span className="pb-progress__message" title={progress.message}>{progress.message}</span>}
        {onCancel && (
          <button type="button" className="pb-btn pb-btn--small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </div>
  );
}
