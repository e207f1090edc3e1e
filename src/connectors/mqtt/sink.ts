// mqtt-sink: publishes samples as a plain value or JSON to topics from a template, or as a Sparkplug B
// edge node. QoS 1/2 messages are pipelined: a batch is done once handed to the client, while at
// most MAX_IN_FLIGHT messages wait for their acknowledgement; beyond that the sink takes no more
// input until the broker catches up, so back-pressure reaches the sources. A message the broker
// does not confirm goes to the error port; stop() waits for every acknowledgement. A run with an MQTT
// sandbox (ConnectorEnv.mqttSandbox) publishes every topic under that prefix instead.
import type { IClientPublishOptions } from 'mqtt';
import { defineKind, type NodeContext } from '../../engine/node-kind.ts';
import { mqttSinkNode } from '../../shared/nodes/mqtt-sink.ts';
import type { Batch, Sample } from '../../shared/sample.ts';
import { explainError } from './client-options.ts';
import { NotConnectedError, statusFields, type ConnectionStatus, type Disposable, type MqttConnection } from './connection.ts';
import { encodeJson, encodeValue } from './payload.ts';
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
        disposables.push(connection.onStatus(onStatus));
        if (template.problem && !sparkplug) throw new Error(template.problem);
        if (sandbox) ctx.report({ sandbox: sparkplug ? `group ${groupId}` : `${sandbox}/…` });
      },

      process(batch) {
        const conn = connection;
        if (!conn) throw new Error(`not connected to device "${deviceId}": the node did not start`);
        if (!sparkplug && template.problem) throw new Error(template.problem);
        if (batch.length === 0) return;
        // The usual case returns at once, without a promise: the engine goes on in the same turn.
        if (!edge && conn.connected) return publishPlain(conn, batch);
        return publishWhenConnected(conn, batch);
      },

      async stop() {
        // Every acknowledgement owed comes in first (or the give-up timer fails the rest).
        if (inFlight > 0) await new Promise<void>((resolve) => drainWaiters.push(resolve));
        for (const d of disposables) d.dispose();
        disposables.length = 0;
        giveUpTimer?.dispose();
        giveUpTimer = undefined;
        reportTimer?.dispose();
        reportTimer = undefined;
        ctx.report({ published });
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
