// Arming a live-armed run from the top bar (docs/live-safety.md): the confirmation names exactly
// the device tags the run can write (RunStatus.arming.writable), the arming lasts a set time, and
// the kill switch disarms at once. The host's run.state event carries every change (armed,
// disarmed, expired) to every window; the replies below only make this window quicker.
import type { ArmingState, RunStatus, WritableTag } from '../../../shared/rpc/methods/run.ts';
import { errorText, hostClient, notify } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';

/** The run's arming, when it is a live-armed run that is starting or running. */
export function liveArming(run: RunStatus): ArmingState | undefined {
  return run.mode === 'live-armed' && run.state !== 'stopped' ? run.arming : undefined;
}

function applyArming(arming: ArmingState): void {
  workbench.set((s) => (s.run.mode === 'live-armed' && s.run.state !== 'stopped' ? { ...s, run: { ...s.run, arming } } : s));
}

/** Arms for `minutes`, confirming exactly the list the user was shown. Throws the host's refusal. */
export async function arm(minutes: number, shown: readonly WritableTag[]): Promise<ArmingState> {
  const arming = await hostClient().call('run.arm', { minutes, confirm: shown.map(({ device, tag }) => ({ device, tag })) });
  applyArming(arming);
  return arming;
}

/** The kill switch. */
export async function disarm(): Promise<void> {
  try {
    applyArming(await hostClient().call('run.disarm', {})); // the bar says it (ArmingControls)
  } catch (err) {
    notify(`Disarm failed: ${errorText(err)}`, 'error');
  }
}

/** For the shortcut: disarms a live-armed run; false (nothing done) otherwise. */
export function killSwitch(): boolean {
  if (!liveArming(workbench.get().run)) return false;
  void disarm();
  return true;
}
