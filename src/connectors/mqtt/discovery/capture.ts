// Topic capture: subscribe to a broker (QoS 0, never publishing) and build the bounded topic tree
// of what flows through it. startTopicCapture() is the live capture the UI keeps open;
// captureTopics() captures for a while and returns the result.
//
// It uses its own MQTT.js client rather than the connector's MqttConnection: discovery is one
// short session that must fail at once with a clear message (no endless reconnect), needs each
// message's retain flag and MQTT 5's retain-as-published, and never shares a device's connection.
import type { IClientOptions, ISubscriptionGrant, MqttClient } from 'mqtt';
import {
  mqttCaptureRequest,
  type MqttCaptureRequest,
  type MqttCaptureRequestInput,
  type MqttCaptureResult,
  type MqttCaptureStats,
  type MqttTopicNode,
} from '../../../shared/discovery/mqtt.ts';
import { throttledProgress, type DiscoveryOptions } from '../../../shared/discovery/progress.ts';
import { clientOptions, ConfigError, displayUrl, endClient, explainError, type MqttDevice } from '../client-options.ts';
import { filterProblem } from '../topic.ts';
import { TopicTree, type SnapshotOptions } from './topic-tree.ts';

/** The broker could not be reached or refused us; the message names the broker url. */
export class MqttCaptureError extends Error {}

export interface TopicCapture {
  readonly url: string;
  readonly request: MqttCaptureRequest;
  readonly tree: TopicTree;
  /** The tree now (live msg/s), cut down to the query; undefined when nothing matches. */
  snapshot(options?: SnapshotOptions): MqttTopicNode | undefined;
  stats(): MqttCaptureStats;
  /** Everything captured so far, with payloads and mean msg/s over the capture. */
  result(cancelled?: boolean): MqttCaptureResult;
  /** Unsubscribes and disconnects; the tree stays readable. */
  stop(): Promise<void>;
}

export interface CaptureOptions {
  /** Aborting while connecting rejects with an AbortError. */
  readonly signal?: AbortSignal;
  /** Folder relative TLS file paths are taken from (default: the working folder), e.g. the project's. */
  readonly baseDir?: string;
}

const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_MS = 1000;
const TICK_MS = 1000;

/** Parses and checks a request; throws an Error naming the bad field. */
export function parseCaptureRequest(input: MqttCaptureRequestInput): MqttCaptureRequest {
  const parsed = mqttCaptureRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  for (const filter of parsed.data.topics) {
    const problem = filterProblem(filter);
    if (problem) throw new Error(`topic filter "${filter}": ${problem}`);
  }
  return parsed.data;
}

/** The request as a device, so TLS files and credentials are handled as for a device connection. */
function asDevice(request: MqttCaptureRequest): MqttDevice {
  return {
    apiVersion: 'plantbench/v1',
    kind: 'Device',
    id: 'discovery',
    protocol: 'mqtt',
    url: request.url,
    protocolVersion: request.protocolVersion,
    ...(request.username !== undefined ? { username: request.username } : {}),
    ...(request.password !== undefined ? { password: request.password } : {}),
    ...(request.tls ? { tls: request.tls } : {}),
    tags: [],
  } as MqttDevice;
}

type MqttModule = typeof import('mqtt');

/** One connect attempt: resolves when the broker accepted, rejects with the broker's reason. */
function connectOnce(mqtt: MqttModule, url: string, options: IClientOptions, signal: AbortSignal | undefined): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
    const finish = (err?: Error & { code?: unknown }): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.removeListener('connect', onConnect);
      client.removeListener('error', finish);
      client.removeListener('close', onClose);
      if (!err) return resolve(client);
      client.on('error', () => {});
      client.end(true);
      reject(err);
    };
    const onConnect = (): void => finish();
    const onClose = (): void => finish(new Error('the broker closed the connection before accepting it'));
    const onAbort = (): void => finish(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
    const timer = setTimeout(() => finish(new Error(`no answer to CONNECT within ${CONNECT_TIMEOUT_MS / 1000} s (is this an MQTT port? a TLS port needs mqtts://)`)), CONNECT_TIMEOUT_MS);
    client.once('connect', onConnect);
    client.on('error', finish);
    client.once('close', onClose);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Connects, subscribes to the request's filters and starts filling a topic tree. Rejects with an
 * MqttCaptureError (naming the broker) when it cannot connect or every subscription is refused,
 * and with an AbortError when `signal` fires first.
 */
export async function startTopicCapture(input: MqttCaptureRequestInput, options: CaptureOptions = {}): Promise<TopicCapture> {
  const request = parseCaptureRequest(input);
  const url = displayUrl(request.url);
  const clientId = request.clientId ?? `plantbench-discover-${Math.random().toString(16).slice(2, 8)}`;
  let base: IClientOptions;
  try {
    base = { ...clientOptions(asDevice(request), clientId, options.baseDir ?? process.cwd()), connectTimeout: CONNECT_TIMEOUT_MS };
  } catch (err) {
    throw new MqttCaptureError(err instanceof ConfigError ? `${url}: ${err.message}` : explainError(request.url, err));
  }
  const mqtt = await import('mqtt');
  const warnings: string[] = [];
  let version = request.protocolVersion;
  let client: MqttClient;
  try {
    try {
      client = await connectOnce(mqtt, request.url, { ...base, protocolVersion: version }, options.signal);
    } catch (err) {
      // A 3.1.1 broker answers an MQTT 5 CONNECT with return code 1; an MQTT 5 one with reason 132.
      const code = (err as { code?: unknown }).code;
      if (version !== 5 || (code !== 1 && code !== 132)) throw err;
      version = 4;
      warnings.push('the broker refused MQTT 5; captured with MQTT 3.1.1 (retain flags only on messages from the retained store)');
      client = await connectOnce(mqtt, request.url, { ...base, protocolVersion: 4 }, options.signal);
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new MqttCaptureError(explainError(request.url, err));
  }
  // As the connector's connection: without it Nagle's algorithm delays small packets on loopback.
  const noDelay = (): void => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  noDelay();

  const tree = new TopicTree(request.limits);
  const startedAt = Date.now();
  let stoppedAt: number | undefined;
  let connected = true;
  tree.tick(startedAt);
  client.on('message', (topic, payload, packet) => tree.ingest(topic, payload, packet.retain, Date.now()));
  const note = (warning: string): void => {
    if (!warnings.includes(warning)) warnings.push(warning);
  };
  // From here a socket error is a warning (while reconnecting), never an unhandled 'error' event.
  client.on('error', (err) => note(explainError(request.url, err)));

  // retain-as-published (MQTT 5): the retain flag says whether the publisher retains the topic,
  // not only whether this copy came from the retained store.
  const subscription = Object.fromEntries(request.topics.map((t) => [t, version === 5 ? { qos: 0 as const, rap: true } : { qos: 0 as const }]));
  const subscribe = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const onClose = (): void => reject(new MqttCaptureError(`${url}: the broker closed the connection before confirming the subscription`));
      client.once('close', onClose);
      client.subscribe(subscription, (err, granted) => {
        client.removeListener('close', onClose);
        if (err) return reject(new MqttCaptureError(`${url}: the subscription failed (${err.message})`));
        const refused = (granted ?? []).filter((g: ISubscriptionGrant) => g.qos >= 128).map((g) => g.topic);
        if (refused.length === request.topics.length) {
          return reject(new MqttCaptureError(`${url}: the broker refused the subscription to ${refused.map((t) => `"${t}"`).join(', ')} (not authorized or invalid filter)`));
        }
        for (const t of refused) note(`the broker refused the subscription to "${t}" (not authorized or invalid filter)`);
        resolve();
      });
    });
  try {
    await subscribe();
  } catch (err) {
    client.end(true);
    throw err;
  }

  // After a good start, a lost connection is retried and noted rather than ending the capture.
  client.options.reconnectPeriod = RECONNECT_MS;
  client.on('close', () => {
    if (stoppedAt !== undefined || !connected) return;
    connected = false;
    warnings.push(`connection lost after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; messages until it was back are missing`);
  });
  client.on('connect', () => {
    connected = true;
    noDelay();
    subscribe().catch((err: Error) => note(err.message));
  });
  const ticker = setInterval(() => tree.tick(Date.now()), TICK_MS);

  let stopping: Promise<void> | undefined;
  return {
    url,
    request,
    tree,
    snapshot: (query) => tree.snapshot(query),
    stats: () => ({
      messages: tree.messages,
      topics: tree.topics,
      droppedTopics: tree.droppedTopics,
      droppedMessages: tree.droppedMessages,
      bytes: tree.bytes,
      elapsedMs: (stoppedAt ?? Date.now()) - startedAt,
      connected: connected && stoppedAt === undefined,
      protocolVersion: version,
      warnings: [...warnings],
    }),
    result(cancelled = false) {
      const durationMs = (stoppedAt ?? Date.now()) - startedAt;
      return {
        url,
        protocolVersion: version,
        topicFilters: [...request.topics],
        startedAt,
        tree: tree.snapshot({ payloads: true, averageOverMs: Math.max(durationMs, 1) })!,
        totals: {
          messages: tree.messages,
          topics: tree.topics,
          droppedTopics: tree.droppedTopics,
          droppedMessages: tree.droppedMessages,
          bytes: tree.bytes,
          durationMs,
        },
        warnings: [...warnings],
        cancelled,
      };
    },
    stop() {
      stopping ??= (async () => {
        stoppedAt = Date.now();
        clearInterval(ticker);
        client.removeAllListeners('message');
        await endClient(client);
      })();
      return stopping;
    },
  };
}

/**
 * Captures for request.durationMs (or until `signal` aborts: then the result so far, marked
 * cancelled). Progress: done = messages seen. Rejects with an MqttCaptureError when the broker
 * cannot be reached or refuses the session.
 */
export async function captureTopics(input: MqttCaptureRequestInput, options: DiscoveryOptions & Pick<CaptureOptions, 'baseDir'> = {}): Promise<MqttCaptureResult> {
  const request = parseCaptureRequest(input);
  let capture: TopicCapture;
  try {
    capture = await startTopicCapture(request, { ...(options.signal ? { signal: options.signal } : {}), ...(options.baseDir ? { baseDir: options.baseDir } : {}) });
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    return emptyResult(request);
  }
  const progress = throttledProgress(options.onProgress, 250);
  const report = (final = false): void => {
    const s = capture.stats();
    const left = Math.max(0, Math.ceil((request.durationMs - s.elapsedMs) / 1000));
    progress({ done: s.messages, message: `${s.topics} topics${final ? '' : `, ${left} s left`}` }, final);
  };
  const cancelled = await new Promise<boolean>((resolve) => {
    const finish = (aborted: boolean): void => {
      clearTimeout(timer);
      clearInterval(poll);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(aborted);
    };
    const onAbort = (): void => finish(true);
    const timer = setTimeout(() => finish(false), request.durationMs);
    const poll = setInterval(() => report(), 250);
    if (options.signal?.aborted) finish(true);
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  await capture.stop();
  report(true);
  return capture.result(cancelled);
}

function emptyResult(request: MqttCaptureRequest): MqttCaptureResult {
  const tree = new TopicTree(request.limits);
  return {
    url: displayUrl(request.url),
    protocolVersion: request.protocolVersion,
    topicFilters: [...request.topics],
    startedAt: Date.now(),
    tree: tree.snapshot()!,
    totals: { messages: 0, topics: 0, droppedTopics: 0, droppedMessages: 0, bytes: 0, durationMs: 0 },
    warnings: [],
    cancelled: true,
  };
}
