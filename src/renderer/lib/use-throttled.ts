import { useEffect, useState } from 'react';
import type { Store } from './store.ts';

/**
 * Re-renders when the selected version changes, but at most every `ms` (tables and charts do not
 * need 60 redraws a second to be readable; counters on the canvas are cheaper and go per frame).
 */
export function useThrottledVersion<T>(store: Store<T>, select: (s: T) => number, ms: number, paused = false): number {
  const [version, setVersion] = useState(() => select(store.get()));
  useEffect(() => {
    if (paused) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const update = (): void => {
      timer = undefined;
      last = performance.now();
      setVersion(select(store.get()));
    };
    const unsubscribe = store.subscribe(() => {
      if (timer !== undefined) return;
      const wait = Math.max(0, ms - (performance.now() - last));
      timer = setTimeout(update, wait);
    });
    update();
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, select, ms, paused]);
  return version;
}
