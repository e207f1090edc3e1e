import { useMemo, useState, type ReactNode } from 'react';
import type { MqttMessage, MqttTopicNode, SparkplugSummary } from '../../../../shared/discovery/mqtt.ts';
import { formatRate, formatTime, formatValue } from '../../../lib/format.ts';
import { Tabs } from '../../../lib/Tabs.tsx';
import { payloadDiff, schemaLines, showPayload, type MessageHistory } from './payload.ts';
import { formatCount, TYPE_LABEL } from './TopicList.tsx';

// The selected topic: its last payload (pretty JSON, text or hex; the host sends the selected
// topic's kept payload, a preview of others) with time and flags, a line diff against the previous
// payload (or any recent one seen), the inferred JSON schema, and the decoded Sparkplug metrics.

type View = 'payload' | 'diff' | 'schema' | 'metrics';

const bytes = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

function PayloadBlock({ message }: { message: MqttMessage }) {
  const shown = useMemo(() => showPayload(message), [message]);
  return (
    <>
      {!shown.complete && (
        <p className="pb-mqtt__note">
          The start of a {bytes(message.size)} payload{message.type === 'json' ? ' (cut, so not formatted as JSON)' : ''}:{' '}
          {message.payload !== undefined ? 'the capture keeps only the start of each payload (its payload size limit).' : 'a preview, until the next poll brings the kept payload.'}
        </p>
      )}
      <pre className={`pb-mqtt__payload pb-mqtt__payload--${shown.format}`} data-testid="mqtt-payload">
        {shown.format === 'empty' ? <span className="pb-muted">(empty payload)</span> : shown.text}
      </pre>
    </>
  );
}

function DiffBlock({ node, history }: { node: MqttTopicNode; history: MessageHistory }) {
  const recent = history.list();
  const [fromTs, setFromTs] = useState<number>();
  const last = node.last!;
  const from = (fromTs !== undefined ? recent.find((m) => m.ts === fromTs) : undefined) ?? node.previous ?? recent.filter((m) => m.ts < last.ts).at(-1);
  const diff = useMemo(() => (from ? payloadDiff(from, last) : undefined), [from, last]);
  if (!from) return <p className="pb-muted pb-mqtt__note">One message so far: the diff shows once the next one arrives.</p>;
  return (
    <>
      <p className="pb-mqtt__note">
        {formatTime(from.ts)} → {formatTime(last.ts)}
      </p>
      <div className="pb-diff pb-mono pb-mqtt__diff" data-testid="mqtt-diff">
        {diff!.length === 0 ? (
          <p className="pb-muted pb-mqtt__note">Same payload as the message before.</p>
        ) : (
          diff!.map((h, i) => (
            <div key={i} className="pb-diff__hunk">
              {diff!.length > 1 && <div className="pb-diff__head">@@ -{h.aStart},{h.aLines} +{h.bStart},{h.bLines} @@</div>}
              {h.lines.map((l, j) => (
                <div key={j} className={`pb-diff__line pb-diff__line--${l.op}`}>
                  <span className="pb-diff__op">{l.op === 'add' ? '+' : l.op === 'del' ? '-' : ' '}</span>
                  <span className="pb-diff__text">{l.text}</span>
                </div>
              ))}
            </div>
          ))
        )}
      </div>
      {recent.length > 2 && (
        <details className="pb-mqtt__history">
          <summary>Compare with an earlier message ({recent.length - 1} seen)</summary>
          <ul>
            {recent
              .filter((m) => m.ts < last.ts)
              .reverse()
              .map((m) => (
                <li key={m.ts}>
                  <button type="button" className={`pb-mqtt__hist${m === from ? ' is-on' : ''}`} onClick={() => setFromTs(m.ts)}>
                    <span className="pb-mono">{formatTime(m.ts)}</span> <span className="pb-muted">{m.preview}</span>
                  </button>
                </li>
              ))}
          </ul>
        </details>
      )}
    </>
  );
}

function SchemaBlock({ node }: { node: MqttTopicNode }) {
  if (!node.schema) return <p className="pb-muted pb-mqtt__note">No JSON payloads on this topic.</p>;
  return (
    <div className="pb-mqtt__schema pb-mono" data-testid="mqtt-schema">
      {schemaLines(node.schema).map((l, i) => (
        <div key={i} style={{ paddingLeft: l.depth * 12 }}>
          <span className={l.depth === 0 ? 'pb-muted' : ''}>{l.name}</span> <span className="pb-mqtt__schema-type">{l.type}</span>
        </div>
      ))}
    </div>
  );
}

/** Metric names are paths ("palletizer/layer"): a narrow column wraps them after a "/", not inside a word. */
function breakAtSlashes(name: string): ReactNode[] {
  return name.split('/').flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, `/${part}`]));
}

function MetricsBlock({ sparkplug }: { sparkplug: SparkplugSummary }) {
  const unnamed = sparkplug.metrics.filter((m) => m.name === undefined).length;
  return (
    <>
      {unnamed > 0 && (
        <p className="pb-mqtt__note">
          {unnamed} metric{unnamed === 1 ? '' : 's'} by alias only: names come with the birth (NBIRTH/DBIRTH), which was published before this capture started. The capture never asks for a
          rebirth (it publishes nothing).
        </p>
      )}
      <p className="pb-mqtt__note">
        {sparkplug.messageType ?? 'Sparkplug B'}
        {sparkplug.seq !== undefined && ` · seq ${sparkplug.seq}`}
        {sparkplug.timestamp !== undefined && ` · ${formatTime(sparkplug.timestamp)}`}
        {` · ${sparkplug.metrics.length} metrics`}
        {sparkplug.moreMetrics ? ` (+${sparkplug.moreMetrics} not kept)` : ''}
      </p>
      <table className="pb-mqtt__metrics" data-testid="mqtt-metrics">
        <thead>
          <tr>
            <th>name</th>
            <th>type</th>
            <th className="pb-num">value</th>
            <th>time</th>
          </tr>
        </thead>
        <tbody>
          {sparkplug.metrics.map((m, i) => (
            <tr key={`${m.name ?? m.alias}-${i}`}>
              <td title={m.alias !== undefined ? `alias ${m.alias}` : undefined}>{m.name !== undefined ? breakAtSlashes(m.name) : `alias ${m.alias}`}</td>
              <td className="pb-muted">{m.datatype ?? ''}</td>
              <td className="pb-num pb-mono" title={JSON.stringify(m.value)}>
                {formatValue(m.value)}
              </td>
              <td className="pb-muted">{m.timestamp !== undefined ? formatTime(m.timestamp).slice(0, 8) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function TopicDetails({ node, history }: { node: MqttTopicNode; history: MessageHistory }) {
  const [view, setView] = useState<View>('payload');
  const last = node.last;
  const tabs: { id: View; label: string }[] = [
    { id: 'payload', label: 'Payload' },
    { id: 'diff', label: 'Diff' },
    { id: 'schema', label: 'Schema' },
    ...(node.sparkplug ? [{ id: 'metrics' as const, label: `Metrics (${node.sparkplug.metrics.length})` }] : []),
  ];
  const active = tabs.some((t) => t.id === view) ? view : 'payload';
  return (
    <section className="pb-mqtt__details" aria-label={`Topic ${node.path}`} data-testid="mqtt-details">
      <div className="pb-mqtt__path pb-mono">{node.path}</div>
      {!last ? (
        <p className="pb-muted pb-mqtt__note">
          A branch: {formatCount(node.branchCount)} messages on {node.topics} topics, {formatRate(node.branchRate)}.
        </p>
      ) : (
        <>
          <div className="pb-mqtt__meta">
            <span className={`pb-mqtt__type pb-mqtt__type--${last.type}`}>{TYPE_LABEL[last.type]}</span>
            <span>{bytes(last.size)}</span>
            <span className="pb-mono" title={new Date(last.ts).toISOString()}>
              {formatTime(last.ts)}
            </span>
            <span title="The capture subscribes at QoS 0, so every message arrives at QoS 0">QoS 0</span>
            {last.retained && <span className="pb-mqtt__retained">retained</span>}
            <span className="pb-muted">
              {formatCount(node.count)} msgs · {formatRate(node.rate)}
            </span>
          </div>
          <Tabs<View> className="pb-mqtt__tabs" tabs={tabs} active={active} onSelect={setView} />
          {active === 'payload' && <PayloadBlock message={last} />}
          {active === 'diff' && <DiffBlock node={node} history={history} />}
          {active === 'schema' && <SchemaBlock node={node} />}
          {active === 'metrics' && node.sparkplug && <MetricsBlock sparkplug={node.sparkplug} />}
        </>
      )}
    </section>
  );
}
