// Pure helpers of arming in the top bar and the arming dialog (no React, no host), so unit tests
// run them in Node.
import type { WritableTag } from '../../../shared/rpc/methods/run.ts';

/** What the user types to confirm, as on the CLI (`plantbench run --arm`). */
export const ARM_WORD = 'arm';
export const DEFAULT_ARM_MINUTES = 15;
export const MAX_ARM_MINUTES = 480;

/** "14:05" for minutes and seconds left, "1:02:03" beyond an hour; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Why the arming dialog's Arm button is off: the duration or the typed word; undefined when it may arm. */
export function armProblem(minutesText: string, typed: string, writable: readonly WritableTag[]): string | undefined {
  if (writable.length === 0) return 'no pipeline of this run writes to a device: there is nothing to arm';
  const minutes = Number(minutesText);
  if (minutesText.trim() === '' || !Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_ARM_MINUTES) return `the time limit is more than 0 and at most ${MAX_ARM_MINUTES} minutes`;
  if (typed.trim().toLowerCase() !== ARM_WORD) return `type "${ARM_WORD}" to confirm`;
  return undefined;
}
