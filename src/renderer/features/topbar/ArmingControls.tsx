import { useEffect, useRef, useState } from 'react';
import { notify, ui } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { disarm, liveArming } from './arming.ts';
import { formatCountdown } from './arming-model.ts';
import './arming.css';

/** Time left until `until`, redrawn every quarter second (only this small part re-renders). */
function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  const left = until - now;
  return (
    <span className="pb-arm__countdown" data-testid="arm-countdown" title={`Disarms itself at ${new Date(until).toLocaleTimeString(undefined, { hour12: false })}`}>
      {left > 0 ? formatCountdown(left) : 'expiring…'}
    </span>
  );
}

/**
 * The arming of a live-armed run in the top bar: while armed, a red countdown and the kill switch;
 * while disarmed, why (not armed yet, disarmed, expired) and "Arm…".
 */
export function ArmingControls() {
  const arming = useStore(workbench, (s) => liveArming(s.run));
  const running = useStore(workbench, (s) => s.run.state === 'running');
  // Say so when the arming ends, whoever ended it (this window, another one, the time limit).
  const wasArmed = useRef(false);
  useEffect(() => {
    if (wasArmed.current && arming && !arming.armed) notify(`Disarmed: ${arming.reason ?? 'writes are refused from now on'}`, 'ok');
    wasArmed.current = arming?.armed ?? false;
  }, [arming]);
  if (!arming) return null;
  if (arming.armed) {
    return (
      <div className="pb-arm is-armed" data-testid="arming" data-armed="true">
        <span className="pb-arm__label" title={`Armed by ${arming.by ?? '?'}: ${arming.writable.map((w) => `${w.device}/${w.tag}`).join(', ')}`}>
          ARMED
        </span>
        {arming.until !== undefined && <Countdown until={arming.until} />}
        <button type="button" className="pb-killswitch" onClick={() => void disarm()} title="Kill switch: disarm at once; every write is refused from then on (Ctrl+Shift+D)" data-testid="disarm">
          DISARM
        </button>
      </div>
    );
  }
  return (
    <div className="pb-arm" data-testid="arming" data-armed="false">
      <span className="pb-arm__reason" data-testid="arm-reason" title={arming.reason}>
        disarmed{arming.reason ? `: ${arming.reason}` : ''}
      </span>
      <button type="button" className="pb-btn pb-arm__open" onClick={() => ui({ dialog: 'arm' })} disabled={!running} data-testid="arm-open">
        Arm…
      </button>
    </div>
  );
}
