import { createStore } from '../../lib/store.ts';
import { LIMITS, liveData } from '../../state/live.ts';

/** The values table's rows shown in the trend chart (row keys), at most LIMITS.trends. */
export const trendSelection = createStore<readonly string[]>([]);

export function toggleTrend(key: string): void {
  trendSelection.set((keys) => (keys.includes(key) ? keys.filter((k) => k !== key) : [...keys, key].slice(-LIMITS.trends)));
  liveData.setTrended(trendSelection.get());
}
