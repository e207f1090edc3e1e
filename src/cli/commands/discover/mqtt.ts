// `plantbench discover mqtt <url>`: capture a broker's topics for a while and print the topic tree
// (counts, msg/s, retained marker, payload type, a preview, Sparkplug metrics), or --json; with
// --to-simulator, write a simulator profile that replays what was seen.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { captureTopics, MqttCaptureError, parseCaptureRequest } from '../../../connectors/mqtt/discovery/capture.ts';
import { mqttSnapshot } from '../../../connectors/mqtt/discovery/snapshot.ts';
import {
  filterTopicTree,
  MQTT_PAYLOAD_TYPES,
  topicNodes,
  type MqttCaptureRequestInput,
  type MqttCaptureResult,
  type MqttPayloadType,
  type MqttTopicNode,
  type MqttTreeQuery,
} from '../../../shared/discovery/mqtt.ts';
import { writeSimulatorProfile } from '../../../store/project-writes.ts';
import { paint, printJson, UsageError } from '../../output.ts';
import { cancelOnSigint, parseDuration, progressBar } from '../../progress.ts';

export const DISCOVER_MQTT_HELP = `Usage: plantbench discover mqtt <url> [options]

Subscribes to a broker (QoS 0, never publishes) for a while and shows the topic tree: messages and
msg/s per topic and branch, the retained marker (R), the payload type and a preview, Sparkplug B
metrics under their topic. Ctrl-C ends the capture early and shows what was seen.

Capture:
  --topic FILTER         Topic filter to subscribe to (repeatable; default "#")
  --duration TIME        How long to listen: 10s (default), 500ms, 2m
  --mqtt-version 4|5     MQTT 5 (default; falls back to 3.1.1 when refused) or 3.1.1
  --user NAME            User name
  --password-env VAR     Read the password from this environment variable
  --ca FILE              CA certificate (PEM) for mqtts:// and wss://
  --cert FILE --key FILE Client certificate and key (PEM) for mutual TLS
  --insecure             Do not check the broker's certificate
  --max-topics N         Topics kept (default 50000; messages on more are only counted)
Show:
  --search TEXT          Topics whose path contains TEXT
  --type TYPE            Topics whose last payload is json, sparkplug, text, binary or empty (comma list)
  --retained             Topics the broker holds a retained message for
  --depth N              Levels of the tree to print
  --json                 The capture result as JSON on stdout
Snapshot:
  --to-simulator FILE    Write a simulator profile (simulators/<id>.yaml) replaying the shown topics
                         with their last payloads and retain flags

Exit code: 0 done, 1 the broker failed (or nothing to snapshot), 2 usage error.
`;

interface Parsed {
  readonly request: MqttCaptureRequestInput;
  readonly query: MqttTreeQuery;
  readonly json: boolean;
  readonly toSimulator?: string;
}

function parse(argv: readonly string[]): Parsed | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      topic: { type: 'string', multiple: true },
      duration: { type: 'string' },
      search: { type: 'string' },
      type: { type: 'string', multiple: true },
      retained: { type: 'boolean' },
      depth: { type: 'string' },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      'mqtt-version': { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      insecure: { type: 'boolean' },
      'max-topics': { type: 'string' },
      'to-simulator': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `one broker url, got ${positionals.length} arguments` : 'discover mqtt needs a broker url, e.g. mqtt://127.0.0.1:1883');
  const url = positionals[0]!;
  const whole = (name: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs a whole number of at least ${min}, got "${text}"`);
    return n;
  };
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = parseDuration(values.duration);
    if (durationMs === undefined || durationMs < 100) throw new UsageError(`--duration needs a time of at least 100ms such as 10s, 500ms or 2m, got "${values.duration}"`);
  }
  const version = values['mqtt-version'];
  if (version !== undefined && version !== '4' && version !== '5') throw new UsageError(`--mqtt-version is 4 (3.1.1) or 5, got "${version}"`);
  let password: string | undefined;
  const passwordEnv = values['password-env'];
  if (passwordEnv !== undefined) {
    password = process.env[passwordEnv];
    if (password === undefined) throw new UsageError(`--password-env ${passwordEnv}: the environment variable is not set`);
  }
  const types = (values.type ?? []).flatMap((t) => t.split(',')).map((t) => t.trim());
  for (const t of types) {
    if (!(MQTT_PAYLOAD_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type is one of ${MQTT_PAYLOAD_TYPES.join(', ')}, got "${t}"`);
  }
  const tls = values.ca || values.cert || values.key || values.insecure;
  const maxTopics = whole('max-topics', values['max-topics'], 1);
  const request: MqttCaptureRequestInput = {
    url,
    ...(values.topic ? { topics: values.topic } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(version ? { protocolVersion: Number(version) as 4 | 5 } : {}),
    ...(values.user !== undefined ? { username: values.user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls
      ? {
          tls: {
            ...(values.ca ? { ca: values.ca } : {}),
            ...(values.cert ? { cert: values.cert } : {}),
            ...(values.key ? { key: values.key } : {}),
            rejectUnauthorized: !values.insecure,
          },
        }
      : {}),
    ...(maxTopics !== undefined ? { limits: { maxTopics } } : {}),
  };
  try {
    parseCaptureRequest(request);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const depth = whole('depth', values.depth, 0);
  const query: MqttTreeQuery = {
    ...(values.search ? { search: values.search } : {}),
    ...(types.length ? { types: types as MqttPayloadType[] } : {}),
    ...(values.retained ? { retained: true } : {}),
    ...(depth !== undefined ? { depth } : {}),
  };
  const toSimulator = values['to-simulator'];
  if (toSimulator !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}\.ya?ml$/.test(basename(toSimulator))) {
    throw new UsageError(`--to-simulator ${toSimulator}: the file name is the simulator id plus .yaml (lowercase letters, digits, dashes), e.g. simulators/line1-broker.yaml`);
  }
  return { request, query, json: values.json ?? false, ...(toSimulator !== undefined ? { toSimulator } : {}) };
}

export async function discoverMqtt(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv);
  if (!parsed) {
    process.stdout.write(DISCOVER_MQTT_HELP);
    return 0;
  }
  const { request, query, json } = parsed;
  const bar = progressBar('capturing');
  const sigint = cancelOnSigint();
  let result: MqttCaptureResult;
  try {
    result = await captureTopics(request, {
      signal: sigint.signal,
      onProgress: (p) => bar.update({ ...p, message: `messages, ${p.message ?? ''}` }),
    });
  } catch (err) {
    if (!(err instanceof MqttCaptureError)) throw err;
    if (json) printJson({ error: err.message });
    else process.stderr.write(`plantbench discover mqtt: ${err.message}\n`);
    return 1;
  } finally {
    bar.done();
    sigint.dispose();
  }

  // The filters choose what is shown and snapshotted; the depth only what is printed.
  const { depth, ...filters } = query;
  const shown = filterTopicTree(result.tree, filters);
  let snapshot: { file: string; topics: number; skipped: readonly { topic: string; reason: string }[] } | undefined;
  let code = 0;
  if (parsed.toSimulator) {
    const id = basename(parsed.toSimulator).replace(/\.ya?ml$/, '');
    const { profile, skipped } = mqttSnapshot({ ...result, tree: shown ?? { ...result.tree, children: [] } }, { id });
    if (profile.topics.length === 0) {
      code = 1;
      if (!json) process.stderr.write(`plantbench discover mqtt: no topics to write to ${parsed.toSimulator}\n`);
    } else {
      writeSimulatorProfile(parsed.toSimulator, profile);
      snapshot = { file: parsed.toSimulator, topics: profile.topics.length, skipped };
    }
  }
  if (json) {
    const tree = depth !== undefined && shown ? filterTopicTree(shown, { depth }) : shown;
    printJson({ ...result, tree: tree ?? null, ...(snapshot ? { simulator: snapshot } : {}) });
    return code;
  }
  process.stdout.write(summary(result, shown, query));
  if (shown) process.stdout.write(renderTree(shown, depth));
  for (const w of result.warnings) process.stderr.write(`${paint('yellow', 'warning', process.stderr)}: ${w}\n`);
  if (snapshot) {
    process.stdout.write(`\nWrote ${snapshot.file}: ${snapshot.topics} topics${snapshot.skipped.length ? `, ${snapshot.skipped.length} skipped` : ''}\n`);
    for (const s of snapshot.skipped.slice(0, 20)) process.stdout.write(paint('dim', `  skipped ${s.topic}: ${s.reason}\n`));
  }
  return code;
}

// ---------- human output ----------

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, what: string): string => `${fmtInt(n)} ${what}${n === 1 ? '' : 's'}`;
const fmtRate = (r: number): string => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function summary(result: MqttCaptureResult, shown: MqttTopicNode | undefined, query: MqttTreeQuery): string {
  const t = result.totals;
  const parts = [
    `${(t.durationMs / 1000).toFixed(1)} s${result.cancelled ? ' (ended early)' : ''}`,
    `MQTT ${result.protocolVersion === 5 ? '5' : '3.1.1'}`,
    `${fmtInt(t.messages)} messages (${fmtRate(t.messages / Math.max(t.durationMs / 1000, 0.001))} msg/s, ${fmtBytes(t.bytes)})`,
    plural(t.topics, 'topic'),
  ];
  let text = `${paint('bold', result.url)}  ${parts.join(', ')}\n`;
  if (t.droppedMessages > 0) {
    text += paint('yellow', `topic cap reached: ${fmtInt(t.droppedMessages)} messages on ${fmtInt(t.droppedTopics)} more topics were counted, not kept (--max-topics)\n`);
  }
  const filtered = Boolean(query.search || query.types?.length || query.retained);
  if (filtered) text += `${plural(shown ? topicNodes(shown).length : 0, 'topic')} match the filters\n`;
  else if (t.messages === 0) text += `no messages on ${result.topicFilters.join(', ')}\n`;
  return text;
}

const MAX_METRICS_SHOWN = 20;

function renderTree(root: MqttTopicNode, depth: number | undefined): string {
  const lines: string[] = [];
  const width = Math.max(60, process.stdout.columns ?? 120);
  const walk = (node: MqttTopicNode, prefix: string, childPrefix: string, level: number): void => {
    const cut = depth !== undefined && level >= depth;
    lines.push(nodeLine(node, prefix, width, cut));
    if (node.sparkplug) {
      const bar = node.children?.length && !cut ? '│ ' : '  ';
      const metrics = node.sparkplug.metrics;
      for (const m of metrics.slice(0, MAX_METRICS_SHOWN)) {
        const name = m.name ?? `alias ${m.alias}`;
        lines.push(`${childPrefix}${bar}${paint('dim', '·')} ${name}${m.datatype ? paint('dim', ` (${m.datatype})`) : ''} = ${oneLine(JSON.stringify(m.value), 60)}`);
      }
      const more = metrics.length - MAX_METRICS_SHOWN + (node.sparkplug.moreMetrics ?? 0);
      if (more > 0) lines.push(`${childPrefix}${bar}${paint('dim', `· … ${more} more metrics`)}`);
    }
    const children = cut ? [] : (node.children ?? []);
    children.forEach((child, i) => {
      const lastChild = i === children.length - 1;
      walk(child, `${childPrefix}${lastChild ? '└─ ' : '├─ '}`, `${childPrefix}${lastChild ? '   ' : '│  '}`, level + 1);
    });
  };
  // The root is the empty level above the first topic levels.
  const top = root.path === '' ? (root.children ?? []) : [root];
  for (const node of top) walk(node, '', '', 1);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function nodeLine(node: MqttTopicNode, prefix: string, width: number, cut: boolean): string {
  const name = paint('bold', node.name === '' ? '(empty level)' : node.name);
  const hidden = cut && node.topics > (node.type ? 1 : 0) ? paint('dim', `/… ${plural(node.topics - (node.type ? 1 : 0), 'topic')} below`) : '';
  if (!node.type) {
    return `${prefix}${name}${hidden}  ${paint('dim', `${plural(node.branchCount, 'msg')}, ${fmtRate(node.branchRate)}/s, ${plural(node.topics, 'topic')}`)}`;
  }
  const head = `${prefix}${name}${hidden}  ${paint('cyan', node.type)}${node.retained ? ` ${paint('yellow', 'R')}` : ''}  ${fmtInt(node.count)} · ${fmtRate(node.rate)}/s  `;
  const plain = head.replace(/\x1b\[[0-9;]*m/g, '');
  const last = node.last;
  let tail = '';
  if (node.sparkplug) {
    tail = paint('dim', `${node.sparkplug.messageType ?? ''}${node.sparkplug.seq !== undefined ? ` seq ${node.sparkplug.seq}` : ''}, ${node.sparkplug.metrics.length + (node.sparkplug.moreMetrics ?? 0)} metrics`);
  } else if (last) {
    tail = oneLine(last.preview, Math.max(20, width - plain.length));
    if (last.truncated) tail += paint('dim', ` (${fmtBytes(last.size)})`);
  }
  return head + tail;
}

/** Text on one line (newlines and tabs as spaces), cut to `max` characters. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
