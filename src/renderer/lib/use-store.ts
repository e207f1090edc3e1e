import { useRef, useSyncExternalStore } from 'react';
import type { Store } from './store.ts';

/** Reads a slice of a store; the component re-renders only when the slice changes (Object.is, or `equal`). */
export function useStore<T, S>(store: Store<T>, select: (state: T) => S, equal: (a: S, b: S) => boolean = Object.is): S {
  const cache = useRef<{ state: T; slice: S } | undefined>(undefined);
  const getSlice = (): S => {
    const state = store.get();
    const last = cache.current;
    if (last && last.state === state) return last.slice;
    const slice = select(state);
    if (last && equal(last.slice, slice)) {
      cache.current = { state, slice: last.slice };
      return last.slice;
    }
    cache.current = { state, slice };
    return slice;
  };
  return useSyncExternalStore(store.subscribe, getSlice, getSlice);
}

export function shallowEqual<S>(a: S, b: S): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
