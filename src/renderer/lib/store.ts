// A tiny observable store: one state value, replaced (never mutated) on every change, so React
// can read it with useSyncExternalStore and bail out when a selected slice is unchanged.

export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  /** Registers a listener called after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(next) {
      const value = typeof next === 'function' ? (next as (prev: T) => T)(state) : next;
      if (Object.is(value, state)) return;
      state = value;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
