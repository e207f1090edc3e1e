import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A scrolling list that renders only the rows in view (fixed row height), so tables of thousands
 * of rows stay cheap. `stickToEnd` keeps the newest rows in view while the user is at the bottom.
 */
export function VirtualRows<T>({
  rows,
  rowHeight,
  render,
  stickToEnd = false,
  className,
  empty,
}: {
  rows: readonly T[];
  rowHeight: number;
  render(row: T, index: number): ReactNode;
  stickToEnd?: boolean;
  className?: string;
  empty?: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(300);
  const atEnd = useRef(true);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = box.current;
    if (stickToEnd && el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [rows, stickToEnd]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - 5);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / rowHeight) + 5);
  const slice: ReactNode[] = [];
  for (let i = first; i < last; i++) slice.push(render(rows[i]!, i));
  return (
    <div
      ref={box}
      className={`pb-vrows ${className ?? ''}`}
      onScroll={(e) => {
        const el = e.currentTarget;
        setScrollTop(el.scrollTop);
        atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
      }}
    >
      {rows.length === 0 && empty}
      <div className="pb-vrows__spacer" style={{ height: rows.length * rowHeight }}>
        <div className="pb-vrows__window" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {slice}
        </div>
      </div>
    </div>
  );
}
