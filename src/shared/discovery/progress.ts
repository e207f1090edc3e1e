import { z } from 'zod';

// Long discovery operations (scan, crawl, probe, topic capture) report progress and can be
// cancelled. The same shapes travel over RPC as progress events.

export const discoveryProgress = z
  .object({
    /** Work units done so far (targets probed, nodes crawled, requests sent, messages seen). */
    done: z.number().int().min(0),
    /** Total work units when known up front. */
    total: z.number().int().min(0).optional(),
    /** What is happening now, e.g. "127.0.0.12:4840 OPC UA". */
    message: z.string().optional(),
  })
  .strict();
export type DiscoveryProgress = z.infer<typeof discoveryProgress>;

export interface DiscoveryOptions {
  /** Aborting stops the operation soon; it then resolves with what it found so far, marked cancelled. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DiscoveryProgress) => void;
}

/** Emits progress at most every `intervalMs` (and always the last), so a fast loop never floods a UI. */
export function throttledProgress(onProgress: ((p: DiscoveryProgress) => void) | undefined, intervalMs = 100): (p: DiscoveryProgress, final?: boolean) => void {
  let last = -Infinity;
  return (p, final = false) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!final && now - last < intervalMs) return;
    last = now;
    onProgress(p);
  };
}
