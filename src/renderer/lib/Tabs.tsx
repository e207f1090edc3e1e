import type { ReactNode } from 'react';

/** A row of tabs (buttons with the tab role); `extra` goes at the right end. */
export function Tabs<T extends string>({ tabs, active, onSelect, className, extra }: {
  tabs: readonly { id: T; label: ReactNode }[];
  active: T;
  onSelect(id: T): void;
  className?: string;
  extra?: ReactNode;
}) {
  return (
    <div className={`pb-tabs ${className ?? ''}`} role="tablist">
      {tabs.map((t) => (
        <button key={t.id} type="button" role="tab" id={`pb-tab-${t.id}`} aria-selected={active === t.id} className={`pb-tab${active === t.id ? ' is-active' : ''}`} onClick={() => onSelect(t.id)}>
          {t.label}
        </button>
      ))}
      {extra}
    </div>
  );
}
