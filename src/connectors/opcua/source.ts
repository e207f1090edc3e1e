// opcua-source: subscribe (the device's one subscription) or poll (Read every intervalMs).
// Reports connection state; when the connection goes, emits one bad sample per tag.
import { defineKind, type NodeContext } from '../../engine/node-kind.ts';
import type { OpcuaTag } from '../../shared/model/device.ts';
import { opcuaSourceNode } from '../../shared/nodes/opcua-source.ts';
import type { Sample } from '../../shared/sample.ts';
import type { ConnectionPool, Lease } from './pool.ts';
import { NO_COMMUNICATION, type ConnectionStatus, type Disposable, type OpcuaDevice, type TagSubscription } from './types.ts';

/** The node's device (with secrets resolved) and the tags it reads. */
export function deviceAndTags(ctx: NodeContext, deviceId: string, names: readonly string[]): { device: OpcuaDevice; tags: OpcuaTag[] } {
  const device = ctx.device(deviceId);
  if (!device) throw new Error(`device "${deviceId}" is not available to this run`);
  if (device.protocol !== 'opcua') throw new Error(`device "${deviceId}" is ${device.protocol}, not OPC UA`);
  const tags = names.length === 0 ? device.tags : names.map((name) => {
    const tag = device.tags.find((t) => t.name === name);
    if (!tag) throw new Error(`device "${deviceId}" has no tag "${name}"`);
    return tag;
  });
  return { device, tags };
}

/** The connection state as node status shows it. */
export function reportedState(status: ConnectionStatus): 'connected' | 'reconnecting' | 'disconnected' {
  return status.state === 'connected' ? 'connected' : status.state === 'reconnecting' ? 'reconnecting' : 'disconnected';
}

export function opcuaSourceKind(pool: ConnectionPool) {
  return defineKind(opcuaSourceNode, (config, ctx) => {
    let lease: Lease | undefined;
    let subscription: TagSubscription | undefined;
    let watch: Disposable | undefined;
    let device: OpcuaDevice | undefined;
    let tags: OpcuaTag[] = [];
    let stopped = false;
    /** One bad sample per tag per outage. */
    let outageSignalled = false;
    let polling: Promise<void> | undefined;
    let skippedPolls = 0;

    const report = (status: ConnectionStatus): void =>
      ctx.report({
        connection: reportedState(status),
        monitoredItems: config.mode === 'subscribe' ? (subscription?.activeItems ?? 0) : undefined,
        lastError: status.lastError,
        reconnects: status.reconnects ?? 0,
      });

    const signalOutage = (status: ConnectionStatus): void => {
      if (outageSignalled || !device) return;
      outageSignalled = true;
      const ts = ctx.clock.now();
      const text = status.state === 'reconnecting' ? 'connection lost' : 'not connected';
      const id = device.id;
      const batch: Sample[] = tags.map((tag) => ({
        path: `${id}/${tag.name}`,
        value: null,
        quality: 'bad',
        status: { code: NO_COMMUNICATION, text },
        ts,
        ...(tag.unit !== undefined ? { meta: { unit: tag.unit } } : {}),
      }));
      ctx.emit('out', batch);
    };

    const poll = async (): Promise<void> => {
      const connection = lease?.connection;
      if (!connection || stopped || connection.status.state !== 'connected') return;
      // Paced, not stacked: a poll is skipped while the last one runs or downstream is full.
      if (polling || !ctx.canEmit()) {
        ctx.report({ skippedPolls: ++skippedPolls });
        return;
      }
      polling = (async () => {
        try {
          const batch = await connection.read(tags);
          if (!stopped) ctx.emit('out', batch);
        } catch (err) {
          if (!stopped) ctx.fail(undefined, `${device!.id}: ${(err as Error).message}`);
        } finally {
          polling = undefined;
        }
      })();
      await polling;
    };

    const onStatus = (status: ConnectionStatus): void => {
      if (stopped) return;
      report(status);
      if (status.state === 'connected') {
        outageSignalled = false;
        // Fresh values right after (re)connecting rather than one interval later.
        if (config.mode === 'poll') ctx.setTimeout(() => void poll(), 0);
      } else if (status.state === 'reconnecting' || status.state === 'disconnected') {
        signalOutage(status);
      }
    };

    return {
      async start() {
        ({ device, tags } = deviceAndTags(ctx, config.device, config.tags));
        lease = await pool.acquire(device);
        if (stopped) return void (await lease.release());
        const connection = lease.connection;
        watch = connection.onDidChangeStatus(onStatus);
        if (config.mode === 'subscribe') {
          let lastCount = -1;
          subscription = connection.subscribe(tags, (batch) => {
            if (stopped) return;
            ctx.emit('out', batch);
            if (subscription && subscription.activeItems !== lastCount) {
              lastCount = subscription.activeItems;
              report(connection.status);
            }
          });
        } else {
          ctx.setInterval(() => void poll(), config.intervalMs);
        }
        onStatus(connection.status);
      },
      async stop() {
        stopped = true;
        watch?.dispose();
        await polling;
        await subscription?.dispose();
        await lease?.release();
      },
    };
  });
}
