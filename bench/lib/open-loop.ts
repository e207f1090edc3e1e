// Open-loop load: a fixed schedule of `rate` sends per second for warm-up + measured window,
// whatever the consumer does (a late timer catches up; nothing waits for the consumer).

/**
 * Calls send(seq) for seq = 0, 1, … on schedule; `onMeasuring(seq)` when the warm-up ends (the
 * first seq of the measured window). Resolves with the number sent.
 */
export function openLoop(rate: number, warmupMs: number, durationMs: number, send: (seq: number) => void, onMeasuring: (seq: number) => void): Promise<number> {
  const total = Math.floor(((warmupMs + durationMs) * rate) / 1000);
  const started = performance.now();
  let seq = 0;
  let measuring = false;
  return new Promise((done) => {
    const tick = (): void => {
      const elapsed = performance.now() - started;
      if (!measuring && elapsed >= warmupMs) {
        measuring = true;
        onMeasuring(seq);
      }
      const due = Math.min(Math.floor((elapsed * rate) / 1000), total);
      while (seq < due) send(seq++);
      if (elapsed >= warmupMs + durationMs) done(seq);
      else setTimeout(tick, 1);
    };
    tick();
  });
}
