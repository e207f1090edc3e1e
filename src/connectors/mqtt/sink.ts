// mqtt-sink: publishes samples as a plain value or JSON to topics from a template, or as a Sparkplug B
// edge node. QoS 1/2 messages are pipelined: a batch is done once handed to the client, while at
// most MAX_IN_FLIGHT messages wait for their acknowledgement; beyond that the sink takes no more
// input until the broker catches up, so back-pressure reaches the sources. A message the broker
// does not confirm goes to the error port; stop() waits for every acknowledgement. A run with an MQTT
// sandbox (ConnectorEnv.mqttSandbox) publishes every topic under that prefix instead.
// With store-and-forward (ConnectorEnv.storeAndForward) a batch is done once it is in the disk
// outbox, and forwarder.ts sends it from there: docs/store-and-forward.md.
import type { IClientPublishOptions } from 'mqtt';
import { defineKind, type NodeContext } from '../../engine/node-kind.ts';
import { mqttSinkNode } from '../../shared/nodes/mqtt-sink.ts';
import type { Batch, Sample } from '../../shared/sample.ts';
import { explainError } from './client-options.ts';
import { NotConnectedError, statusFields, type ConnectionStatus, type Disposable, type MqttConnection } from './connection.ts';
import { Forwarder, type ForwarderHooks, type Pending } from './forwarder.ts';
import { encodeJson, encodeValue, payloadText } from './payload.ts';
import { MqttResources } from './resources.ts';
import type { EdgeNode } from './sparkplug/edge-node.ts';
import { compileTopicTemplate, topicNameProblem } from './topic.ts';

/**
 * How long the sink waits for a lost connection to come back (before a batch is published, or for
 * acknowledgements already owed) before those samples go to the error port. After one such wait,
 * batches fail at once until the broker is back, so a long outage neither hangs the pipeline nor its stop.
 */
export const OFFLINE_WAIT_MS = 10_000;

/**
 * QoS 1/2 messages awaiting PUBACK/PUBCOMP, at most (and never more than the broker's MQTT 5 Receive
 * Maximum). Waiting for each batch's acknowledgements before taking the next would cap a sink at
 * one (often one-sample) batch per broker round trip: at QoS 1 that loses a 10k msg/s stream.
 */
export const MAX_IN_FLIGHT = 1000;

/** How often the published count goes into the node status. */
const STATUS_INTERVAL_MS = 250;

/** Errors that mean the connection went, not that the broker refused the message: sent again later. */
const CONNECTION_GONE = new Set(['Connection closed', 'client disconnecting', 'No connection to broker']);

/** What the outbox keeps of a Sparkplug sample: seq and aliases belong to a session, so samples are stored, not payloads. */
function storedSample(s: Sample): string {
  return JSON.stringify({ path: s.path, value: s.value, quality: s.quality, ts: s.ts, ...(s.status ? { status: s.status } : {}), ...(s.meta ? { meta: s.meta } : {}) });
}

const textOf = (payload: Buffer | string): string => (typeof payload === 'string' ? payload : payloadText(payload));

/** A published batch with messages still unconfirmed. */
interface OpenBatch {
  readonly batch: Batch;
  readonly settled: Uint8Array;
  outstanding: number;
  closed: boolean;
}

export function mqttSinkKind(resources: MqttResources) {
  return defineKind(mqttSinkNode, (config, ctx: NodeContext) => {
    const deviceId = config.device;
    const payload = config.payload;
    const sparkplug = payload.format === 'sparkplug' ? payload : undefined;
    const template = compileTopicTemplate(config.topic, ctx.project.uns);
    // A sandboxed run publishes beside the real UNS, never into it.
    const sandbox = resources.env.mqttSandbox;
    const groupId = sparkplug && sandbox ? `${sandbox.replace(/\//g, '-')}-${sparkplug.groupId}` : sparkplug?.groupId;
    const encode = payload.format === 'value' ? (s: Sample) => encodeValue(s.value) : encodeJson;
    const v4Options: IClientPublishOptions = { qos: config.qos, retain: config.retain };
    const props = config.properties;
    const v5Options: IClientPublishOptions = props
      ? {
          ...v4Options,
          properties: {
            ...(props.messageExpiryInterval !== undefined ? { messageExpiryInterval: props.messageExpiryInterval } : {}),
            ...(props.contentType !== undefined ? { contentType: props.contentType } : {}),
            ...(props.userProperties !== undefined ? { userProperties: props.userProperties } : {}),
          },
        }
      : v4Options;

    let connection: MqttConnection | undefined;
    let edge: { key: string; node: EdgeNode } | undefined;
    let forwarder: Forwarder | undefined;
    const disposables: Disposable[] = [];
    let failFast = false;
    let published = 0;
    /** Messages handed to the client and not yet confirmed. */
    let inFlight = 0;
    const open = new Set<OpenBatch>();
    let roomWaiter: (() => void) | undefined;
    let drainWaiters: (() => void)[] = [];
    let giveUpTimer: Disposable | undefined;
    let reportTimer: Disposable | undefined;
    // The published count goes into the node status at most every STATUS_INTERVAL_MS.
    const reportSoon = (): void => {
      reportTimer ??= ctx.setTimeout(() => {
        reportTimer = undefined;
        ctx.report({ published });
      }, STATUS_INTERVAL_MS);
    };

    const limit = (conn: MqttConnection): number => Math.min(MAX_IN_FLIGHT, conn.receiveMaximum);

    /** After acknowledgements: let process() go on when there is room, and stop() when all are in. */
    const wake = (): void => {
      if (roomWaiter && (!connection || inFlight < limit(connection))) {
        const go = roomWaiter;
        roomWaiter = undefined;
        go();
      }
      if (inFlight === 0) {
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const w of waiters) w();
      }
    };

    /** Fails every message still owed an acknowledgement (connection gone too long, or stop). */
    const giveUp = (reason: string): void => {
      for (const ob of open) {
        ob.closed = true;
        for (let i = 0; i < ob.batch.length; i++) if (!ob.settled[i]) ctx.fail(ob.batch[i], reason);
        inFlight -= ob.outstanding;
      }
      open.clear();
      wake();
    };

    const onStatus = (s: ConnectionStatus): void => {
      ctx.report(statusFields(s));
      if (forwarder) {
        // Nothing is given up with an outbox: it waits on disk for the broker. Sending resumes from
        // onConnect, after a Sparkplug edge node's births.
        if (s.connection !== 'connected') forwarder.onConnection(false);
        return;
      }
      if (s.connection === 'connected') {
        failFast = false;
        giveUpTimer?.dispose();
        giveUpTimer = undefined;
      } else if (inFlight > 0 && !giveUpTimer && s.connection !== 'connecting') {
        giveUpTimer = ctx.setTimeout(() => {
          giveUpTimer = undefined;
          failFast = true;
          giveUp(`${connection?.url ?? deviceId}: connection lost and not back within ${OFFLINE_WAIT_MS / 1000} s; not confirmed by the broker (QoS ${config.qos} messages may still be delivered after a reconnect)`);
        }, OFFLINE_WAIT_MS);
      }
    };

    /** Waits for the connection (bounded), or throws: the runtime sends the batch to the error port. */
    async function connected(conn: MqttConnection): Promise<void> {
      if (conn.connected) return;
      if (failFast) throw conn.notConnected();
      try {
        await conn.whenConnected(OFFLINE_WAIT_MS);
      } catch (err) {
        failFast = true;
        throw err;
      }
    }

    function publishPlain(conn: MqttConnection, batch: Batch): void | Promise<void> {
      const topicOf = sandbox ? (s: Sample) => `${sandbox}/${template.topic!(s)}` : template.topic!;
      const opts = conn.protocolVersion === 5 ? v5Options : v4Options;
      const ob: OpenBatch = { batch, settled: new Uint8Array(batch.length), outstanding: 0, closed: false };
      let lastTopic = '';
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const topic = topicOf(s);
        if (topic !== lastTopic) {
          const problem = topicNameProblem(topic);
          if (problem) {
            ob.settled[i] = 1;
            ctx.fail(s, `topic "${topic}" (from "${config.topic}" and path "${s.path}"): ${problem}`);
            continue;
          }
          lastTopic = topic;
        }
        ob.outstanding++;
        inFlight++;
        conn.publish(topic, encode(s), opts, (err) => {
          if (ob.closed) return;
          ob.settled[i] = 1;
          if (err) ctx.fail(s, err instanceof NotConnectedError ? err.message : `publish to "${topic}" failed: ${explainError(conn.url, err)}`);
          else {
            published++;
            reportSoon();
          }
          inFlight--;
          if (--ob.outstanding === 0) open.delete(ob);
          wake();
        });
      }
      if (ob.outstanding > 0) open.add(ob);
      if (inFlight < limit(conn)) return;
      // The broker is behind: take no more input until acknowledgements make room.
      return new Promise<void>((resolve) => (roomWaiter = resolve));
    }

    async function publishWhenConnected(conn: MqttConnection, batch: Batch): Promise<void> {
      await connected(conn);
      if (!edge) return publishPlain(conn, batch);
      const node = edge.node;
      await node.publish(sparkplug!.deviceId, batch, (s, reason) => ctx.fail(s, reason));
      published += batch.length;
      const st = node.stats();
      // Sparkplug rates are low (one message per batch): report at once.
      ctx.report({ published, bdSeq: st.bdSeq, seq: st.seq, births: st.births, rebirthRequests: st.rebirthRequests });
    }

    /** Outbox mode, plain payloads: topics checked and payloads encoded now, so the outbox holds what goes on the wire. */
    function appendPlain(fw: Forwarder, batch: Batch): void | Promise<void> {
      const topicOf = sandbox ? (s: Sample) => `${sandbox}/${template.topic!(s)}` : template.topic!;
      const messages: { topic: string; payload: string }[] = [];
      const samples: Sample[] = [];
      let lastTopic = '';
      for (const s of batch) {
        const topic = topicOf(s);
        if (topic !== lastTopic) {
          const problem = topicNameProblem(topic);
          if (problem) {
            ctx.fail(s, `topic "${topic}" (from "${config.topic}" and path "${s.path}"): ${problem}`);
            continue;
          }
          lastTopic = topic;
        }
        messages.push({ topic, payload: encode(s) });
        samples.push(s);
      }
      return fw.append(messages, samples);
    }

    function forwarderHooks(saf: NonNullable<MqttResources['env']['storeAndForward']>): ForwarderHooks {
      const url = (): string => connection?.url ?? deviceId;
      return {
        saf,
        // A sandboxed run keeps its own queue: its backlog never goes out unsandboxed.
        queue: sandbox ? `${sandbox}|${ctx.pipelineId}/${ctx.nodeId}` : `${ctx.pipelineId}/${ctx.nodeId}`,
        ctx,
        connected: () => connection?.connected ?? false,
        maxInFlight: () => (connection && config.qos > 0 ? limit(connection) : MAX_IN_FLIGHT),
        historicalGroups: sparkplug !== undefined,
        send(group, historical, settle) {
          const conn = connection!;
          if (edge) {
            const node = edge.node;
            const samples = group.map((m) => m.sample ?? (JSON.parse(textOf(m.payload)) as Sample));
            node.publish(sparkplug!.deviceId, samples, (s, reason) => ctx.fail(s, reason), historical).then(
              () => {
                for (let i = 0; i < group.length; i++) settle(i);
                const st = node.stats();
                ctx.report({ bdSeq: st.bdSeq, seq: st.seq, births: st.births, rebirthRequests: st.rebirthRequests });
              },
              (err: Error) => {
                for (let i = 0; i < group.length; i++) settle(i, err);
              },
            );
            return;
          }
          const opts = conn.protocolVersion === 5 ? v5Options : v4Options;
          for (let i = 0; i < group.length; i++) {
            const m = group[i]!;
            conn.publish(m.topic, m.payload, opts, (err) => settle(i, err));
          }
        },
        transient: (err) => err instanceof NotConnectedError || CONNECTION_GONE.has(err.message),
        sampleOf: (m: Pending): Sample =>
          sparkplug
            ? (JSON.parse(textOf(m.payload)) as Sample)
            : { path: m.topic, value: textOf(m.payload), quality: 'good', ts: m.at ?? Date.now() },
        reason: (m, err) => (sparkplug ? `Sparkplug publish failed: ${explainError(url(), err)}` : `publish to "${m.topic}" failed: ${explainError(url(), err)}`),
      };
    }

    return {
      async start() {
        const device = MqttResources.mqttDevice(deviceId, ctx.device(deviceId));
        if (sparkplug) {
          edge = await resources.edgeNode(deviceId, device, groupId!, sparkplug.edgeNodeId);
          edge.node.attach(sparkplug.deviceId);
          connection = edge.node.connection;
        } else {
          connection = resources.connection(deviceId, device);
        }
        const saf = resources.env.storeAndForward;
        if (saf) {
          forwarder = new Forwarder(forwarderHooks(saf));
          forwarder.start();
        }
        disposables.push(connection.onStatus(onStatus));
        if (forwarder) {
          const fw = forwarder;
          disposables.push(connection.onConnect(() => fw.onConnection(true)));
          if (connection.connected) fw.onConnection(true);
        }
        if (template.problem && !sparkplug) throw new Error(template.problem);
        if (sandbox) ctx.report({ sandbox: sparkplug ? `group ${groupId}` : `${sandbox}/…` });
      },

      process(batch) {
        const conn = connection;
        if (!conn) throw new Error(`not connected to device "${deviceId}": the node did not start`);
        if (!sparkplug && template.problem) throw new Error(template.problem);
        if (batch.length === 0) return;
        if (forwarder) return sparkplug ? forwarder.append(batch.map((s) => ({ topic: '', payload: storedSample(s) })), batch) : appendPlain(forwarder, batch);
        // The usual case returns at once, without a promise: the engine goes on in the same turn.
        if (!edge && conn.connected) return publishPlain(conn, batch);
        return publishWhenConnected(conn, batch);
      },

      async stop() {
        // Every acknowledgement owed comes in first (or the give-up timer fails the rest).
        if (inFlight > 0) await new Promise<void>((resolve) => drainWaiters.push(resolve));
        // With an outbox: drain for a bounded time; the rest stays on disk for the next start.
        await forwarder?.stop();
        for (const d of disposables) d.dispose();
        disposables.length = 0;
        giveUpTimer?.dispose();
        giveUpTimer = undefined;
        reportTimer?.dispose();
        reportTimer = undefined;
        if (!forwarder) ctx.report({ published });
        forwarder = undefined;
        if (edge) {
          const { key, node } = edge;
          edge = undefined;
          connection = undefined;
          await node.detach(sparkplug!.deviceId);
          await resources.releaseEdgeNode(key);
        } else if (connection) {
          connection = undefined;
          await resources.releaseConnection(deviceId);
        }
      },
    };
  });
}
