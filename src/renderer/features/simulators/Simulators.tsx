import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';

/** The project's simulated devices, with their endpoints while a simulated run goes. */
export function Simulators() {
  const simulators = useStore(workbench, (s) => s.project?.simulators ?? []);
  const running = useStore(workbench, (s) => s.run.simulators);
  const mode = useStore(workbench, (s) => s.run.mode);
  if (!simulators.length) return <p className="pb-muted pb-pad">No simulators in this project (simulators/*.yaml).</p>;
  return (
    <div className="pb-simulators" data-testid="simulators">
      <p className="pb-hint">{running.length ? `Running (${mode ?? 'simulated'} run).` : 'Started with a Simulated run; devices are pointed at them.'}</p>
      <ul className="pb-list-plain">
        {simulators.map((s) => {
          const r = running.find((x) => x.id === s.id);
          return (
            <li key={s.id} className="pb-sim">
              <span className={`pb-proto pb-proto--${s.protocol}`}>{s.protocol}</span> <span className="pb-device__id">{s.id}</span>
              {s.device && <span className="pb-muted"> → {s.device}</span>}
              <div className="pb-mono pb-sim__endpoint">{r ? r.endpoint : <span className="pb-muted">stopped</span>}</div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
