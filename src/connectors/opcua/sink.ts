// opcua-sink: writes each sample's value to the tag's variable, coerced to its DataType, through the
// run's device-write gate (mode, arming, interlocks, audit). A sample the gate refuses or the server
// refuses goes to the error port as "<device>/<tag>: <status>"; a dry run only shows in the status.
import { defineKind } from '../../engine/node-kind.ts';
import type { OpcuaTag } from '../../shared/model/device.ts';
import { opcuaSinkNode } from '../../shared/nodes/opcua-sink.ts';
import type { ConnectionPool, Lease } from './pool.ts';
import { deviceAndTags, reportedState } from './source.ts';
import type { ConnectionStatus, Disposable, OpcuaDevice, WriteResult } from './types.ts';
import { sinkWriter } from '../sink-writes.ts';

/** How long a first batch waits for the first connection attempt before failing its samples. */
const FIRST_ATTEMPT_WAIT_MS = 5000;

export function opcuaSinkKind(pool: ConnectionPool) {
  return defineKind(opcuaSinkNode, (config, ctx) => {
    let lease: Lease | undefined;
    let watch: Disposable | undefined;
    let device: OpcuaDevice | undefined;
    let tag: OpcuaTag | undefined;
    const writer = sinkWriter(ctx, config.device, config.tag);

    const report = (status: ConnectionStatus): void =>
      ctx.report({ connection: reportedState(status), lastError: status.lastError, reconnects: status.reconnects ?? 0, written: writer.written, ...writer.status() });

    return {
      async start() {
        let tags: OpcuaTag[];
        ({ device, tags } = deviceAndTags(ctx, config.device, [config.tag]));
        tag = tags[0]!;
        lease = await pool.acquire(device);
        watch = lease.connection.onDidChangeStatus(report);
        report(lease.connection.status);
      },
      async process(batch) {
        if (!lease || !device || !tag) return;
        const connection = lease.connection;
        const where = `${device.id}/${tag.name}`;
        // The first connection may still be on its way when the first samples arrive: wait a little.
        if (connection.status.state === 'connecting') {
          await new Promise<void>((resolve) => {
            const timer = ctx.setTimeout(resolve, FIRST_ATTEMPT_WAIT_MS);
            void connection.firstAttempt().then(() => {
              timer.dispose();
              resolve();
            });
          });
        }
        const t = tag;
        for (const sample of batch) {
          // A value the source marked bad is never sent to a machine.
          if (sample.quality === 'bad') {
            writer.fail(sample, `${where}: not written: the sample's quality is bad`);
            continue;
          }
          const status = connection.status;
          if (status.state !== 'connected') {
            writer.fail(sample, `${where}: not connected (${status.lastError ?? status.state})`);
            continue;
          }
          await writer.write(sample, sample.value, {
            check: () => connection.check(t, sample.value).then(statusOf),
            read: async () => {
              const [read] = await connection.read([t]);
              return read && read.quality !== 'bad' ? { ok: true, value: read.value } : { ok: false, status: read?.status?.text ?? 'no value' };
            },
            write: () => connection.write(t, sample.value).then(statusOf),
          });
        }
        report(connection.status);
      },
      async stop() {
        watch?.dispose();
        await lease?.release();
      },
    };
  });
}

const statusOf = (result: WriteResult): { ok: boolean; status: string } => (result.ok ? { ok: true, status: 'Good' } : result);
