import { useCallback, useEffect, useRef, useState } from 'react';
import type { DiscoveryProgress } from '../../shared/discovery/progress.ts';
import { errorText } from '../state/actions.ts';

export interface LongCall<T> {
  /** Starts the call (cancelling one still running); resolves with its result, or undefined if it failed or was cancelled. */
  run(call: (options: { signal: AbortSignal; onProgress: (p: DiscoveryProgress) => void }) => Promise<T>): Promise<T | undefined>;
  cancel(): void;
  readonly running: boolean;
  readonly progress?: DiscoveryProgress;
  readonly error?: string;
}

/**
 * A long host call (scan, probe, crawl, capture) with its progress and a cancel button. Unmounting
 * cancels it, so a closed panel never leaves work running on the host.
 */
export function useLongCall<T>(): LongCall<T> {
  const controller = useRef<AbortController | undefined>(undefined);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<DiscoveryProgress>();
  const [error, setError] = useState<string>();
  useEffect(() => () => controller.current?.abort(), []);
  const cancel = useCallback(() => controller.current?.abort(), []);
  const run = useCallback(async (call: Parameters<LongCall<T>['run']>[0]) => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setRunning(true);
    setProgress(undefined);
    setError(undefined);
    try {
      return await call({ signal: mine.signal, onProgress: (p) => controller.current === mine && setProgress(p) });
    } catch (err) {
      if (!mine.signal.aborted) setError(errorText(err));
      return undefined;
    } finally {
      if (controller.current === mine) {
        controller.current = undefined;
        setRunning(false);
      }
    }
  }, []);
  return { run, cancel, running, progress, error };
}
