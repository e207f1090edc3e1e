import type { ReactNode } from 'react';

/** The header row of a grid table: one cell per column, laid out by the row's CSS class. */
export function HeadRow({ className, cells }: { className: string; cells: readonly (ReactNode | { label: ReactNode; title: string })[] }) {
  return (
    <div className={className} role="row">
      {cells.map((c, i) =>
        typeof c === 'object' && c !== null && 'title' in c ? (
          <span key={i} title={c.title}>
            {c.label}
          </span>
        ) : (
          <span key={i}>{c}</span>
        ),
      )}
    </div>
  );
}
