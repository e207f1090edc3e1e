// Cleanups registered during a test and run after it, the last registered first.
import { afterEach } from 'vitest';

export type Cleanup = () => Promise<unknown> | unknown;

export interface Cleanups {
  push(cleanup: Cleanup): void;
  /** `start` whose result is handed to `stop` after the test. */
  track<A extends unknown[], R>(start: (...args: A) => Promise<R>, stop: (started: R) => unknown): (...args: A) => Promise<R>;
}

/** Call at the top of a test file: registers the afterEach that runs what the tests push. */
export function cleanupAfterEach(): Cleanups {
  const list: Cleanup[] = [];
  afterEach(async () => {
    for (const c of list.splice(0).reverse()) await c();
  });
  return {
    push: (cleanup) => void list.push(cleanup),
    track: (start, stop) => async (...args) => {
      const started = await start(...args);
      list.push(() => stop(started));
      return started;
    },
  };
}
