import type { DiscoveryProgress } from '../shared/discovery/progress.ts';

/**
 * A progress bar on stderr when it is a terminal (redrawn in place, cleared by done()); silent
 * otherwise, so piped and --json output stays clean.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update: (p: DiscoveryProgress) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let drawn = false;
  return {
    update(p) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
      const ratio = p.total ? Math.min(1, p.done / p.total) : undefined;
      const bar = ratio === undefined ? '' : `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] `;
      const count = p.total ? `${p.done}/${p.total}` : `${p.done}`;
      const line = `${label} ${bar}${count}${p.message ? `  ${p.message}` : ''}`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 80) - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** An AbortSignal that fires on the first Ctrl-C (the second one exits at once). */
export function cancelOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling… (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** Parses durations such as "10s", "500ms", "2m" or a plain number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}
