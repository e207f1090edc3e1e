// Waiting in integration tests: poll a condition until it holds, or just let time pass.

const POLL_MS = 10;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `ok()` holds, checking every 10 ms; fails after `ms` naming `what` (a function is
 * called only then, so it can describe what was seen). `poll`, if given, runs before each check.
 */
export async function waitFor(what: string | (() => string), ok: () => boolean, ms = 10_000, poll?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    await poll?.();
    if (ok()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(POLL_MS);
  }
}
