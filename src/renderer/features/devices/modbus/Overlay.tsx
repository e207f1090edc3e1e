import { useEffect, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

/**
 * A large modal over the whole workbench (the Devices panel is too narrow for a register table).
 * Keys pressed inside stay inside: Delete or Ctrl+A here must not edit the canvas. Escape closes;
 * a click beside it does not, so a half-made selection is not lost by a stray click.
 */
export function Overlay({ label, onClose, className, children }: { label: string; onClose(): void; className?: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    box.current?.focus();
    return () => before?.focus?.();
  }, []);
  return createPortal(
    <div className="pb-overlay pb-mb-overlay">
      <div
        ref={box}
        className={`pb-dialog pb-mb-dialog ${className ?? ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        tabIndex={-1}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') onClose();
        }}
      >
        {children}
      </div>
    </div>,
    document.body,
  );
}

/** The dialog's title row with its close button. */
export function OverlayHead({ title, onClose, children }: { title: ReactNode; onClose(): void; children?: ReactNode }) {
  return (
    <div className="pb-mb-dialog__head">
      <h2>{title}</h2>
      {children}
      <button type="button" className="pb-btn pb-btn--icon" aria-label="Close" title="Close (Escape)" onClick={onClose}>
        ✕
      </button>
    </div>
  );
}
