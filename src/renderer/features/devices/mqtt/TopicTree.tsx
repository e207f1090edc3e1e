import { useCallback, useState } from 'react';
import type { MqttCaptureCallInput, MqttTopicNode } from '../../../../shared/discovery/mqtt.ts';
import { formatRate, formatTime } from '../../../lib/format.ts';
import { ProgressBar } from '../../../lib/ProgressBar.tsx';
import { useStore } from '../../../lib/use-store.ts';
import { workbench } from '../../../state/workbench.ts';
import { captureRequest, credentialRefs, parseTopicFilters, simulatorFor, unresolvedCredentials, type Credentials, type MqttDevice } from './capture-request.ts';
import { formatCount, TopicList } from './TopicList.tsx';
import { TopicDetails } from './TopicDetails.tsx';
import { topicDrop } from './topic-drop.ts';
import { useTopicCapture } from './use-topic-capture.ts';
import './mqtt.css';

// The live topic tree of an MQTT device (the Topics tab): Start/Stop a capture with topic
// filters, the connection state and warnings, the tree of topics with counts and msg/s, a filter
// over topic names, and the selected topic's payload, diff, schema and Sparkplug metrics.

/**
 * A device whose credentials are references: the host resolves them when the capture starts. Only
 * when it cannot (or the user asks) are fields shown to type them for this capture.
 */
function CredentialsNotice({ device, value, onChange, disabled, typing, onType }: { device: MqttDevice; value: Credentials; onChange(c: Credentials): void; disabled: boolean; typing: boolean; onType(): void }) {
  const refs = credentialRefs(device);
  return (
    <div className="pb-mqtt__creds" role="note">
      <p className="pb-fineprint">
        Credentials {refs.map((r) => `${r.field} ${r.ref}`).join(', ')} are resolved by the host when the capture starts.{' '}
        {typing ? (
          'Type them for this capture instead (kept in memory only):'
        ) : (
          <button type="button" className="pb-btn pb-btn--link" disabled={disabled} onClick={onType}>
            Type them instead…
          </button>
        )}
      </p>
      {typing && refs.some((r) => r.field === 'username') && (
        <input className="pb-input" aria-label="username for this capture" placeholder="username" autoComplete="off" disabled={disabled} value={value.username ?? ''} onChange={(e) => onChange({ ...value, username: e.target.value })} />
      )}
      {typing && (
        <input className="pb-input" type="password" aria-label="password for this capture" placeholder="password" autoComplete="off" disabled={disabled} value={value.password ?? ''} onChange={(e) => onChange({ ...value, password: e.target.value })} />
      )}
    </div>
  );
}

export function TopicTree({ device }: { device: MqttDevice }) {
  const [filters, setFilters] = useState('#');
  const [search, setSearch] = useState('');
  const [credentials, setCredentials] = useState<Credentials>({});
  const [typeCredentials, setTypeCredentials] = useState(false);
  const [wide, setWide] = useState(false);
  const profiles = useStore(workbench, (s) => s.project?.simulators);
  const running = useStore(workbench, (s) => s.run.simulators);
  const simulator = simulatorFor(device.id, profiles ?? [], running);
  const request = (): MqttCaptureCallInput => captureRequest(device, parseTopicFilters(filters), credentials, simulator);
  const capture = useTopicCapture(simulator?.endpoint ?? device.url, search.trim());
  const { live, connect, finished } = capture;
  const busy = live || connect.running || capture.stopping;
  const hasRefs = !simulator && credentialRefs(device).length > 0;
  const dropFor = useCallback((node: MqttTopicNode) => topicDrop(device.id, node, device.tags), [device]);

  return (
    <div className={`pb-mqtt${wide ? ' is-wide' : ''}`} data-testid={`mqtt-topics-${device.id}`}>
      <div className="pb-mqtt__bar">
        {live ? (
          <button type="button" className="pb-btn pb-btn--small" onClick={() => void capture.stop()} title="Stop the capture (the captured tree stays)">
            ■ Stop
          </button>
        ) : (
          <button
            type="button"
            className="pb-btn pb-btn--small pb-btn--primary"
            disabled={busy}
            onClick={() => void capture.start(request())}
            title="Subscribe to the topic filters and watch the topics live (read only: nothing is published)"
          >
            ▶ Start
          </button>
        )}
        <input
          className="pb-input pb-mono pb-mqtt__filters"
          aria-label="topic filters"
          title="Topic filters to subscribe to, separated by spaces; # is every topic except $SYS/…"
          value={filters}
          disabled={busy}
          onChange={(e) => setFilters(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && !busy && void capture.start(request())}
        />
        <button type="button" className={`pb-btn pb-btn--small${wide ? ' is-on' : ''}`} aria-pressed={wide} onClick={() => setWide(!wide)} title={wide ? 'Back to the narrow panel' : 'Widen the panel for long topic names and payloads'}>
          ⇔ Wide
        </button>
      </div>
      {simulator && (
        <p className="pb-mqtt__sim" title="A simulated run points the device at its simulator; stop the run to capture the real broker">
          Simulated run: capturing from simulator {simulator.id} at <span className="pb-mono">{simulator.endpoint}</span>
        </p>
      )}
      {hasRefs && !live && (
        <CredentialsNotice
          device={device}
          value={credentials}
          onChange={setCredentials}
          disabled={busy}
          typing={typeCredentials || unresolvedCredentials(connect.error)}
          onType={() => setTypeCredentials(true)}
        />
      )}
      {connect.running && <ProgressBar progress={undefined} label={`Connecting to ${device.url}`} onCancel={connect.cancel} />}
      {(connect.error ?? capture.error) && (
        <p className="pb-mqtt__error" role="alert">
          {connect.error ?? capture.error}
        </p>
      )}
      <div className="pb-mqtt__status" data-testid="mqtt-status">
        {live ? (
          capture.connected === false ? (
            <span className="pb-mqtt__lost" title="The host lost the broker and reconnects every second">
              ● connection lost, reconnecting…
            </span>
          ) : (
            <span className="pb-mqtt__live">● live</span>
          )
        ) : finished ? <span className="pb-muted">{finished.cached ? 'last capture' : 'stopped'} {formatTime(finished.takenAt).slice(0, 8)}</span> : <span className="pb-muted">not capturing</span>}
        {(live || finished) && (
          <span>
            {formatCount(capture.messages)} msgs · {formatCount(capture.topics)} topics{capture.root ? ` · ${formatRate(capture.root.branchRate)}` : ''}
          </span>
        )}
      </div>
      {capture.warnings.map((w) => (
        <p key={w} className="pb-mqtt__warning">
          {w}
        </p>
      ))}
      <input className="pb-input pb-mqtt__search" type="search" placeholder="Filter topics…" aria-label="filter topics" value={search} onChange={(e) => setSearch(e.target.value)} />
      <TopicList
        rows={capture.rows}
        selectedPath={capture.selectedPath}
        changes={capture.changes}
        idPrefix={`mqtt-${device.id}`}
        onSelect={capture.select}
        onToggle={capture.toggle}
        dropFor={dropFor}
        empty={live ? (search ? 'No topic matches the filter.' : 'Waiting for messages…') : finished ? 'No topics.' : 'Start a capture to see the broker’s topics.'}
      />
      {capture.rows.length > 0 && <p className="pb-mqtt__note">Drag a topic onto the canvas to read it: its tag is added to devices/{device.id}.yaml.</p>}
      {capture.selected && <TopicDetails key={capture.selected.path} node={capture.selected} history={capture.history} />}
    </div>
  );
}
